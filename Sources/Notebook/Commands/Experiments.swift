import Foundation
import Language
import Render
import Tracking

/// The experiment commands: queries over runs, one run in full, comparisons, annotations,
/// soft delete / restore / purge, rerun and read-only SQL.
func experimentCommands() -> [CommandSpec] {
    [runsCommand, compareCommand, tagCommand, noteCommand, deleteCommand, restoreCommand, purgeCommand,
     rerunCommand, historyCommand, lineageCommand, promoteCommand, rollbackCommand, aliasesCommand, sqlCommand,
     exportCommand, plotCommand, reportCommand]
}

let runsCommand = CommandSpec(
    name: "runs", group: .experiments,
    summary: "List runs, filtered, sorted and limited",
    synopsis: "runs [where EXPR] [order by KEY [asc|desc]] [limit N] [all]",
    options: Experiments.queryOptions,
    help: """
    Lists recorded runs (newest last): id, kind, model@version, status, data, key final metrics, \
    duration and start time. EXPR uses the shared expression grammar over run fields (kind, model, \
    version, status, dataset, started, duration, …), parameters (param.lr), final metrics (metric.rmse \
    or just rmse), tags (tag.KEY) and curve aggregates (min(valid_loss), max(…), first(…), last(…), \
    count(…), mean(…)). A bare name is a run field, then a metric, then a parameter; a name that is \
    several is an error listing the choices. A name compared with kind, model, status or dataset is \
    a name (model = price). Deleted runs are hidden unless `all` is given.
    """,
    examples: ["runs", "runs where kind = finetune and min(valid_loss) < 3 order by rmse limit 10",
               "runs where param.lr in [0.01, 0.001] order by metric.rmse desc", "runs where model = price all"],
    handler: { inv, session in
        let store = try session.store()
        let q = try Experiments.query(inv, store: store)
        var prefer: [String] = []
        if case .metric(let k)? = q.order.first?.operand { prefer = [k] }
        let rows = try Experiments.wrap(inv.node.span) { try store.runs(q, bound: session.queryBound) }
        session.show(Experiments.runTable(rows, prefer: prefer))
        return .runs(rows.map { Int($0.id) })
    })

// MARK: show #ID

enum RunDisplay {
    static func runID(_ arg: Argument) -> Int64? {
        if case .runID(let id) = arg.value { return Int64(id) }
        return nil
    }

    static func showTarget(_ what: Argument, _ inv: Invocation, _ session: Session) throws -> ShowTargets.Shown? {
        guard let id = runID(what) else { return nil }
        let store = try session.store()
        let d = try Experiments.wrap(what.span) { try store.run(id) }
        show(d, session: session)
        return ShowTargets.Shown(value: .run(Int(id)))
    }

