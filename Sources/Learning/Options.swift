import Tabular

/// Optimisation options of one `train` / `retrain` / `finetune` run. Every field is optional:
/// nil means "use the default" (see `TrainOptions.defaults`), and lets validation tell an
/// option the user gave from one they did not (an `lr` on an exact solver is an error).
public struct TrainOptions: Codable, Hashable, Sendable {
    public enum Optimizer: String, Codable, Sendable, CaseIterable { case sgd, adam }
    public enum Schedule: String, Codable, Sendable, CaseIterable { case constant, cosine, step }

    public var optimizer: Optimizer?
    public var momentum: Double?
    public var epochs: Int?
    public var lr: Double?
    public var batch: Int?
    public var seed: UInt64?
    public var weightDecay: Double?
    public var schedule: Schedule?
    /// Fraction of DATA held out (seeded shuffle) for per-epoch validation metrics. Ignored
    /// when a separate validation dataset is passed to `Trainer.train`.
    public var validFraction: Double?
    public var earlyStop: Int?
    /// Fine-tune only: keep the first N dense layers fixed (mlp).
    public var freeze: Int?
    /// Fine-tune only: λ of the L2-SP pull `λ/2·‖θ − θ_parent‖²`.
    public var anchor: Double?
    /// Fine-tune only: F × |DATA| rows sampled from the replay dataset each epoch.
    public var replayFraction: Double?
    /// Fine-tune only: shrink-and-perturb warm start (Ash & Adams 2020): θ ← λ·θ_parent +
    /// p·θ_fresh, θ_fresh a seeded fresh initialisation. On when either is given; the other
    /// then takes its default (`ShrinkPerturb.defaultShrink`, `.defaultPerturb`).
    public var shrink: Double?
    public var perturb: Double?
    public var impute: ImputeStrategy?
    /// Threads training each mini-batch (iterative solvers): the batch's rows are split into
    /// this many contiguous parts whose gradients are summed in part order. Results are
    /// deterministic for a given (seed, threads) and differ in the last bits between thread
    /// counts; 1 (the default) is the single-threaded path.
    public var threads: Int?

    public init(optimizer: Optimizer? = nil, momentum: Double? = nil, epochs: Int? = nil, lr: Double? = nil,
                batch: Int? = nil, seed: UInt64? = nil, weightDecay: Double? = nil, schedule: Schedule? = nil,
                validFraction: Double? = nil, earlyStop: Int? = nil, freeze: Int? = nil, anchor: Double? = nil,
                replayFraction: Double? = nil, shrink: Double? = nil, perturb: Double? = nil, impute: ImputeStrategy? = nil,
                threads: Int? = nil) {
        self.threads = threads
        self.shrink = shrink; self.perturb = perturb
        self.optimizer = optimizer; self.momentum = momentum; self.epochs = epochs; self.lr = lr
        self.batch = batch; self.seed = seed; self.weightDecay = weightDecay; self.schedule = schedule
        self.validFraction = validFraction; self.earlyStop = earlyStop; self.freeze = freeze
        self.anchor = anchor; self.replayFraction = replayFraction; self.impute = impute
    }

    /// One documented option: its key as written in commands, its default, and help text.
    public struct OptionDefault: Sendable, Hashable {
        public var key: String
        public var defaultValue: String
        public var help: String
    }

    /// The option table shown by `help train` / `help finetune`.
    public static let defaults: [OptionDefault] = [
        OptionDefault(key: "optimizer", defaultValue: "adam", help: "sgd | adam (iterative solvers; giving it to logistic/softmax switches from Newton to iterative training)"),
        OptionDefault(key: "momentum", defaultValue: "0.9", help: "momentum of sgd (heavy ball)"),
        OptionDefault(key: "epochs", defaultValue: "20", help: "passes over the training data"),
        OptionDefault(key: "lr", defaultValue: "0.001 (adam), 0.01 (sgd)", help: "initial learning rate"),
        OptionDefault(key: "batch", defaultValue: "64", help: "mini-batch size in rows"),
        OptionDefault(key: "seed", defaultValue: "0", help: "seed of initialisation, shuffling, dropout, validation split and replay sampling"),
        OptionDefault(key: "weight_decay", defaultValue: "0", help: "L2 weight decay added to the gradient of weights (not biases)"),
        OptionDefault(key: "schedule", defaultValue: "constant", help: "constant | cosine (to 0 over all steps) | step (×0.1 at 50 % and 75 % of the epochs)"),
        OptionDefault(key: "valid", defaultValue: "none", help: "fraction F of DATA held out, or a dataset; its metrics are recorded every epoch"),
        OptionDefault(key: "early_stop", defaultValue: "off", help: "stop after PATIENCE epochs without a lower valid loss and keep the best weights (needs valid)"),
        OptionDefault(key: "freeze", defaultValue: "0", help: "finetune, mlp: keep the first N layers fixed"),
        OptionDefault(key: "anchor", defaultValue: "0", help: "finetune: λ of λ/2·‖θ − θ_parent‖² (L2-SP); closed-form models solve it exactly"),
        OptionDefault(key: "replay", defaultValue: "0", help: "finetune: F × |DATA| rows sampled from another dataset mixed into every epoch"),
        OptionDefault(key: "shrink", defaultValue: "off (0.5 when perturb is given)", help: "finetune: scale the parent's weights by λ before training (shrink and perturb, Ash & Adams 2020)"),
        OptionDefault(key: "perturb", defaultValue: "off (0.01 when shrink is given)", help: "finetune: add p × a fresh seeded initialisation to the shrunk weights"),
        OptionDefault(key: "threads", defaultValue: "1", help: "threads sharing each mini-batch (iterative solvers; 1…64): deterministic for a seed and thread count, last bits differ between counts"),
        OptionDefault(key: "impute", defaultValue: "none", help: "none | mean | median | drop: missing numeric feature values (none: an error)"),
    ]

