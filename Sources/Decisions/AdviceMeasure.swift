import Foundation
import Learning
import Tabular

/// What advise's measurement table shows: the `Advice.Measurements` the threshold rules read,
/// and one line of text per measure.
public struct AdviceReadings: Sendable {
    public var measurements: Advice.Measurements
    /// The version's per-row scores on NEW (nil when the schema changed).
    public var scores: RowScores?
    public var drift: String
    public var performance: String
    public var baseline: String
    public var cost: String
}

/// The inputs of advise's measurements that come from the store.
public struct AdviceContext: Sendable {
    /// The column summaries stored with the version.
    public var trainingSummary: DatasetSummary?
    /// Rows the version was fitted on.
    public var fittedRows: Int
    /// The version's recorded loss-like metric and its key (`valid_rmse`, …).
    public var recorded: (key: String, loss: Double)?
    /// The producing run's wall seconds and FLOPs.
    public var producingCost: (wallSeconds: Double, flops: Double)?
    /// Whether a retrain of this version is a closed-form fit.
    public var closedForm: Bool
    public var budget: Double?
    public var seed: UInt64

    public init(trainingSummary: DatasetSummary?, fittedRows: Int, recorded: (key: String, loss: Double)?,
                producingCost: (wallSeconds: Double, flops: Double)?, closedForm: Bool, budget: Double?, seed: UInt64) {
        self.trainingSummary = trainingSummary; self.fittedRows = fittedRows; self.recorded = recorded
        self.producingCost = producingCost; self.closedForm = closedForm; self.budget = budget; self.seed = seed
    }
}

extension Advice {
    /// Measures a version on NEW: schema, drift against its stored summary, performance with a
    /// bootstrap interval against its recorded metric, the trivial baseline, size and cost.
    public static func measure(_ trained: TrainedModel, on new: Dataset, context c: AdviceContext) throws -> AdviceReadings {
        let metric = PrimaryMetric(classification: trained.task == .classification)
        let pre = trained.preprocessor
        let featureNames = pre.features.map(\.name)
        let target = pre.target ?? trained.spec.target
        var m = Measurements(metricName: metric.lossName, isClassification: metric.classification)
        m.newRows = new.rowCount
        m.trainRows = c.fittedRows
        m.budget = c.budget

        // Schema.
        for f in pre.features {
            guard let col = new.column(named: f.name) else { m.missingFeatures.append(f.name); continue }
            if f.type.isNumeric != col.type.isNumeric { m.missingFeatures.append("\(f.name) (\(f.type.rawValue) → \(col.type.rawValue))") }
        }
        if pre.allColumns {
            m.newFeatures = new.columnNames.filter { !featureNames.contains($0) && $0 != target && $0 != new.time }
        }
        // Drift against the stored summary, over the model's features.
        var driftLine = "no training summary stored with this version"
        if let summary = c.trainingSummary {
            let report = Drift.report(reference: summary, new: new)
            m.noiseFloor = report.noiseFloor
            let feats = report.columns.filter { featureNames.contains($0.name) }
            if let w = feats.max(by: { ($0.psi ?? -1) < ($1.psi ?? -1) }), let p = w.psi {
                m.maxPSI = p
                m.maxPSIColumn = w.name
                let major = feats.filter { level(psi: $0.psi, noiseFloor: report.noiseFloor) == .major }.count
                driftLine = "max PSI \(NumberText.short(p)) on \(w.name); \(major) of \(feats.count) features major"
            }
        }
        // Performance, baseline and noise.
        var perfLine = "not measurable (schema change)"
        var baselineLine = "—"
        var scores: RowScores?
        if m.missingFeatures.isEmpty {
            let s = try DecisionMath.rowScores(trained, on: new)
            scores = s
            m.measured = s.loss
            let samples = DecisionMath.resamples(n: s.losses.count, count: resamples, seed: c.seed)
            let ci = DecisionMath.interval(s, samples: samples)
            m.measuredNoise = (ci.high - ci.low) / 2
            m.recorded = c.recorded?.loss
            let ns = DecisionMath.noSignal(s)
            m.noSignal = ns.flag
            perfLine = "\(metric.name) \(NumberText.short(s.value)) on NEW (95 % ±\(NumberText.short(m.measuredNoise)))"
            if let r = c.recorded {
                perfLine += " vs \(NumberText.short(metric.display(loss: r.loss))) recorded (\(r.key))"
                if let d = m.degradation { perfLine += ": \(metric.lossName) \(NumberText.percent(d))" }
            }
            baselineLine = metric.classification
                ? "accuracy \(NumberText.short(s.value)) vs \(NumberText.short(ns.baseline)) for the majority class"
                : "rmse \(NumberText.short(s.value)) vs \(NumberText.short(ns.baseline)) predicting the mean"
        }
        // Cost from the producing run, scaled by rows.
        var costLine = "no recorded cost"
        if let cost = c.producingCost, m.trainRows > 0 {
            let scale = Double(m.newRows) / Double(m.trainRows)
            let retrain = cost.wallSeconds * max(scale, 1e-9)
            let fine = c.closedForm ? retrain : retrain * fineTuneCostFraction
            m.retrainSeconds = retrain
            m.fineTuneSeconds = fine
            costLine = "retrain on NEW ≈ \(NumberText.seconds(retrain)) (\(NumberText.flops(cost.flops * scale)) FLOPs), on old + new ≈ \(NumberText.seconds(cost.wallSeconds * (1 + scale))), fine-tune ≈ \(NumberText.seconds(fine))"
        }
        return AdviceReadings(measurements: m, scores: scores, drift: driftLine, performance: perfLine,
                              baseline: baselineLine, cost: costLine)
    }
}

extension NumberText {
    /// FLOPs with a k/M/G/T suffix, 3 significant digits.
    public static func flops(_ f: Double) -> String {
        guard f > 0, f.isFinite else { return "0" }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, u) in units where f >= scale { return String(format: "%.3g", f / scale) + u }
        return String(format: "%.0f", f)
    }
}
