import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

/// `drift`, `advise`, `duel`, `monitor`: the retrain-or-fine-tune decision, with evidence.
/// The rules and thresholds live in `Advice` (Advice.swift) and docs/ADVICE.md.
func decisionCommands() -> [CommandSpec] {
    [driftCommand, adviseCommand, duelCommand, monitorCommand]
}

// MARK: - drift

let driftCommand = CommandSpec(
    name: "drift", group: .decisions,
    summary: "Measure drift between a reference and a new dataset: PSI, KS, shifts, schema and target drift",
    synopsis: "drift REF NEW [columns [A, B, …]] [by COLUMN [bins N]]",
    operands: [OperandSpec("REF", .name(.dataset), help: "the reference (old) dataset"),
               OperandSpec("NEW", .name(.dataset), help: "the new dataset")],
    options: [OptionSpec("columns", .list(.name(.column)), help: "only these columns (default: every common column)")]
        + segmentOptions,
    help: """
    Compares NEW with REF column by column and ranks the columns by severity (PSI, then KS D).
    Numeric columns: PSI over 10 quantile bins of REF (right-closed, proportions floored at 1e-4),
    the two-sample Kolmogorov–Smirnov D and p-value, the mean shift in REF standard deviations, the
    std ratio and the missing-rate change. Categorical columns: PSI over categories and the
    categories that appeared or vanished. The schema diff lists new, missing and retyped columns;
    the target (when both sides have it) is marked `(target)`.
    Verdicts: none < 0.1 ≤ moderate < 0.25 ≤ major, and PSI at or under the no-drift level
    9·(1/n_ref + 1/n_new) is none (small samples inflate PSI). Logged as a run of kind `drift`
    with final metrics psi.<column>, ks.<column> and max_psi.
    `by COLUMN` assesses each segment of COLUMN apart (one row each: rows on both sides, the worst feature's PSI,
    verdict) and the whole; segments with fewer than \(SegmentRules.minRows) rows on a side are marked
    `too few rows`, not judged. A numeric COLUMN with more than \(SegmentRules.maxDistinctValues) values needs
    `bins N` (quantile bins of REF). The run is tagged flagged_segments.
    """,
    examples: ["drift old new", "drift train test columns [age, bmi]", "drift h2019 h2023", "drift early late by island"],
    handler: { inv, session in try runDrift(inv, session) })

func runDrift(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    guard let refArg = inv.operand(0), let newArg = inv.operand(1),
          let refName = refArg.string, let newName = newArg.string else {
        throw inv.error("drift needs two datasets: drift REF NEW")
    }
    let ref = try session.dataset(refName, at: refArg.span)
    let new = try session.dataset(newName, at: newArg.span)
    let wanted = inv.names("columns")
    for (i, c) in (wanted ?? []).enumerated() where ref.column(named: c) == nil && new.column(named: c) == nil {
        let span = inv.options["columns"]?.list[i].span ?? inv.span("columns")
        var notes: [String] = []
        if let s = Suggest.closest(c, among: ref.columnNames) { notes.append("did you mean '\(s)'?") }
        throw Diagnostic("no column '\(c)' in '\(refName)' or '\(newName)'", at: span, notes: notes)
    }
    if let seg = try inv.segmentation(reference: ref, others: [new]) {
        return try runDriftBy(inv, session, seg: seg, ref: ref, refName: refName, new: new, newName: newName, columns: wanted)
    }
    // The assessment (Decisions.DriftAssessment): ranking, levels, verdict line, run metrics.
    let a = DriftAssessment.assess(reference: ref, new: new, columns: wanted)
    let report = a.report
    var rows: [[Cell]] = []
    for col in a.columns {
        let c = col.drift
        var note: [String] = []
        if !c.appeared.isEmpty { note.append("+" + c.appeared.prefix(5).joined(separator: ", +")) }
        if !c.vanished.isEmpty { note.append("−" + c.vanished.prefix(5).joined(separator: ", −")) }
        let missing = c.newMissingRate != c.referenceMissingRate
            ? String(format: "%.1f→%.1f %%", c.referenceMissingRate * 100, c.newMissingRate * 100) : ""
        rows.append([.text(col.isTarget ? "\(c.name) (target)" : c.name), .text(c.type.rawValue),
                     c.psi.map { .number($0) } ?? .missing, c.ksD.map { .number($0) } ?? .missing,
                     c.ksPValue.map { .number($0) } ?? .missing,
                     col.meanShiftSD.map { .number($0) } ?? .missing, col.stdRatio.map { .number($0) } ?? .missing,
                     .text(missing), .text(col.level.rawValue), .text(note.joined(separator: " "))])
    }
    var footer: [String] = []
    if let f = a.noiseFloor { footer.append("no-drift PSI level 9·(1/\(report.referenceRows) + 1/\(report.newRows)) = \(NumberText.short(f))") }
    if !a.timeColumnsLeftOut.isEmpty {
        footer.append("time column\(a.timeColumnsLeftOut.count > 1 ? "s" : "") \(a.timeColumnsLeftOut.joined(separator: ", ")) left out")
    }
    var driftTable = Table(title: "drift \(refName) → \(newName)",
                      columns: [Table.Column("column"), Table.Column("type"), Table.Column("psi", alignment: .right),
                                Table.Column("ks_d", alignment: .right), Table.Column("ks_p", alignment: .right),
                                Table.Column("mean_shift_sd", alignment: .right), Table.Column("std_ratio", alignment: .right),
                                Table.Column("missing"), Table.Column("verdict"), Table.Column("categories")],
                      rows: rows)
    // Leave out the columns that say nothing here (no missing-rate change, no categories, no KS).
    let keep = driftTable.columns.indices.filter { i in
        i < 7 && i != 3 && i != 4 || driftTable.rows.contains { row in
            switch row[i] { case .missing: return false; case .text(let t): return !t.isEmpty; default: return true }
        }
    }
    driftTable.columns = keep.map { driftTable.columns[$0] }
    driftTable.rows = driftTable.rows.map { row in keep.map { row[$0] } }
    driftTable.footer = footer
    session.show(driftTable)
    session.print(a.line)

    let recorder = try RunRecorder(session: session, invocation: inv, kind: "drift",
                                   datasets: [("ref", refName), ("new", newName)],
                                   params: ["columns": wanted?.joined(separator: ", ") ?? "*"])
    session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "verdict", value: a.level.rawValue) }
    if let w = a.worst { session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "max_psi_column", value: w.name) } }
    try recorder.finish(.finished, metrics: a.metrics)
    return .run(Int(recorder.id))
}