    public var resolvedOptimizer: Optimizer { optimizer ?? .adam }
    public var resolvedMomentum: Double { momentum ?? 0.9 }
    public var resolvedEpochs: Int { epochs ?? 20 }
    public var resolvedLR: Double { lr ?? (resolvedOptimizer == .adam ? 0.001 : 0.01) }
    public var resolvedBatch: Int { batch ?? 64 }
    public var resolvedSeed: UInt64 { seed ?? 0 }
    public var resolvedWeightDecay: Double { weightDecay ?? 0 }
    public var resolvedSchedule: Schedule { schedule ?? .constant }
    public var resolvedFreeze: Int { freeze ?? 0 }
    public var resolvedAnchor: Double { anchor ?? 0 }
    public var resolvedReplay: Double { replayFraction ?? 0 }
    public var resolvedImpute: ImputeStrategy { impute ?? .none }
    public var resolvedThreads: Int { threads ?? 1 }
    /// Largest accepted `threads`.
    public static let maxThreads = 64
    /// The shrink-and-perturb warm start of this fine-tune, nil when off.
    public var shrinkPerturb: ShrinkPerturb? {
        guard shrink != nil || perturb != nil else { return nil }
        return ShrinkPerturb(shrink: shrink ?? ShrinkPerturb.defaultShrink, perturb: perturb ?? ShrinkPerturb.defaultPerturb)
    }

    /// Checks the options against the model and the kind of run. `fineTune` is true when a
    /// parent is given; `hasValidSet` when a separate validation dataset is passed.
    public func validate(for spec: ModelSpec, fineTune: Bool, hasValidSet: Bool, hasReplaySet: Bool) throws {
        func bad(_ m: String) -> LearningError { .invalidOption(m) }
        let closed = spec.isClosedForm(options: self)
        if closed {
            let how = spec.family == .linear ? "linear solver exact is fitted in closed form" : "\(spec.family.rawValue) solver exact is fitted by Newton's method"
            var given: [String] = []
            if epochs != nil { given.append("epochs") }
            if lr != nil { given.append("lr") }
            if batch != nil { given.append("batch") }
            if momentum != nil { given.append("momentum") }
            if weightDecay != nil { given.append("weight_decay") }
            if schedule != nil { given.append("schedule") }
            if earlyStop != nil { given.append("early_stop") }
            if optimizer != nil { given.append("optimizer") }
            if threads != nil { given.append("threads") }
            if !given.isEmpty {
                let hint = spec.family == .linear ? "define the model with solver sgd" : "give an optimizer or define the model with solver sgd"
                throw bad("option\(given.count > 1 ? "s" : "") \(given.joined(separator: ", ")) make\(given.count > 1 ? "" : "s") no sense here: \(how) (\(hint) to train iteratively)")
            }
        }
        if freeze != nil && spec.family != .mlp {
            throw bad("freeze applies to mlp layers; \(spec.family.rawValue) has a single layer")
        }
        if !fineTune {
            if freeze != nil { throw bad("freeze is a finetune option (there are no parent weights to keep)") }
            if anchor != nil { throw bad("anchor is a finetune option (there are no parent weights to pull toward)") }
            if replayFraction != nil { throw bad("replay is a finetune option") }
            if shrink != nil || perturb != nil {
                throw bad("\(shrink != nil ? "shrink" : "perturb") is a finetune option (it transforms the parent's weights)")
            }
        }
        if let l = shrink, !(l > 0 && l <= 1) { throw bad("shrink must be in (0, 1], got \(l)") }
        if let q = perturb, !(q >= 0 && q <= 10) || q.isNaN { throw bad("perturb must be in [0, 10], got \(q)") }
        if shrinkPerturb != nil, closed, resolvedAnchor == 0 {
            throw bad("shrink and perturb move the starting point, and \(spec.family == .linear ? "linear solver exact" : "the Newton solver") does not depend on one: add anchor λ (the anchor then pulls toward the shrunk, perturbed parent), or define the model with solver sgd")
        }
        if let f = freeze, f < 0 || f >= spec.layerCount {
            throw bad("freeze \(f) is out of range: the model has \(spec.layerCount) layers and at least the last must train (use 0…\(spec.layerCount - 1))")
        }
        if let a = anchor, !(a >= 0) || a.isNaN { throw bad("anchor must be ≥ 0, got \(a)") }
        if let r = replayFraction {
            if !(r > 0 && r <= 100) { throw bad("replay fraction must be in (0, 100], got \(r)") }
            if !hasReplaySet { throw bad("replay \(r) needs a dataset to replay from (replay F from DATA)") }
        }
        if let t = threads {
            if t < 1 || t > TrainOptions.maxThreads { throw bad("threads must be in 1…\(TrainOptions.maxThreads), got \(t)") }
            if t > 1, GEMM.threads > 1 {
                throw bad("threads \(t) needs the matrix kernel on one thread, but RETUNE_BLAS_THREADS asks for \(GEMM.threads): unset it, or use threads 1")
            }
        }
        if let e = epochs, e < 1 || e > 1_000_000 { throw bad("epochs must be in 1…1000000, got \(e)") }
        if let l = lr, !(l > 0) || !l.isFinite { throw bad("lr must be a finite number > 0, got \(l)") }
        if let b = batch, b < 1 || b > 1 << 20 { throw bad("batch must be in 1…1048576, got \(b)") }
        if let m = momentum {
            if !(m >= 0 && m < 1) { throw bad("momentum must be in [0, 1), got \(m)") }
            if resolvedOptimizer != .sgd { throw bad("momentum applies to optimizer sgd, not adam") }
        }
        if let w = weightDecay, !(w >= 0) || !w.isFinite { throw bad("weight_decay must be ≥ 0, got \(w)") }
        if let v = validFraction, !(v > 0 && v < 1) { throw bad("valid fraction must be in (0, 1), got \(v)") }
        if validFraction != nil && hasValidSet { throw bad("give either valid F or a valid dataset, not both") }
        if let p = earlyStop {
            if p < 1 { throw bad("early_stop patience must be ≥ 1, got \(p)") }
            if validFraction == nil && !hasValidSet { throw bad("early_stop needs validation data: add valid F or valid DATA") }
        }
    }

