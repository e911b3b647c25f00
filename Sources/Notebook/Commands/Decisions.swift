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
    synopsis: "drift REF NEW [columns [A, B, …]]",
    operands: [OperandSpec("REF", .name(.dataset), help: "the reference (old) dataset"),
               OperandSpec("NEW", .name(.dataset), help: "the new dataset")],
    options: [OptionSpec("columns", .list(.name(.column)), help: "only these columns (default: every common column)")],
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
    """,
    examples: ["drift old new", "drift train test columns [age, bmi]", "drift h2019 h2023"],
    handler: { inv, session in try runDrift(inv, session) })

func runDrift(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    guard let refArg = inv.operand(0), let newArg = inv.operand(1),
          let refName = refArg.string, let newName = newArg.string else {
        throw inv.error("drift needs two datasets: drift REF NEW")
    }
    let ref = try session.dataset(refName, at: refArg.span)
    let new = try session.dataset(newName, at: newArg.span)
    var report = Drift.report(reference: ref, new: new)
    // Time columns drift by definition: they are left out (and said so).
    let timeColumns = Set([ref.time, new.time].compactMap { $0 })
    report.columns.removeAll { timeColumns.contains($0.name) && inv.names("columns")?.contains($0.name) != true }
    if let wanted = inv.names("columns") {
        for (i, c) in wanted.enumerated() where ref.column(named: c) == nil && new.column(named: c) == nil {
            let span = inv.options["columns"]?.list[i].span ?? inv.span("columns")
            var notes: [String] = []
            if let s = Suggest.closest(c, among: ref.columnNames) { notes.append("did you mean '\(s)'?") }
            throw Diagnostic("no column '\(c)' in '\(refName)' or '\(newName)'", at: span, notes: notes)
        }
        report.columns = report.columns.filter { wanted.contains($0.name) }
    }
    let floor = report.noiseFloor
    let target = ref.target ?? new.target
    let refSummary = ref.summary(fingerprint: false), newSummary = new.summary(fingerprint: false)
    let ranked = report.columns.sorted { a, b in
        let pa = a.psi ?? -1, pb = b.psi ?? -1
        if pa != pb { return pa > pb }
        return (a.ksD ?? -1) > (b.ksD ?? -1)
    }
    var rows: [[Cell]] = []
    for c in ranked {
        let rs = refSummary.column(named: c.name), ns = newSummary.column(named: c.name)
        var shift: Cell = .missing, ratio: Cell = .missing
        if let rm = c.referenceMean, let nm = c.newMean, let sd = rs?.std, sd > 0 {
            shift = .number((nm - rm) / sd)
            if let nsd = ns?.std { ratio = .number(nsd / sd) }
        }
        var note: [String] = []
        if !c.appeared.isEmpty { note.append("+" + c.appeared.prefix(5).joined(separator: ", +")) }
        if !c.vanished.isEmpty { note.append("−" + c.vanished.prefix(5).joined(separator: ", −")) }
        let missing = c.newMissingRate != c.referenceMissingRate
            ? String(format: "%.1f→%.1f %%", c.referenceMissingRate * 100, c.newMissingRate * 100) : ""
        rows.append([.text(c.name == target ? "\(c.name) (target)" : c.name), .text(c.type.rawValue),
                     c.psi.map { .number($0) } ?? .missing, c.ksD.map { .number($0) } ?? .missing,
                     c.ksPValue.map { .number($0) } ?? .missing, shift, ratio, .text(missing),
                     .text(Advice.level(psi: c.psi, noiseFloor: floor).rawValue), .text(note.joined(separator: " "))])
    }
    var footer: [String] = []
    if let f = floor { footer.append("no-drift PSI level 9·(1/\(report.referenceRows) + 1/\(report.newRows)) = \(NumberText.short(f))") }
    if !timeColumns.isEmpty && inv.names("columns") == nil {
        footer.append("time column\(timeColumns.count > 1 ? "s" : "") \(timeColumns.sorted().joined(separator: ", ")) left out")
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
    var schema: [String] = []
    if !report.addedColumns.isEmpty { schema.append("new columns: " + report.addedColumns.joined(separator: ", ")) }
    if !report.removedColumns.isEmpty { schema.append("missing columns: " + report.removedColumns.joined(separator: ", ")) }
    if !report.typeChanges.isEmpty { schema.append("type changes: " + report.typeChanges.joined(separator: "; ")) }
    let features = report.columns.filter { $0.name != target }
    let worst = features.max { ($0.psi ?? -1) < ($1.psi ?? -1) }
    let level = worst.map { Advice.level(psi: $0.psi, noiseFloor: floor) } ?? .none
    var line = "drift: \(level.rawValue)"
    if let w = worst, let p = w.psi { line += " (max feature PSI \(NumberText.short(p)) on \(w.name)" + (floor.map { "; no-drift level \(NumberText.short($0))" } ?? "") + ")" }
    if let t = target, let tc = report.columns.first(where: { $0.name == t }), let p = tc.psi {
        line += "; target \(t) PSI \(NumberText.short(p)) (\(Advice.level(psi: p, noiseFloor: floor).rawValue))"
    }
    line += schema.isEmpty ? "; schema unchanged" : "; schema: " + schema.joined(separator: "; ")
    session.print(line)

    var metrics: [String: Double] = [:]
    for c in report.columns {
        if let p = c.psi { metrics["psi.\(c.name)"] = p }
        if let d = c.ksD { metrics["ks.\(c.name)"] = d }
    }
    if let w = worst, let p = w.psi { metrics["max_psi"] = p }
    if let f = floor { metrics["psi_noise_level"] = f }
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "drift",
                                   datasets: [("ref", refName), ("new", newName)],
                                   params: ["columns": inv.names("columns")?.joined(separator: ", ") ?? "*"])
    session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "verdict", value: level.rawValue) }
    if let w = worst { session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "max_psi_column", value: w.name) } }
    try recorder.finish(.finished, metrics: metrics)
    return .run(Int(recorder.id))
}

// MARK: - advise

let adviseCommand = CommandSpec(
    name: "advise", group: .decisions,
    summary: "Recommend keep, fine-tune or retrain for a model version on new data, with the evidence",
    synopsis: "advise MODEL[@V] on NEW [from OLD] [budget SECONDS]",
    operands: [OperandSpec("MODEL", .version, help: "the deployed version (default @latest)")],
    options: [OptionSpec("on", .name(.dataset), required: true, help: "the new data (with the target)"),
              OptionSpec("from", .name(.dataset), help: "the old training data (default: the version's training dataset, when it is loaded unchanged)"),
              OptionSpec("budget", .number, help: "seconds of compute for fitting the candidates")],
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
    fallback). Drift alone never decides. Every rule and threshold: docs/ADVICE.md. Logged as a
    run of kind `advise` (tag verdict).
    """,
    examples: ["advise price on new", "advise price@production on batch7 from h2019 budget 30"],
    handler: { inv, session in try runAdvise(inv, session) })

