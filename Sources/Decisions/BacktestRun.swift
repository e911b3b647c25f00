import Foundation
import Learning
import Tabular

/// What a backtest trains with.
public struct BacktestSetup: Sendable {
    public var spec: ModelSpec
    /// Options of the first training and of every retrain.
    public var train: TrainOptions
    /// Options of every fine-tune (see `FineTuneRule.options`).
    public var finetune: TrainOptions
    /// The metric scored on each batch (`rmse`, `mae`, `accuracy`, `log_loss`, …).
    public var metric: String
    /// `set cost ratio`: prices compute for `retrain when cost` and for the verdict.
    public var costRatio: CostRatio?

    public init(spec: ModelSpec, train: TrainOptions, finetune: TrainOptions, metric: String, costRatio: CostRatio? = nil) {
        self.spec = spec
        self.train = train
        self.finetune = finetune
        self.metric = metric
        self.costRatio = costRatio
    }

    /// Whether lower values of `metric` are better.
    public var lowerIsBetter: Bool { !["accuracy", "auc", "r2", "f1", "f1_macro"].contains(metric) }
}

/// The default fine-tune of a version, shared by duel and backtest: closed-form models solve
/// the anchored fit exactly with λ = the parent's training rows (linear) or a quarter of them
/// (Newton); iterative models continue for a quarter of the epochs at a tenth of the rate.
public enum FineTuneRule {
    public static func options(spec: ModelSpec, base: TrainOptions, parentRows: Int) -> TrainOptions {
        if spec.isClosedForm(options: base) {
            var ft = TrainOptions(seed: base.seed)
            ft.anchor = spec.family == .linear ? Double(parentRows) : Double(parentRows) / 4
            ft.impute = base.impute
            return ft
        }
        var ft = base
        ft.validFraction = nil
        ft.earlyStop = nil
        ft.epochs = max(1, base.resolvedEpochs / 4)
        ft.lr = base.resolvedLR / 10
        return ft
    }

    /// The shrink-and-perturb variant of a fine-tune (`ShrinkPerturb.standard`) for models
    /// trained iteratively; nil for closed-form ones, whose exact fit does not depend on where
    /// it starts. A warm start forgets the parent's scale as a fresh start does, so it trains
    /// for the retrain's epochs at the retrain's rate.
    public static func shrinkPerturbOptions(spec: ModelSpec, fineTune: TrainOptions, base: TrainOptions) -> TrainOptions? {
        guard !spec.isClosedForm(options: base) else { return nil }
        var o = fineTune
        o.epochs = base.resolvedEpochs
        o.lr = base.resolvedLR
        o.shrink = ShrinkPerturb.standard.shrink
        o.perturb = ShrinkPerturb.standard.perturb
        return o
    }
}

/// One policy's replay.
public struct PolicyOutcome: Sendable {
    public var policy: Policy
    /// The metric on each batch, scored before the batch was used.
    public var errors: [Double]
    /// Batch indices (0-based) after which the policy retrained / fine-tuned.
    public var retrainedAfter: [Int]
    public var finetunedAfter: [Int]
    /// The drift measure a drift trigger read on each batch (nil when the policy has none).
    public var drift: [Double?]
    public var wallSeconds: Double
    public var flops: Double
    public var examples: Int
    /// Whether the replay stopped early (Ctrl-C); `errors` then covers fewer batches.
    public var interrupted: Bool
    /// `nearest version`: the version (0 = the first training, k = trained after batch k) that
    /// served each batch. `background`: the batches at which a warning started a candidate.
    public var served: [Int] = []
    public var warnings: [Int] = []

    public var mean: Double { errors.isEmpty ? .nan : errors.reduce(0, +) / Double(errors.count) }
    /// Mean over the last quarter of the batches (at least one).
    public var lastQuarterMean: Double {
        guard !errors.isEmpty else { return .nan }
        let k = max(1, Int((Double(errors.count) / 4).rounded(.up)))
        let tail = errors.suffix(k)
        return tail.reduce(0, +) / Double(tail.count)
    }
}

