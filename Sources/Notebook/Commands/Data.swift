import Foundation
import Language
import Render
import Tabular

/// The data commands: load, describe, head, columns, datasets, transforms and generators.
func dataCommands() -> [CommandSpec] {
    [loadCommand, describeCommand, headCommand, columnsCommand, datasetsCommand,
     splitCommand, filterCommand, concatCommand, sampleCommand, selectCommand, dropCommand,
     generateCommand]
}

// MARK: - Shared helpers

enum DataErrors {
    /// A Tabular failure as a diagnostic on `span`. `shownPath` replaces the resolved path of a
    /// file in messages by the path as the user wrote it (outputs stay free of absolute paths).
    static func diagnostic(_ error: TabularError, at span: SourceSpan,
                           path: (resolved: String, shown: String)? = nil,
                           context: String? = nil) -> Diagnostic {
        func shown(_ file: String) -> String {
            guard let p = path, file == p.resolved else { return file }
            return p.shown
        }
        let prefix = context.map { "\($0): " } ?? ""
        switch error {
        case let .csv(file, line, column, message):
            return Diagnostic("\(shown(file)):\(line):\(column): \(message)", at: span, kind: .runtime)
        case let .value(file, line, column, columnName, message):
            return Diagnostic("\(shown(file)):\(line):\(column): column '\(columnName)': \(message)", at: span,
                              kind: .runtime)
        case let .io(file, message):
            return Diagnostic("\(shown(file)): \(message)", at: span, kind: .io)
        case let .unknownColumn(name, available):
            return unknownColumn(name, among: available, at: span)
        case let .column(name, message):
            return Diagnostic("\(prefix)column '\(name)': \(message)", at: span)
        case let .schemaMismatch(differences):
            let count = differences.count == 1 ? "1 difference" : "\(differences.count) differences"
            return Diagnostic("\(prefix)schemas differ (\(count))", at: span, notes: differences)
        case let .invalidArgument(message):
            return Diagnostic("\(prefix)\(message)", at: span)
        }
    }

    static func unknownColumn(_ name: String, among columns: [String], at span: SourceSpan,
                              extraNotes: [String] = []) -> Diagnostic {
        var notes: [String] = []
        if let s = Suggest.closest(name, among: columns) { notes.append("did you mean '\(s)'?") }
        notes += extraNotes
        notes.append("columns: " + columns.joined(separator: ", "))
        return Diagnostic("unknown column '\(name)'", at: span, notes: notes)
    }

    /// Runs a Tabular operation, turning its errors into diagnostics on `span`.
    static func run<T>(at span: SourceSpan, context: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as TabularError {
            throw diagnostic(e, at: span, context: context)
        }
    }
}

/// The same diagnostic with another message.
extension Diagnostic {
    func withMessage(_ m: String) -> Diagnostic {
        var d = self
        d.message = m
        return d
    }
}

/// The dataset named by an operand (with "did you mean" when there is none).
func datasetOperand(_ inv: Invocation, _ session: Session, _ index: Int = 0) throws -> Dataset {
    guard let arg = inv.operand(index), let name = arg.string else {
        throw inv.error("\(inv.spec.name) needs a dataset name")
    }
    return try session.dataset(name, at: arg.span)
}

/// Checks that every name is a column of `dataset`; errors point at the name's span.
func requireColumns(_ args: [Argument], in dataset: Dataset) throws -> [String] {
    var names: [String] = []
    for a in args {
        guard let n = a.string else {
            throw Diagnostic("expected a column name, got \(Invocation.text(of: a))", at: a.span)
        }
        guard dataset.column(named: n) != nil else {
            throw DataErrors.unknownColumn(n, among: dataset.columnNames, at: a.span)
        }
        names.append(n)
    }
    return names
}

/// The new dataset name given with `as NAME`.
func newName(_ inv: Invocation) throws -> String {
    guard let n = inv.string("as") else { throw inv.error("\(inv.spec.name) needs 'as NAME'") }
    return n
}

