import Foundation
import Language
import Render
import Tracking

let exportCommand = CommandSpec(
    name: "export", group: .store,
    summary: "Write runs, curves or a table result to a CSV, TSV, JSON, Markdown or HTML file",
    synopsis: "export runs [where EXPR] [order by KEY] [limit N] to \"FILE\" [overwrite] | export curves #ID[, …] to \"FILE\" | export _N to \"FILE\"",
    operands: [OperandSpec("WHAT", .expr, help: "runs, curves, or a table result (_ or _N)"),
               OperandSpec("RUNS", .expr, optional: true, help: "for curves: the run ids")],
    options: Experiments.queryOptions + [
        OptionSpec("to", .path, required: true, help: "the file; its extension (csv, tsv, json, md, html) picks the format"),
        OptionSpec("overwrite", .flag, help: "replace an existing file"),
    ],
    help: """
    `export runs` writes one row per run: id, kind, model, version, parents, status, seed, datasets, \
    start and end in ISO 8601, duration, cost, the command, every parameter as param.KEY and every final \
    metric as metric.KEY, tags (k=v; …) and the note. `export curves #3, #4` writes one row per curve \
    point: run, key, step, value, time. `export _N` writes a table result of an earlier cell (runs, sql, \
    compare, history, …). The format comes from the file's extension: csv (RFC 4180), tsv, json (an array \
    of objects), md (a Markdown table) or html. An existing file is kept unless `overwrite` is given. From \
    the shell: retune export runs --store S [--where EXPR] [--format csv].
    """,
    examples: ["export runs to \"runs.csv\"", "export runs where kind = finetune to \"ft.json\" overwrite",
               "export curves #3, #4 to \"curves.csv\"", "export _5 to \"table.md\""],
    handler: { inv, session in
        guard let what = inv.operand(0), case .expr(let e) = what.value, let pathArg = inv.options["to"],
              let rawPath = pathArg.string else { return nil }
        let path = inv.resolvePath(rawPath)
        guard let format = OutputFormat(fileExtensionOf: rawPath) else {
            throw Diagnostic("cannot tell the format of \"\(rawPath)\" from its extension", at: pathArg.span,
                             notes: ["use .csv, .tsv, .json, .md or .html"])
        }
        let table: Table
        var noun = "rows"
        switch e.kind {
        case .identifier("runs"):
            if let extra = inv.operand(1) {
                throw Diagnostic("unexpected \(ExprPrinter.print(extra.expr ?? e)) after 'export runs'", at: extra.span,
                                 notes: ["usage: export runs [where EXPR] to \"FILE\""])
            }
            let store = try session.store()
            let q = try Experiments.query(inv, store: store)
            let rows = try Experiments.wrap(inv.node.span) { try store.exportRows(q) }
            table = Experiments.plainTable(rows)
            noun = "runs"
        case .identifier("curves"):
            guard let runsArg = inv.operand(1), case .expr(let re) = runsArg.value else {
                throw Diagnostic("export curves needs run ids, e.g. export curves #3, #4 to \"curves.csv\"", at: e.span)
            }
            let ids = try Experiments.runIDs(re, session: session)
            let store = try session.store()
            let points = try Experiments.wrap(runsArg.span) { try store.curvePoints(ids.map(Int64.init)) }
            table = Experiments.plainTable(points)
            noun = "points"
        case .cellRef(let n):
            if inv.operand(1) != nil || inv.has("where") {
                throw Diagnostic("export of a cell result takes no further operands or where", at: e.span)
            }
            let result = try Experiments.recall(n, at: e.span, session: session)
            switch result {
            case .table(let t): table = t
            case .runs(let ids):
                let store = try session.store()
                let rows = try Experiments.wrap(e.span) {
                    try store.exportRows(RunQuery(filter: .isIn(.field(.id), ids.map { .number(Double($0)) }), includeDeleted: true))
                }
                table = Experiments.plainTable(rows)
                noun = "runs"
            case .run(let id):
                let store = try session.store()
                let rows = try Experiments.wrap(e.span) {
                    try store.exportRows(RunQuery(filter: .compare(.field(.id), .eq, .number(Double(id))), includeDeleted: true))
                }
                table = Experiments.plainTable(rows)
                noun = "runs"
            default:
                throw Diagnostic("\(ExprPrinter.print(e)) is \(result.kindDescription), not a table or runs", at: e.span)
            }
        default:
            throw Diagnostic("export writes runs, curves or a table result (_N), not \(ExprPrinter.print(e))", at: e.span)
        }
        var plain = table
        plain.footer = []
        let text = TableRenderer.render(plain, format: format)
        try Experiments.write(text, to: path, overwrite: inv.flag("overwrite"), span: pathArg.span)
        session.print("wrote \(plain.rows.count) \(noun) to \(rawPath) (\(format.rawValue))")
        return nil
    })

