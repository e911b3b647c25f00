import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

// `by COLUMN [bins N]` on drift, evaluate, advise and duel, and `where …` on the training
// verbs: thin adapters over Decisions' segment engine (Segments.swift) — options in, tables and
// runs out.

/// The options every segmented command takes.
let segmentOptions: [OptionSpec] = [
    OptionSpec("by", .name(.column), help: "one row per segment of this column (categorical, or numeric with at most \(SegmentRules.maxDistinctValues) values; else give bins)"),
    OptionSpec("bins", .integer, help: "with by on a numeric column: N quantile bins of the reference data"),
]

extension Invocation {
    /// The segmentation `by COLUMN [bins N]` asks for, built on `reference`; nil without `by`.
    func segmentation(reference: Dataset, others: [Dataset] = []) throws -> Segmentation? {
        guard let column = string("by") else {
            if has("bins") { throw error("bins needs by COLUMN: by COLUMN bins N", at: "bins") }
            return nil
        }
        let all = [reference] + others
        guard all.contains(where: { $0.column(named: column) != nil }) else {
            throw DataErrors.unknownColumn(column, among: reference.columnNames, at: span("by"))
        }
        do {
            return try Segmentation.make(column: column, bins: int("bins"), reference: reference, others: others)
        } catch let e as DecisionError {
            throw Diagnostic(e.message, at: span(has("bins") ? "bins" : "by"))
        }
    }
}

/// `too few rows: n=12` in a table cell.
func tooFewCell(_ n: Int) -> Cell { .text("too few rows: n=\(n)") }

// MARK: - drift … by

func runDriftBy(_ inv: Invocation, _ session: Session, seg: Segmentation, ref: Dataset, refName: String,
                new: Dataset, newName: String, columns wanted: [String]?) throws -> ResultValue? {
    let d: SegmentDrift
    do {
        d = try SegmentDrift.assess(reference: ref, new: new, segmentation: seg, columns: wanted)
    } catch let e as DecisionError {
        throw Diagnostic(e.message, at: inv.span("by"))
    }
    func cells(_ label: String, _ refRows: Int, _ newRows: Int, _ a: DriftAssessment?, note: String) -> [Cell] {
        [.text(label), .int(refRows), .int(newRows), a?.worst?.psi.map { .number($0) } ?? .missing,
         .text(a?.worst?.name ?? ""), .text(a.map { $0.level.rawValue } ?? ""), .text(note)]
    }
    var rows: [[Cell]] = d.rows.map { r in
        cells(r.label, r.referenceRows, r.newRows, r.assessment, note: r.tooFew ? r.tooFewText : (r.flagged ? "◀ drifts" : ""))
    }
    rows.append(cells("(overall)", ref.rowCount, new.rowCount, d.overall, note: ""))
    var table = Table(title: "drift \(refName) → \(newName) \(seg.text)",
                      columns: [Table.Column(seg.column), Table.Column("ref rows", alignment: .right),
                                Table.Column("new rows", alignment: .right), Table.Column("max psi", alignment: .right),
                                Table.Column("on"), Table.Column("verdict"), Table.Column("note")],
                      rows: rows)
    table.footer = ["max psi: the largest feature PSI within the segment (\(seg.column) itself left out); a segment is judged with at least \(SegmentRules.minRows) rows on each side"]
    session.show(table)
    session.print(d.line)

    var params: [String: String] = ["columns": wanted?.joined(separator: ", ") ?? "*", "by": seg.text]
    if let e = seg.edges { params["bin_edges"] = e.map(Segmentation.valueLabel).joined(separator: ", ") }
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "drift",
                                   datasets: [("ref", refName), ("new", newName)], params: params)
    var metrics = d.overall.metrics
    for r in d.rows {
        if let p = r.assessment?.worst?.psi { metrics["max_psi.\(seg.column)=\(r.label)"] = p }
    }
    metrics["flagged_segments"] = Double(d.flagged.count)
    session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "verdict", value: d.overall.level.rawValue) }
    session.recording("a run tag") {
        try recorder.store.tag(recorder.id, key: "flagged_segments", value: d.flagged.isEmpty ? "none" : d.flagged.joined(separator: ","))
    }
    try recorder.finish(.finished, metrics: metrics)
    return .run(Int(recorder.id))
}