/// A seed option (or the session's default seed) as the generators' unsigned seed.
func seedValue(_ inv: Invocation, _ session: Session) -> (UInt64, Int) {
    let s = inv.int("seed") ?? session.settings.seed
    return (UInt64(bitPattern: Int64(s)), s)
}

/// Where a dataset came from, in one phrase.
func provenanceText(_ p: Provenance) -> String {
    switch p.operation {
    case "file": return "file \(p.detail)"
    case "generate": return "generate \(p.detail)"
    default:
        var s = p.operation
        if !p.sources.isEmpty { s += " of " + p.sources.joined(separator: ", ") }
        if !p.detail.isEmpty { s += " (\(p.detail))" }
        return s
    }
}

/// The source text of an item as the user wrote it (falls back to the printed expression).
func sourceText(of e: Expr, in node: CommandNode) -> String {
    let bytes = Array(node.text.utf8)
    let lo = e.span.start.offset - node.span.start.offset
    let hi = e.span.end.offset - node.span.start.offset
    guard lo >= 0, hi <= bytes.count, lo < hi, let text = String(validating: bytes[lo..<hi], as: UTF8.self)
    else { return ExprPrinter.print(e) }
    return text
}

/// `text` cut to `limit` characters with an ellipsis (for the aligned table layout only).
func shortened(_ text: String, to limit: Int, in session: Session) -> String {
    guard session.settings.format == .table || session.settings.format == .vertical, text.count > limit else { return text }
    return String(text.prefix(max(1, limit - 1))) + "…"
}

func fingerprintPrefix(_ d: Dataset) -> String { String(d.fingerprint().prefix(12)) }

func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

/// Seconds since `start` as masked-friendly text: `0.01 s`.
func elapsedText(since start: UInt64) -> String {
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return String(format: "%.2f s", seconds)
}

/// Stores a new dataset in the session (replacing one of that name).
func store(_ d: Dataset, in session: Session) {
    session.datasets[d.name] = d
}

/// Completes column names of the dataset named on the line (the command's first operand, or
/// any dataset named earlier), after keys that take columns and inside `where` expressions.
let dataColumnCompleter: Completer = { session, ctx in
    let words = ctx.previousWords
    guard words.count >= 2 else { return [] }
    let columnKeys: Set<String> = ["where", "by", "columns", "target", "time", "and", "or", "not"]
    guard let last = words.last else { return [] }
    // Inside a `where` condition or a `columns [..]` list, until `as NEW`.
    let inList = (words.contains("where") || words.contains("columns")) && !words.contains("as")
    guard columnKeys.contains(last) || inList else { return [] }
    for w in [words[1]] + words.reversed() {
        if let d = session.datasets[w] {
            return d.columnNames.filter { $0.hasPrefix(ctx.prefix) }.sorted()
        }
    }
    return []
}

// MARK: - load

