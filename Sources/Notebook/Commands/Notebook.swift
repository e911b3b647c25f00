import Decisions
import Foundation
import Language
import Render

/// `help`, `set`, `show`, `cells`: the notebook's own commands.
func notebookCommands() -> [CommandSpec] {
    [helpCommand, setCommand, showCommand, cellsCommand]
}

let settingKeys = ["seed", "timer", "format", "progress", "color", "tolerance", "errors", "sql_timeout", "cost"]

let helpCommand = CommandSpec(
    name: "help", group: .notebook,
    summary: "List the commands, or show one command's usage, options and examples",
    synopsis: "help [COMMAND]",
    operands: [OperandSpec("COMMAND", .name(.any), optional: true, help: "a command name")],
    help: "Without an operand, lists every command grouped by purpose. With one, prints its usage, its operands, every option with its default, and examples.",
    examples: ["help", "help finetune"],
    completer: { session, ctx in Registry.standard.names.filter { $0.hasPrefix(ctx.prefix) } },
    handler: { inv, session in
        let registry = Registry.standard
        if let name = inv.operand(0)?.string {
            guard let spec = registry.spec(named: name) else {
                var notes: [String] = []
                if let s = Suggest.closest(name, among: registry.names) { notes.append("did you mean '\(s)'?") }
                throw Diagnostic("no command named '\(name)'", at: inv.operand(0)?.span ?? inv.node.span, notes: notes)
            }
            session.print(HelpText.command(spec, width: session.width))
        } else {
            session.print(HelpText.overview(registry))
        }
        return nil
    })

let setCommand = CommandSpec(
    name: "set", group: .notebook,
    summary: "Change a session setting",
    synopsis: "set KEY VALUE | set cost ratio R [per second|gflop] | set cost off",
    operands: [OperandSpec("KEY", .choice(settingKeys), help: "the setting"),
               OperandSpec("VALUE", .any, optional: true, help: "its new value")],
    options: [OptionSpec("ratio", .number, help: "cost: error units traded for one unit of compute"),
              OptionSpec("per", .choice(CostRatio.Unit.allCases.map(\.rawValue)), default: "second",
                         help: "cost: the unit of compute the ratio prices")],
    help: """
    Settings last for the session. Keys:
      seed N                       default seed for training, splits and sampling (default 42)
      timer on|off                 print each cell's wall time (default off)
      format table|vertical|csv|tsv|json|markdown
                                   how tabular results print (default table; wide tables switch to vertical)
      progress on|off              live progress bars during training on a terminal (default on)
      color on|off                 ANSI colour (default: on for a terminal without NO_COLOR)
      tolerance X                  relative tolerance for numbers in verified replay (default 1e-9)
      errors stop|continue         stop a script at the first error (default), or report errors and go on:
                                   under continue an error is expected and does not set the exit code
      sql_timeout SECONDS|off      time limit of each `sql` and `runs` query (default 5); Ctrl-C stops one at once
      cost ratio R [per second|gflop]
                                   the error a user would trade for one second (or one GFLOP) of compute:
                                   advise and backtest then rank by error + R × compute (default off;
                                   `set cost off` turns it off; see docs/ADVICE.md)
    """,
    examples: ["set format csv", "set timer on", "set seed 7", "set cost ratio 0.5 per gflop"],
    completer: { _, ctx in
        switch ctx.previousWords.count {
        case 1: return settingKeys.filter { $0.hasPrefix(ctx.prefix) }
        default:
            let key = ctx.previousWords.last ?? ""
            let values: [String]
            switch key {
            case "format": values = Settings.Format.allCases.map(\.rawValue)
            case "timer", "progress", "color": values = ["on", "off"]
            case "errors": values = ["stop", "continue"]
            case "sql_timeout": values = ["off"]
            case "cost": values = ["ratio", "off"]
            case "per": values = CostRatio.Unit.allCases.map(\.rawValue)
            default: values = []
            }
            return values.filter { $0.hasPrefix(ctx.prefix) }
        }
    },
    handler: { inv, session in
        guard let key = inv.operand(0)?.string else { return nil }
        if key == "cost" {
            try setCostRatio(inv, session)
            return nil
        }
        if let extra = ["ratio", "per"].first(where: { inv.has($0) }) {
            throw inv.error("'\(extra)' belongs to 'set cost ratio R per second|gflop', not to '\(key)'", at: extra)
        }
        guard let value = inv.operand(1) else {
            throw Diagnostic.syntax("set \(key) needs a value", at: inv.operand(0)?.span ?? inv.node.span, notes: ["usage: set KEY VALUE"])
        }
        let text = Invocation.text(of: value)
        func onOff() throws -> Bool {
            switch text {
            case "on", "true", "yes": return true
            case "off", "false", "no": return false
            default: throw Diagnostic("'\(key)' expects on or off, got '\(text)'", at: value.span)
            }
        }
        switch key {
        case "seed":
            guard let n = value.int else { throw Diagnostic("seed expects an integer, got '\(text)'", at: value.span) }
            session.settings.seed = n
        case "timer": session.settings.timer = try onOff()
        case "progress": session.settings.progress = try onOff()
        case "color": session.settings.color = try onOff()
        case "format":
            guard let f = Settings.Format(rawValue: text) else {
                throw Diagnostic("format expects one of \(Settings.Format.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'",
                                 at: value.span)
            }
            session.settings.format = f
        case "tolerance":
            guard let x = value.double, x >= 0, x.isFinite else {
                throw Diagnostic("tolerance expects a non-negative number, got '\(text)'", at: value.span)
            }
            session.settings.tolerance = x
        case "errors":
            guard text == "stop" || text == "continue" else {
                throw Diagnostic("errors expects stop or continue, got '\(text)'", at: value.span)
            }
            session.settings.onError = text
        case "sql_timeout":
            if text == "off" { session.settings.sqlTimeout = nil; break }
            guard let x = value.double, x > 0, x.isFinite else {
                throw Diagnostic("sql_timeout expects a positive number of seconds or off, got '\(text)'", at: value.span)
            }
            session.settings.sqlTimeout = x
        default: break
        }
        return nil
    })