    static func show(_ d: RunDetail, session: Session) {
        let r = d.row
        var rows: [[Cell]] = []
        func add(_ k: String, _ v: String) { rows.append([.text(k), .text(v)]) }
        add("run", "#\(r.id)" + (r.deleted ? " (deleted)" : ""))
        add("kind", r.kind.rawValue)
        add("status", r.status.rawValue)
        if let m = r.model { add("model", r.version.map { "\(m)@\($0)" } ?? m) }
        if let p = r.parentVersion, let m = r.model { add("parent version", "\(m)@\(p)") }
        if let p = r.parentRun { add("parent run", "#\(p)") }
        if !d.children.isEmpty { add("child runs", d.children.map { "#\($0)" }.joined(separator: ", ")) }
        if let s = r.seed { add("seed", String(s)) }
        add("command", d.command)
        if let c = d.cell { add("cell", String(c)) }
        add("started", Experiments.iso(r.started))
        if let dur = r.duration { add("duration", NumberFormat.duration(dur)) }
        if let e = d.error { add("error", e) }
        if !d.lineage.isEmpty {
            add("lineage", d.lineage.map { "\($0.model)@\($0.version)" }.joined(separator: " ← "))
        }
        session.show(Table(title: "run #\(r.id)", headers: ["field", "value"], rows: rows))

        if !d.datasets.isEmpty {
            session.show(Table(title: "data", columns: [Table.Column("role"), Table.Column("dataset"),
                                                          Table.Column("rows", alignment: .right), Table.Column("fingerprint")],
                               rows: d.datasets.map { [.text($0.role), .text($0.name), .int($0.rows), .text(String($0.fingerprint.prefix(12)))] }))
        }
        if !r.params.isEmpty {
            session.show(Table(title: "parameters", headers: ["param", "value"],
                               rows: r.params.sorted { $0.key < $1.key }.map { [.text($0.key), .text($0.value)] }))
        }
        if !r.metrics.isEmpty {
            session.show(Table(title: "final metrics", columns: [Table.Column("metric"), Table.Column("value", alignment: .right)],
                               rows: r.metrics.sorted { $0.key < $1.key }.map { [.text($0.key), .number($0.value)] }))
        }
        var cost: [[Cell]] = []
        if let c = d.cost {
            cost.append(["wall time", .text(NumberFormat.duration(c.wallSeconds))])
            cost.append(["examples", .int(c.examples)])
            cost.append(["FLOPs (est.)", c.flops.isFinite ? .text(NumberFormat.compact(c.flops)) : .missing])
        }
        if !cost.isEmpty { session.show(Table(title: "cost", headers: ["cost", "value"], rows: cost)) }
        let env = d.environment
        session.show(Table(title: "environment", headers: ["field", "value"], rows: [
            ["retune", .text(env.retuneVersion)], ["backend", .text(env.backend)], ["kernel", .text(env.kernel)],
            ["threads", .int(env.threads)], ["os", .text(env.os)], ["cpu", .text(env.cpu)], ["host", .text(d.host)],
        ]))
        if !r.tags.isEmpty {
            session.show(Table(title: "tags", headers: ["tag", "value"],
                               rows: r.tags.sorted { $0.key < $1.key }.map { [.text($0.key), .text($0.value)] }))
        }
        if let n = r.note { session.print("note: \(n)") }
        if !d.curves.isEmpty {
            var lines: [String] = ["curves:"]
            let width = max(10, min(60, session.width - 40))
            for (key, points) in d.curves.sorted(by: { $0.key < $1.key }) {
                let values = points.map(\.value)
                let finite = values.filter(\.isFinite)
                let range = finite.isEmpty ? "" : "  \(NumberFormat.significant(finite.first ?? .nan, digits: 4)) → \(NumberFormat.significant(finite.last ?? .nan, digits: 4))  (min \(NumberFormat.significant(finite.min() ?? .nan, digits: 4)))"
                lines.append("  \(key.padding(toLength: max(key.count, 12), withPad: " ", startingAt: 0)) \(Sparkline.render(values, width: width))\(range)")
            }
            session.print(lines.joined(separator: "\n"))
        }
    }
}

// MARK: compare

let compareCommand = CommandSpec(
    name: "compare", group: .experiments,
    summary: "Compare runs side by side: parameters, metrics and cost",
    synopsis: "compare #A, #B[, …] [all]",
    operands: [OperandSpec("RUNS", .list(.runID), help: "two or more run ids")],
    options: [OptionSpec("all", .flag, help: "show every row, not only those that differ")],
    help: "Parameters, final metrics and cost of two or more runs in columns, one row per key. Only the rows whose values differ are shown unless `all` is given.",
    examples: ["compare #3, #4", "compare #3, #4, #5 all", "compare _"],
    handler: { inv, session in
        guard let arg = inv.operand(0) else { return nil }
        let ids = arg.list.compactMap(RunDisplay.runID)
        guard ids.count >= 2 else {
            throw Diagnostic("compare needs at least two runs, e.g. compare #3, #4", at: arg.span)
        }
        let store = try session.store()
        var details: [RunDetail] = []
        for (i, id) in ids.enumerated() {
            let span = arg.list[i].span
            details.append(try Experiments.wrap(span) { try store.run(id) })
        }
        let table = Experiments.compareTable(details, all: inv.flag("all"))
        session.show(table)
        return .table(table)
    })

