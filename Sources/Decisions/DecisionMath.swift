import Foundation
import Learning
import Tabular

/// An error of a decision computation, as plain text; the Notebook adapters report it at a span.
public struct DecisionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The primary metric of a task as the decision commands use it: rmse for regression, accuracy
/// for classification; comparisons are made on a loss-like form (rmse, or error = 1 − accuracy).
public struct PrimaryMetric: Sendable, Hashable {
    public var classification: Bool
    public init(classification: Bool) { self.classification = classification }
    public var name: String { classification ? "accuracy" : "rmse" }
    /// The loss-like name used in reasons.
    public var lossName: String { classification ? "error rate" : "rmse" }

    /// Loss-like value of a mean of per-row losses (squared errors or 0/1 errors).
    public func loss(meanRowLoss m: Double) -> Double { classification ? m : m.squareRoot() }
    /// Display value from a loss-like value.
    public func display(loss l: Double) -> Double { classification ? 1 - l : l }
    /// Loss-like value of a recorded metric.
    public func loss(metric v: Double) -> Double { classification ? 1 - v : v }
}

/// Per-row losses of a model on a dataset (rows with a target and a prediction).
public struct RowScores: Sendable {
    public var losses: [Double]
    public var metric: PrimaryMetric
    public var metrics: [String: Double]
    /// Targets and predictions (regression) / class ids (classification), aligned with `losses`.
    public var targets: [Double]
    public var predictions: [Double]

    public var loss: Double { metric.loss(meanRowLoss: losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count)) }
    public var value: Double { metric.display(loss: loss) }
}

public enum DecisionMath {
    public static func rowScores(_ model: TrainedModel, on data: Dataset) throws -> RowScores {
        let design: DesignMatrix
        let predictions: Predictions
        let metrics: [String: Double]
        do {
            design = try model.preprocessor.transform(data, requireTarget: true)
            predictions = try model.predict(data)
            metrics = try Metrics.evaluate(model, on: data)
        } catch {
            throw DecisionError("cannot evaluate \(model.spec.name) on '\(data.name)': \(error)")
        }
        guard let y = design.y, design.rows > 0 else {
            throw DecisionError("dataset '\(data.name)' has no rows with the target '\(model.spec.target)'")
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
            throw DecisionError("no row of '\(data.name)' could be predicted by \(model.spec.name)")
        }
        return RowScores(losses: losses, metric: PrimaryMetric(classification: classification), metrics: metrics,
                         targets: targets, predictions: preds)
    }

    /// Bootstrap resamples (row indices), seeded: the same seed gives the same resamples.
    public static func resamples(n: Int, count: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededRandom(seed: seed ^ 0x626f_6f74_7374_7270)
        guard n > 0 else { return [] }
        return (0..<count).map { _ in (0..<n).map { _ in rng.nextInt(below: n) } }
    }

    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let pos = p * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let f = pos - Double(lo)
        return sorted[lo] * (1 - f) + sorted[hi] * f
    }

    /// 95 % percentile interval of the loss-like metric.
    public static func interval(_ s: RowScores, samples given: [[Int]]) -> (low: Double, high: Double) {
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
    public static func tied(_ a: RowScores, _ b: RowScores, samples: [[Int]]) -> Bool {
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
    public static func noSignal(_ s: RowScores) -> (flag: Bool, baseline: Double) {
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