// MARK: - evaluate … by

/// The per-segment table of `evaluate … by` and the metrics it adds to the run
/// (`<metric>.<column>=<segment>`).
func evaluateBy(_ inv: Invocation, _ session: Session, seg: Segmentation, model: TrainedModel, data: Dataset,
                overall: [String: Double]) throws -> (Table, [String: Double]) {
    let scores: [SegmentScore]
    do {
        scores = try SegmentEvaluation.evaluate(model, on: data, segmentation: seg)
    } catch {
        throw Diagnostic("\(error)", at: inv.span("by"))
    }
    let keys = orderedMetricKeys(overall.keys, task: model.task)
    let metric = PrimaryMetric(classification: model.task == .classification)
    let overallLoss = overall[metric.name].map { metric.loss(metric: $0) }
    var extra: [String: Double] = [:]
    var rows: [[Cell]] = []
    for s in scores {
        guard let m = s.metrics else {
            rows.append([.text(s.label), .int(s.rows)] + keys.map { _ in Cell.missing } + [tooFewCell(s.rows)])
            continue
        }
        if let v = m[metric.name] { extra["\(metric.name).\(seg.column)=\(s.label)"] = v }
        var change = ""
        if let v = m[metric.name], let o = overallLoss, o > 0 { change = NumberText.percent((metric.loss(metric: v) - o) / o) }
        rows.append([.text(s.label), .int(s.rows)] + keys.map { k in m[k].map { .number($0) } ?? .missing } + [.text(change)])
    }
    rows.append([.text("(overall)"), .int(data.rowCount)] + keys.map { k in overall[k].map { .number($0) } ?? .missing } + [.text("")])
    var table = Table(title: "\(seg.text)",
                      columns: [Table.Column(seg.column), Table.Column("rows", alignment: .right)]
                        + keys.map { Table.Column($0, alignment: .right) } + [Table.Column("\(metric.lossName) vs overall")],
                      rows: rows)
    table.footer = ["rows: of \(data.name) in the segment (rows without the target are not scored); a segment is judged with at least \(SegmentRules.minRows) rows"]
    return (table, extra)
}

// MARK: - advise … by

