import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

extension Advice.Verdict {
    /// The evidence engine's outcome for a heuristic verdict.
    var outcome: AdviseOutcome {
        switch self {
        case .keep: return .keep
        case .fineTune: return .finetune
        case .retrainNew: return .retrainNew
        case .retrainAll: return .retrainAll
        }
    }
}

/// advise's evidence step: a thin adapter over `Decisions.AdviseEngine` — find the old data,
/// run the candidates, log each fit as a child run of the advise run, render the table, the
/// verdict and runnable `next:` lines.
struct AdviseEvidence {
    let inv: Invocation
    let session: Session
    let model: String
    let version: Int
    let trained: TrainedModel
    let stored: ModelVersion
    let newName: String
    let new: Dataset
    let parentRun: Int64
    /// The version's chain health: when unhealthy, a retrain within noise of the best is preferred.
    var chainHealth: ChainHealth?

    /// The old training data: `from OLD`, else the producing run's training dataset when it is
    /// loaded with the same fingerprint.
    func oldData() throws -> (name: String?, data: Dataset?, missing: String?) {
        if let name = inv.string("from") {
            return (name, try session.dataset(name, at: inv.span("from")), nil)
        }
        guard let run = session.producingRun(stored), let train = run.datasets.first(where: { $0.role == "train" }) else {
            return (nil, nil, "no producing run recorded: give 'from OLD'")
        }
        guard let d = session.datasets[train.name] else {
            return (nil, nil, "'\(train.name)' (its training data) is not loaded: load it or give 'from OLD'")
        }
        guard session.fingerprint(of: train.name) == train.fingerprint else {
            return (nil, nil, "'\(train.name)' in this session differs from the data \(model)@\(version) was trained on: give 'from OLD'")
        }
        return (train.name, d, nil)
    }

    func run() throws -> Evidence? {
        let (oldName, old, missing) = try oldData()
        let run = session.producingRun(stored)
        let seed = UInt64(truncatingIfNeeded: session.settings.seed)
        let base = trainOptions(fromParams: run?.row.params ?? [:], seed: seed)
        let rows = session.fittedRows(stored) ?? old?.rowCount ?? 0
        let plan = CandidatePlan(spec: trained.spec, base: base, parentRows: rows)
        let input = AdviseInput(current: trained, currentRows: rows, base: base, old: old, oldMissing: missing,
                                new: new, seed: seed, budget: inv.double("budget"), costRatio: session.settings.costRatio)
        var evidence: Evidence
        do {
            evidence = try AdviseEngine.advise(input, shouldStop: session.shouldStop)
        } catch is AdviseEngine.InterruptedError {
            throw Diagnostic("advise interrupted while fitting its candidates", at: inv.node.span, kind: .interrupted)
        } catch {
            session.warn("the candidates could not be estimated: \(error)")
            return nil
        }
        if let h = chainHealth { ChainHealthAssessment.preferRetrain(&evidence, health: h) }
        try record(evidence)
        render(evidence, oldName: oldName, plan: plan)
        return evidence
    }

    var metricName: String { trained.task == .classification ? "accuracy" : "rmse" }
    /// Whether the estimates are Brier scores (classifiers, `AdviseRules.classifierBrier`): shown
    /// as they are, with each candidate's held-out accuracy beside them.
    var brier: Bool { trained.task == .classification && AdviseRules.classifierBrier }
    /// Display value of a loss-like estimate: accuracy = 1 − error rate, a Brier score or an rmse as is.
    func display(_ loss: Double) -> Double { trained.task == .classification && !brier ? 1 - loss : loss }

    /// One child run per fitted candidate (keep is scored, not fitted).
    func record(_ e: Evidence) throws {
        let store = try session.store()
        for c in e.candidates where c.action != .keep && c.loss != nil {
            let child = try RunRecorder(session: session, invocation: inv, kind: "candidate", model: model,
                                        parentVersion: version, parentRun: parentRun,
                                        seed: Int(truncatingIfNeeded: session.settings.seed), datasets: [("new", newName)],
                                        params: ["candidate": c.action.arm, "protocol": e.protocolText])
            var metrics: [String: Double] = [:]
            if let l = c.loss {
                if brier {
                    metrics["heldout_brier"] = l
                    if let r = c.errorRate { metrics["heldout_accuracy"] = 1 - r }
                } else {
                    metrics["heldout_" + metricName] = display(l)
                }
            }
            try store.tag(child.id, key: "candidate", value: c.action.arm)
            try child.finish(.finished, metrics: metrics,
                             cost: RunCost(wallSeconds: c.cost.wallSeconds, examples: c.cost.examplesProcessed, flops: c.cost.estimatedFLOPs))
        }
    }