// MARK: - advise

let adviseCommand = CommandSpec(
    name: "advise", group: .decisions,
    summary: "Recommend keep, fine-tune or retrain for a model version on new data, with the evidence",
    synopsis: "advise MODEL[@V] on NEW [from OLD] [budget SECONDS] [by COLUMN [bins N]]",
    operands: [OperandSpec("MODEL", .version, help: "the deployed version (default @latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the new data (with the target)"),
              OptionSpec("from", .name(.dataset), help: "the old training data (default: the version's training dataset, when it is loaded unchanged)"),
              OptionSpec("budget", .number, help: "seconds of compute for fitting the candidates")] + segmentOptions,
    help: """
    Decides from evidence: holds out the latest 30 % of NEW (k-fold within NEW when it has fewer \
    than 120 rows), fits each candidate — fine-tune, retrain on NEW, retrain on old + NEW — on \
    the rest, scores them and keep on the held-out rows, and recommends the cheapest action \
    within noise of the best (paired bootstrap); "no signal" when predicting the mean or the \
    majority class is as good. The table shows each estimate with its 95 % interval and the cost \
    of a fit; every fit is a child run (kind candidate). With `budget`, candidates that would not \
    fit in it are skipped; when none could be fitted the threshold rules below decide, marked as \
    a heuristic fallback.
    Also measures, one line each with its value and threshold: input drift of NEW against the column
    summaries stored with the version (no original file needed), performance degradation (the
    version evaluated on NEW against its recorded valid_<metric>, else train_<metric>), schema
    change (missing or new features force a retrain), the size of NEW against the training rows,
    the trivial baseline (no signal), and the expected cost of a retrain and a fine-tune from the
    producing run's recorded cost. Then a verdict — keep (and monitor), fine-tune, retrain on
    new, retrain on old + new — with the reasons and a confidence in [0, 1] (used only as the
    fallback). Drift alone never decides. The version's chain health (see `health`) is a reading too: \
    on an unhealthy fine-tune chain a retrain within noise of the best is preferred to keep or \
    fine-tune. Every rule and threshold: docs/ADVICE.md. Logged as a
    run of kind `advise` (tag verdict).
    `by COLUMN` advises per segment instead: it holds out the latest 30 % of each segment of NEW, fine-tunes \
    the version on each segment's other rows and keeps the fine-tune where it beats the base beyond noise; \
    then it scores the plans — keep, fine-tune those segments (the base elsewhere), one fine-tune on all of \
    NEW, retrain on NEW, retrain on old + NEW — on the same held-out rows and recommends the cheapest within \
    noise of the best, naming the segments to fine-tune and to leave (docs/ADVICE.md, "Segments").
    """,
    examples: ["advise price on new", "advise price@production on batch7 from h2019 budget 30",
               "advise pengs on late by island"],
    handler: { inv, session in try runAdvise(inv, session) })