func runAdviseBy(_ inv: Invocation, _ session: Session,
                 v: (model: String, version: Int, trained: TrainedModel, stored: ModelVersion, span: SourceSpan),
                 newName: String, new: Dataset) throws -> ResultValue? {
    let probe = AdviseEvidence(inv: inv, session: session, model: v.model, version: v.version, trained: v.trained,
                               stored: v.stored, newName: newName, new: new, parentRun: 0, chainHealth: nil)
    let (oldName, old, missing) = try probe.oldData()
    guard let seg = try inv.segmentation(reference: new, others: old.map { [$0] } ?? []) else { return nil }
    let run = session.producingRun(v.stored)
    let seed = UInt64(truncatingIfNeeded: session.settings.seed)
    let input = SegmentAdviseInput(current: v.trained, currentRows: session.fittedRows(v.stored) ?? old?.rowCount ?? 0,
                                   base: trainOptions(fromParams: run?.row.params ?? [:], seed: seed),
                                   old: old, new: new, segmentation: seg, seed: seed)
    var datasets: [(role: String, name: String)] = [("new", newName)]
    if let o = oldName { datasets.append(("old", o)) }
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "advise", model: v.model,
                                   parentVersion: v.version, datasets: datasets,
                                   params: ["version": String(v.version), "by": seg.text])
    let a: SegmentAdvice
    do {
        a = try SegmentAdviseEngine.advise(input, shouldStop: session.shouldStop)
    } catch {
        let interrupted = error is AdviseEngine.InterruptedError
        session.recording("the end of the run") { try recorder.finish(interrupted ? .interrupted : .failed, error: "\(error)") }
        if interrupted { throw Diagnostic("advise interrupted while fitting its candidates", at: inv.node.span, kind: .interrupted) }
        throw Diagnostic("cannot advise by \(seg.column): \(error)", at: inv.span("by"))
    }
    let metric = PrimaryMetric(classification: v.trained.task == .classification)
    func shown(_ l: Double?) -> Cell { l.map { .number(metric.display(loss: $0)) } ?? .missing }
    let segRows: [[Cell]] = a.segments.map { s in
        [.text(s.label), .int(s.rows), .int(s.heldOut), .text(s.drift?.rawValue ?? (s.verdict == .tooFew ? "" : "—")),
         shown(s.keepLoss), shown(s.fineTuneLoss),
         .text(s.verdict == .tooFew ? "too few rows: n=\(s.rows) (base kept)" : s.verdict.rawValue)]
    }
    var segTable = Table(title: "advise \(v.model)@\(v.version) on \(newName) \(seg.text): segments",
                         columns: [Table.Column(seg.column), Table.Column("rows", alignment: .right),
                                   Table.Column("held out", alignment: .right), Table.Column("drift"),
                                   Table.Column("keep \(metric.name)", alignment: .right),
                                   Table.Column("fine-tune \(metric.name)", alignment: .right), Table.Column("verdict")],
                         rows: segRows)
    segTable.footer = ["fine-tune: the segment's fine-tune beats keeping the base on its held-out rows beyond noise (paired bootstrap); a segment is judged with at least \(SegmentRules.minRows) rows"
                       + (old == nil ? "; drift needs the old data (\(missing ?? "not loaded"))" : "")]
    session.show(segTable)
    var planRows: [[Cell]] = []
    for (i, p) in a.plans.enumerated() {
        guard let l = p.loss else {
            planRows.append([.text(p.kind.rawValue), .text(p.detail), .missing, .missing, .missing, .text("not run: \(p.skipped ?? "")")])
            continue
        }
        let interval = p.low.flatMap { lo in p.high.map { hi in
            let (x, y) = metric.classification ? (metric.display(loss: hi), metric.display(loss: lo)) : (lo, hi)
            return NumberText.short(x) + "–" + NumberText.short(y)
        } } ?? "—"
        let cost = p.kind == .keep ? "none" : "\(formatSeconds(p.cost.wallSeconds)), \(formatFLOPs(p.cost.estimatedFLOPs)) FLOPs"
        var reading = p.tied ? (i == a.best ? "best" : "within noise") : "worse"
        if i == a.pick { reading += " ◀" }
        planRows.append([.text(p.kind.rawValue), .text(p.detail), .number(metric.display(loss: l)), .text(interval), .text(cost), .text(reading)])
    }
    session.show(Table(title: "plans: \(a.protocolText)",
                       headers: ["plan", "what", "est. \(metric.name)", "95 % interval", "cost of the fits", "reading"], rows: planRows))
    var verdict = "verdict: "
    let picked = a.pickedPlan?.kind ?? .keep
    switch picked {
    case .segments: verdict += "fine-tune \(a.fineTune.joined(separator: ", ")) (\(a.fineTune.count) of \(a.segments.count) segments)"
    case .keep: verdict += "keep \(v.model)@\(v.version) everywhere"
    default: verdict += picked.rawValue
    }
    let left = a.segments.filter { $0.verdict != .fineTune }.map(\.label)
    if picked == .segments, !left.isEmpty { verdict += "; leave \(left.joined(separator: ", "))" }
    if picked != .retrainAll, picked != .retrainNew,
       let r = a.plans.filter({ ($0.kind == .retrainAll || $0.kind == .retrainNew) && $0.loss != nil })
        .min(by: { ($0.loss ?? .infinity) < ($1.loss ?? .infinity) }), let rl = r.loss, let pl = a.pickedPlan?.loss {
        verdict += "; a full retrain (\(r.kind.rawValue)) is \(r.tied ? "within noise" : "worse beyond noise"): \(metric.name) \(NumberText.short(metric.display(loss: rl))) vs \(NumberText.short(metric.display(loss: pl)))"
    }
    if picked != .segments, picked != .keep, let sp = a.plans.first(where: { $0.kind == .segments }), let sl = sp.loss,
       let pl = a.pickedPlan?.loss {
        verdict += "; fine-tuning \(a.fineTune.joined(separator: ", ")) alone is \(sp.tied ? "within noise" : "worse beyond noise"): \(metric.name) \(NumberText.short(metric.display(loss: sl))) vs \(NumberText.short(metric.display(loss: pl)))"
    }
    session.print(verdict)
    for r in a.reasons { session.print("  because \(r)") }
    let plan = CandidatePlan(spec: v.trained.spec, base: input.base, parentRows: input.currentRows)
    switch picked {
    case .segments:
        for s in a.segments where s.verdict == .fineTune {
            // The options the estimate was made with, so the fine-tune is the one validated.
            let options = s.fineTuneOptions.map { commandOptions($0) } ?? ""
            session.print("next: finetune \(v.model)@\(v.version) on \(newName) where \(whereText(seg, s.label))\(options)")
        }
    case .keep: session.print("next: monitor \(v.model)@\(v.version) on \(newName)")
    case .finetuneAll: session.print("next: " + AdviseEvidence.next(.finetune, model: v.model, version: v.version, newName: newName, oldName: oldName, plan: plan, session: session))
    case .retrainNew: session.print("next: " + AdviseEvidence.next(.retrainNew, model: v.model, version: v.version, newName: newName, oldName: oldName, plan: plan, session: session))
    case .retrainAll: session.print("next: " + AdviseEvidence.next(.retrainAll, model: v.model, version: v.version, newName: newName, oldName: oldName, plan: plan, session: session))
    }
    var metrics: [String: Double] = ["new_rows": Double(new.rowCount), "segments_to_finetune": Double(a.fineTune.count)]
    for p in a.plans { if let l = p.loss { metrics["estimated_\(metric.name).\(planArm(p.kind))"] = metric.display(loss: l) } }
    session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "verdict", value: planArm(picked)) }
    session.recording("a run tag") {
        try recorder.store.tag(recorder.id, key: "finetune_segments", value: a.fineTune.isEmpty ? "none" : a.fineTune.joined(separator: ","))
    }
    try recorder.finish(.finished, metrics: metrics)
    return .run(Int(recorder.id))
}

