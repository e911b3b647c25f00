import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

/// The primary metric of a task as the decision commands use it: rmse for regression, accuracy
/// for classification; comparisons are made on a loss-like form (rmse, or error = 1 − accuracy).
struct PrimaryMetric: Sendable, Hashable {
    var classification: Bool
    var name: String { classification ? "accuracy" : "rmse" }
    /// The loss-like name used in reasons.
    var lossName: String { classification ? "error rate" : "rmse" }

    /// Loss-like value of a mean of per-row losses (squared errors or 0/1 errors).
    func loss(meanRowLoss m: Double) -> Double { classification ? m : m.squareRoot() }
    /// Display value from a loss-like value.
    func display(loss l: Double) -> Double { classification ? 1 - l : l }
    /// Loss-like value of a recorded metric.
    func loss(metric v: Double) -> Double { classification ? 1 - v : v }
}

/// Per-row losses of a model on a dataset (rows with a target and a prediction).
struct RowScores {
    var losses: [Double]
    var metric: PrimaryMetric
    var metrics: [String: Double]
    /// Targets and predictions (regression) / class ids (classification), aligned with `losses`.
    var targets: [Double]
    var predictions: [Double]

    var loss: Double { metric.loss(meanRowLoss: losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count)) }
    var value: Double { metric.display(loss: loss) }
}

enum DecisionMath {
    static func rowScores(_ model: TrainedModel, on data: Dataset, span: SourceSpan) throws -> RowScores {
        let design: DesignMatrix
        let predictions: Predictions
        let metrics: [String: Double]
        do {
            design = try model.preprocessor.transform(data, requireTarget: true)
            predictions = try model.predict(data)
            metrics = try Metrics.evaluate(model, on: data)
        } catch {
            throw Diagnostic("cannot evaluate \(model.spec.name) on '\(data.name)': \(error)", at: span)
        }
        guard let y = design.y, design.rows > 0 else {
            throw Diagnostic("dataset '\(data.name)' has no rows with the target '\(model.spec.target)'", at: span)
        }
        let classification = model.task == .classification
        var losses: [Double] = [], targets: [Double] = [], preds: [Double] = []
        losses.reserveCapacity(design.rows)
        for (k, r) in design.sourceRows.enumerated() where r < predictions.values.count {
            let p = predictions.values[r]
            guard p.isFinite else { continue }
            let l = classification ? (p == y[k] ? 0.0 : 1.0) : (y[k] - p) * (y[k] - p)
            losses.append(l)
            targets.append(y[k])
            preds.append(p)
        }
        if losses.isEmpty {
            throw Diagnostic("no row of '\(data.name)' could be predicted by \(model.spec.name)", at: span)
        }
        return RowScores(losses: losses, metric: PrimaryMetric(classification: classification), metrics: metrics,
                         targets: targets, predictions: preds)
    }

    /// Bootstrap resamples (row indices), seeded: the same seed gives the same resamples.
    static func resamples(n: Int, count: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededRandom(seed: seed ^ 0x626f_6f74_7374_7270)
        guard n > 0 else { return [] }
        return (0..<count).map { _ in (0..<n).map { _ in rng.nextInt(below: n) } }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let pos = p * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let f = pos - Double(lo)
        return sorted[lo] * (1 - f) + sorted[hi] * f
    }

    /// 95 % percentile interval of the loss-like metric.
    static func interval(_ s: RowScores, samples given: [[Int]]) -> (low: Double, high: Double) {
        // Arms scored on a different number of rows get resamples of their own.
        let samples = given.first?.count == s.losses.count ? given
            : resamples(n: s.losses.count, count: max(given.count, 1), seed: UInt64(s.losses.count))
        let values = samples.map { idx -> Double in
            var t = 0.0
            for i in idx { t += s.losses[i] }
            return s.metric.loss(meanRowLoss: t / Double(max(idx.count, 1)))
        }.sorted()
        return (percentile(values, 0.025), percentile(values, 0.975))
    }

    /// Tied: the losses differ by less than `Advice.equivalence` of the smaller, or the paired
    /// bootstrap 95 % interval of loss(a) − loss(b) contains 0.
    static func tied(_ a: RowScores, _ b: RowScores, samples: [[Int]]) -> Bool {
        if abs(a.loss - b.loss) <= Advice.equivalence * min(a.loss, b.loss) { return true }
        guard a.losses.count == b.losses.count else { return false }
        let diffs = samples.map { idx -> Double in
            var ta = 0.0, tb = 0.0
            for i in idx { ta += a.losses[i]; tb += b.losses[i] }
            let n = Double(max(idx.count, 1))
            return a.metric.loss(meanRowLoss: ta / n) - b.metric.loss(meanRowLoss: tb / n)
        }.sorted()
        return percentile(diffs, 0.025) <= 0 && percentile(diffs, 0.975) >= 0
    }

