import Foundation
import Learning
import Tabular

/// What a duel fits: the version's spec, the options of its producing run, and the user's
/// fine-tune overrides.
public struct DuelSetup: Sendable {
    public var spec: ModelSpec
    /// Options of the producing run (retrain arms reuse them), with the duel's seed.
    public var base: TrainOptions
    /// Rows the version was trained on (the closed-form fine-tune's anchor).
    public var parentRows: Int
    /// `epochs`, `lr`, `anchor` given on the command line.
    public var epochs: Int?
    public var lr: Double?
    public var anchor: Double?
    /// Seed of the bootstrap resamples.
    public var seed: UInt64
    /// Whether the old training data is available for the retrain-on-old + new arm.
    public var hasOldTrain: Bool

    public init(spec: ModelSpec, base: TrainOptions, parentRows: Int, epochs: Int? = nil, lr: Double? = nil,
                anchor: Double? = nil, seed: UInt64, hasOldTrain: Bool) {
        self.spec = spec; self.base = base; self.parentRows = parentRows
        self.epochs = epochs; self.lr = lr; self.anchor = anchor
        self.seed = seed; self.hasOldTrain = hasOldTrain
    }
}

/// One candidate action of a duel, as the engine asks the caller to fit it.
public struct DuelArm: Sendable, Hashable {
    public enum Data: Sendable, Hashable {
        /// NEW's training part.
        case newTrain
        /// The old training data followed by NEW's training part.
        case oldPlusNew
    }
    /// `keep`, `finetune`, `retrain_new`, `retrain_all`.
    public var name: String
    /// The training verb (`finetune`, `retrain`), nil for keep.
    public var verb: String?
    public var data: Data
    public var options: TrainOptions
    /// Whether the fit starts from the version's weights.
    public var fromParent: Bool
}

/// What the caller reports back for an arm.
public enum DuelFit {
    /// The arm's model, the version and run that hold it, and what the fit cost.
    case fitted(model: TrainedModel, version: Int, runID: Int64, cost: TrainingCost)
    /// The arm could not be fitted (the training refused it); the message says why.
    case refused(String)
}

/// One scored arm.
public struct DuelArmResult: Sendable {
    public var arm: String
    public var version: Int
    public var runID: Int64
    public var holdout: RowScores
    public var old: RowScores?
    public var cost: TrainingCost
    /// The 95 % bootstrap interval of the holdout metric, in display units (low, high).
    public var interval: (low: Double, high: Double)
}

/// A duel's outcome: every scored arm, the winner with its reason, and the notes.
public struct DuelResult: Sendable {
    public var arms: [DuelArmResult]
    public var metric: PrimaryMetric
    public var winner: DuelArmResult?
    public var tiedWith: [String]
    public var excluded: [String]
    /// Why the winner won, one clause per rule that decided.
    public var why: String
    /// The winner's share of the dearest arm's FLOPs, when it is not keep.
    public var costNote: String?
    /// Arms skipped or refused, options ignored.
    public var notes: [String]
}

/// `duel`: fit keep / fine-tune / fine-tune with shrink and perturb (iterative models) / retrain
/// on NEW / retrain on old + NEW, score every arm on the
/// same holdout (and on old test data for forgetting), and name the winner by `Advice.winner`.
/// The caller fits (and records) each arm through `fit`; the engine holds the loop, the
/// statistics and the rule.
public enum DuelEngine {
    /// The fine-tune arm's options: `FineTuneRule` with the user's overrides, and the note when
    /// an override does not apply.
    public static func fineTuneOptions(_ s: DuelSetup) -> (TrainOptions, note: String?) {
        var ft = FineTuneRule.options(spec: s.spec, base: s.base, parentRows: s.parentRows)
        var note: String?
        if s.spec.isClosedForm(options: s.base) {
            if s.epochs != nil || s.lr != nil {
                note = "epochs/lr ignored: \(s.spec.family.rawValue) is fitted in closed form; its fine-tune is the anchored exact fit"
            }
        } else {
            if let e = s.epochs { ft.epochs = e }
            if let l = s.lr { ft.lr = l }
        }
        if let a = s.anchor { ft.anchor = a }
        return (ft, note)
    }

