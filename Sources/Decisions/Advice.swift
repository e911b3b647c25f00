import Foundation

/// The decision rules of `advise` and `duel`, as pure functions of measured values. Every
/// threshold here is documented (with its default) in docs/ADVICE.md; change both together.
public enum Advice {
    // MARK: thresholds (defaults)

    /// PSI verdicts: `none` < 0.1 ≤ `moderate` < 0.25 ≤ `major` (PSI at or under the no-drift
    /// level `9·(1/n_ref + 1/n_new)` is `none` whatever its value).
    public static let moderatePSI = 0.1
    public static let majorPSI = 0.25
    /// Relative degradation of the loss-like metric (rmse, or error rate = 1 − accuracy) on NEW
    /// against the version's recorded metric that counts as degradation.
    public static let degradation = 0.10
    /// Degradation this large is a "large difference": retrain rather than fine-tune.
    public static let largeDegradation = 0.50
    /// Error-rate floor in the denominator of classification degradation (a 1 % → 2 % error
    /// change is not a 100 % degradation).
    public static let errorFloor = 0.02
    /// NEW is "limited" when its rows are under this fraction of the training rows.
    public static let limitedFraction = 0.25
    /// NEW can stand alone for a retrain when it has at least as many rows as the training data.
    public static let standAloneFraction = 1.0
    /// Fewer rows than this in NEW: every measurement is noisy, confidence is halved.
    public static let smallSample = 30
    /// Fine-tune cost as a fraction of a retrain (a quarter of the epochs).
    public static let fineTuneCostFraction = 0.25
    /// "No signal": a regression model whose rmse on NEW is at least the target's std and whose
    /// predictions explain less than this share of the target's variance even after an affine
    /// recalibration (squared correlation); a classifier no more accurate than the majority class.
    public static let noSignalR2 = 0.05
    /// Duel: an arm may lose at most this relative amount on the old test data (forgetting).
    public static let forgettingTolerance = 0.10
    /// Duel: differences under this fraction of the best arm's loss are ties whatever the
    /// bootstrap says (the smallest improvement worth a change).
    public static let equivalence = 0.02
    /// Duel: estimated costs within this fraction of the cheapest tied arm count as equal (then
    /// keep < finetune < retrain_new < retrain_all).
    public static let costTolerance = 0.10
    /// Duel: bootstrap resamples of the holdout.
    public static let resamples = 500

    public enum DriftLevel: String, Sendable, Comparable {
        case none, moderate, major
        var rank: Int { self == .none ? 0 : self == .moderate ? 1 : 2 }
        public static func < (a: DriftLevel, b: DriftLevel) -> Bool { a.rank < b.rank }
    }

    /// The verdict of one column's PSI.
    public static func level(psi: Double?, noiseFloor: Double?) -> DriftLevel {
        guard let psi, psi.isFinite else { return .none }
        if let f = noiseFloor, psi <= f { return .none }
        if psi >= majorPSI { return .major }
        if psi >= moderatePSI { return .moderate }
        return .none
    }

    public enum Verdict: String, Sendable, Hashable {
        case keep = "keep"
        case fineTune = "fine-tune"
        case retrainNew = "retrain on new"
        case retrainAll = "retrain on old + new"

        /// The duel arm that implements the verdict.
        public var arm: String {
            switch self {
            case .keep: return "keep"
            case .fineTune: return "finetune"
            case .retrainNew: return "retrain_new"
            case .retrainAll: return "retrain_all"
            }
        }
    }

    /// What `advise` measured.
    public struct Measurements: Sendable, Hashable {
        /// Largest feature PSI (target excluded) and its column.
        public var maxPSI: Double?
        public var maxPSIColumn: String?
        public var noiseFloor: Double?
        /// Feature columns the model needs that NEW lacks (or whose type changed).
        public var missingFeatures: [String]
        /// Columns of NEW the model would take as features (`*` models) but was not trained on.
        public var newFeatures: [String]
        /// Loss-like metric (rmse or error rate) recorded for the version, and measured on NEW.
        public var metricName: String
        public var recorded: Double?
        public var measured: Double?
        /// Half-width of the bootstrap 95 % interval of `measured` (0 when unknown).
        public var measuredNoise: Double
        /// The model is no better than the trivial baseline on NEW.
        public var noSignal: Bool
        public var newRows: Int
        public var trainRows: Int
        /// Expected seconds of a retrain and a fine-tune, from the producing run's cost.
        public var retrainSeconds: Double?
        public var fineTuneSeconds: Double?
        public var budget: Double?
        public var isClassification: Bool