func planArm(_ k: SegmentPlan.Kind) -> String {
    switch k {
    case .keep: return "keep"
    case .segments: return "finetune_segments"
    case .finetuneAll: return "finetune"
    case .retrainNew: return "retrain_new"
    case .retrainAll: return "retrain_all"
    }
}

/// `island = "Biscoe"`, `season = 3`, `age > 30 and age <= 45` for a segment.
func whereText(_ seg: Segmentation, _ label: String) -> String {
    if label == Segmentation.missingLabel { return "missing(\(seg.column))" }
    if let edges = seg.edges, let i = seg.labels.firstIndex(of: label) {
        var parts: [String] = []
        if i > 0 { parts.append("\(seg.column) > \(Segmentation.valueLabel(edges[i - 1]))") }
        if i < edges.count { parts.append("\(seg.column) <= \(Segmentation.valueLabel(edges[i]))") }
        return parts.joined(separator: " and ")
    }
    if Double(label) != nil { return "\(seg.column) = \(label)" }
    return "\(seg.column) = \"\(label)\""
}

// MARK: - duel … by

/// The per-segment table of `duel … by`: each arm's holdout metric per segment and its winner.
func duelBy(_ inv: Invocation, _ session: Session, seg: Segmentation, model: String, keep: TrainedModel,
            arms: [DuelArmResult], holdout: Dataset, seed: UInt64) throws {
    var models: [TrainedModel] = []
    for a in arms {
        models.append(a.arm == "keep" ? keep : try session.loadVersion(model, ref: .number(a.version), at: inv.span("by")).model)
    }
    let rows: [SegmentDuelRow]
    do {
        rows = try SegmentDuel.compare(arms: models, holdout: holdout, segmentation: seg, seed: seed)
    } catch {
        throw Diagnostic("\(error)", at: inv.span("by"))
    }
    let metric = PrimaryMetric(classification: keep.task == .classification)
    let cells: [[Cell]] = rows.map { r in
        if r.tooFew { return [.text(r.label), .int(r.rows)] + arms.map { _ in Cell.missing } + [tooFewCell(r.rows)] }
        return [.text(r.label), .int(r.rows)] + r.losses.map { l in l.map { .number(metric.display(loss: $0)) } ?? .missing }
            + [.text(r.winner.map { arms[$0].arm } ?? "—")]
    }
    var table = Table(title: "duel \(seg.text): \(metric.name) on the holdout",
                      columns: [Table.Column(seg.column), Table.Column("rows", alignment: .right)]
                        + arms.map { Table.Column($0.arm, alignment: .right) } + [Table.Column("winner")],
                      rows: cells)
    table.footer = ["winner: the cheapest arm within noise of the segment's best (paired bootstrap); a segment is judged with at least \(SegmentRules.minRows) holdout rows"]
    session.show(table)
}