let loadCommand = CommandSpec(
    name: "load", group: .data,
    summary: "Load a CSV file as a named dataset",
    synopsis: "load \"PATH.csv\" as NAME [target COL] [time COL] [sep \";\"] [missing \"NA\"] [types [COL: TYPE, …]]",
    operands: [OperandSpec("PATH", .path, help: "the CSV file, relative to the script's folder (or the working directory at the prompt)")],
    options: [
        OptionSpec("as", .name(.any), required: true, help: "the dataset's name"),
        OptionSpec("target", .name(.column), help: "the column models predict"),
        OptionSpec("time", .name(.column), help: "the column giving each row's time (date, datetime or number)"),
        OptionSpec("sep", .string, help: "the field separator, one character (\"\\t\" for tab); default: detected from the header line"),
        OptionSpec("missing", .string, help: "a token meaning a missing value besides the empty field"),
        OptionSpec("types", .map, help: "type overrides: [col: integer|float|boolean|date|datetime|categorical, …]"),
    ],
    help: """
    Reads an RFC 4180 CSV file (quoted fields with separators, quotes and newlines; CRLF or LF; \
    UTF-8 with or without BOM) with a header row. Without `sep` the separator is the one of comma, \
    semicolon, tab and pipe found most often on the header line (outside quotes; ties and none go \
    to comma); a separator other than comma is named in the output. NUL bytes and other control \
    characters (all but tab, CR, LF) are errors; repeated leading BOMs are skipped; LF, CRLF and \
    CR line ends may be mixed. Each column's type is inferred — integer, \
    float, boolean, date (YYYY-MM-DD), datetime, otherwise categorical — unless `types` says \
    otherwise. Empty fields and the `missing` token are missing values.
    Prints rows, columns and the dataset's fingerprint (SHA-256 of schema and values, independent \
    of the file's path, line endings and quoting). A file that fails to load leaves any dataset \
    of that name untouched; errors name the file, line and column.
    """,
    examples: ["load \"data/penguins.csv\" as penguins target species time date_egg missing \"NA\"",
               "load \"data/diabetes.csv\" as diabetes target progression",
               "load \"data/macro.csv\" as macro sep \";\" types [year: integer, rate: float]"],
    handler: { inv, session in
        guard let pathArg = inv.operand(0), let written = pathArg.string else { return nil }
        let name = try newName(inv)
        // Roles are checked here, after parsing, so that an unknown name gets its own span and
        // a "did you mean"; the file is parsed with no roles.
        var options = CSVOptions()
        let resolved = inv.resolvePath(written)
        var separatorNote = ""
        if let sep = inv.string("sep") {
            guard sep.count == 1, let ch = sep.first, ch.isASCII, ch != "\"", ch != "\n", ch != "\r" else {
                throw inv.error("sep expects one ASCII character other than a quote or newline, got \"\(sep)\"", at: "sep")
            }
            options.separator = ch
            if ch != "," { separatorNote = ", separator \(CSVLoader.separatorName(ch))" }
        } else {
            let ch = CSVLoader.detectSeparator(path: resolved)
            options.separator = ch
            if ch != "," { separatorNote = ", separator \(CSVLoader.separatorName(ch)) (detected)" }
        }
        if let missing = inv.string("missing") {
            guard !missing.isEmpty else { throw inv.error("missing expects a non-empty token", at: "missing") }
            options.missingToken = missing
        }
        if let types = inv.options["types"], case .map(let entries) = types.value {
            for entry in entries {
                let text = entry.value.string ?? Invocation.text(of: entry.value)
                guard let t = ColumnType(rawValue: text) else {
                    let all = ColumnType.allCases.map(\.rawValue)
                    var notes: [String] = []
                    if let s = Suggest.closest(text, among: all) { notes.append("did you mean '\(s)'?") }
                    notes.append("types: " + all.joined(separator: ", "))
                    throw Diagnostic("unknown column type '\(text)' for '\(entry.key)'", at: entry.value.span, notes: notes)
                }
                options.types[entry.key] = t
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var dataset: Dataset
        do {
            dataset = try CSVLoader.load(path: resolved, name: name, options: options)
        } catch let e as TabularError {
            var d = DataErrors.diagnostic(e, at: pathArg.span, path: (resolved, written))
            // A missing file: suggest a near name in the same folder.
            if !FileManager.default.fileExists(atPath: resolved) {
                let folder = URL(fileURLWithPath: resolved).deletingLastPathComponent()
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                let base = URL(fileURLWithPath: resolved).lastPathComponent
                if let near = Suggest.closest(base, among: names.sorted()) {
                    let shown = written.contains("/") ? String(written[..<(written.lastIndex(of: "/") ?? written.startIndex)]) + "/" + near : near
                    d.notes.append("did you mean \"\(shown)\"?")
                }
            }
            throw d
        }
        for role in ["target", "time"] {
            guard let col = inv.string(role) else { continue }
            guard let c = dataset.column(named: col) else {
                throw DataErrors.unknownColumn(col, among: dataset.columnNames, at: inv.span(role))
                    .withMessage("\(written) has no \(role) column '\(col)'")
            }
            if role == "time" && c.type == .categorical {
                throw inv.error("the time column '\(col)' must hold dates, datetimes or numbers, but it is categorical",
                                at: "time", notes: ["declare its type if it should be numeric: types [\(col): float]"])
            }
        }
        dataset.target = inv.string("target")
        dataset.time = inv.string("time")
        dataset.provenance = Provenance(operation: "file", detail: written)
        let took = elapsedText(since: start)
        store(dataset, in: session)
        var line = "\(name): \(plural(dataset.rowCount, "row")), \(plural(dataset.columns.count, "column"))"
        if let t = dataset.target { line += ", target \(t)" }
        if let t = dataset.time { line += ", time \(t)" }
        line += separatorNote + ", fingerprint \(fingerprintPrefix(dataset)), loaded in \(took)"
        session.print(line)
        return .dataset(name)
    })

// MARK: - describe

let describeCommand = CommandSpec(
    name: "describe", group: .data,
    summary: "Summarise a dataset: per-column types, missing values, statistics and histograms",
    synopsis: "describe NAME",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset")],
    help: """
    Prints the dataset's size, roles, source and fingerprint, then one table row per column \
    (type, missing count, mean, standard deviation and an 8-bin histogram as a sparkline), the \
    quartiles of the numeric columns, the range of the date columns and the most frequent \
    categories of the categorical ones. `show NAME` does the same.
    """,
    examples: ["describe penguins", "show penguins"],
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        describeDataset(d, session)
        return .dataset(d.name)
    })

func describeDataset(_ d: Dataset, _ session: Session) {
    let desc = d.describe(bins: 8, topCategories: 5)
    session.print("\(d.name): \(plural(desc.rows, "row")) × \(plural(d.columns.count, "column"))")
    session.print("source: \(provenanceText(d.provenance))")
    var roles: [String] = []
    if let t = d.target { roles.append("target \(t)") }
    if let t = d.time { roles.append("time \(t)") }
    if !roles.isEmpty { session.print("roles: " + roles.joined(separator: ", ")) }
    session.print("fingerprint: \(desc.fingerprint)")

    let num = { (x: Double?) -> Cell in x.map { Cell.number($0) } ?? .missing }
    var overview: [[Cell]] = []
    var quantiles: [[Cell]] = []
    var dates: [[Cell]] = []
    var categories: [[Cell]] = []
    for c in desc.columns {
        let isDate = c.type == .date || c.type == .datetime
        let hist = c.stats.map { Sparkline.render($0.histogram.map(Double.init)) } ?? ""
        overview.append([.text(c.name), .text(c.type.rawValue), .int(c.missing),
                         isDate ? .missing : num(c.stats?.mean), isDate ? .missing : num(c.stats?.std),
                         .text(hist)])
        if isDate {
            if let r = c.dateRange { dates.append([.text(c.name), .text(r.first), .text(r.last)]) }
        } else if let s = c.stats {
            quantiles.append([.text(c.name), .number(s.min), .number(s.q1), .number(s.median),
                              .number(s.q3), .number(s.max)])
        } else if c.type == .categorical {
            let top = c.topCategories.map { "\($0.value) \($0.count)" }.joined(separator: ", ")
            let more = c.distinct > c.topCategories.count ? ", …" : ""
            categories.append([.text(c.name), .int(c.distinct), .text(top + more)])
        }
    }
    let right = Table.Column.Alignment.right
    session.show(Table(title: "columns", columns: [
        Table.Column("column"), Table.Column("type"), Table.Column("missing", alignment: right),
        Table.Column("mean", alignment: right), Table.Column("std", alignment: right), Table.Column("histogram"),
    ], rows: overview))
    if !quantiles.isEmpty {
        session.show(Table(title: "quantiles", columns: [
            Table.Column("column"), Table.Column("min", alignment: right), Table.Column("q1", alignment: right),
            Table.Column("median", alignment: right), Table.Column("q3", alignment: right),
            Table.Column("max", alignment: right),
        ], rows: quantiles))
    }
    if !dates.isEmpty {
        session.show(Table(title: "dates", headers: ["column", "first", "last"], rows: dates))
    }
    if !categories.isEmpty {
        session.show(Table(title: "categories", columns: [
            Table.Column("column"), Table.Column("distinct", alignment: right), Table.Column("most frequent"),
        ], rows: categories))
    }
}

/// `show NAME` for a dataset.
let datasetShowTarget: ShowTargets.Target = { arg, _, session in
    guard case .name(let n) = arg.value, let d = session.datasets[n] else { return nil }
    describeDataset(d, session)
    return ShowTargets.Shown(value: .dataset(n))
}

// MARK: - head, columns, datasets

let headCommand = CommandSpec(
    name: "head", group: .data,
    summary: "Show the first rows of a dataset",
    synopsis: "head NAME [N]",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset"),
               OperandSpec("N", .integer, optional: true, help: "how many rows (default 10)")],
    help: "Prints the first N rows (default 10) in file order. Missing values show as —; dates as YYYY-MM-DD.",
    examples: ["head penguins", "head train 3"],
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        let n = inv.operand(1)?.int ?? 10
        if n < 0 { throw Diagnostic("head expects a row count of 0 or more, got \(n)", at: inv.operand(1)?.span ?? inv.node.span) }
        let count = min(n, d.rowCount)
        var rows: [[Cell]] = []
        rows.reserveCapacity(count)
        for r in 0..<count {
            rows.append(d.columns.enumerated().map { (k, c) in
                if c.isMissing(r) { return .missing }
                switch c.type {
                case .integer:
                    if let v = c.value(r), abs(v) < 9.0e15 { return .int(Int(v)) }
                    return .text(d.formattedValue(row: r, column: k))
                case .float:
                    if let v = c.value(r) { return .number(v) }
                    return .missing
                case .boolean:
                    return .bool((c.value(r) ?? 0) != 0)
                case .date, .datetime, .categorical:
                    return .text(d.formattedValue(row: r, column: k))
                }
            })
        }
        let footer = d.rowCount > count ? ["(\(count) of \(d.rowCount) rows)"] : []
        let table = Table(columns: d.columns.map { c in
            Table.Column(c.name, alignment: c.type == .integer || c.type == .float ? .right : .left)
        }, rows: rows, footer: footer)
        session.show(table)
        return .dataset(d.name)
    })