/// What `show` can show, besides settings; other command files add cases through `ShowTargets`.
let showCommand = CommandSpec(
    name: "show", group: .notebook,
    summary: "Show settings, a dataset, a run (#N) or a model version (NAME@V)",
    synopsis: "show settings | show DATASET | show #RUN | show MODEL[@V]",
    operands: [OperandSpec("WHAT", .any, help: "settings, a dataset name, a run id or a model version")],
    help: "One command for looking at anything: `show settings` lists the session settings; `show DATA` describes a dataset; `show #7` prints everything about run 7 (parameters, metrics, curve, lineage, environment); `show price@2` prints a model version's specification, preprocessing, parameters, metrics and lineage.",
    examples: ["show settings", "show #3", "show price@latest", "show _"],
    completer: { _, ctx in ctx.previousWords.count == 1 && "settings".hasPrefix(ctx.prefix) ? ["settings"] : [] },
    handler: { inv, session in
        guard let what = inv.operand(0) else { return nil }
        if case .name("settings") = what.value {
            session.show(settingsTable(session.settings))
            return nil
        }
        for target in ShowTargets.all {
            if let result = try target(what, inv, session) { return result.value }
        }
        throw Diagnostic("nothing named '\(Invocation.text(of: what))' to show", at: what.span,
                         notes: ["show takes: settings, a dataset, #RUN or MODEL@V"])
    })

/// Extension point for `show`: each returns nil when the value is not its kind.
enum ShowTargets {
    struct Shown { var value: ResultValue? }
    typealias Target = @Sendable (Argument, Invocation, Session) throws -> Shown?
    static var all: [Target] { [datasetShowTarget, RunDisplay.showTarget, showModelTarget] }
}

func settingsTable(_ s: Settings) -> Table {
    let onOff = { (b: Bool) -> Cell in .text(b ? "on" : "off") }
    return Table(headers: ["setting", "value"], rows: [
        ["seed", .int(s.seed)],
        ["timer", onOff(s.timer)],
        ["format", .text(s.format.rawValue)],
        ["progress", onOff(s.progress)],
        ["color", onOff(s.color)],
        ["tolerance", .number(s.tolerance)],
        ["errors", .text(s.onError)],
        ["sql_timeout", .text(s.sqlTimeout.map { NumberFormat.compact($0) + " s" } ?? "off")],
        ["cost ratio", .text(s.costRatio?.description ?? "off")],
    ])
}

/// `set cost ratio R [per second|gflop]`, `set cost off`.
func setCostRatio(_ inv: Invocation, _ session: Session) throws {
    if let value = inv.operand(1) {
        let text = Invocation.text(of: value)
        guard text == "off", !inv.has("ratio"), !inv.has("per") else {
            throw Diagnostic("set cost expects 'ratio R [per second|gflop]' or 'off', got '\(text)'", at: value.span,
                             notes: ["example: set cost ratio 0.5 per gflop"])
        }
        session.settings.costRatio = nil
        return
    }
    guard let r = inv.double("ratio") else {
        throw Diagnostic.syntax("set cost needs 'ratio R' (or 'off')", at: inv.node.span, notes: ["example: set cost ratio 0.5 per gflop"])
    }
    guard r >= 0, r.isFinite else { throw inv.error("the cost ratio must be a finite number ≥ 0, got \(Invocation.formatNumber(r))", at: "ratio") }
    let unit = inv.string("per").flatMap(CostRatio.Unit.init(rawValue:)) ?? .second
    session.settings.costRatio = CostRatio(r, per: unit)
}