// MARK: - where … on training verbs

/// `where EXPR` on train, retrain and finetune: the rows of DATA the fit uses, with its text for
/// the run's params. An unknown column is an error at it with "did you mean"; no matching row is
/// an error at the filter.
func trainingRowFilter(_ inv: Invocation, _ session: Session, dataName: String) throws -> RowFilter? {
    guard let e = inv.expr("where") else { return nil }
    let data = try session.dataset(dataName, at: inv.span("on"))
    let predicate = try FilterTranslator(dataset: data).predicate(e)
    let text = sourceText(of: e, in: inv.node)
    let kept: Dataset
    do {
        kept = try data.filter(predicate, name: "\(dataName) where \(text)")
    } catch let err as TabularError {
        throw DataErrors.diagnostic(err, at: e.span)
    }
    guard kept.rowCount > 0 else {
        // `COLUMN = "value"` on a categorical column: the nearest value it has.
        var notes: [String] = []
        if case .binary(.equal, let l, let r) = e.kind, let name = l.identifier, case .string(let value) = r.kind,
           case .categorical(_, let levels)? = data.column(named: name)?.storage {
            if let near = Suggest.closest(value, among: levels) { notes.append("did you mean \"\(near)\"?") }
            notes.append("'\(name)' has: " + levels.prefix(10).joined(separator: ", "))
        }
        throw Diagnostic("no row of '\(dataName)' has \(text) (0 of \(data.rowCount) rows)", at: e.span, notes: notes)
    }
    return RowFilter(text: text, predicate: predicate)
}


// MARK: - segment

let segmentCommand = CommandSpec(
    name: "segment", group: .models,
    summary: "Store a segment model: a base version plus per-segment versions, routed by a column",
    synopsis: "segment MODEL@BASE by COLUMN use [VALUE: MODEL@V, …]",
    operands: [OperandSpec("MODEL@BASE", .version, help: "the base version: it predicts every row whose segment has no version of its own")],
    options: [OptionSpec("by", .name(.column), required: true, help: "the column whose value picks the version"),
              OptionSpec("use", .map, required: true, help: "each segment value and its version, e.g. [Biscoe: mass@5, Dream: @6]")],
    help: """
    Stores the model's next version as a routing: rows whose COLUMN has one of the values listed are predicted by \
    that value's version (typically a `finetune … where COLUMN = VALUE` of the base), every other row — an unseen \
    segment or a missing value — by the base. The new version's parent is the base; its run (kind segment) records \
    the routes as the params by, routes and base. It is evaluated, predicted, aliased, promoted and rolled back like \
    any version, and `evaluate` says how many rows each route took and how many fell back to the base. A segment \
    version cannot be fine-tuned or advised on (fine-tune the base or a segment's version, then segment again). \
    Routes are by the value as written: a category by name, a number quoted as an integer ("3" for season 3).
    """,
    examples: ["segment mass@1 by island use [Biscoe: mass@5]", "segment riders@2 by season use [\"3\": @4, \"4\": @5]"],
    handler: { inv, session in try defineSegmentModel(inv, session) })