func runAdvise(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    let v = try session.decisionVersion(inv)
    guard let newName = inv.string("on") else { throw inv.error("advise needs 'on NEW'") }
    let new = try session.dataset(newName, at: inv.span("on"))
    let metric = PrimaryMetric(classification: v.trained.task == .classification)
    let pre = v.trained.preprocessor
    let featureNames = pre.features.map(\.name)
    let target = pre.target ?? v.trained.spec.target
    var m = Advice.Measurements(metricName: metric.lossName, isClassification: metric.classification)
    m.newRows = new.rowCount
    let summary = session.trainingSummary(v.stored)
    m.trainRows = session.fittedRows(v.stored) ?? 0

    // Schema.
    for f in pre.features {
        guard let c = new.column(named: f.name) else { m.missingFeatures.append(f.name); continue }
        if f.type.isNumeric != c.type.isNumeric { m.missingFeatures.append("\(f.name) (\(f.type.rawValue) → \(c.type.rawValue))") }
    }
    if pre.allColumns {
        m.newFeatures = new.columnNames.filter { !featureNames.contains($0) && $0 != target && $0 != new.time }
    }
    // Drift against the stored summary, over the model's features.
    var driftLine = "no training summary stored with this version"
    if let summary {
        let report = Drift.report(reference: summary, new: new)
        m.noiseFloor = report.noiseFloor
        let feats = report.columns.filter { featureNames.contains($0.name) }
        if let w = feats.max(by: { ($0.psi ?? -1) < ($1.psi ?? -1) }), let p = w.psi {
            m.maxPSI = p
            m.maxPSIColumn = w.name
            let major = feats.filter { Advice.level(psi: $0.psi, noiseFloor: report.noiseFloor) == .major }.count
            driftLine = "max PSI \(NumberText.short(p)) on \(w.name); \(major) of \(feats.count) features major"
        }
    }
    // Performance, baseline and noise.
    var perfLine = "not measurable (schema change)"
    var baselineLine = "—"
    var scores: RowScores?
    if m.missingFeatures.isEmpty {
        let s = try DecisionMath.rowScores(v.trained, on: new, span: inv.span("on"))
        scores = s
        m.measured = s.loss
        let samples = DecisionMath.resamples(n: s.losses.count, count: Advice.resamples, seed: UInt64(session.settings.seed))
        let ci = DecisionMath.interval(s, samples: samples)
        m.measuredNoise = (ci.high - ci.low) / 2
        let recorded = session.recordedLoss(v.stored, metric: metric)
        m.recorded = recorded?.loss
        let ns = DecisionMath.noSignal(s)
        m.noSignal = ns.flag
        perfLine = "\(metric.name) \(NumberText.short(s.value)) on NEW (95 % ±\(NumberText.short(m.measuredNoise)))"
        if let r = recorded {
            perfLine += " vs \(NumberText.short(metric.display(loss: r.loss))) recorded (\(r.key))"
            if let d = m.degradation { perfLine += ": \(metric.lossName) \(NumberText.percent(d))" }
        }
        baselineLine = metric.classification
            ? "accuracy \(NumberText.short(s.value)) vs \(NumberText.short(ns.baseline)) for the majority class"
            : "rmse \(NumberText.short(s.value)) vs \(NumberText.short(ns.baseline)) predicting the mean"
    }
    // Cost from the producing run.
    let run = session.producingRun(v.stored)
    var costLine = "no recorded cost"
    if let c = run?.cost, m.trainRows > 0 {
        let scale = Double(m.newRows) / Double(m.trainRows)
        let retrain = c.wallSeconds * max(scale, 1e-9)
        let closed = v.trained.spec.isClosedForm(options: trainOptions(fromParams: run?.row.params ?? [:], seed: nil))
        let fine = closed ? retrain : retrain * Advice.fineTuneCostFraction
        m.retrainSeconds = retrain
        m.fineTuneSeconds = fine
        costLine = "retrain on NEW ≈ \(formatSeconds(retrain)) (\(formatFLOPs(c.flops * scale)) FLOPs), on old + new ≈ \(formatSeconds(c.wallSeconds * (1 + scale))), fine-tune ≈ \(formatSeconds(fine))"
    }
    m.budget = inv.double("budget")
    if let b = m.budget, !(b > 0) { throw inv.error("budget must be a number of seconds > 0", at: "budget") }

    let decision = Advice.decide(m)
    let schemaLine = m.missingFeatures.isEmpty && m.newFeatures.isEmpty ? "unchanged"
        : (m.missingFeatures.map { "missing \($0)" } + m.newFeatures.map { "new \($0)" }).joined(separator: ", ")
    let sizeLine = "\(m.newRows) rows = \(NumberText.short(m.sizeRatio))× the \(m.trainRows) training rows"
    let rows: [[Cell]] = [
        ["drift", .text(driftLine), .text("moderate ≥ \(Advice.moderatePSI), major ≥ \(Advice.majorPSI), above no-drift level \(m.noiseFloor.map(NumberText.short) ?? "—")"), .text(m.driftLevel.rawValue)],
        ["performance", .text(perfLine), .text("degraded when \(metric.lossName) +\(NumberText.percent(Advice.degradation).dropFirst()) beyond noise; large ≥ \(NumberText.percent(Advice.largeDegradation))"), .text(m.degradation == nil ? "—" : (m.degraded ? "degraded" : "ok"))],
        ["schema", .text(schemaLine), "any change forces a retrain", .text(m.missingFeatures.isEmpty && m.newFeatures.isEmpty ? "ok" : "changed")],
        ["size", .text(sizeLine), .text("limited < \(Advice.limitedFraction)×, stands alone ≥ \(Advice.standAloneFraction)×"), .text(m.sizeRatio < Advice.limitedFraction ? "limited" : (m.sizeRatio >= Advice.standAloneFraction ? "large" : "partial"))],
        ["baseline", .text(baselineLine), "no signal when no better than trivial", .text(m.noSignal ? "no signal" : "ok")],
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
                                          parentRun: recorder.id).run()
        if let e = evidence, !e.insufficient {
            arm = e.verdict == .noSignal ? "no_signal" : (e.verdict.action?.arm ?? "keep")
            if let p = e.pick, let l = e.candidates[p].loss { metrics["estimated_" + metric.name] = metric.display(loss: l) }
        } else {
            arm = decision.verdict.arm
            let verdictText = decision.verdict == .keep ? "keep (and monitor)" : decision.verdict.rawValue
            session.print("verdict (heuristic fallback: no candidate could be fitted\(m.budget != nil ? " in the budget" : "")): \(verdictText) — confidence \(String(format: "%.2f", decision.confidence))")
            for r in decision.reasons { session.print("  because \(r)") }
            metrics["confidence"] = decision.confidence
            session.print("next: " + AdviseEvidence.next(decision.verdict.outcome, model: v.model, version: v.version,
                                                           newName: newName, oldName: nil, session: session))
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
    synopsis: "duel MODEL[@V] on NEW [holdout F] [old OLD_TEST] [from OLD_TRAIN] [seed S] [epochs N] [lr X] [anchor λ] [shuffle] [promote]",
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
              OptionSpec("promote", .flag, help: "point the production alias at the winner")],
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
    """,
    examples: ["duel price on new", "duel price@2 on new holdout 0.2 old test seed 3 promote",
               "duel sensors on batch epochs 10 lr 0.0005"],
    handler: { inv, session in try runDuel(inv, session) })

struct ArmResult {
    var arm: String
    var version: Int
    var runID: Int64
    var holdout: RowScores
    var old: RowScores?
    var cost: RunCost
}

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
    var arms: [ArmResult] = []
    do {
        // keep
        let keepRun = try RunRecorder(session: session, invocation: inv, kind: "evaluate", model: v.model,
                                      parentVersion: v.version, parentRun: duel.id, datasets: [("test", holdName)])
        session.recording("a run tag") { try keepRun.store.tag(keepRun.id, key: "arm", value: "keep") }
        do {
            let keepScores = try DecisionMath.rowScores(v.trained, on: parts.1, span: inv.span("on"))
            let keepOld = try oldTest.map { try DecisionMath.rowScores(v.trained, on: $0, span: inv.span("old")) }
            var keepMetrics = keepScores.metrics
            if let o = keepOld { for (k, x) in o.metrics { keepMetrics["old_" + k] = x } }
            try keepRun.finish(.finished, metrics: keepMetrics, cost: RunCost(wallSeconds: 0, examples: 0, flops: 0))
            arms.append(ArmResult(arm: "keep", version: v.version, runID: keepRun.id, holdout: keepScores, old: keepOld,
                                  cost: RunCost(wallSeconds: 0, examples: 0, flops: 0)))
        } catch let d as Diagnostic {
            session.recording("the end of the run") { try keepRun.finish(.failed, error: d.message) }
            notes.append("keep cannot run: \(d.message)")
        }

        let base = trainOptions(fromParams: parentParams, seed: seed)
        let closed = spec.isClosedForm(options: base)
        func arm(_ name: String, kind: String, data: String, options: TrainOptions, parent: Bool) throws {
            var req = TrainRequest(kind: kind, model: v.model, spec: spec, data: data, options: options)
            if parent { req.parent = (v.version, v.trained) } else { req.replaces = v.version }
            req.parentRun = duel.id
            req.tags = ["arm": name]
            do {
                let out = try session.train(req, invocation: inv, span: inv.node.span)
                let h = try DecisionMath.rowScores(out.result.model, on: parts.1, span: inv.span("on"))
                let o = try oldTest.map { try DecisionMath.rowScores(out.result.model, on: $0, span: inv.span("old")) }
                var extra: [String: Double] = [:]
                for (k, x) in h.metrics { extra["holdout_" + k] = x }
                for (k, x) in o?.metrics ?? [:] { extra["old_" + k] = x }
                session.recording("the holdout metrics of run #\(out.runID)") {
                    try session.store().setFinalMetrics(out.runID, extra)
                }
                let c = out.result.cost
                arms.append(ArmResult(arm: name, version: out.version, runID: out.runID, holdout: h, old: o,
                                      cost: RunCost(wallSeconds: c.wallSeconds, examples: c.examplesProcessed, flops: c.estimatedFLOPs)))
            } catch let d as Diagnostic where d.kind != .interrupted {
                notes.append("\(name) refused: \(d.message)")
            }
        }
        // fine-tune
        // The shared fine-tune rule (Decisions.FineTuneRule), with the options given here on top.
        let parentRows = session.trainingSummary(v.stored)?.rows ?? parts.0.rowCount
        var ft = FineTuneRule.options(spec: spec, base: base, parentRows: parentRows)
        if closed {
            if inv.has("epochs") || inv.has("lr") {
                notes.append("epochs/lr ignored: \(spec.family.rawValue) is fitted in closed form; its fine-tune is the anchored exact fit")
            }
        } else {
            if let e = inv.int("epochs") { ft.epochs = e }
            if let l = inv.double("lr") { ft.lr = l }
        }
        if let a = inv.double("anchor") { ft.anchor = a }
        try arm("finetune", kind: "finetune", data: fitName, options: ft, parent: true)
        try arm("retrain_new", kind: "retrain", data: fitName, options: base, parent: false)
        if let allName { try arm("retrain_all", kind: "retrain", data: allName, options: base, parent: false) }
    } catch {
        let interrupted = (error as? Diagnostic)?.kind == .interrupted
        session.recording("the end of the run") { try duel.finish(interrupted ? .interrupted : .failed, error: "\(error)") }
        throw error
    }
    guard let first = arms.first else {
        session.recording("the end of the run") { try duel.finish(.failed, error: "no arm could run") }
        throw Diagnostic("no arm of the duel could run", at: inv.node.span, notes: notes)
    }

    // Scores, intervals, winner.
    let samples = DecisionMath.resamples(n: first.holdout.losses.count, count: Advice.resamples, seed: seed)
    let metric = first.holdout.metric
    var rows: [[Cell]] = []
    for a in arms {
        let ci = DecisionMath.interval(a.holdout, samples: samples)
        let lo = metric.display(loss: metric.classification ? ci.high : ci.low)
        let hi = metric.display(loss: metric.classification ? ci.low : ci.high)
        rows.append([.text(a.arm), .text("\(v.model)@\(a.version)"), .text("#\(a.runID)"), .number(a.holdout.value),
                     .text("[\(NumberText.short(lo)), \(NumberText.short(hi))]"),
                     a.old.map { .number($0.value) } ?? .missing,
                     .text(a.arm == "keep" ? "—" : formatSeconds(a.cost.wallSeconds)), .int(a.cost.examples),
                     .text(formatFLOPs(a.cost.flops))])
    }
    let byArm = Dictionary(uniqueKeysWithValues: arms.map { ($0.arm, $0) })
    let scores = arms.map { Advice.ArmScore(arm: $0.arm, loss: $0.holdout.loss, oldLoss: $0.old?.loss, cost: $0.cost.flops) }
    let result = Advice.winner(scores) { a, b in
        guard let x = byArm[a], let y = byArm[b] else { return false }
        return DecisionMath.tied(x.holdout, y.holdout, samples: samples)
    }
    var table = Table(title: "duel \(v.model)@\(v.version) on \(newName)",
                      columns: [Table.Column("arm"), Table.Column("version"), Table.Column("run"),
                                Table.Column("\(metric.name) (holdout)", alignment: .right),
                                Table.Column("95 % interval", alignment: .right),
                                Table.Column("\(metric.name) (old)", alignment: .right),
                                Table.Column("wall", alignment: .right), Table.Column("examples", alignment: .right),
                                Table.Column("flops", alignment: .right)],
                      rows: rows)
    table.footer = notes
    if oldTest == nil {
        // Without `old OLD_TEST` there is nothing to show in the old-data column.
        table.columns.remove(at: 5)
        table.rows = table.rows.map { r in var r = r; r.remove(at: 5); return r }
    }
    session.show(table)
    var metrics: [String: Double] = [:]
    for a in arms {
        metrics["\(a.arm).\(metric.name)"] = a.holdout.value
        if let o = a.old { metrics["\(a.arm).old_\(metric.name)"] = o.value }
    }
    guard let r = result, let w = byArm[r.winner] else {
        try duel.finish(.finished, metrics: metrics)
        session.print("no winner: no arm could be scored")
        return .run(Int(duel.id))
    }
    session.recording("a run tag") { try duel.store.tag(duel.id, key: "winner", value: w.arm) }
    try duel.finish(.finished, metrics: metrics)
    var why = "best \(metric.name) on the holdout"
    if w.arm != arms.min(by: { $0.holdout.loss < $1.holdout.loss })?.arm || !r.tiedWith.isEmpty {
        why = "tied within the holdout noise with \(r.tiedWith.isEmpty ? "the best" : r.tiedWith.joined(separator: ", ")) and cheaper"
    }
    if !r.excluded.isEmpty { why += "; out for forgetting > \(NumberText.percent(Advice.forgettingTolerance)): \(r.excluded.joined(separator: ", "))" }
    session.print("winner: \(w.arm) (\(v.model)@\(w.version)) — \(why)")
    if w.arm != "keep", let dearest = arms.max(by: { $0.cost.flops < $1.cost.flops }), dearest.arm != w.arm,
       dearest.cost.flops > 0 {
        session.print("cost: \(w.arm) used \(String(format: "%.1f", 100 * w.cost.flops / dearest.cost.flops)) % of the FLOPs of \(dearest.arm)")
    }
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

/// Default alert: relative degradation of the loss-like metric.
let monitorDefaultDegradation = 0.20

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
    // The alert.
    var alertKey = metric.name
    var alertText: String
    var past: (Double) -> Bool
    if let e = inv.expr("alert") {
        guard case .binary(let op, let l, let r) = e.kind, let key = l.identifier,
              let x = numberOf(r), [.greater, .greaterEqual, .less, .lessEqual].contains(op) else {
            throw inv.error("alert expects METRIC > X or METRIC < X, e.g. alert rmse > 60", at: "alert")
        }
        alertKey = key
        alertText = "\(key) \(op.rawValue) \(Invocation.formatNumber(x))"
        switch op {
        case .greater: past = { $0 > x }
        case .greaterEqual: past = { $0 >= x }
        case .less: past = { $0 < x }
        default: past = { $0 <= x }
        }
    } else if let r = recorded {
        let limit = r.loss * (1 + monitorDefaultDegradation)
        alertText = "\(metric.lossName) > \(NumberText.short(limit)) (+\(Int(monitorDefaultDegradation * 100)) % vs \(r.key))"
        alertKey = metric.name
        past = metric.classification ? { 1 - $0 > max(limit, r.loss + Advice.errorFloor * monitorDefaultDegradation) } : { $0 > limit }
    } else {
        alertText = "none (no recorded metric; give alert METRIC > X)"
        past = { _ in false }
    }
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
            let flagged = past(value)
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