func runAdvise(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    let v = try session.decisionVersion(inv)
    guard let newName = inv.string("on") else { throw inv.error("advise needs 'on NEW'") }
    let new = try session.dataset(newName, at: inv.span("on"))
    if inv.has("by") {
        if inv.has("budget") { throw inv.error("budget does not apply with by (every segment's fine-tune is fitted)", at: "budget") }
        return try runAdviseBy(inv, session, v: v, newName: newName, new: new)
    }
    let metric = PrimaryMetric(classification: v.trained.task == .classification)
    let run = session.producingRun(v.stored)
    let budget = inv.double("budget")
    // The measurements (Decisions: Advice.measure); the store supplies the version's summary,
    // recorded metric and the producing run's cost.
    let context = AdviceContext(
        trainingSummary: session.trainingSummary(v.stored), fittedRows: session.fittedRows(v.stored) ?? 0,
        recorded: session.recordedLoss(v.stored, metric: metric),
        producingCost: run?.cost.map { ($0.wallSeconds, $0.flops) },
        closedForm: v.trained.spec.isClosedForm(options: trainOptions(fromParams: run?.row.params ?? [:], seed: nil)),
        budget: budget, seed: UInt64(session.settings.seed))
    let readings: AdviceReadings
    do {
        readings = try Advice.measure(v.trained, on: new, context: context)
    } catch let e as DecisionError {
        throw Diagnostic(e.message, at: inv.span("on"))
    }
    let m = readings.measurements
    let scores = readings.scores
    let (driftLine, perfLine, baselineLine, costLine) = (readings.drift, readings.performance, readings.baseline, readings.cost)
    if let b = m.budget, !(b > 0) { throw inv.error("budget must be a number of seconds > 0", at: "budget") }

    let decision = Advice.decide(m)
    // Chain health (Decisions.ChainHealthAssessment): a reading, and on an unhealthy chain a tied
    // retrain is preferred to keep or fine-tune.
    let health = try? session.chainHealth(model: v.model, version: v.version, at: v.span)
    let schemaLine = m.missingFeatures.isEmpty && m.newFeatures.isEmpty ? "unchanged"
        : (m.missingFeatures.map { "missing \($0)" } + m.newFeatures.map { "new \($0)" }).joined(separator: ", ")
    let sizeLine = "\(m.newRows) rows = \(NumberText.short(m.sizeRatio))× the \(m.trainRows) training rows"
    let rows: [[Cell]] = [
        ["drift", .text(driftLine), .text("moderate ≥ \(Advice.moderatePSI), major ≥ \(Advice.majorPSI), above no-drift level \(m.noiseFloor.map(NumberText.short) ?? "—")"), .text(m.driftLevel.rawValue)],
        ["performance", .text(perfLine), .text("degraded when \(metric.lossName) +\(NumberText.percent(Advice.degradation).dropFirst()) beyond noise; large ≥ \(NumberText.percent(Advice.largeDegradation))"), .text(m.degradation == nil ? "—" : (m.degraded ? "degraded" : "ok"))],
        ["schema", .text(schemaLine), "any change forces a retrain", .text(m.missingFeatures.isEmpty && m.newFeatures.isEmpty ? "ok" : "changed")],
        ["size", .text(sizeLine), .text("limited < \(Advice.limitedFraction)×, stands alone ≥ \(Advice.standAloneFraction)×"), .text(m.sizeRatio < Advice.limitedFraction ? "limited" : (m.sizeRatio >= Advice.standAloneFraction ? "large" : "partial"))],
        ["baseline", .text(baselineLine), "no signal when no better than trivial", .text(m.noSignal ? "no signal" : "ok")],
        ["chain", .text(health?.summary ?? "—"), .text("retrain from \(ChainHealthRules.longChain) fine-tunes, forgetting +\(NumberText.percent(ChainHealthRules.forgetting).dropFirst()) or PSI \(ChainHealthRules.driftPSI) since the last full train"), .text(health?.verdict.rawValue ?? "—")],
        ["cost", .text(costLine), .text(m.budget.map { "budget \(formatSeconds($0))" } ?? "no budget"), .text(m.budget == nil ? "—" : ((m.retrainSeconds ?? 0) > (m.budget ?? 0) ? "retrain over budget" : "within budget"))],
    ]
    session.show(Table(title: "advise \(v.model)@\(v.version) on \(newName): measurements",
                       headers: ["measure", "value", "threshold", "reading"], rows: rows))
    for w in decision.warnings { session.warn(w) }

    var params: [String: String] = ["version": String(v.version)]
    if let b = m.budget { params["budget"] = Invocation.formatNumber(b) }
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "advise", model: v.model,
                                   parentVersion: v.version, datasets: [("new", newName)], params: params)
    var metrics: [String: Double] = ["new_rows": Double(m.newRows), "size_ratio": m.sizeRatio.isFinite ? m.sizeRatio : -1]
    if let p = m.maxPSI { metrics["max_psi"] = p }
    if let d = m.degradation { metrics["degradation"] = d }
    if let s = scores { metrics[metric.name] = s.value }
    let arm: String
    do {
        // The verdict from measured evidence (Decisions.AdviseEngine); the threshold table above
        // decides only when no candidate could be fitted (budget, schema), marked as such.
        let evidence = try AdviseEvidence(inv: inv, session: session, model: v.model, version: v.version,
                                          trained: v.trained, stored: v.stored, newName: newName, new: new,
                                          parentRun: recorder.id, chainHealth: health).run()
        if let e = evidence, !e.insufficient {
            arm = e.verdict == .noSignal ? "no_signal" : (e.verdict.action?.arm ?? "keep")
            if let p = e.pick, let l = e.candidates[p].loss {
                if e.classification && AdviseRules.classifierBrier {
                    metrics["estimated_brier"] = l
                    if let r = e.candidates[p].errorRate { metrics["estimated_accuracy"] = 1 - r }
                } else {
                    metrics["estimated_" + metric.name] = metric.display(loss: l)
                }
            }
        } else {
            arm = decision.verdict.arm
            let verdictText = decision.verdict == .keep ? "keep (and monitor)" : decision.verdict.rawValue
            session.print("verdict (heuristic fallback: no candidate could be fitted\(m.budget != nil ? " in the budget" : "")): \(verdictText) — confidence \(String(format: "%.2f", decision.confidence))")
            for r in decision.reasons { session.print("  because \(r)") }
            metrics["confidence"] = decision.confidence
            let plan = CandidatePlan(spec: v.trained.spec, base: trainOptions(fromParams: run?.row.params ?? [:], seed: UInt64(session.settings.seed)),
                                     parentRows: session.fittedRows(v.stored) ?? 0)
            session.print("next: " + AdviseEvidence.next(decision.verdict.outcome, model: v.model, version: v.version,
                                                           newName: newName, oldName: nil, plan: plan, session: session))
        }
    } catch let d as Diagnostic {
        try recorder.finish(d.kind == .interrupted ? .interrupted : .failed, metrics: metrics, error: d.message)
        throw d
    }
    try recorder.store.tag(recorder.id, key: "verdict", value: arm)
    try recorder.finish(.finished, metrics: metrics)
    return .run(Int(recorder.id))
}