/// The result of a backtest: every policy's outcome and the verdict.
public struct BacktestResult: Sendable {
    public var batches: [Batch]
    public var initialRows: Int
    /// Cost of the first training, shared by every policy (not counted in their compute).
    public var initialCost: TrainingCost
    public var outcomes: [PolicyOutcome]
    public var metric: String
    public var lowerIsBetter: Bool
    public var verdict: BacktestVerdict?
    public var costRatio: CostRatio?

    /// Error + priced compute per batch (loss-like: lower is better), when a cost ratio is set.
    public func priced(_ o: PolicyOutcome) -> Double? {
        guard let r = costRatio, !o.errors.isEmpty else { return nil }
        let sign = lowerIsBetter ? 1.0 : -1.0
        return sign * o.mean + r.price(seconds: o.wallSeconds, flops: o.flops) / Double(o.errors.count)
    }
}

public struct BacktestVerdict: Sendable, Hashable {
    /// Index into `outcomes` of the policy to pick.
    public var pick: Int
    /// Index of the policy with the best mean error.
    public var best: Int
    /// Indices of the policies on the Pareto front of mean error vs FLOPs.
    public var front: [Int]
    /// Indices of the policies whose mean error is within noise of the best.
    public var tied: [Int]
    public var reasons: [String]
}

public enum BacktestEngine {
    /// Progress: policy index, batch index, and the totals.
    public typealias Progress = @Sendable (_ policy: Int, _ batch: Int, _ policies: Int, _ batches: Int) -> Void