extension Experiments {
    static func compareTable(_ details: [RunDetail], all: Bool) -> Table {
        var rows: [[Cell]] = []
        var hidden = 0
        func add(_ section: String, _ key: String, _ values: [Cell], measured: Bool = false) {
            let distinct = Set(values.map { TableRenderer.displayText($0) })
            // A measured time is always shown: whether two rounded times coincide is chance,
            // and a table that hides them sometimes would not replay.
            if all || measured || distinct.count > 1 {
                rows.append([.text(section), .text(key)] + values)
            } else {
                hidden += 1
            }
        }
        add("run", "kind", details.map { .text($0.row.kind.rawValue) })
        add("run", "model", details.map { .text(versionText($0.row)) })
        add("run", "status", details.map { .text($0.row.status.rawValue) })
        add("run", "data", details.map { .text($0.row.datasets.joined(separator: ", ")) })
        add("run", "seed", details.map { $0.row.seed.map(Cell.int) ?? .missing })
        for k in Set(details.flatMap(\.row.params.keys)).sorted() {
            add("param", k, details.map { $0.row.params[k].map(Cell.text) ?? .missing })
        }
        for k in Set(details.flatMap(\.row.metrics.keys)).sorted() {
            add("metric", k, details.map { $0.row.metrics[k].map(Cell.number) ?? .missing })
        }
        add("cost", "wall time", details.map { d in d.cost.map { .text(NumberFormat.duration($0.wallSeconds)) } ?? .missing },
            measured: true)
        add("cost", "examples", details.map { d in d.cost.map { .int($0.examples) } ?? .missing })
        add("cost", "FLOPs", details.map { d in d.cost.map { Cell.number($0.flops) } ?? .missing })
        let columns = [Table.Column("section"), Table.Column("key")]
            + details.map { Table.Column("#\($0.row.id)", alignment: .right) }
        var footer: [String] = []
        if hidden > 0 { footer.append("\(hidden) identical row\(hidden == 1 ? "" : "s") hidden (add 'all' to show them)") }
        if rows.isEmpty { footer.insert("the runs agree on every parameter, metric and cost", at: 0) }
        return Table(columns: columns, rows: rows, footer: footer)
    }
}

// MARK: tag, note

let tagCommand = CommandSpec(
    name: "tag", group: .experiments,
    summary: "Tag a run with KEY VALUE",
    synopsis: "tag #ID KEY VALUE",
    operands: [OperandSpec("RUN", .runID), OperandSpec("KEY", .name(.any)), OperandSpec("VALUE", .any)],
    help: "Sets a tag on a run (replacing an earlier value of the same key). Tags show in `show #ID`, in exports, and can be queried as tag.KEY in `runs where`.",
    examples: ["tag #3 reviewed yes", "tag #3 owner \"ana\"", "runs where tag.reviewed = \"yes\""],
    handler: { inv, session in
        guard let run = inv.operand(0), let id = RunDisplay.runID(run), let key = inv.operand(1)?.string,
              let valueArg = inv.operand(2) else { return nil }
        let value = Invocation.text(of: valueArg)
        let store = try session.store()
        try Experiments.wrap(run.span) { try store.tag(id, key: key, value: value) }
        session.print("tagged #\(id) \(key) = \(value)")
        return .run(Int(id))
    })