// MARK: - duel

let duelCommand = CommandSpec(
    name: "duel", group: .decisions,
    summary: "Run keep / fine-tune / retrain arms side by side on one split and name the winner",
    synopsis: "duel MODEL[@V] on NEW [holdout F] [old OLD_TEST] [from OLD_TRAIN] [seed S] [epochs N] [lr X] [anchor λ] [shuffle] [promote] [by COLUMN [bins N]]",
    operands: [OperandSpec("MODEL", .version, help: "the version to challenge (default @latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the new data"),
              OptionSpec("holdout", .number, default: "0.3", help: "fraction of NEW held out for scoring (its last rows unless shuffle)"),
              OptionSpec("old", .name(.dataset), help: "old test data: measures forgetting"),
              OptionSpec("from", .name(.dataset), help: "old training data for the old + new arm (default: the parent run's training dataset, when loaded)"),
              OptionSpec("seed", .integer, help: "seed of training, shuffling and the bootstrap (default: the session seed)"),
              OptionSpec("epochs", .integer, help: "fine-tune epochs (default: a quarter of the parent run's)"),
              OptionSpec("lr", .number, help: "fine-tune learning rate (default: a tenth of the parent run's)"),
              OptionSpec("anchor", .number, help: "fine-tune anchor λ (default for closed-form models: the parent's training rows, a quarter of them for Newton models; 0 otherwise)"),
              OptionSpec("shuffle", .flag, help: "hold out a seeded random fraction instead of the last rows"),
              OptionSpec("promote", .flag, help: "point the production alias at the winner")] + segmentOptions,
    help: """
    Splits NEW once (by default the last F rows are the holdout: the future is scored on the
    future) and runs, as child runs of one `duel` run: keep (the version unchanged, an evaluate
    run), fine-tune (from the version: a tenth of the learning rate and a quarter of the epochs
    of its producing run, or as given; closed-form models solve the anchored fit exactly),
    retrain on NEW's training part, and retrain on old + new when the old training data is
    loaded (the parent run's training dataset, or `from`). Each arm is scored on the holdout
    (adaptation, with a seeded bootstrap 95 % interval over 500 resamples) and on OLD_TEST
    (forgetting) when given, with its wall time, examples and FLOPs.
    Winner: arms forgetting more than 10 % (relative, vs keep) on OLD_TEST are out; the best
    adaptation wins, but arms whose paired-bootstrap difference from it includes 0 are tied and
    ties go to the cheapest arm (keep is cheapest). See docs/ADVICE.md.
    `by COLUMN` adds each arm's holdout metric per segment of COLUMN and the segment's winner (the cheapest
    arm within noise of its best); segments with fewer than \(SegmentRules.minRows) holdout rows are marked.
    """,
    examples: ["duel price on new", "duel price@2 on new holdout 0.2 old test seed 3 promote",
               "duel sensors on batch epochs 10 lr 0.0005"],
    handler: { inv, session in try runDuel(inv, session) })