let columnsCommand = CommandSpec(
    name: "columns", group: .data,
    summary: "List a dataset's columns with type, missing count and role",
    synopsis: "columns NAME",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset")],
    help: "One row per column: its name, type (integer, float, boolean, date, datetime, categorical), number of missing values and role (target or time).",
    examples: ["columns penguins"],
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        let rows: [[Cell]] = d.columns.map { c in
            var roles: [String] = []
            if c.name == d.target { roles.append("target") }
            if c.name == d.time { roles.append("time") }
            return [.text(c.name), .text(c.type.rawValue), .int(c.missingCount), .text(roles.joined(separator: ", "))]
        }
        let table = Table(columns: [Table.Column("column"), Table.Column("type"),
                                    Table.Column("missing", alignment: .right), Table.Column("role")], rows: rows)
        session.show(table)
        return .table(table)
    })

let datasetsCommand = CommandSpec(
    name: "datasets", group: .data,
    summary: "List the datasets of this session",
    synopsis: "datasets",
    help: "Every dataset loaded, generated or derived in this session, by name: rows, columns, where it came from (file, generator, or the operation and its sources) and the first 12 hex digits of its fingerprint.",
    examples: ["datasets"],
    handler: { _, session in
        if session.datasets.isEmpty {
            session.print("no datasets yet: use 'load' or 'generate'")
            return nil
        }
        let rows: [[Cell]] = session.datasets.keys.sorted().compactMap { name in
            guard let d = session.datasets[name] else { return nil }
            return [.text(name), .int(d.rowCount), .int(d.columns.count), .text(shortened(provenanceText(d.provenance), to: 32, in: session)),
                    .text(fingerprintPrefix(d))]
        }
        let table = Table(columns: [Table.Column("name"), Table.Column("rows", alignment: .right),
                                    Table.Column("columns", alignment: .right), Table.Column("source"),
                                    Table.Column("fingerprint")], rows: rows)
        session.show(table)
        return .table(table)
    })