    /// No signal: regression — rmse ≥ std of the target and squared correlation of predictions
    /// with the target < `Advice.noSignalR2`; classification — accuracy ≤ majority-class share.
    static func noSignal(_ s: RowScores) -> (flag: Bool, baseline: Double) {
        let n = Double(s.targets.count)
        if s.metric.classification {
            var counts: [Double: Int] = [:]
            for t in s.targets { counts[t, default: 0] += 1 }
            let majority = Double(counts.values.max() ?? 0) / max(n, 1)
            return (s.value <= majority, majority)
        }
        let my = s.targets.reduce(0, +) / n, mp = s.predictions.reduce(0, +) / n
        var syy = 0.0, spp = 0.0, syp = 0.0
        for i in s.targets.indices {
            let dy = s.targets[i] - my, dp = s.predictions[i] - mp
            syy += dy * dy; spp += dp * dp; syp += dy * dp
        }
        let std = (syy / n).squareRoot()
        let r2 = (syy > 0 && spp > 0) ? (syp * syp) / (syy * spp) : 0
        return (s.loss >= std && r2 < Advice.noSignalR2, std)
    }
}

extension Session {
    /// `MODEL[@V]` operand 0 resolved and loaded.
    func decisionVersion(_ inv: Invocation) throws -> (model: String, version: Int, trained: TrainedModel,
                                                        stored: ModelVersion, span: SourceSpan) {
        guard let a = inv.operand(0), case .version(let m, let ref) = a.value, let model = m else {
            throw inv.error("expected a model version (NAME, NAME@N or NAME@ALIAS)")
        }
        let v = try loadVersion(model, ref: ref, at: a.span)
        return (model, v.version, v.model, v.stored, a.span)
    }

    /// The producing run of a version (params, cost, datasets), when recorded.
    func producingRun(_ stored: ModelVersion) -> RunDetail? {
        guard let id = stored.info.run, let s = try? store() else { return nil }
        return try? s.run(id)
    }

    /// A version's recorded loss-like metric: `valid_<m>`, else `train_<m>`, else `<m>`.
    func recordedLoss(_ stored: ModelVersion, metric: PrimaryMetric) -> (key: String, loss: Double)? {
        for key in ["valid_" + metric.name, "train_" + metric.name, metric.name] {
            if let v = stored.info.metrics[key], v.isFinite { return (key, metric.loss(metric: v)) }
        }
        return nil
    }

    /// A version's training-data summary (stored with it).
    func trainingSummary(_ stored: ModelVersion) -> DatasetSummary? {
        guard let bytes = stored.summary else { return nil }
        return try? JSONDecoder().decode(DatasetSummary.self, from: Data(bytes))
    }
}

/// Options of a run reconstructed from its recorded parameters (the ones a retrain reuses).
func trainOptions(fromParams p: [String: String], seed: UInt64?) -> TrainOptions {
    var o = TrainOptions()
    if let s = p["optimizer"], let opt = TrainOptions.Optimizer(rawValue: s) { o.optimizer = opt }
    if let e = p["epochs"].flatMap({ Int($0) }) { o.epochs = e }
    if let l = p["lr"].flatMap({ Double($0) }) { o.lr = l }
    if let b = p["batch"].flatMap({ Int($0) }) { o.batch = b }
    if o.optimizer == .sgd, let m = p["momentum"].flatMap({ Double($0) }) { o.momentum = m }
    if let w = p["weight_decay"].flatMap({ Double($0) }), w != 0 { o.weightDecay = w }
    if let s = p["schedule"].flatMap({ TrainOptions.Schedule(rawValue: $0) }), s != .constant { o.schedule = s }
    if let i = p["impute"].flatMap({ ImputeStrategy(rawValue: $0) }), i != .none { o.impute = i }
    o.seed = seed ?? p["seed"].flatMap { UInt64($0) }
    return o
}

func formatSeconds(_ s: Double) -> String { String(format: "%.2f s", s) }

func formatFLOPs(_ f: Double) -> String {
    guard f > 0, f.isFinite else { return "0" }
    let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, u) in units where f >= scale { return String(format: "%.3g", f / scale) + u }
    return String(format: "%.0f", f)
}