func runDuel(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    let v = try session.decisionVersion(inv)
    guard let newName = inv.string("on") else { throw inv.error("duel needs 'on NEW'") }
    let new = try session.dataset(newName, at: inv.span("on"))
    let f = inv.double("holdout") ?? 0.3
    guard f > 0, f < 1 else { throw inv.error("holdout must be a fraction in (0, 1), got \(Invocation.formatNumber(f))", at: "holdout") }
    let seed = UInt64(truncatingIfNeeded: inv.int("seed") ?? session.settings.seed)
    let oldTest = try inv.string("old").map { try session.dataset($0, at: inv.span("old")) }
    let parentRun = session.producingRun(v.stored)
    let parentParams = parentRun?.row.params ?? [:]
    let spec = try session.modelSpec(v.model, at: v.span)
    let segmentation = try inv.segmentation(reference: new)

    let fitName = "\(newName)_duel_train", holdName = "\(newName)_duel_holdout"
    let parts: (Dataset, Dataset)
    do {
        parts = try new.split(at: 1 - f, seed: seed, ordered: !inv.flag("shuffle"), names: (fitName, holdName))
    } catch {
        throw Diagnostic("cannot split '\(newName)': \(error)", at: inv.span("holdout"))
    }
    guard parts.0.rowCount >= 2, parts.1.rowCount >= 2 else {
        throw inv.error("'\(newName)' has \(new.rowCount) rows: too few to hold out \(Invocation.formatNumber(f)) and train on the rest", at: "on")
    }
    session.datasets[fitName] = parts.0
    session.datasets[holdName] = parts.1
    // Old training data for the old + new arm.
    var oldTrainName = inv.string("from")
    if oldTrainName == nil, let d = parentRun?.datasets.first(where: { $0.role == "train" }), session.datasets[d.name] != nil {
        oldTrainName = d.name
    }
    var allName: String?
    var notes: [String] = []
    if let o = oldTrainName {
        let oldTrain = try session.dataset(o, at: inv.span("from"))
        let name = "\(o)_plus_\(newName)_duel_train"
        do {
            session.datasets[name] = try Dataset.concat(oldTrain, parts.0, name: name)
            allName = name
        } catch {
            notes.append("retrain_all skipped: cannot combine '\(o)' with '\(newName)': \(error)")
        }
    } else {
        notes.append("retrain_all skipped: the old training data is not loaded (load it, or give 'from OLD_TRAIN')")
    }
    session.print("duel \(v.model)@\(v.version) on \(newName): train on \(parts.0.rowCount) rows (\(fitName)), score on \(parts.1.rowCount) rows (\(holdName), \(inv.flag("shuffle") ? "shuffled" : "last") \(Invocation.formatNumber(f)))")

    var datasets: [(role: String, name: String)] = [("new", newName), ("holdout", holdName)]
    if let o = inv.string("old") { datasets.append(("old_test", o)) }
    let duel = try RunRecorder(session: session, invocation: inv, kind: "duel", model: v.model, parentVersion: v.version,
                               seed: Int(truncatingIfNeeded: seed), datasets: datasets,
                               params: ["holdout": Invocation.formatNumber(f), "resamples": String(Advice.resamples)])
    let setup = DuelSetup(spec: spec, base: trainOptions(fromParams: parentParams, seed: seed),
                          parentRows: session.trainingSummary(v.stored)?.rows ?? parts.0.rowCount,
                          epochs: inv.int("epochs"), lr: inv.double("lr"), anchor: inv.double("anchor"),
                          seed: seed, hasOldTrain: allName != nil)
    let result: DuelResult
    do {
        // The engine (Decisions.DuelEngine) holds the loop and the rule; this adapter records
        // each arm as a child run of the duel.
        result = try DuelEngine.run(version: v.version, model: v.trained, setup: setup, holdout: parts.1, oldTest: oldTest,
            keep: { scores in
                let keepRun = try RunRecorder(session: session, invocation: inv, kind: "evaluate", model: v.model,
                                              parentVersion: v.version, parentRun: duel.id, datasets: [("test", holdName)])
                session.recording("a run tag") { try keepRun.store.tag(keepRun.id, key: "arm", value: "keep") }
                switch scores {
                case .success(let (h, o)):
                    var keepMetrics = h.metrics
                    for (k, x) in o?.metrics ?? [:] { keepMetrics["old_" + k] = x }
                    try keepRun.finish(.finished, metrics: keepMetrics, cost: RunCost(wallSeconds: 0, examples: 0, flops: 0))
                case .failure(let e):
                    session.recording("the end of the run") { try keepRun.finish(.failed, error: e.message) }
                }
                return keepRun.id
            },
            fit: { arm in
                var req = TrainRequest(kind: arm.verb ?? "retrain", model: v.model, spec: spec,
                                       data: arm.data == .oldPlusNew ? (allName ?? fitName) : fitName, options: arm.options)
                if arm.fromParent { req.parent = (v.version, v.trained) } else { req.replaces = v.version }
                req.parentRun = duel.id
                req.tags = ["arm": arm.name]
                do {
                    let out = try session.train(req, invocation: inv, span: inv.node.span)
                    return .fitted(model: out.result.model, version: out.version, runID: out.runID, cost: out.result.cost)
                } catch let d as Diagnostic where d.kind != .interrupted {
                    return .refused(d.message)
                }
            })
    } catch let e as DuelError {
        session.recording("the end of the run") { try duel.finish(.failed, error: "no arm could run") }
        throw Diagnostic(e.message, at: inv.node.span, notes: notes + e.notes)
    } catch {
        let interrupted = (error as? Diagnostic)?.kind == .interrupted
        session.recording("the end of the run") { try duel.finish(interrupted ? .interrupted : .failed, error: "\(error)") }
        throw error
    }
    // The holdout (and old-data) metrics on each fitted arm's run.
    for a in result.arms where a.arm != "keep" {
        var extra: [String: Double] = [:]
        for (k, x) in a.holdout.metrics { extra["holdout_" + k] = x }
        for (k, x) in a.old?.metrics ?? [:] { extra["old_" + k] = x }
        session.recording("the holdout metrics of run #\(a.runID)") { try session.store().setFinalMetrics(a.runID, extra) }
    }

    let metric = result.metric
    let rows: [[Cell]] = result.arms.map { a in
        [.text(a.arm), .text("\(v.model)@\(a.version)"), .text("#\(a.runID)"), .number(a.holdout.value),
         .text("[\(NumberText.short(a.interval.low)), \(NumberText.short(a.interval.high))]"),
         a.old.map { .number($0.value) } ?? .missing,
         .text(a.arm == "keep" ? "—" : formatSeconds(a.cost.wallSeconds)), .int(a.cost.examplesProcessed),
         .text(formatFLOPs(a.cost.estimatedFLOPs))]
    }
    var table = Table(title: "duel \(v.model)@\(v.version) on \(newName)",
                      columns: [Table.Column("arm"), Table.Column("version"), Table.Column("run"),
                                Table.Column("\(metric.name) (holdout)", alignment: .right),
                                Table.Column("95 % interval", alignment: .right),
                                Table.Column("\(metric.name) (old)", alignment: .right),
                                Table.Column("wall", alignment: .right), Table.Column("examples", alignment: .right),
                                Table.Column("flops", alignment: .right)],
                      rows: rows)
    table.footer = notes + result.notes
    if oldTest == nil {
        // Without `old OLD_TEST` there is nothing to show in the old-data column.
        table.columns.remove(at: 5)
        table.rows = table.rows.map { r in var r = r; r.remove(at: 5); return r }
    }
    session.show(table)
    if let seg = segmentation {
        try duelBy(inv, session, seg: seg, model: v.model, keep: v.trained, arms: result.arms, holdout: parts.1, seed: seed)
    }
    var metrics: [String: Double] = [:]
    for a in result.arms {
        metrics["\(a.arm).\(metric.name)"] = a.holdout.value
        if let o = a.old { metrics["\(a.arm).old_\(metric.name)"] = o.value }
    }
    guard let w = result.winner else {
        try duel.finish(.finished, metrics: metrics)
        session.print("no winner: no arm could be scored")
        return .run(Int(duel.id))
    }
    session.recording("a run tag") { try duel.store.tag(duel.id, key: "winner", value: w.arm) }
    try duel.finish(.finished, metrics: metrics)
    session.print("winner: \(w.arm) (\(v.model)@\(w.version)) — \(result.why)")
    if let c = result.costNote { session.print("cost: " + c) }
    if inv.flag("promote") {
        do {
            _ = try duel.store.setAlias(v.model, alias: "production", version: w.version)
        } catch {
            throw Diagnostic("cannot promote \(v.model)@\(w.version): \(error)", at: inv.span("promote"), kind: .io)
        }
        session.print("promoted \(v.model)@\(w.version) as production")
    } else {
        session.print("hint: promote \(v.model)@\(w.version) as production")
    }
    return .run(Int(duel.id))
}

