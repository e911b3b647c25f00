import Foundation
import Language
import Tabular

// MARK: - split

let splitCommand = CommandSpec(
    name: "split", group: .data,
    summary: "Split a dataset in two: by a fraction (shuffled, stratified or ordered) or by a column value",
    synopsis: "split NAME into A, B at F [seed N] [stratify] [ordered]  |  split NAME into A, B by COL at VALUE",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset to split")],
    options: [
        OptionSpec("into", .list(.name(.any)), required: true, help: "the two new datasets, A and B"),
        OptionSpec("at", .any, required: true,
                   help: "the fraction of rows for A (0 < F < 1), or with 'by' the value where B starts (a number or a quoted ISO date)"),
        OptionSpec("by", .name(.column), help: "split by this column: rows with COL < VALUE go to A, the rest (and missing) to B"),
        OptionSpec("seed", .integer, help: "seed of the shuffle (default: the session seed, see set seed)"),
        OptionSpec("stratify", .flag, help: "keep the class proportions of the target in both parts"),
        OptionSpec("ordered", .flag, help: "no shuffle: the first floor(F·n) rows in file order go to A"),
    ],
    help: """
    With a fraction F, floor(F·n) rows go to A and the rest to B. The rows are shuffled with the \
    seed (each part keeps file order) unless `ordered` is given, in which case A is the first rows \
    of the file — the split the reference scenarios use. `stratify` shuffles within each class of \
    the target column (rounding per class). With `by COL at VALUE`, rows where COL < VALUE go to A: \
    a time split when COL is a date (write the date in quotes).
    """,
    examples: ["split diabetes into train, test at 0.7 ordered",
               "split churn into train, test at 0.8 seed 7 stratify",
               "split penguins into early, late by date_egg at \"2008-06-01\""],
    completer: dataColumnCompleter,
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        guard let intoArg = inv.options["into"], let atArg = inv.options["at"] else { return nil }
        let names = intoArg.list.compactMap(\.string)
        guard names.count == 2 else {
            throw Diagnostic("split needs two new names after 'into', got \(names.count)", at: intoArg.span,
                             notes: ["usage: \(inv.spec.synopsis)"])
        }
        guard names[0] != names[1] else {
            throw Diagnostic("split needs two different names, got '\(names[0])' twice", at: intoArg.span)
        }
        let parts: (Dataset, Dataset)
        if let byArg = inv.options["by"], let column = byArg.string {
            for flag in ["seed", "stratify", "ordered"] where inv.has(flag) {
                throw inv.error("'\(flag)' does not apply to a split by a column (the split is already ordered)", at: flag)
            }
            guard let c = d.column(named: column) else {
                throw DataErrors.unknownColumn(column, among: d.columnNames, at: byArg.span)
            }
            let value: SplitValue
            switch atArg.value {
            case .integer(let i): value = .number(Double(i))
            case .number(let x): value = .number(x)
            case .string(let s): value = .string(s)
            default:
                throw Diagnostic("'at' expects a number or a quoted date, got \(Invocation.text(of: atArg))", at: atArg.span,
                                 notes: c.type == .date || c.type == .datetime ? ["write the date in quotes: \"2008-06-01\""] : [])
            }
            parts = try DataErrors.run(at: atArg.span, context: "split") {
                try d.split(by: column, at: value, names: (names[0], names[1]))
            }
        } else {
            guard let f = atArg.double else {
                throw Diagnostic("'at' expects a fraction between 0 and 1, got \(Invocation.text(of: atArg))", at: atArg.span,
                                 notes: ["to split at a column value, add 'by COLUMN'"])
            }
            guard f > 0, f < 1 else {
                throw Diagnostic("'at' expects a fraction between 0 and 1 (exclusive), got \(Invocation.text(of: atArg))",
                                 at: atArg.span)
            }
            if inv.flag("stratify") && inv.flag("ordered") {
                throw inv.error("'stratify' and 'ordered' cannot be combined", at: "ordered")
            }
            if inv.flag("stratify") && d.target == nil {
                throw inv.error("'stratify' needs a target column, and '\(d.name)' has none", at: "stratify",
                                notes: ["give one when loading: load \"…\" as \(d.name) target COLUMN"])
            }
            let (seed, _) = seedValue(inv, session)
            parts = try DataErrors.run(at: inv.flag("stratify") ? inv.span("stratify") : atArg.span, context: "split") {
                try d.split(at: f, seed: seed, stratify: inv.flag("stratify"), ordered: inv.flag("ordered"),
                            names: (names[0], names[1]))
            }
        }
        store(parts.0, in: session)
        store(parts.1, in: session)
        session.print("\(names[0]): \(plural(parts.0.rowCount, "row")), \(names[1]): \(plural(parts.1.rowCount, "row"))")
        return .dataset(names[0])
    })

// MARK: - filter