let noteCommand = CommandSpec(
    name: "note", group: .experiments,
    summary: "Attach a note to a run",
    synopsis: "note #ID \"TEXT\"",
    operands: [OperandSpec("RUN", .runID), OperandSpec("TEXT", .string)],
    help: "Sets the free-text note of a run (an empty string clears it). The note shows in `show #ID` and in exports.",
    examples: ["note #3 \"baseline before the March drift\"", "note #3 \"\""],
    handler: { inv, session in
        guard let run = inv.operand(0), let id = RunDisplay.runID(run), let text = inv.operand(1)?.string else { return nil }
        let store = try session.store()
        try Experiments.wrap(run.span) { try store.setNote(id, text.isEmpty ? nil : text) }
        session.print(text.isEmpty ? "cleared the note of #\(id)" : "noted #\(id)")
        return .run(Int(id))
    })

// MARK: delete, restore, purge

enum DeleteTarget {
    case run(Int64)
    case version(String, Int)

    static func parse(_ arg: Argument, session: Session) throws -> DeleteTarget {
        switch arg.value {
        case .runID(let id): return .run(Int64(id))
        case .version(let m?, let ref):
            let store = try session.store()
            switch ref {
            case .number(let n): return .version(m, n)
            case .alias(let a):
                let v = try Experiments.wrap(arg.span) { try store.resolve(m, ref: a == "latest" ? .latest : .alias(a)) }
                return .version(m, v)
            }
        default:
            throw Diagnostic("expected a run id (#N) or a model version (MODEL@V), got \(Invocation.text(of: arg))", at: arg.span)
        }
    }
}

let deleteCommand = CommandSpec(
    name: "delete", group: .experiments,
    summary: "Hide a run or a model version (soft delete, undone by restore)",
    synopsis: "delete #ID | delete MODEL@V",
    operands: [OperandSpec("WHAT", .any, help: "a run id or a model version")],
    help: "Hides a run (#ID) or a model version (MODEL@V) from every query and listing. Nothing is removed: `restore` brings it back, and only `purge` removes deleted rows for good.",
    examples: ["delete #7", "delete price@3", "restore #7"],
    handler: { inv, session in
        guard let arg = inv.operand(0) else { return nil }
        let store = try session.store()
        switch try DeleteTarget.parse(arg, session: session) {
        case .run(let id):
            try Experiments.wrap(arg.span) { try store.deleteRun(id) }
            session.print("deleted run #\(id) (hidden until 'restore #\(id)'; 'purge' removes it for good)")
            return nil
        case .version(let m, let v):
            try Experiments.wrap(arg.span) { try store.deleteVersion(m, version: v) }
            session.print("deleted \(m)@\(v) (hidden until 'restore \(m)@\(v)'; 'purge' removes it for good)")
            return nil
        }
    })

let restoreCommand = CommandSpec(
    name: "restore", group: .experiments,
    summary: "Bring back a deleted run or model version",
    synopsis: "restore #ID | restore MODEL@V",
    operands: [OperandSpec("WHAT", .any, help: "a run id or a model version (a number)")],
    help: "Undoes `delete`: the run or version shows again in queries and listings, with its aliases.",
    examples: ["restore #7", "restore price@3"],
    handler: { inv, session in
        guard let arg = inv.operand(0) else { return nil }
        let store = try session.store()
        switch arg.value {
        case .version(let m?, .alias(let a)):
            throw Diagnostic("restore needs a version number (\(m)@N): '\(a)' does not resolve to a deleted version", at: arg.span)
        default: break
        }
        switch try DeleteTarget.parse(arg, session: session) {
        case .run(let id):
            try Experiments.wrap(arg.span) { try store.restoreRun(id) }
            session.print("restored run #\(id)")
            return .run(Int(id))
        case .version(let m, let v):
            try Experiments.wrap(arg.span) { try store.restoreVersion(m, version: v) }
            session.print("restored \(m)@\(v)")
            return .version(model: m, version: v)
        }
    })