// MARK: - monitor

let monitorCommand = CommandSpec(
    name: "monitor", group: .decisions,
    summary: "Evaluate a version on successive batches and flag the first past an alert; or show its evaluation timeline",
    synopsis: "monitor MODEL[@V] [on BATCH1, BATCH2, …] [alert METRIC > X]",
    operands: [OperandSpec("MODEL", .version, help: "the version (default: @production when set, else @latest)")],
    options: [OptionSpec("on", .list(.name(.dataset)), help: "the batches, in time order"),
              OptionSpec("alert", .expr, help: "METRIC > X or METRIC < X (default: 20 % relative degradation vs the recorded metric)")],
    help: """
    With batches: evaluates the version on each (evaluate child runs of one `monitor` run),
    prints the metric per batch as a table and a sparkline, and flags the first batch past the
    alert — `alert rmse > 60`, `alert accuracy < 0.9`, or by default a loss (rmse, or error
    rate) 20 % above the version's recorded valid_ (else train_) metric — suggesting `advise`.
    Without batches: the timeline of every recorded evaluation of the version. A bare MODEL
    (or MODEL@latest) means the version the `production` alias points at when it is set.
    """,
    examples: ["monitor price on jan, feb, mar", "monitor price@2 on b1, b2 alert rmse > 60000", "monitor price"],
    handler: { inv, session in try runMonitor(inv, session) })