func defineSegmentModel(_ inv: Invocation, _ session: Session) throws -> ResultValue? {
    guard let baseArg = inv.operand(0), let column = inv.string("by"), let use = inv.options["use"],
          case .map(let entries) = use.value else { return nil }
    let (model, ref) = try versionOperand(baseArg, command: "segment")
    let base = try session.loadVersion(model, ref: ref, at: baseArg.span)
    if base.model.routing != nil {
        throw Diagnostic("\(model)@\(base.version) is already a segment model: give its base @\(base.model.routing?.baseVersion ?? 0)",
                         at: baseArg.span)
    }
    let features: [String]
    switch base.model.spec.features {
    case .columns(let c): features = c
    case .allButTarget: features = []
    }
    if !features.isEmpty, !features.contains(column) {
        session.warn("'\(column)' is not a feature of \(model): rows are routed by it, the versions never read it")
    }
    guard !entries.isEmpty else { throw Diagnostic("use needs at least one VALUE: VERSION", at: use.span) }
    var routes: [SegmentRoute] = []
    for e in entries {
        let m: String, r: Language.VersionRef
        switch e.value.value {
        case .version(let name, let vr): m = name ?? model; r = vr
        default:
            throw Diagnostic("expected a version of \(model) for '\(e.key)', e.g. \(model)@2, got '\(Invocation.text(of: e.value))'", at: e.value.span)
        }
        guard m == model else {
            throw Diagnostic("\(m) is another model: a segment model routes to versions of \(model)", at: e.value.span)
        }
        if routes.contains(where: { $0.label == e.key }) { throw Diagnostic("segment '\(e.key)' is listed twice", at: e.keySpan) }
        let v = try session.loadVersion(model, ref: r, at: e.value.span)
        if v.model.routing != nil { throw Diagnostic("\(model)@\(v.version) is itself a segment model", at: e.value.span) }
        if v.model.spec != base.model.spec {
            throw Diagnostic("\(model)@\(v.version) has another definition than \(model)@\(base.version)", at: e.value.span,
                             notes: v.model.spec.differences(from: base.model.spec))
        }
        routes.append(SegmentRoute(label: e.key, version: v.version, model: v.model))
    }
    var routed = base.model
    routed.routing = SegmentRouting(column: column, baseVersion: base.version, routes: routes)
    let routesText = routes.map { "\($0.label)=@\($0.version)" }.joined(separator: ", ")
    let recorder = try RunRecorder(session: session, invocation: inv, kind: "segment", model: model, parentVersion: base.version,
                                   params: ["by": column, "routes": routesText, "base": "@\(base.version)"])
    let version: Int
    do {
        let weights = try routed.serialize()
        version = try recorder.store.addModelVersion(model: model, parentVersion: base.version, runID: recorder.id, weights: weights,
                                                     formatVersion: Int(TrainedModel.weightsFormatVersion),
                                                     summary: base.stored.summary)
    } catch {
        session.recording("the end of the run") { try recorder.finish(.failed, error: "\(error)") }
        throw Diagnostic("cannot store the segment model: \(error)", at: inv.node.span, kind: .io)
    }
    for r in routes {
        session.recording("a run tag") { try recorder.store.tag(recorder.id, key: "route.\(r.label)", value: "@\(r.version)") }
    }
    try recorder.finish(.finished, version: version)
    session.print("\(model)@\(version)  run #\(recorder.id)  segment model by \(column): " + routes.map { "\($0.label) → @\($0.version)" }.joined(separator: ", ")
                  + "; any other \(column) → @\(base.version)")
    return .version(model: model, version: version)
}

/// `routed: Biscoe → @5 60 rows; 60 rows fell back to @1` for a segment model on DATA.
func routingLine(_ model: TrainedModel, on data: Dataset) -> String? {
    guard let r = model.routing, let counts = model.routedRows(data) else { return nil }
    return "routed by \(r.column): " + counts.routes.map { "\($0.label) → @\($0.version) \($0.rows) rows" }.joined(separator: ", ")
        + "; \(counts.fellBack) row\(counts.fellBack == 1 ? "" : "s") fell back to the base @\(r.baseVersion)"
}