let purgeCommand = CommandSpec(
    name: "purge", group: .store,
    summary: "Remove deleted runs and versions for good",
    synopsis: "purge [confirm]",
    options: [OptionSpec("confirm", .flag, help: "do it without asking (required in scripts)")],
    help: "Really removes every soft-deleted run (with its parameters, metrics, curves, tags) and model version. At the prompt it asks for confirmation (y/N); in a script it requires `purge confirm`.",
    examples: ["delete #7", "purge", "purge confirm"],
    handler: { inv, session in
        let store = try session.store()
        if !inv.flag("confirm") {
            guard session.isInteractive else {
                throw Diagnostic("purge removes deleted runs and versions for good; in a script write 'purge confirm'",
                                 at: inv.node.span)
            }
            session.output.write("Remove all deleted runs and versions for good? [y/N] ")
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                session.print("purge cancelled")
                return nil
            }
        }
        let counts = try Experiments.wrap(inv.node.span) { try store.purge() }
        session.print("purged \(counts.runs) run\(counts.runs == 1 ? "" : "s") and \(counts.versions) version\(counts.versions == 1 ? "" : "s")")
        return nil
    })

// MARK: sql

let sqlCommand: CommandSpec = { var spec = CommandSpec(
    name: "sql", group: .store,
    summary: "Run a read-only SQL query on the store",
    synopsis: "sql SELECT … | sql \"SELECT …\"",
    operands: [OperandSpec("QUERY", .string, help: "one SELECT (or WITH … SELECT) statement, raw to the end of the line or quoted")],
    help: "Runs one read-only statement against the store (tables documented in docs/STORE.md) and shows the result as a table. Writes, ATTACH and writing PRAGMAs are refused. As in the sqlite3 shell the statement may be typed raw: everything after `sql` to the end of the line is the statement (a `\\` at the end of a line joins the next one; one trailing `;` is dropped), so `;` and `#` inside it are SQL, not retune. The quoted form works too and may share a line with other commands.",
    examples: ["sql select kind, count(*) as n from runs group by kind",
               "sql \"SELECT kind, count(*) AS n FROM runs GROUP BY kind\"",
               "sql \"SELECT run_id, value FROM final_metrics WHERE key = 'rmse' ORDER BY value LIMIT 5\""],
    handler: { inv, session in
        guard let arg = inv.operand(0), let text = arg.string else { return nil }
        let store = try session.store()
        let result: SQLTable
        do {
            result = try store.readOnlySQL(text, bound: session.queryBound)
        } catch {
            if (error as? StoreError)?.isCancelledQuery == true { throw Diagnostic("\(error)", at: arg.span, kind: .interrupted) }
            throw Diagnostic("\(error)", at: arg.span, notes: Experiments.tableSuggestion("\(error)", store: store))
        }
        let table = Experiments.table(result)
        session.show(table)
        return .table(table)
    })
    spec.rawTail = true
    return spec
}()

extension Experiments {
    /// "did you mean 'runs'?" for SQLite's `no such table: run`.
    static func tableSuggestion(_ message: String, store: Store) -> [String] {
        guard let r = message.range(of: "no such table: ") else { return [] }
        let name = String(message[r.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        guard let names = try? store.readOnlySQL("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name") else { return [] }
        let tables = names.rows.compactMap { row -> String? in
            if case .text(let t)? = row.first { return t }
            return nil
        }
        return Suggest.closest(name, among: tables).map { ["did you mean '\($0)'? (tables: docs/STORE.md)"] } ?? []
    }

    /// An SQL result as a render table.
    static func table(_ t: SQLTable) -> Table {
        let rows: [[Cell]] = t.rows.map { row in
            row.map { v -> Cell in
                switch v {
                case .null: return .missing
                case .integer(let i): return .int(Int(i))
                case .real(let d): return .number(d)
                case .text(let s): return .text(s)
                case .blob(let b): return .text("<\(b.count) bytes>")
                }
            }
        }
        var footer = ["\(t.rows.count) row\(t.rows.count == 1 ? "" : "s")"]
        if t.columns.isEmpty { footer = ["no result columns"] }
        return Table(headers: t.columns, rows: rows, footer: footer)
    }
}
