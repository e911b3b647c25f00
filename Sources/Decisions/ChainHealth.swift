import Foundation
import Learning
import Tabular

/// The thresholds of chain health (docs/ADVICE.md, "Chain health"): when a version fine-tuned
/// again and again has drifted so far from the data its chain was last fully trained on, or has
/// forgotten that data so much, that a full retrain is due.
public enum ChainHealthRules {
    /// Fine-tunes since the last full (re)train from which a chain is long: retrain when
    /// forgetting cannot be measured, watch when it is (then forgetting and drift decide).
    public static let longChain = 6
    /// Fine-tunes since the last full (re)train from which a chain is worth watching.
    public static let watchChain = 3
    /// Relative increase of the error on the root's data, now versus at the root (forgetting),
    /// from which to retrain (the duel's forgetting tolerance).
    public static let forgetting = Advice.forgettingTolerance
    /// Forgetting from which to watch.
    public static let watchForgetting = 0.05
    /// Cumulative drift (largest feature PSI, root data → the version's data) from which to
    /// retrain: drift's "major" level. It must also exceed the level sampling noise reaches 1 % of
    /// the time across the features (`DriftNoise.psiFloor`, as backtest's drift triggers).
    public static let driftPSI = Advice.majorPSI
    /// Cumulative drift from which to watch: drift's "moderate" level.
    public static let watchPSI = Advice.moderatePSI
}

/// One generation of a lineage: a full fit (train, retrain) or a fine-tune of its parent.
public struct ChainLink: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case fullTrain = "full", fineTune = "fine-tune" }
    public var version: Int
    public var kind: Kind
    public init(version: Int, kind: Kind) {
        self.version = version
        self.kind = kind
    }
}

/// What the adapter measured for one version; nil where it could not measure (and `notes` says why).
public struct ChainReadings: Sendable, Hashable {
    /// Largest PSI over the model's features, root data → the version's training data, its
    /// column, the KS D of that column (when the root rows are available) and the sampling-noise
    /// level (`DriftNoise.psiFloor`).
    public var psi: Double?
    public var psiColumn: String?
    public var ks: Double?
    public var noiseFloor: Double?
    /// Loss-like error (rmse, error rate) on the root's training data: of the root version, and
    /// of this version.
    public var rootLossAtRoot: Double?
    public var rootLossNow: Double?
    public var classification: Bool
    /// Why a reading is missing ("root data not loaded: forgetting not measured").
    public var notes: [String]

    public init(psi: Double? = nil, psiColumn: String? = nil, ks: Double? = nil, noiseFloor: Double? = nil,
                rootLossAtRoot: Double? = nil, rootLossNow: Double? = nil, classification: Bool = false,
                notes: [String] = []) {
        self.psi = psi
        self.psiColumn = psiColumn
        self.ks = ks
        self.noiseFloor = noiseFloor
        self.rootLossAtRoot = rootLossAtRoot
        self.rootLossNow = rootLossNow
        self.classification = classification
        self.notes = notes
    }
}

/// The health of one version's chain, with its verdict.
public struct ChainHealth: Sendable, Hashable {
    public enum Verdict: String, Sendable, Hashable { case fullTrain = "full train", healthy, watch, retrain }
    public var version: Int
    /// The last full (re)train in the version's lineage (the version itself for a full fit).
    public var root: Int
    /// Fine-tunes between the root and the version.
    public var fineTunes: Int
    public var readings: ChainReadings
    /// Relative forgetting on the root data (error-rate denominators floored at `Advice.errorFloor`).
    public var forgetting: Double?
    public var verdict: Verdict
    /// The readings at or past a threshold, in words.
    public var reasons: [String]

    public var unhealthy: Bool { verdict == .retrain }

    /// `fine-tune chain of 6 since @2: forgetting +18 % on the root data, drift PSI 0.31: retrain`.
    public var line: String {
        fineTunes > 0 ? summary + ": " + verdict.rawValue : summary + ": healthy"
    }