    /// Runs the duel. `keep` is called first with the version's scores on the holdout and the
    /// old test data (or why they could not be computed) and returns the keep arm's run id;
    /// `fit` fits each other arm in order. Errors thrown by either (an interruption) end the duel.
    public static func run(version: Int, model keepModel: TrainedModel, setup: DuelSetup,
                           holdout: Dataset, oldTest: Dataset?,
                           keep: (Result<(holdout: RowScores, old: RowScores?), DecisionError>) throws -> Int64,
                           fit: (DuelArm) throws -> DuelFit) throws -> DuelResult {
        var notes: [String] = []
        var arms: [DuelArmResult] = []
        let zero = TrainingCost(wallSeconds: 0, examplesProcessed: 0, estimatedFLOPs: 0)

        func score(_ model: TrainedModel) throws -> (RowScores, RowScores?) {
            let h = try DecisionMath.rowScores(model, on: holdout)
            let o = try oldTest.map { try DecisionMath.rowScores(model, on: $0) }
            return (h, o)
        }
        let keepScores: Result<(holdout: RowScores, old: RowScores?), DecisionError>
        do { keepScores = .success(try score(keepModel)) } catch let e as DecisionError { keepScores = .failure(e) }
        let keepRun = try keep(keepScores)
        switch keepScores {
        case .success(let (h, o)):
            arms.append(DuelArmResult(arm: "keep", version: version, runID: keepRun, holdout: h, old: o,
                                      cost: zero, interval: (0, 0)))
        case .failure(let e):
            notes.append("keep cannot run: \(e.message)")
        }
        let (ft, ftNote) = fineTuneOptions(setup)
        if let ftNote { notes.append(ftNote) }
        var plan = [DuelArm(name: "finetune", verb: "finetune", data: .newTrain, options: ft, fromParent: true)]
        if let sp = FineTuneRule.shrinkPerturbOptions(spec: setup.spec, fineTune: ft, base: setup.base) {
            plan.append(DuelArm(name: "finetune_sp", verb: "finetune", data: .newTrain, options: sp, fromParent: true))
        }
        plan.append(DuelArm(name: "retrain_new", verb: "retrain", data: .newTrain, options: setup.base, fromParent: false))
        if setup.hasOldTrain {
            plan.append(DuelArm(name: "retrain_all", verb: "retrain", data: .oldPlusNew, options: setup.base, fromParent: false))
        }
        for arm in plan {
            switch try fit(arm) {
            case .refused(let message):
                notes.append("\(arm.name) refused: \(message)")
            case .fitted(let model, let v, let runID, let cost):
                do {
                    let (h, o) = try score(model)
                    arms.append(DuelArmResult(arm: arm.name, version: v, runID: runID, holdout: h, old: o,
                                              cost: cost, interval: (0, 0)))
                } catch let e as DecisionError {
                    notes.append("\(arm.name) refused: \(e.message)")
                }
            }
        }
        guard let first = arms.first else { throw DuelError(message: "no arm of the duel could run", notes: notes) }

        // Scores, intervals, winner.
        let samples = DecisionMath.resamples(n: first.holdout.losses.count, count: Advice.resamples, seed: setup.seed)
        let metric = first.holdout.metric
        for i in arms.indices {
            let ci = DecisionMath.interval(arms[i].holdout, samples: samples)
            arms[i].interval = (metric.display(loss: metric.classification ? ci.high : ci.low),
                                metric.display(loss: metric.classification ? ci.low : ci.high))
        }
        let byArm = Dictionary(uniqueKeysWithValues: arms.map { ($0.arm, $0) })
        let scores = arms.map { Advice.ArmScore(arm: $0.arm, loss: $0.holdout.loss, oldLoss: $0.old?.loss,
                                                cost: $0.cost.estimatedFLOPs) }
        let result = Advice.winner(scores) { a, b in
            guard let x = byArm[a], let y = byArm[b] else { return false }
            return DecisionMath.tied(x.holdout, y.holdout, samples: samples)
        }
        var out = DuelResult(arms: arms, metric: metric, winner: nil, tiedWith: [], excluded: [], why: "",
                             costNote: nil, notes: notes)
        guard let r = result, let w = byArm[r.winner] else { return out }
        out.winner = w
        out.tiedWith = r.tiedWith
        out.excluded = r.excluded
        var why = "best \(metric.name) on the holdout"
        if w.arm != arms.min(by: { $0.holdout.loss < $1.holdout.loss })?.arm || !r.tiedWith.isEmpty {
            why = "tied within the holdout noise with \(r.tiedWith.isEmpty ? "the best" : r.tiedWith.joined(separator: ", ")) and cheaper"
        }
        if !r.excluded.isEmpty { why += "; out for forgetting > \(NumberText.percent(Advice.forgettingTolerance)): \(r.excluded.joined(separator: ", "))" }
        out.why = why
        if w.arm != "keep", let dearest = arms.max(by: { $0.cost.estimatedFLOPs < $1.cost.estimatedFLOPs }),
           dearest.arm != w.arm, dearest.cost.estimatedFLOPs > 0 {
            out.costNote = "\(w.arm) used \(String(format: "%.1f", 100 * w.cost.estimatedFLOPs / dearest.cost.estimatedFLOPs)) % of the FLOPs of \(dearest.arm)"
        }
        return out
    }
}

/// No arm of a duel could be scored.
public struct DuelError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var notes: [String]
    public var description: String { message }
}