let filterCommand = CommandSpec(
    name: "filter", group: .data,
    summary: "Keep the rows of a dataset where a condition holds",
    synopsis: "filter NAME where EXPR as NEW",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset")],
    options: [
        OptionSpec("where", .expr, required: true, help: "the condition over column values"),
        OptionSpec("as", .name(.any), required: true, help: "the new dataset"),
    ],
    help: """
    The condition uses the shared expression grammar: column names, numbers, quoted strings, \
    true/false, + - * /, comparisons (= != < <= > >=), `in [..]`, `like "pat%"` (% any run, _ one \
    character), and/or/not, and missing(COLUMN). A date column compares with a quoted ISO date \
    (`date_egg >= "2008-01-01"`); a categorical column with quoted strings. A comparison with a \
    missing value is unknown, and only rows where the condition is true are kept (as in SQL).
    """,
    examples: ["filter penguins where species = \"Adelie\" and body_mass_g > 4000 as heavy_adelie",
               "filter penguins where date_egg >= \"2008-01-01\" as later",
               "filter penguins where island in [\"Biscoe\", \"Dream\"] and not missing(sex) as sexed"],
    completer: dataColumnCompleter,
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        guard let e = inv.expr("where") else { return nil }
        let name = try newName(inv)
        let predicate = try FilterTranslator(dataset: d).predicate(e)
        var result = try DataErrors.run(at: e.span) { try d.filter(predicate, name: name) }
        result.provenance.detail = sourceText(of: e, in: inv.node)
        store(result, in: session)
        session.print("\(name): \(plural(result.rowCount, "row")) of \(d.rowCount)")
        return .dataset(name)
    })

// MARK: - concat

let concatCommand = CommandSpec(
    name: "concat", group: .data,
    summary: "Stack the rows of datasets with the same schema",
    synopsis: "concat A, B [, …] as NEW",
    operands: [OperandSpec("DATASETS", .list(.name(.dataset)), help: "two or more datasets, in order")],
    options: [OptionSpec("as", .name(.any), required: true, help: "the new dataset")],
    help: "Rows of A followed by rows of B (and so on). Column names, order and types must agree (integer and float combine to float); otherwise the error lists every difference. Category levels are merged; target and time roles come from A.",
    examples: ["concat old, new as all", "concat q1, q2, q3 as year"],
    handler: { inv, session in
        guard let arg = inv.operand(0) else { return nil }
        let name = try newName(inv)
        let items = arg.list
        guard items.count >= 2 else {
            throw Diagnostic("concat needs at least two datasets, got \(items.count)", at: arg.span,
                             notes: ["usage: \(inv.spec.synopsis)"])
        }
        var parts: [Dataset] = []
        for item in items {
            guard let n = item.string else { throw Diagnostic("expected a dataset name", at: item.span) }
            parts.append(try session.dataset(n, at: item.span))
        }
        var result = parts[0]
        for (k, next) in parts.enumerated().dropFirst() {
            result = try DataErrors.run(at: items[k].span,
                                        context: "cannot concat '\(result.name)' and '\(next.name)'") {
                try Dataset.concat(result, next, name: parts[0].name)
            }
        }
        result.name = name
        result.provenance = Provenance(operation: "concat", sources: parts.map(\.name))
        store(result, in: session)
        session.print("\(name): \(plural(result.rowCount, "row")) (" + parts.map { "\($0.name) \($0.rowCount)" }.joined(separator: " + ") + ")")
        return .dataset(name)
    })

// MARK: - sample, select, drop

let sampleCommand = CommandSpec(
    name: "sample", group: .data,
    summary: "Draw rows at random without replacement",
    synopsis: "sample NAME N [seed S] as NEW",
    operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset"),
               OperandSpec("N", .integer, help: "how many rows")],
    options: [OptionSpec("seed", .integer, help: "seed of the draw (default: the session seed, see set seed)"),
              OptionSpec("as", .name(.any), required: true, help: "the new dataset")],
    help: "N distinct rows drawn with the seed, kept in file order. N may not exceed the dataset's rows.",
    examples: ["sample penguins 100 seed 3 as small"],
    handler: { inv, session in
        let d = try datasetOperand(inv, session)
        guard let nArg = inv.operand(1), let n = nArg.int else { return nil }
        let name = try newName(inv)
        guard n >= 0, n <= d.rowCount else {
            throw Diagnostic("sample: cannot draw \(n) rows from '\(d.name)', which has \(plural(d.rowCount, "row"))",
                             at: nArg.span)
        }
        let (seed, _) = seedValue(inv, session)
        let result = try DataErrors.run(at: nArg.span) { try d.sample(n: n, seed: seed, name: name) }
        store(result, in: session)
        session.print("\(name): \(plural(result.rowCount, "row")) of \(d.rowCount)")
        return .dataset(name)
    })

/// `select` and `drop`: a new dataset with some columns kept or removed.
func columnSubsetCommand(name: String, summary: String, keep: Bool, columnsHelp: String, help: String,
                         example: String) -> CommandSpec {
    CommandSpec(
        name: name, group: .data,
        summary: summary,
        synopsis: "\(name) NAME columns [A, B, …] as NEW",
        operands: [OperandSpec("NAME", .name(.dataset), help: "the dataset")],
        options: [OptionSpec("columns", .list(.any), required: true, help: columnsHelp),
                  OptionSpec("as", .name(.any), required: true, help: "the new dataset")],
        help: help,
        examples: [example],
        completer: dataColumnCompleter,
        handler: { inv, session in
            let d = try datasetOperand(inv, session)
            guard let colsArg = inv.options["columns"] else { return nil }
            let newName = try newName(inv)
            let names = try requireColumns(colsArg.list, in: d)
            let result = try DataErrors.run(at: colsArg.span) {
                keep ? try d.select(columns: names, name: newName) : try d.drop(columns: names, name: newName)
            }
            store(result, in: session)
            session.print("\(newName): \(plural(result.columns.count, "column")), \(plural(result.rowCount, "row"))")
            return .dataset(newName)
        })
}