        public init(maxPSI: Double? = nil, maxPSIColumn: String? = nil, noiseFloor: Double? = nil,
                    missingFeatures: [String] = [], newFeatures: [String] = [], metricName: String = "rmse",
                    recorded: Double? = nil, measured: Double? = nil, measuredNoise: Double = 0, noSignal: Bool = false,
                    newRows: Int = 0, trainRows: Int = 0, retrainSeconds: Double? = nil,
                    fineTuneSeconds: Double? = nil, budget: Double? = nil, isClassification: Bool = false) {
            self.maxPSI = maxPSI; self.maxPSIColumn = maxPSIColumn; self.noiseFloor = noiseFloor
            self.missingFeatures = missingFeatures; self.newFeatures = newFeatures; self.metricName = metricName
            self.recorded = recorded; self.measured = measured; self.measuredNoise = measuredNoise
            self.noSignal = noSignal; self.newRows = newRows; self.trainRows = trainRows
            self.retrainSeconds = retrainSeconds; self.fineTuneSeconds = fineTuneSeconds; self.budget = budget
            self.isClassification = isClassification
        }

        public var driftLevel: DriftLevel { Advice.level(psi: maxPSI, noiseFloor: noiseFloor) }

        /// Relative degradation of the loss-like metric (positive = worse on NEW).
        public var degradation: Double? {
            guard let r = recorded, let m = measured, r.isFinite, m.isFinite else { return nil }
            let denominator = isClassification ? max(r, Advice.errorFloor) : max(abs(r), 1e-12)
            return (m - r) / denominator
        }

        /// Degradation beyond the threshold and beyond the measurement's own noise.
        public var degraded: Bool {
            guard let d = degradation, let r = recorded, let m = measured else { return false }
            let denominator = isClassification ? max(r, Advice.errorFloor) : max(abs(r), 1e-12)
            let lower = (m - measuredNoise - r) / denominator
            return d > Advice.degradation && lower > 0
        }

        public var sizeRatio: Double { trainRows > 0 ? Double(newRows) / Double(trainRows) : .infinity }
    }

    public struct Decision: Sendable, Hashable {
        public var verdict: Verdict
        public var reasons: [String]
        public var warnings: [String]
        public var confidence: Double
    }

    /// Strength of a margin: `m/(1+m)` for the relative distance m of a value from its threshold.
    static func strength(_ value: Double, threshold: Double) -> Double {
        guard value.isFinite, threshold > 0 else { return 1 }
        let m = abs(value - threshold) / threshold
        return m / (1 + m)
    }

    /// The rules, in order (see docs/ADVICE.md):
    /// 1. a schema change (missing or new features) → retrain (on NEW: the old data lacks the column);
    /// 2. no signal on NEW → keep, with a warning (retraining the same model will not find signal);
    /// 3. no degradation beyond threshold and noise → keep (and monitor), whatever the drift;
    /// 4. large degradation → retrain (on NEW when NEW can stand alone, else on old + new),
    ///    unless a budget rules the retrain out → fine-tune;
    /// 5. modest degradation (whatever the drift) → fine-tune.
    public static func decide(_ m: Measurements) -> Decision {
        var reasons: [String] = []
        var warnings: [String] = []
        var strengths: [Double] = []
        var verdict: Verdict
        let ratio = m.sizeRatio
        let ratioText = NumberText.short(ratio)
        if !m.missingFeatures.isEmpty || !m.newFeatures.isEmpty {
            if !m.missingFeatures.isEmpty {
                reasons.append("NEW lacks feature(s) the model needs: \(m.missingFeatures.joined(separator: ", "))")
            }
            if !m.newFeatures.isEmpty {
                reasons.append("NEW has new feature(s): \(m.newFeatures.joined(separator: ", ")) — a fine-tune cannot add inputs")
            }
            verdict = .retrainNew
            strengths.append(1)
        } else if m.noSignal {
            verdict = .keep
            warnings.append("no signal: on NEW the model is no better than the trivial baseline (\(m.isClassification ? "majority class" : "mean of the target")); retraining the same model is unlikely to help — revisit the features")
            reasons.append("no signal to recover by retraining")
            strengths.append(0.2)
        } else if !m.degraded {
            verdict = .keep
            if let d = m.degradation {
                reasons.append("no degradation: \(m.metricName) on NEW is \(NumberText.percent(d)) vs recorded (threshold \(NumberText.percent(Advice.degradation)), noise ±\(NumberText.short(m.measuredNoise)))")
                strengths.append(strength(d, threshold: Advice.degradation))
            } else {
                reasons.append("no recorded metric to compare with: nothing shows degradation")
                strengths.append(0.2)
            }
            if m.driftLevel != .none {
                reasons.append("input drift is \(m.driftLevel.rawValue) (max PSI \(NumberText.short(m.maxPSI ?? 0)) on \(m.maxPSIColumn ?? "?")) but drift alone does not decide: keep and monitor")
            }
        } else {
            let d = m.degradation ?? 0
            let large = d >= Advice.largeDegradation
            reasons.append("degradation: \(m.metricName) on NEW is \(NumberText.percent(d)) vs recorded (threshold \(NumberText.percent(Advice.degradation)), beyond the 95 % noise)")
            strengths.append(strength(d, threshold: Advice.degradation))
            let overBudget: Bool = {
                guard let b = m.budget, let r = m.retrainSeconds else { return false }
                return r > b && (m.fineTuneSeconds ?? 0) <= b
            }()
            if large && !overBudget {
                reasons.append("large degradation (≥ +\(NumberText.percent(Advice.largeDegradation).dropFirst())): the old solution is far from the new one")
                strengths.append(strength(d, threshold: Advice.largeDegradation))
                if m.driftLevel == .major {
                    reasons.append("large data difference: max PSI \(NumberText.short(m.maxPSI ?? 0)) on \(m.maxPSIColumn ?? "?") ≥ \(Advice.majorPSI)")
                }
                if ratio >= Advice.standAloneFraction {
                    verdict = .retrainNew
                    reasons.append("NEW has \(ratioText)× the training rows: enough to retrain on it alone")
                } else {
                    verdict = .retrainAll
                    reasons.append("NEW has only \(ratioText)× the training rows: a comprehensive update on old + new")
                }
            } else {
                verdict = .fineTune
                if overBudget {
                    reasons.append("a retrain (≈ \(NumberText.seconds(m.retrainSeconds ?? 0))) exceeds the budget of \(NumberText.seconds(m.budget ?? 0)); a fine-tune (≈ \(NumberText.seconds(m.fineTuneSeconds ?? 0))) fits")
                } else {
                    reasons.append("modest degradation (< +\(NumberText.percent(Advice.largeDegradation).dropFirst())): the model keeps most of its skill — task adaptation")
                    strengths.append(strength(d, threshold: Advice.largeDegradation))
                    if m.driftLevel == .major {
                        reasons.append("input drift is major (max PSI \(NumberText.short(m.maxPSI ?? 0)) on \(m.maxPSIColumn ?? "?")) but the degradation it causes is modest")
                    }
                }
                if ratio < Advice.limitedFraction {
                    reasons.append("limited new data: NEW has \(ratioText)× the training rows (< \(Advice.limitedFraction))")
                }
            }
        }
        // A verdict is as strong as its weakest deciding measurement.
        let weakest = strengths.min() ?? 0
        var confidence = 0.5 + 0.45 * weakest
        if m.newRows < Advice.smallSample {
            confidence *= 0.5
            warnings.append("NEW has only \(m.newRows) rows (< \(Advice.smallSample)): every measurement is noisy")
        }
        confidence = min(max(confidence, 0), 1)
        return Decision(verdict: verdict, reasons: reasons, warnings: warnings, confidence: confidence)
    }