    func render(_ e: Evidence, oldName: String?, plan: CandidatePlan) {
        let best = e.best.flatMap { e.candidates[$0].loss }
        var rows: [[Cell]] = []
        for (i, c) in e.candidates.enumerated() {
            guard let l = c.loss else {
                rows.append([.text(c.action.rawValue), .missing, .missing] + (brier ? [.missing] : []) + [.missing, .missing]
                            + (e.costRatio != nil ? [.missing] : []) + [.text("not run: \(c.skipped ?? "")")])
                continue
            }
            let interval = c.low.flatMap { lo in c.high.map { hi in
                let (a, b) = trained.task == .classification && !brier ? (display(hi), display(lo)) : (lo, hi)
                return NumberText.short(a) + "–" + NumberText.short(b)
            } } ?? "—"
            let vs = best.map { b in b > 0 ? NumberText.percent((l - b) / b) : "—" } ?? "—"
            let cost = c.action == .keep ? "none" : "\(formatSeconds(c.cost.wallSeconds)), \(formatFLOPs(c.cost.estimatedFLOPs)) FLOPs"
            var reading = c.tied ? (i == e.best ? "best" : "within noise") : "worse"
            if i == e.pick { reading += " ◀" }
            let accuracy: [Cell] = brier ? [c.errorRate.map { .number(1 - $0) } ?? .missing] : []
            rows.append([.text(c.action.rawValue), .number(display(l)), .text(interval)] + accuracy + [.text(vs), .text(cost)]
                        + (e.costRatio != nil ? [e.priced(c).map { .number($0) } ?? .missing] : []) + [.text(reading)])
        }
        let baselineName = trained.task == .classification ? (brier ? "baseline (class frequencies)" : "baseline (majority class)") : "baseline (the mean)"
        rows.append([.text(baselineName), .number(display(e.baselineLoss)), .missing] + (brier ? [.missing] : []) + [.missing, .missing]
                    + (e.costRatio != nil ? [.missing] : []) + [.text(e.verdict == .noSignal ? "no signal" : "—")])
        let lossWord = e.scoreName
        var headers = ["action", "est. \(brier ? "Brier score" : metricName)", "95 % interval"] + (brier ? ["accuracy"] : [])
            + ["vs best (\(lossWord))", "cost of a fit"]
        if let r = e.costRatio { headers.append("\(lossWord) + \(r)") }
        headers.append("reading")
        session.show(Table(title: "evidence: \(e.protocolText)", headers: headers, rows: rows))
        let verdictText: String
        switch e.verdict {
        case .noSignal: verdictText = "no signal — keep \(model)@\(version), update nothing"
        case .keep: verdictText = "keep \(model)@\(version) (and monitor)"
        default: verdictText = e.verdict.action?.rawValue ?? "keep"
        }
        session.print("verdict: \(verdictText)")
        for r in e.reasons { session.print("  because \(r)") }
        session.print("next: " + Self.next(e.verdict, model: model, version: version, newName: newName, oldName: oldName,
                                              plan: plan, session: session))
    }

    /// A runnable command line for an outcome, with the session's real names and the options
    /// the estimate was made with (`commandOptions`), so running it reproduces the candidate.
    static func next(_ outcome: AdviseOutcome, model: String, version: Int, newName: String, oldName: String?,
                     plan: CandidatePlan, session: Session) -> String {
        let retrainOptions = commandOptions(plan.base)
        func fineTune(_ a: Action) -> String {
            let o = a.fineTuneOptions(spec: plan.spec, base: plan.base, parentRows: plan.parentRows) ?? plan.base
            return "finetune \(model)@\(version) on \(newName)" + commandOptions(o, replayFrom: oldName)
        }
        switch outcome {
        case .keep, .noSignal: return "monitor \(model)@\(version) on \(newName)"
        case .finetune: return fineTune(.finetune)
        case .finetuneReplay: return fineTune(.finetuneReplay)
        case .shrinkPerturb: return fineTune(.shrinkPerturb)
        case .retrainNew: return "retrain \(model) on \(newName)" + retrainOptions
        case .retrainAll:
            guard let oldName else { return "retrain \(model) on \(newName)" + retrainOptions }
            var name = "\(oldName)_\(newName)"
            var k = 2
            while session.datasets[name] != nil { name = "\(oldName)_\(newName)_\(k)"; k += 1 }
            return "concat \(oldName), \(newName) as \(name); retrain \(model) on \(name)" + retrainOptions
        }
    }
}

/// What advise's candidates are fitted with: the version's specification, the producing run's
/// options (the base of retrains and fine-tunes) and the rows the version was fitted on (the
/// closed-form fine-tune anchor).
struct CandidatePlan {
    var spec: ModelSpec
    var base: TrainOptions
    var parentRows: Int
}