func runMonitor(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    guard let a = inv.operand(0), case .version(let m, let givenRef) = a.value, let model = m else {
        throw inv.error("expected a model version (NAME, NAME@N or NAME@ALIAS)")
    }
    // A bare name means the production version when that alias is set.
    var ref = givenRef
    if case .alias("latest") = ref, (try? session.store().aliases(model))?["production"] != nil {
        _ = try session.modelSpec(model, at: a.span)
        ref = .alias("production")
    }
    guard let batches = inv.names("on") else {
        return try monitorTimeline(inv, session, model: model, ref: ref, span: a.span)
    }
    let v = try session.loadVersion(model, ref: ref, at: a.span)
    let metric = PrimaryMetric(classification: v.model.task == .classification)
    let recorded = session.recordedLoss(v.stored, metric: metric)
    // The alert (Decisions.MonitorAlert).
    let alert: MonitorAlert
    if let e = inv.expr("alert") {
        guard case .binary(let op, let l, let r) = e.kind, let key = l.identifier,
              let x = numberOf(r), let comparison = MonitorAlert.Comparison(rawValue: op.rawValue) else {
            throw inv.error("alert expects METRIC > X or METRIC < X, e.g. alert rmse > 60", at: "alert")
        }
        alert = .threshold(key, comparison, x, text: "\(key) \(op.rawValue) \(Invocation.formatNumber(x))")
    } else {
        alert = .default(metric: metric, recorded: recorded)
    }
    let alertKey = alert.key, alertText = alert.text
    let items = inv.options["on"]?.list ?? []
    var data: [(String, Dataset)] = []
    for (i, name) in batches.enumerated() {
        data.append((name, try session.dataset(name, at: i < items.count ? items[i].span : inv.span("on"))))
    }
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "monitor", model: model,
                                   parentVersion: v.version, datasets: batches.map { ("batch", $0) },
                                   params: ["alert": alertText])
    var rows: [[Cell]] = []
    var series: [Double] = []
    var firstAlert: String?
    do {
        for (i, (name, d)) in data.enumerated() {
            let child = try RunRecorder(session: session, invocation: inv, kind: "evaluate", model: model,
                                        parentVersion: v.version, parentRun: recorder.id, datasets: [("test", name)])
            session.recording("a run tag") { try child.store.tag(child.id, key: "batch", value: String(i + 1)) }
            let metrics: [String: Double]
            do {
                metrics = try Metrics.evaluate(v.model, on: d)
            } catch {
                session.recording("the end of the run") { try child.finish(.failed, error: "\(error)") }
                throw Diagnostic("cannot evaluate \(model)@\(v.version) on '\(name)': \(error)",
                                 at: i < items.count ? items[i].span : inv.span("on"))
            }
            try child.finish(.finished, metrics: metrics)
            guard let value = metrics[alertKey] else {
                throw Diagnostic("no metric '\(alertKey)' for this model; it has: \(metrics.keys.sorted().joined(separator: ", "))",
                                 at: inv.span("alert"))
            }
            let shown = metrics[metric.name] ?? value
            series.append(shown)
            let flagged = alert.isPast(value)
            if flagged && firstAlert == nil { firstAlert = name }
            var change: Cell = .missing
            if let r = recorded { change = .text(NumberText.percent((metric.loss(metric: shown) - r.loss) / max(abs(r.loss), 1e-12))) }
            var row: [Cell] = [.int(i + 1), .text(name), .int(d.rowCount), .number(shown), change]
            if alertKey != metric.name { row.append(.number(value)) }
            row += [.text(flagged ? "ALERT" : ""), .text("#\(child.id)")]
            rows.append(row)
        }
    } catch {
        session.recording("the end of the run") { try recorder.finish(.failed, error: "\(error)") }
        throw error
    }
    let headers = ["batch", "dataset", "rows", metric.name, "Δ loss vs recorded"]
        + (alertKey == metric.name ? [] : [alertKey]) + ["alert", "run"]
    var table = Table(title: "monitor \(model)@\(v.version) — alert: \(alertText)", headers: headers, rows: rows)
    table.footer = ["\(metric.name) per batch: " + Sparkline.render(series)]
    session.show(table)
    var finals: [String: Double] = ["batches": Double(batches.count)]
    if let last = series.last { finals["last_\(metric.name)"] = last }
    if let f = firstAlert, let idx = batches.firstIndex(of: f) { finals["first_alert_batch"] = Double(idx + 1) }
    session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "alert", value: firstAlert ?? "none") }
    try recorder.finish(.finished, metrics: finals)
    if let f = firstAlert {
        session.print("alert: batch '\(f)' is past \(alertText) — next: advise \(model)@\(v.version) on \(f)")
    } else {
        session.print("no batch past \(alertText)")
    }
    return .run(Int(recorder.id))
}