extension Experiments {
    /// A table of store values, as exported (no title or footer).
    static func plainTable(_ t: SQLTable) -> Table {
        var table = Experiments.table(t)
        table.footer = []
        return table
    }

    static func recall(_ n: Int?, at span: SourceSpan, session: Session) throws -> ResultValue {
        if let n {
            guard let r = session.results[n] else {
                throw Diagnostic(n >= session.cellNumber ? "cell \(n) has not run yet" : "cell \(n) has no result", at: span)
            }
            return r
        }
        guard let r = session.lastResult else {
            throw Diagnostic("'_' refers to the last result, and there is none yet", at: span)
        }
        return r
    }

    /// Run ids from `#3`, `#3, #4`, `[#3, #4]`, `_` or `_N` holding runs.
    static func runIDs(_ e: Expr, session: Session) throws -> [Int] {
        switch e.kind {
        case .runID(let id): return [id]
        case .list(let xs), .sequence(let xs): return try xs.flatMap { try runIDs($0, session: session) }
        case .cellRef(let n):
            switch try recall(n, at: e.span, session: session) {
            case .run(let id): return [id]
            case .runs(let ids): return ids
            case let other:
                throw Diagnostic("\(ExprPrinter.print(e)) is \(other.kindDescription), not runs", at: e.span)
            }
        default:
            throw Diagnostic("expected a run id (#N), got \(ExprPrinter.print(e))", at: e.span)
        }
    }

    /// Writes a file, refusing to replace an existing one unless `overwrite`.
    static func write(_ text: String, to path: String, overwrite: Bool, span: SourceSpan) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) && !overwrite {
            throw Diagnostic("\(URL(fileURLWithPath: path).lastPathComponent) exists; add 'overwrite' to replace it",
                             at: span, kind: .io)
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw Diagnostic("cannot write \(URL(fileURLWithPath: path).lastPathComponent): \(error.localizedDescription)",
                             at: span, kind: .io)
        }
    }
}

/// `retune export runs --store S [--where EXPR] [--format F]`: the runs table to stdout.
public enum ExportCLI {
    /// The rendered export, or a diagnostic text and exit code.
    public static func runs(storePath: String, whereText: String?, formatName: String) -> (output: String, error: String, code: Int32) {
        guard let format = OutputFormat(name: formatName), format != .table, format != .vertical else {
            return ("", "retune: error: unknown export format '\(formatName)' (csv, tsv, json, md, html)\n", ExitCode.usage)
        }
        guard PostgresURL.isPostgres(storePath) || FileManager.default.fileExists(atPath: storePath) else {
            return ("", "retune: error: no store at \(storePath)\n", ExitCode.ioError)
        }
        let store: Store
        do {
            store = try Store(path: storePath)
        } catch {
            return ("", "retune: error: cannot open the store: \(error)\n", ExitCode.ioError)
        }
        var query = RunQuery()
        if let whereText {
            let source = "runs where " + whereText
            do {
                guard case .commands(let nodes) = Parser.parse(source), let node = nodes.first, node.items.count == 2,
                      let e = node.items.last else {
                    throw Diagnostic.syntax("--where expects one condition, e.g. \"kind = finetune and rmse < 3\"",
                                            at: SourceSpan.none)
                }
                query.filter = try RunFilterBuilder(store: store).filter(e)
            } catch var d as Diagnostic {
                // Report against the option's own text: shift spans past the "runs where " prefix.
                let shift = "runs where ".count
                func moved(_ l: SourceLocation) -> SourceLocation {
                    l.line == 1 && l.column > shift ? SourceLocation(line: 1, column: l.column - shift, offset: max(0, l.offset - shift)) : l
                }
                if d.span != SourceSpan.none { d.span = SourceSpan(start: moved(d.span.start), end: moved(d.span.end)) }
                return ("", DiagnosticFormatter.format(d, sourceName: "--where", sourceText: whereText), ExitCode.dataError)
            } catch {
                return ("", "retune: error: \(error)\n", ExitCode.dataError)
            }
        }
        do {
            let rows = try store.exportRows(query)
            return (TableRenderer.render(Experiments.plainTable(rows), format: format), "", ExitCode.ok)
        } catch {
            return ("", "retune: error: \(error)\n", ExitCode.software)
        }
    }
}