    /// The line without its verdict.
    public var summary: String {
        guard fineTunes > 0 else { return "full train (root of its chain)" }
        var parts: [String] = []
        if let f = forgetting {
            parts.append("forgetting \(ChainHealthAssessment.percent(f)) on the root data")
        }
        if let p = readings.psi {
            var d = "drift PSI \(ChainHealthAssessment.short(p))"
            if let c = readings.psiColumn { d += " (\(c))" }
            if let k = readings.ks { d += ", KS \(ChainHealthAssessment.short(k))" }
            if let floor = readings.noiseFloor, p <= floor { d += " within noise (level \(ChainHealthAssessment.short(floor)))" }
            parts.append(d)
        }
        parts += readings.notes
        let head = "fine-tune chain of \(fineTunes) since @\(root)"
        return head + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}

/// Chain health, pure: counts fine-tunes since the last full fit, measures cumulative drift and
/// forgetting from what the adapter hands in, and applies `ChainHealthRules`.
public enum ChainHealthAssessment {
    /// The root of a chain given newest first (the version itself first): the first full fit,
    /// and the fine-tunes before it. A chain of fine-tunes only (its full fit purged) roots at its
    /// oldest link.
    public static func root(of chain: [ChainLink]) -> (root: Int, fineTunes: Int) {
        var count = 0
        for link in chain {
            if link.kind == .fullTrain { return (link.version, count) }
            count += 1
        }
        return (chain.last?.version ?? 0, max(0, count - 1))
    }

    /// Relative forgetting: `(now − atRoot) / atRoot`, the denominator floored at
    /// `Advice.errorFloor` for error rates (as advise's degradation).
    public static func forgetting(atRoot: Double, now: Double, classification: Bool) -> Double? {
        guard atRoot.isFinite, now.isFinite else { return nil }
        let denominator = classification ? max(atRoot, Advice.errorFloor) : atRoot
        guard denominator > 0 else { return now > atRoot ? .infinity : 0 }
        return (now - atRoot) / denominator
    }

    /// Cumulative drift of `latest` from the root's data over `features`: with the root rows PSI
    /// and KS, with the stored summary only PSI. The target is not a feature.
    public static func drift(rootSummary: DatasetSummary?, rootData: Dataset?, latest: Dataset,
                             features: [String]) -> (psi: Double?, column: String?, ks: Double?, floor: Double?) {
        let report: DriftReport
        if let rootData {
            report = Drift.report(reference: rootData, new: latest)
        } else if let rootSummary {
            report = Drift.report(reference: rootSummary, new: latest)
        } else {
            return (nil, nil, nil, nil)
        }
        let wanted = Set(features)
        let columns = report.columns.filter { wanted.contains($0.name) && $0.psi != nil }
        // The level sampling noise reaches 1 % of the time across the features (as backtest's
        // drift triggers): small quarters would otherwise always "drift".
        let floor = DriftNoise.psiFloor(nRef: Double(report.referenceRows), nNew: Double(report.newRows),
                                        features: max(columns.count, 1))
        guard let worst = columns.max(by: { ($0.psi ?? 0, $1.name) < ($1.psi ?? 0, $0.name) }) else {
            return (nil, nil, nil, floor)
        }
        return (worst.psi, worst.name, worst.ksD, floor)
    }

    /// A model's loss-like error on a dataset (rmse, or the error rate).
    public static func loss(_ model: TrainedModel, on data: Dataset) throws -> Double {
        let rows = try RowLosses.of(model, on: data)
        let mean = rows.losses.reduce(0, +) / Double(max(rows.losses.count, 1))
        return RowLosses.loss(mean, classification: rows.classification)
    }