private func numberOf(_ e: Expr) -> Double? {
    switch e.kind {
    case .number(let d, _): return d
    case .unary(.negate, let x): return numberOf(x).map { -$0 }
    default: return nil
    }
}

func monitorTimeline(_ inv: Invocation, _ session: Session, model: String, ref: Language.VersionRef,
                     span: SourceSpan) throws -> ResultValue? {
    let s = try session.store()
    let v = try session.loadVersion(model, ref: ref, at: span)
    let metric = PrimaryMetric(classification: v.model.task == .classification)
    let runs: [RunRow]
    do {
        runs = try s.runs().filter { $0.kind.rawValue == "evaluate" && $0.model == model && $0.parentVersion == v.version
            && $0.status == .finished }.sorted { $0.id < $1.id }
    } catch {
        throw Diagnostic("cannot read the runs: \(error)", at: span, kind: .io)
    }
    let aliasNote = v.stored.info.aliases.isEmpty ? "" : " (" + v.stored.info.aliases.sorted().joined(separator: ", ") + ")"
    if runs.isEmpty {
        session.print("no evaluation of \(model)@\(v.version)\(aliasNote) recorded yet — monitor \(model)@\(v.version) on BATCH, …")
        return nil
    }
    let recorded = session.recordedLoss(v.stored, metric: metric)
    var rows: [[Cell]] = []
    var series: [Double] = []
    for r in runs {
        let value = r.metrics[metric.name]
        if let value { series.append(value) }
        var change: Cell = .missing
        if let value, let rec = recorded {
            change = .text(NumberText.percent((metric.loss(metric: value) - rec.loss) / max(abs(rec.loss), 1e-12)))
        }
        rows.append([.text("#\(r.id)"), .text(r.datasets.joined(separator: ", ")), value.map { .number($0) } ?? .missing,
                     change, .text(r.parentRun.map { "#\($0)" } ?? "")])
    }
    var table = Table(title: "evaluations of \(model)@\(v.version)\(aliasNote)",
                      headers: ["run", "dataset", metric.name, "Δ loss vs recorded", "part of"], rows: rows)
    table.footer = ["\(metric.name): " + Sparkline.render(series)]
    session.show(table)
    return .runs(runs.map { Int($0.id) })
}
