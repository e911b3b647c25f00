import Decisions
import Foundation
import Language
import Learning
import Render
import Tabular
import Tracking

// `audit MODEL@V [to "F.md"|"F.html"]`: one document with the full provenance of one version,
// read from the store (and, for drift between generations, from the datasets loaded in the
// session). Everything in it comes from recorded values in a fixed order, so two audits of the
// same version differ only in their "generated" line.

/// The audit as blocks, rendered to Markdown or HTML.
struct AuditDocument {
    enum Block {
        case heading(String)
        case paragraph(String)
        case table(Table)
        case chart(title: String, series: [PlotSeries], xLabel: String)
    }

    var title: String
    var blocks: [Block] = []
    /// Generations in the lineage (root first), datasets named, the weights' SHA-256.
    var generations = 0
    var datasets = 0
    var checksum = ""

    mutating func heading(_ s: String) { blocks.append(.heading(s)) }
    mutating func paragraph(_ s: String) { blocks.append(.paragraph(s)) }
    mutating func table(_ t: Table) { blocks.append(.table(t)) }

    func markdown() -> String {
        var out = "# \(title)\n"
        for b in blocks {
            switch b {
            case .heading(let s): out += "\n## \(s)\n"
            case .paragraph(let s): out += "\n\(s)\n"
            case .table(let t): out += "\n" + TableRenderer.render(t, format: .markdown)
            case .chart: continue
            }
        }
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    func html() -> String {
        var report = HTMLReport(title: title)
        for b in blocks {
            switch b {
            case .heading(let s): report.addHeading(s)
            case .paragraph(let s): report.addParagraph(s)
            case .table(let t): report.addTable(t)
            case .chart(let title, let series, let xLabel):
                report.addSVG(SVG.lineChart(series: series, title: title, xLabel: xLabel, yLabel: title))
            }
        }
        return report.render()
    }
}

extension Experiments {
    /// `key=value` pairs of a run's parameters, sorted by key.
    static func paramText(_ params: [String: String]) -> String {
        params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// The time range of a training summary's time column, as dates, or nil.
    static func timeRange(_ s: DatasetSummary?) -> String? {
        guard let s, let name = s.time, let c = s.column(named: name), let lo = c.min, let hi = c.max else { return nil }
        func f(_ x: Double) -> String {
            switch c.type {
            case .datetime: return ISODate.formatDateTime(x)
            case .date: return ISODate.formatDate(x)
            default: return NumberFormat.significant(x)
            }
        }
        return "\(name) \(f(lo)) … \(f(hi))"
    }

    static func buildAudit(model: String, version: Int, session: Session, span: SourceSpan, now: Date) throws -> AuditDocument {
        let store = try session.store()
        let specText = (try? session.modelSpec(model, at: span)).map(describeSpec) ?? "(specification unreadable)"
        let stored = try wrap(span) { try store.loadVersion(model, .number(version)) }
        let chain = Array(try wrap(span) { try store.lineage(model, version: version) }.reversed())
        let runs = try wrap(span) { try runsByID(store, model: model) }
        var details: [Int: RunDetail] = [:]
        var summaries: [Int: DatasetSummary] = [:]
        for v in chain {
            if let r = v.run, let d = try? store.run(r) { details[v.version] = d }
            if let s = try? store.loadVersion(model, .number(v.version)), let summary = session.trainingSummary(s) {
                summaries[v.version] = summary
            }
        }
        var doc = AuditDocument(title: "Audit of \(model)@\(version)")
        doc.generations = chain.count
        doc.checksum = SHA256Stream.hex(stored.weights)
        doc.paragraph("generated \(iso(now)) by retune \(RetuneVersion.string); every other line is read from the store and is the same in every audit of \(model)@\(version).")
        doc.paragraph("model: \(model) = \(specText)")
        doc.paragraph("weights: SHA-256 \(doc.checksum) of the stored weights blob (model_versions.weights, \(stored.info.weightsBytes) bytes, format \(stored.info.formatVersion)); recompute it from the store to verify that the stored weights are the audited ones.")

        // Lineage, root first.
        doc.heading("Lineage (root first)")
        var lineage: [[Cell]] = []
        var data: [[Cell]] = []
        var seenData: Set<String> = []
        for (i, v) in chain.enumerated() {
            let d = details[v.version]
            let verb = d?.row.kind.rawValue ?? "(no run)"
            lineage.append([.int(i + 1), .text("\(model)@\(v.version)" + (v.deleted ? " (deleted)" : "")),
                            .text(verb), v.parentVersion.map { .text("@\($0)") } ?? .missing,
                            v.run.map { .text("#\($0)") } ?? .missing,
                            .text(iso(v.created)),
                            .text(d.map { "\($0.host), session \($0.session.map(String.init) ?? "—") cell \($0.cell.map(String.init) ?? "—")" } ?? "—"),
                            .text(d?.environment.retuneVersion ?? "—"), .text(d?.environment.kernel ?? "—")])
            for ds in d?.datasets ?? v.datasets {
                seenData.insert(ds.fingerprint)
                data.append([.text("\(model)@\(v.version)"), .text(ds.role), .text(ds.name), .text(ds.fingerprint), .int(ds.rows),
                             ds.role == "train" ? (timeRange(summaries[v.version]).map(Cell.text) ?? .missing) : .missing])
            }
        }
        doc.table(Table(headers: ["generation", "version", "verb", "parent", "run", "created", "who", "retune", "kernel"], rows: lineage))
        doc.datasets = seenData.count
        doc.heading("Data")
        doc.table(Table(headers: ["version", "role", "dataset", "fingerprint (SHA-256)", "rows", "time range"], rows: data))

        // Commands, parameters and options.
        doc.heading("Commands and parameters")
        doc.table(Table(headers: ["version", "command", "parameters (defaults included)"], rows: chain.map { v in
            let d = details[v.version]
            return [.text("\(model)@\(v.version)"), .text(d?.command ?? "—"), .text(d.map { paramText($0.row.params) } ?? "—")]
        }))
        let options = ["freeze", "anchor", "replay"]
        let withOptions = chain.filter { v in options.contains { details[v.version]?.row.params[$0] != nil } }
        if !withOptions.isEmpty {
            doc.table(Table(title: "fine-tune options", headers: ["version"] + options, rows: withOptions.map { v in
                [.text("\(model)@\(v.version)")] + options.map { k in details[v.version]?.row.params[k].map(Cell.text) ?? .missing }
            }))
        }

        // Metrics and cost per generation.
        doc.heading("Metrics and cost")
        let task = try? TrainedModel.deserialize(stored.weights).task
        let keys = orderedMetricKeys(Set(chain.flatMap { $0.metrics.keys }), task: task)
        doc.table(Table(columns: [Table.Column("version")] + keys.map { Table.Column($0, alignment: .right) }
                        + [Table.Column("wall", alignment: .right), Table.Column("examples", alignment: .right),
                           Table.Column("FLOPs", alignment: .right)],
                        rows: chain.map { v in
            let c = details[v.version]?.cost
            return [.text("\(model)@\(v.version)")] + keys.map { v.metrics[$0].map(Cell.number) ?? .missing }
                + [c.map { .text(secondsText($0.wallSeconds)) } ?? .missing, c.map { .int($0.examples) } ?? .missing,
                   c.map { .text(NumberFormat.compact($0.flops)) } ?? .missing]
        }))
        for k in keys.prefix(3) {
            let xs = chain.indices.map { Double($0 + 1) }
            doc.blocks.append(.chart(title: k, series: [PlotSeries(name: k, x: xs, y: chain.map { $0.metrics[k] ?? .nan })],
                                     xLabel: "generation"))
        }

        // Drift between generations: the parent's data (rows when loaded, else its stored
        // summary) against the child's training data when loaded.
        doc.heading("Data drift between generations")
        let features = (try? TrainedModel.deserialize(stored.weights))?.preprocessor.features.map(\.name) ?? []
        var drift: [[Cell]] = []
        for (a, b) in zip(chain, chain.dropFirst()) {
            let from = a.datasets.first { $0.role == "train" }, to = b.datasets.first { $0.role == "train" }
            let label = "@\(a.version) → @\(b.version)"
            let names = "\(from?.name ?? "—") → \(to?.name ?? "—")"
            guard let to, let newData = session.loadedDataset(named: to.name, fingerprint: to.fingerprint) else {
                drift.append([.text(label), .text(names), .missing, .missing, .missing, .missing,
                              .text("'\(to?.name ?? "?")' not loaded: not measured")])
                continue
            }
            let oldData = from.flatMap { session.loadedDataset(named: $0.name, fingerprint: $0.fingerprint) }
            let d = ChainHealthAssessment.drift(rootSummary: summaries[a.version], rootData: oldData, latest: newData, features: features)
            drift.append([.text(label), .text(names), d.psi.map(Cell.number) ?? .missing, .text(d.column ?? "—"),
                          d.ks.map(Cell.number) ?? .missing, d.floor.map(Cell.number) ?? .missing,
                          .text(oldData == nil ? "PSI against the stored summary of @\(a.version) (no KS)" : "")])
        }
        if drift.isEmpty {
            doc.paragraph("\(model)@\(version) is the root of its lineage: no earlier generation to compare with.")
        } else {
            doc.table(Table(headers: ["generations", "data", "max PSI", "column", "KS D", "noise level", "note"], rows: drift))
        }

        // Chain health.
        doc.heading("Chain health")
        let health = try session.chainHealth(model: model, version: version, runs: runs, at: span)
        doc.paragraph("\(model)@\(version): \(health.line)")
        if !health.reasons.isEmpty { doc.paragraph(health.reasons.map { "because \($0)" }.joined(separator: "\n")) }

        // Evaluations and decisions that concerned the lineage.
        doc.heading("Evaluations and decisions")
        let versionsInChain = Set(chain.map(\.version))
        let producing = Set(chain.compactMap(\.run))
        let concerned = runs.values.filter { r in
            guard !producing.contains(r.id), r.parentRun == nil, !r.deleted, r.version == nil else { return false }
            if r.kind == "backtest" { return true }
            return r.parentVersion.map(versionsInChain.contains) ?? false
        }.sorted { $0.id < $1.id }
        let evalRows: [[Cell]] = concerned.map { r in
            let metrics = keyMetrics([r], limit: 3).compactMap { k in r.metrics[k].map { "\(k) \(metricText($0))" } }
            let tags = ["verdict", "winner"].compactMap { k in r.tags[k].map { "\(k) \($0)" } }
            return [.text("#\(r.id)"), .text(r.kind.rawValue), r.parentVersion.map { .text("\(model)@\($0)") } ?? .missing,
                    .text(r.datasets.joined(separator: ", ")), .text((metrics + tags).joined(separator: ", ")),
                    .text(r.status.rawValue), .text(iso(r.started))]
        }
        if evalRows.isEmpty {
            doc.paragraph("no evaluate, monitor, advise, duel or backtest run concerned this lineage.")
        } else {
            doc.table(Table(headers: ["run", "kind", "version", "data", "results", "status", "started"], rows: evalRows))
        }

        // Aliases and their history.
        doc.heading("Aliases and rollbacks")
        doc.paragraph(stored.info.aliases.isEmpty ? "\(model)@\(version) has no alias now."
                      : "aliases now: " + stored.info.aliases.sorted().map { "\(model)@\($0)" }.joined(separator: ", "))
        let events = try wrap(span) { try store.aliasEvents(model) }.filter { $0.oldVersion == version || $0.newVersion == version }
        if !events.isEmpty {
            doc.table(Table(headers: ["event", "alias", "action", "from", "to", "time"], rows: events.map { e in
                [.int(Int(e.id)), .text(e.alias), .text(e.action.rawValue), e.oldVersion.map { .text("@\($0)") } ?? .missing,
                 e.newVersion.map { .text("@\($0)") } ?? .missing, .text(iso(e.time))]
            }))
        }
        return doc
    }
}

let auditCommand = CommandSpec(
    name: "audit", group: .models,
    summary: "The full provenance of one version: lineage, data fingerprints, parameters, metrics, drift, decisions, aliases, weights checksum",
    synopsis: "audit MODEL@V [to \"FILE.md\"|\"FILE.html\"] [overwrite]",
    operands: [OperandSpec("VERSION", .version, help: "the version to audit (bare name = latest)")],
    options: [OptionSpec("to", .path, help: "write the audit to a .md (Markdown) or .html file instead of printing it"),
              OptionSpec("overwrite", .flag, help: "replace an existing file")],
    help: """
    One document for one version, read from the store: every generation of its lineage back to the root (verb — \
    train, retrain, finetune —, run, parent, when, host and session, retune version and kernel), the data of \
    each (role, name, SHA-256 fingerprint, rows, time range of the time column), the command and every \
    parameter (freeze, anchor and replay of fine-tunes in their own table), metrics and cost, the drift \
    between consecutive generations' training data (when the data is loaded; PSI against the stored \
    summary otherwise needs the newer data), chain health, the evaluate, monitor, advise, duel and backtest \
    runs that concerned the lineage, the version's aliases and their changes, and the SHA-256 of the stored \
    weights blob so that a reader can check the stored weights are the audited ones. Markdown by default; a \
    .html file gets charts of the metrics across generations. Two audits of one version differ only in the \
    "generated" line.
    """,
    examples: ["audit price@5", "audit price@production to \"price-audit.md\"", "audit price@5 to \"audit.html\" overwrite"],
    handler: { inv, session in
        guard let arg = inv.operand(0) else { return nil }
        let (model, ref) = try versionOperand(arg, command: "audit")
        let loaded = try session.loadVersion(model, ref: ref, at: arg.span)
        var target: (raw: String, path: String, span: SourceSpan, html: Bool)?
        if let to = inv.options["to"], let raw = to.string {
            let ext = URL(fileURLWithPath: raw).pathExtension.lowercased()
            guard ["md", "markdown", "html", "htm"].contains(ext) else {
                throw Diagnostic("audit writes Markdown (.md) or HTML (.html), not '\(raw)'", at: to.span)
            }
            target = (raw, inv.resolvePath(raw), to.span, ext.hasPrefix("htm"))
        }
        let doc = try Experiments.buildAudit(model: model, version: loaded.version, session: session, span: arg.span, now: Date())
        if let t = target {
            try Experiments.write(t.html ? doc.html() : doc.markdown(), to: t.path, overwrite: inv.flag("overwrite"), span: t.span)
            session.print("wrote \(t.raw): audit of \(model)@\(loaded.version), \(doc.generations) generation\(doc.generations == 1 ? "" : "s"), \(doc.datasets) dataset\(doc.datasets == 1 ? "" : "s"), weights sha256 \(doc.checksum)")
        } else {
            session.print(doc.markdown())
        }
        return .version(model: model, version: loaded.version)
    })