let cellsCommand = CommandSpec(
    name: "cells", group: .notebook,
    summary: "List this session's cells with status and duration",
    synopsis: "cells",
    help: "Like IPython's %history: every command of this session with its cell number, status (ok, failed, interrupted) and wall time.",
    examples: ["cells"],
    handler: { _, session in
        let rows: [[Cell]] = session.cells.map { c in
            [.int(c.number), .text(c.status.rawValue), .text(secondsText(c.seconds)), .text(c.text)]
        }
        let table = Table(columns: [Table.Column("cell", alignment: .right), Table.Column("status"),
                                    Table.Column("time", alignment: .right), Table.Column("command")],
                          rows: rows)
        session.show(table)
        return .table(table)
    })

/// Help text for `help` and `help CMD`.
public enum HelpText {
    public static func overview(_ registry: Registry) -> String {
        var out = "Commands (help COMMAND for usage, options and examples):\n"
        let width = (registry.names.map(\.count).max() ?? 8) + 2
        for group in CommandGroup.allCases {
            let specs = registry.names.compactMap { registry.spec(named: $0) }.filter { $0.group == group }
            if specs.isEmpty { continue }
            out += "\n\(group.rawValue)\n"
            for s in specs {
                out += "  " + s.name.padding(toLength: width, withPad: " ", startingAt: 0) + s.summary + "\n"
            }
        }
        return out
    }

    /// One command's help, its prose wrapped to `width` columns (lines that fit, such as the
    /// formula tables of `help generate`, are kept as written; option lines wrap with a hanging
    /// indent).
    public static func command(_ s: CommandSpec, width: Int = 80) -> String {
        func fold(_ text: String, indent: Int = 0) -> String {
            // Paragraphs are runs of unindented lines: one that does not fit is reflowed whole.
            // Indented lines (formula tables) are wrapped alone, with their indentation.
            var out: [String] = []
            var paragraph: [String] = []
            func flush() {
                guard !paragraph.isEmpty else { return }
                if paragraph.contains(where: { TextWidth.of($0) > width }) {
                    let pieces = TextWidth.wrap(paragraph.joined(separator: " "), width: max(20, width - indent))
                    out += pieces.enumerated().map { (i, p) in (i == 0 ? "" : String(repeating: " ", count: indent)) + p }
                } else {
                    out += paragraph
                }
                paragraph = []
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.isEmpty || line.hasPrefix(" ") && indent == 0 {
                    flush()
                    if TextWidth.of(line) > width {
                        let lead = String(line.prefix { $0 == " " })
                        out += TextWidth.wrap(String(line.dropFirst(lead.count)), width: max(20, width - lead.count - 2))
                            .enumerated().map { (i, p) in lead + (i == 0 ? "" : "  ") + p }
                    } else {
                        out.append(line)
                    }
                } else {
                    paragraph.append(line)
                }
            }
            flush()
            return out.joined(separator: "\n")
        }
        var out = "usage: \(s.synopsis)\n\n\(fold(s.summary)).\n"
        if !s.help.isEmpty { out += "\n\(fold(s.help))\n" }
        if !s.operands.isEmpty {
            out += "\noperands:\n"
            let w = (s.operands.map(\.name.count).max() ?? 4) + 2
            for o in s.operands {
                let desc = o.help.isEmpty ? o.type.description : "\(o.help) (\(o.type))"
                out += fold("  " + o.name.padding(toLength: w, withPad: " ", startingAt: 0) + desc
                    + (o.optional ? " [optional]" : ""), indent: w) + "\n"
            }
        }
        if !s.options.isEmpty {
            out += "\noptions:\n"
            let w = (s.options.map(\.key.count).max() ?? 4) + 2
            for o in s.options {
                var line = "  " + o.key.padding(toLength: w, withPad: " ", startingAt: 0)
                line += o.help.isEmpty ? o.type.description : o.help
                if o.required { line += " (required)" }
                if let d = o.defaultValue { line += " [default: \(d)]" }
                out += fold(line, indent: w) + "\n"
            }
        }
        if !s.examples.isEmpty {
            out += "\nexamples:\n" + s.examples.map { "  \($0)\n" }.joined()
        }
        return out
    }
}