let selectCommand = columnSubsetCommand(
    name: "select", summary: "Keep only some columns of a dataset", keep: true,
    columnsHelp: "the columns to keep, in this order (names, or quoted names)",
    help: "A new dataset with the named columns in the order given. The target and time roles stay when their column is kept.",
    example: "select penguins columns [species, bill_length_mm, body_mass_g] as small")

let dropCommand = columnSubsetCommand(
    name: "drop", summary: "Remove some columns of a dataset", keep: false,
    columnsHelp: "the columns to remove (names, or quoted names)",
    help: "A new dataset without the named columns. Dropping the target or time column drops that role too.",
    example: "drop penguins columns [year, date_egg] as nodates")

// MARK: - generate

let generateCommand = CommandSpec(
    name: "generate", group: .data,
    summary: "Generate a synthetic dataset with controlled drift (housing, churn, sensors)",
    synopsis: "generate KIND rows N [seed S] [year Y] [shift S] [drift D] [extra] as NAME",
    operands: [OperandSpec("KIND", .choice(Generators.kinds), help: "the generator")],
    options: [
        OptionSpec("rows", .integer, required: true, help: "how many rows"),
        OptionSpec("seed", .integer, help: "the random seed; the same seed gives the same data (default: the session seed, see set seed)"),
        OptionSpec("year", .integer, default: "2019", help: "housing: the sale year (covariates and prices move with it)"),
        OptionSpec("shift", .number, default: "0", help: "churn: label shift (odds of churning × e^S)"),
        OptionSpec("drift", .number, default: "0", help: "sensors: gradual concept drift across the batch"),
        OptionSpec("extra", .flag, help: "sensors: add the pressure column, which carries real signal"),
        OptionSpec("as", .name(.any), required: true, help: "the new dataset"),
    ],
    help: "Deterministic synthetic data for teaching, demos and tests: the same kind, rows, seed and options always give the same dataset (and fingerprint).\n\n"
        + Generators.kinds.compactMap { Generators.documentation[$0] }.joined(separator: "\n\n")
            // The command spells the sensors option as a flag: `extra`, not `extra 1`.
            .replacingOccurrences(of: "extra 1", with: "extra"),
    examples: ["generate housing rows 2000 seed 1 year 2019 as h2019",
               "generate housing rows 2000 seed 2 year 2023 as h2023",
               "generate churn rows 5000 seed 3 shift 0.8 as churn_shifted",
               "generate sensors rows 1000 seed 4 drift 1 extra as new_batch"],
    handler: { inv, session in
        guard let kindArg = inv.operand(0), let kind = kindArg.string else { return nil }
        let name = try newName(inv)
        guard let rows = inv.int("rows") else { return nil }
        guard rows > 0 else { throw inv.error("rows must be at least 1, got \(rows)", at: "rows") }
        let accepted = Set((Generators.options[kind] ?? []).map(\.name))
        var given: [String: Double] = [:]
        for key in ["year", "shift", "drift", "extra"] where inv.has(key) {
            guard accepted.contains(key) else {
                let list = (Generators.options[kind] ?? []).map(\.name).joined(separator: ", ")
                throw inv.error("'\(key)' is not an option of the \(kind) generator", at: key,
                                notes: ["options of \(kind): \(list.isEmpty ? "none" : list)"])
            }
            given[key] = key == "extra" ? 1 : inv.double(key)
        }
        let (seed, seedShown) = seedValue(inv, session)
        // A bad option value is reported at that option (the generator's message names it).
        let probeSpan = given.keys.sorted().first { key in inv.has(key) } .map { inv.span($0) }
        var d = try DataErrors.run(at: given.count == 1 ? (probeSpan ?? inv.node.span) : inv.node.span) {
            try Generators.generate(kind: kind, rows: rows, seed: seed, options: given, name: name)
        }
        var detail = "\(kind) rows \(rows) seed \(seedShown)"
        for key in ["year", "shift", "drift"] where given[key] != nil {
            detail += " \(key) \(inv.options[key].map(Invocation.text(of:)) ?? "")"
        }
        if given["extra"] != nil { detail += " extra" }
        d.provenance = Provenance(operation: "generate", detail: detail)
        store(d, in: session)
        var line = "\(name): \(plural(d.rowCount, "row")), \(plural(d.columns.count, "column"))"
        if let t = d.target { line += ", target \(t)" }
        if let t = d.time { line += ", time \(t)" }
        line += ", fingerprint \(fingerprintPrefix(d))"
        session.print(line)
        return .dataset(name)
    })