    /// Every effective value of this run (defaults filled in), for recording with the run.
    public func effectiveValues(for spec: ModelSpec) -> [(key: String, value: String)] {
        var out: [(String, String)] = []
        if spec.isClosedForm(options: self) {
            out.append(("solver", spec.family == .linear ? "exact (least squares)" : "exact (Newton)"))
        } else {
            out.append(("optimizer", resolvedOptimizer.rawValue))
            if resolvedOptimizer == .sgd { out.append(("momentum", "\(resolvedMomentum)")) }
            out.append(("epochs", "\(resolvedEpochs)"))
            out.append(("lr", "\(resolvedLR)"))
            out.append(("batch", "\(resolvedBatch)"))
            out.append(("weight_decay", "\(resolvedWeightDecay)"))
            out.append(("schedule", resolvedSchedule.rawValue))
            out.append(("early_stop", earlyStop.map { "\($0)" } ?? "off"))
            out.append(("freeze", "\(resolvedFreeze)"))
            // Recorded only above 1, so runs at one thread (and runs recorded before the option
            // existed) keep their parameter lists: an absent `threads` means 1.
            if resolvedThreads > 1 { out.append(("threads", "\(resolvedThreads)")) }
            out.append(("kernel", GEMM.kernelName))
        }
        out.append(("seed", "\(resolvedSeed)"))
        out.append(("valid", validFraction.map { "\($0)" } ?? "none"))
        out.append(("anchor", "\(resolvedAnchor)"))
        out.append(("replay", "\(resolvedReplay)"))
        if let sp = shrinkPerturb {
            out.append(("shrink", "\(sp.shrink)"))
            out.append(("perturb", "\(sp.perturb)"))
        }
        out.append(("impute", resolvedImpute.rawValue))
        return out.map { (key: $0.0, value: $0.1) }
    }
}

/// Shrink and perturb (Ash & Adams, "On Warm-Starting Neural Network Training", NeurIPS 2020):
/// a fine-tune starts from λ·θ_parent + p·θ_fresh instead of θ_parent.
public struct ShrinkPerturb: Codable, Hashable, Sendable {
    public var shrink: Double
    public var perturb: Double
    public static let defaultShrink = 0.5
    public static let defaultPerturb = 0.01
    /// The candidate duel, advise and backtest add where a model is trained iteratively.
    public static let standard = ShrinkPerturb(shrink: defaultShrink, perturb: defaultPerturb)
    public init(shrink: Double, perturb: Double) { self.shrink = shrink; self.perturb = perturb }
    /// Seed of θ_fresh, derived from the run's seed.
    static func seed(_ runSeed: UInt64) -> UInt64 { runSeed ^ 0x5_4B1_7E55 }
}