    // MARK: duel winner

    public struct ArmScore: Sendable, Hashable {
        public var arm: String
        /// Loss-like adaptation metric on the NEW holdout (lower is better).
        public var loss: Double
        /// Loss-like metric on OLD_TEST, when given.
        public var oldLoss: Double?
        /// Cost used to break ties (estimated FLOPs; keep = 0).
        public var cost: Double
        public init(arm: String, loss: Double, oldLoss: Double?, cost: Double) {
            self.arm = arm; self.loss = loss; self.oldLoss = oldLoss; self.cost = cost
        }
    }

    /// The winner rule: arms that forget more than the tolerance on OLD_TEST (relative to keep)
    /// are out; among the rest the best adaptation wins, and every arm whose paired bootstrap
    /// 95 % interval of (its loss − the best loss) contains 0 is tied with it; ties go to the
    /// cheapest arm. `tied(a, b)` answers whether two arms are inside the holdout noise.
    public static func winner(_ arms: [ArmScore], tied: (String, String) -> Bool) -> (winner: String, tiedWith: [String], excluded: [String])? {
        let keepOld = arms.first { $0.arm == "keep" }?.oldLoss
        var excluded: [String] = []
        let eligible = arms.filter { a in
            guard a.arm != "keep", let k = keepOld, let o = a.oldLoss, k.isFinite, o.isFinite else { return true }
            if o > k * (1 + forgettingTolerance) + 1e-12 { excluded.append(a.arm); return false }
            return true
        }.filter { $0.loss.isFinite }
        guard let best = eligible.min(by: { $0.loss < $1.loss }) else { return nil }
        let ties = eligible.filter { $0.arm == best.arm || tied($0.arm, best.arm) }
        let order = ["keep", "finetune", "finetune_sp", "retrain_new", "retrain_all"]
        // Costs within `costTolerance` of the cheapest count as equal; then the fixed order decides.
        let cheapest = ties.map(\.cost).min() ?? 0
        let w = ties.filter { $0.cost <= cheapest * (1 + costTolerance) }
            .min { (order.firstIndex(of: $0.arm) ?? 9) < (order.firstIndex(of: $1.arm) ?? 9) } ?? best
        return (w.arm, ties.map(\.arm).filter { $0 != w.arm }, excluded)
    }
}

/// Short, deterministic number texts for reasons.
public enum NumberText {
    public static func short(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let a = abs(x)
        if a != 0 && (a < 1e-3 || a >= 1e6) { return String(format: "%.3g", x) }
        if a >= 100 { return String(format: "%.1f", x) }
        return String(format: "%.3g", x)
    }

    public static func percent(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        return String(format: "%+.1f %%", x * 100)
    }

    public static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
}