    /// Trains on the start part once, then replays every policy over the batches
    /// (test-then-train). `shouldStop` is polled between batches and inside trainings; the
    /// policies finished before it fired keep their full outcome, the running one is marked
    /// interrupted.
    public static func run(data: Dataset, stream: Stream, policies: [Policy], setup: BacktestSetup,
                           progress: Progress = { _, _, _, _ in },
                           shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> BacktestResult {
        guard !policies.isEmpty else { throw BacktestError("no policies to replay") }
        guard !stream.batches.isEmpty else { throw BacktestError("no batches after the start part") }
        if setup.costRatio == nil, let p = policies.first(where: \.needsCostRatio) {
            throw BacktestError("policy '\(p.name)' prices retraining: set a cost ratio first (set cost ratio R per gflop, or per second)")
        }
        let control = TrainingControl(shouldStop: shouldStop)
        let initialData = data.gathering(rows: stream.initial, name: data.name + "[start]", provenance: data.provenance)
        let first = try Trainer.train(spec: setup.spec, data: initialData, options: setup.train, control: control)
        guard first.status == .finished else {
            throw BacktestError("the first training on the start part ended \(first.status)")
        }
        let features = try setup.spec.featureColumns(in: data)
        let batchData = stream.batches.enumerated().map { i, b in
            data.gathering(rows: b.rows, name: data.name + "[\(i + 1)]", provenance: data.provenance)
        }
        var outcomes: [PolicyOutcome] = []
        for (p, policy) in policies.enumerated() {
            let context = ReplayContext(first: first.model, firstCost: first.cost, firstTrainError: first.trainMetrics[setup.metric],
                                        initialRows: stream.initial, data: data,
                                        batches: stream.batches, batchData: batchData, features: features, setup: setup,
                                        control: control)
            let o: PolicyOutcome
            if let detector = policy.background {
                o = try replayBackground(policy, detector: detector, index: p, of: policies.count, context, progress: progress)
            } else if policy.nearest {
                o = try replayNearest(policy, index: p, of: policies.count, context, progress: progress)
            } else {
                o = try replay(policy, index: p, of: policies.count, context, progress: progress)
            }
            outcomes.append(o)
            if o.interrupted { break }
        }
        var result = BacktestResult(batches: stream.batches, initialRows: stream.initial.count, initialCost: first.cost,
                                    outcomes: outcomes, metric: setup.metric, lowerIsBetter: setup.lowerIsBetter,
                                    costRatio: setup.costRatio)
        let complete = outcomes.filter { !$0.interrupted }
        if complete.count == outcomes.count {
            result.verdict = verdict(outcomes, lowerIsBetter: setup.lowerIsBetter)
            if setup.costRatio != nil, var v = result.verdict {
                priceVerdict(&v, result)
                result.verdict = v
            }
        }
        return result
    }

    /// What every policy's replay reads.
    struct ReplayContext {
        var first: TrainedModel
        var firstCost: TrainingCost
        /// The first model's metric on its own training rows.
        var firstTrainError: Double?
        var initialRows: [Int]
        var data: Dataset
        var batches: [Batch]
        var batchData: [Dataset]
        var features: [String]
        var setup: BacktestSetup
        var control: TrainingControl

        /// The rows of batches `range`, after the start part when `withStart`.
        func rows(batches range: ClosedRange<Int>, withStart: Bool) -> [Int] {
            var rows = withStart ? initialRows : []
            for k in range { rows += batches[k].rows }
            return rows
        }

        func gather(_ rows: [Int], _ suffix: String) -> Dataset {
            data.gathering(rows: rows, name: data.name + "[\(suffix)]", provenance: data.provenance)
        }

        /// The metric of `model` on batch `b` (scored before the batch is used).
        func score(_ model: TrainedModel, batch b: Int) throws -> Double {
            try metric(try Metrics.evaluate(model, on: batchData[b]))
        }

        /// The scored metric among a batch's metrics.
        func metric(_ metrics: [String: Double]) throws -> Double {
            guard let error = metrics[setup.metric] else {
                throw BacktestError("metric '\(setup.metric)' is not measured for this model (measured: \(metrics.keys.sorted().joined(separator: ", ")))")
            }
            return error
        }

        /// A retrain on `rows`; nil when Ctrl-C stopped it.
        func retrain(_ rows: [Int]) throws -> TrainingResult? {
            let r = try Trainer.train(spec: setup.spec, data: gather(rows, "fit"), options: setup.train, control: control)
            return r.status == .interrupted ? nil : r
        }
    }

    static func replay(_ policy: Policy, index p: Int, of total: Int, _ ctx: ReplayContext,
                       progress: Progress) throws -> PolicyOutcome {
        let (initialRows, data, batchData, features, setup, control) =
            (ctx.initialRows, ctx.data, ctx.batchData, ctx.features, ctx.setup, ctx.control)
        var out = PolicyOutcome(policy: policy, errors: [], retrainedAfter: [], finetunedAfter: [], drift: [],
                                wallSeconds: 0, flops: 0, examples: 0, interrupted: false)
        var model = ctx.first
        var modelRows = initialRows.count
        // `retrain when cost`: the excess error since the last retrain — each batch's error above
        // the model's error on its own training rows — and the compute per training row (from
        // the first training, then from each retrain).
        var excess = 0.0
        var trainError = ctx.firstTrainError
        var computePerRow = setup.costRatio.map { $0.compute(ctx.firstCost) / Double(max(initialRows.count, 1)) } ?? 0
        // The rows the current model was last retrained on (the drift reference).
        var reference = data.gathering(rows: initialRows, name: data.name + "[ref]", provenance: data.provenance)
        var referenceError: Double?
        let needsDrift = policy.retrain.usesDrift || policy.finetune.usesDrift
        for (b, batch) in batchData.enumerated() {
            if control.shouldStop() { out.interrupted = true; return out }
            progress(p, b, total, batchData.count)
            // Test: the current model predicts the batch before it is used.
            let error = try ctx.score(model, batch: b)
            out.errors.append(error)
            if referenceError == nil { referenceError = error }
            if let r = trainError ?? referenceError { excess += max(0, setup.lowerIsBetter ? error - r : r - error) }
            var driftValue: Double?
            // A drift trigger fires only beyond sampling noise too (`DriftNoise`): small batches
            // would otherwise always "drift".
            var driftFloor = 0.0
            if needsDrift {
                let report = Drift.report(reference: reference, new: batch)
                let cols = report.columns.filter { features.contains($0.name) }
                let nRef = Double(reference.rowCount), nNew = Double(batch.rowCount)
                if policy.retrain.usesDrift, case .ks = policy.retrain {
                    driftValue = cols.compactMap(\.ksD).max() ?? 0
                    driftFloor = DriftNoise.ksFloor(nRef: nRef, nNew: nNew, features: cols.count)
                } else {
                    driftValue = cols.compactMap(\.psi).max() ?? 0
                    driftFloor = DriftNoise.psiFloor(nRef: nRef, nNew: nNew, features: cols.count)
                }
            }
            out.drift.append(driftValue)
            // Then train, as the rule says.
            func retrainRows() -> [Int] {
                if let w = policy.window { return ctx.rows(batches: max(0, b - w + 1)...b, withStart: false) }
                return ctx.rows(batches: 0...b, withStart: true)
            }
            func fires(_ t: Policy.Trigger) -> Bool {
                switch t {
                case .never: return false
                case .each: return true
                case .every(let k): return (b + 1) % k == 0
                case .psi(let x), .ks(let x): return (driftValue ?? 0) > max(x, driftFloor)
                case .degradation(let x):
                    guard let r = referenceError else { return false }
                    return setup.lowerIsBetter ? error > r * (1 + x) : error < r * (1 - x)
                case .cost:
                    guard let ratio = setup.costRatio else { return false }
                    return excess > ratio.ratio * computePerRow * Double(retrainRows().count)
                }
            }
            if fires(policy.retrain) {
                let rows = retrainRows()
                guard let r = try ctx.retrain(rows) else { out.interrupted = true; return out }
                add(r.cost, to: &out)
                model = r.model
                modelRows = rows.count
                reference = ctx.gather(rows, "ref")
                referenceError = nil
                excess = 0
                trainError = r.trainMetrics[setup.metric]
                if let ratio = setup.costRatio { computePerRow = ratio.compute(r.cost) / Double(max(rows.count, 1)) }
                out.retrainedAfter.append(b)
            } else if fires(policy.finetune) {
                let options = FineTuneRule.options(spec: setup.spec, base: setup.finetune, parentRows: modelRows)
                let r = try Trainer.train(spec: setup.spec, data: batch, options: options, parent: model, control: control)
                if r.status == .interrupted { out.interrupted = true; return out }
                add(r.cost, to: &out)
                model = r.model
                modelRows += batch.rowCount
                out.finetunedAfter.append(b)
            }
        }
        return out
    }

    static func add(_ c: TrainingCost, to out: inout PolicyOutcome) {
        out.wallSeconds += c.wallSeconds
        out.flops += c.estimatedFLOPs
        out.examples += c.examplesProcessed
    }

    /// The policy to pick: among those whose mean error is within noise of the best (paired
    /// per-batch differences: mean ≤ 2 standard errors), the one with the least compute (FLOPs,
    /// then wall time), restricted to the Pareto front of error vs FLOPs.
    public static func verdict(_ outcomes: [PolicyOutcome], lowerIsBetter: Bool) -> BacktestVerdict? {
        guard !outcomes.isEmpty else { return nil }
        let sign = lowerIsBetter ? 1.0 : -1.0
        let means = outcomes.map { sign * $0.mean }
        guard let best = means.indices.min(by: { means[$0] < means[$1] }) else { return nil }
        var tied: [Int] = []
        var gaps: [Int: (Double, Double)] = [:]
        for (i, o) in outcomes.enumerated() {
            let d = zip(o.errors, outcomes[best].errors).map { sign * ($0 - $1) }
            let n = Double(d.count)
            let m = d.reduce(0, +) / max(n, 1)
            let sd = n > 1 ? (d.map { ($0 - m) * ($0 - m) }.reduce(0, +) / (n - 1)).squareRoot() : 0
            let se = sd / max(n, 1).squareRoot()
            gaps[i] = (m, se)
            if i == best || m <= 2 * se { tied.append(i) }
        }
        let front = outcomes.indices.filter { i in
            !outcomes.indices.contains { j in
                j != i && means[j] <= means[i] && outcomes[j].flops <= outcomes[i].flops
                    && (means[j] < means[i] || outcomes[j].flops < outcomes[i].flops)
            }
        }
        let candidates = tied.filter { front.contains($0) }
        let pick = (candidates.isEmpty ? [best] : candidates).min { a, b in
            (outcomes[a].flops, outcomes[a].wallSeconds) < (outcomes[b].flops, outcomes[b].wallSeconds)
        } ?? best
        let metricWord = lowerIsBetter ? "lowest" : "highest"
        var reasons = ["\(outcomes[best].policy.name) has the \(metricWord) mean error (\(fmt(outcomes[best].mean)))"]
        if pick != best, let g = gaps[pick] {
            reasons.append("\(outcomes[pick].policy.name) is within noise of it (\(g.0 >= 0 ? "+" : "")\(fmt(sign * g.0)) ± \(fmt(2 * g.1)) per batch) \(costRatio(outcomes[pick], outcomes[best]))")
        }
        let worse = outcomes.indices.filter { !tied.contains($0) }
        if !worse.isEmpty {
            reasons.append("beyond noise worse: " + worse.map { "\(outcomes[$0].policy.name) (\(fmt(outcomes[$0].mean)))" }.joined(separator: ", "))
        }
        if tied.count > 1 && pick == best {
            reasons.append("tied within noise: " + tied.filter { $0 != best }.map { outcomes[$0].policy.name }.joined(separator: ", ") + "; none is cheaper on the error/compute front")
        }
        return BacktestVerdict(pick: pick, best: best, front: front, tied: tied, reasons: reasons)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.4g", v) }

    /// `with no training at all`, `at 0.19× the compute`.
    static func costRatio(_ a: PolicyOutcome, _ b: PolicyOutcome) -> String {
        if a.flops == 0 { return "with no training at all" }
        guard b.flops > 0 else { return "at more compute" }
        let r = a.flops / b.flops
        return "at " + (r < 1 ? String(format: "%.2g×", r) : String(format: "%.3g×", r)) + " the compute"
    }
}

/// How large the largest drift statistic over F input columns gets from sampling noise alone,
/// at a 1 % family-wise level (each column at 1 %/F).
///
/// - PSI of two samples of one distribution is ≈ (1/n_ref + 1/n_new)·χ²(k − 1) for k bins
///   (PSI is the symmetrised Kullback–Leibler divergence; 2·n·KL → χ²). retune bins numeric
///   columns in 10 quantile bins, so k − 1 = 9 (categorical columns have fewer levels: the
///   floor is then conservative).
/// - KS D: the asymptotic critical value c(α)·√((n_ref + n_new)/(n_ref·n_new)) with
///   c(α) = √(−ln(α/2)/2).
public enum DriftNoise {
    public static func psiFloor(nRef: Double, nNew: Double, features: Int, bins: Int = 10) -> Double {
        guard nRef > 0, nNew > 0 else { return .infinity }
        let alpha = 0.01 / Double(max(features, 1))
        return (1 / nRef + 1 / nNew) * chiSquareQuantile(df: Double(bins - 1), upperTail: alpha)
    }

    public static func ksFloor(nRef: Double, nNew: Double, features: Int) -> Double {
        guard nRef > 0, nNew > 0 else { return .infinity }
        let alpha = 0.01 / Double(max(features, 1))
        return (-log(alpha / 2) / 2).squareRoot() * ((nRef + nNew) / (nRef * nNew)).squareRoot()
    }

    /// The χ² quantile with upper-tail probability `p` (Wilson–Hilferty: within ~1 % for
    /// df ≥ 3 at the tails used here).
    static func chiSquareQuantile(df k: Double, upperTail p: Double) -> Double {
        let z = normalQuantile(upperTail: p)
        let a = 2 / (9 * k)
        return k * pow(1 - a + z * a.squareRoot(), 3)
    }

    /// z with P(Z > z) = p, by bisection on erfc (exact to 1e-12, no table).
    static func normalQuantile(upperTail p: Double) -> Double {
        var lo = -10.0, hi = 10.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if 0.5 * erfc(mid / 2.0.squareRoot()) > p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