    /// The verdict for one version (chain newest first, the version itself first).
    public static func assess(chain: [ChainLink], readings: ChainReadings) -> ChainHealth {
        let version = chain.first?.version ?? 0
        let (root, fineTunes) = root(of: chain)
        var health = ChainHealth(version: version, root: root, fineTunes: fineTunes, readings: readings,
                                 forgetting: nil, verdict: .fullTrain, reasons: [])
        guard fineTunes > 0 else { return health }
        if let a = readings.rootLossAtRoot, let n = readings.rootLossNow {
            health.forgetting = forgetting(atRoot: a, now: n, classification: readings.classification)
        }
        var retrain: [String] = [], watch: [String] = []
        if fineTunes >= ChainHealthRules.longChain, health.forgetting == nil {
            // Length stands in for the drift and forgetting a long chain accumulates, when
            // forgetting cannot be measured (the root's data not loaded).
            retrain.append("\(fineTunes) fine-tunes since @\(root) (long from \(ChainHealthRules.longChain), forgetting not measured)")
        } else if fineTunes >= ChainHealthRules.longChain {
            // Measured forgetting and drift decide; the length alone only asks to watch
            // (HealthScenarios: long chains on stable streams served as well as a retrain).
            watch.append("\(fineTunes) fine-tunes since @\(root) (long from \(ChainHealthRules.longChain); forgetting and drift measured decide)")
        } else if fineTunes >= ChainHealthRules.watchChain {
            watch.append("\(fineTunes) fine-tunes since @\(root) (watch from \(ChainHealthRules.watchChain))")
        }
        if let f = health.forgetting {
            if f >= ChainHealthRules.forgetting {
                retrain.append("forgetting \(percent(f)) on the root data (retrain from \(percent(ChainHealthRules.forgetting)))")
            } else if f >= ChainHealthRules.watchForgetting {
                watch.append("forgetting \(percent(f)) on the root data (watch from \(percent(ChainHealthRules.watchForgetting)))")
            }
        }
        if let p = readings.psi, p > (readings.noiseFloor ?? 0) {
            if p >= ChainHealthRules.driftPSI {
                retrain.append("drift PSI \(short(p)) from the root data (retrain from \(short(ChainHealthRules.driftPSI)))")
            } else if p >= ChainHealthRules.watchPSI {
                watch.append("drift PSI \(short(p)) from the root data (watch from \(short(ChainHealthRules.watchPSI)))")
            }
        }
        health.verdict = !retrain.isEmpty ? .retrain : (!watch.isEmpty ? .watch : .healthy)
        health.reasons = retrain + watch
        return health
    }

    /// advise with an unhealthy chain: when the pick is keep or fine-tune and a retrain candidate
    /// is within noise of the best, the cheapest such retrain is picked instead. Returns whether
    /// the pick changed.
    @discardableResult
    public static func preferRetrain(_ e: inout Evidence, health: ChainHealth) -> Bool {
        guard health.unhealthy, e.verdict != .noSignal, !e.insufficient, let pick = e.pick else { return false }
        let picked = e.candidates[pick].action
        if picked == .retrainNew || picked == .retrainAll {
            e.reasons.append("the fine-tune chain is unhealthy (\(health.reasons.joined(separator: "; "))): a retrain is due, and \(picked.rawValue) is one")
            return false
        }
        guard picked == .keep || picked == .finetune else { return false }
        let retrains = e.candidates.indices.filter {
            let c = e.candidates[$0]
            return c.tied && c.loss != nil && (c.action == .retrainNew || c.action == .retrainAll)
        }
        guard let chosen = retrains.min(by: { e.candidates[$0].action < e.candidates[$1].action }) else { return false }
        e.pick = chosen
        e.verdict = AdviseOutcome(e.candidates[chosen].action)
        e.reasons.append("the fine-tune chain is unhealthy (\(health.reasons.joined(separator: "; "))): \(e.candidates[chosen].action.rawValue) is within noise of the best, so it is preferred to \(e.candidates[pick].action.rawValue)")
        return true
    }

    static func short(_ x: Double) -> String {
        guard x.isFinite else { return x > 0 ? "∞" : "—" }
        return String(format: "%.2f", x)
    }

    static func percent(_ x: Double) -> String {
        guard x.isFinite else { return x > 0 ? "+∞ %" : "—" }
        let v = (x * 100).rounded()
        return (v >= 0 ? "+" : "−") + String(format: "%.0f", abs(v)) + " %"
    }
}
