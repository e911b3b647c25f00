import Foundation
import Language

/// A validated value of an operand or option.
public indirect enum ArgValue: Sendable, Hashable {
    case integer(Int)
    case number(Double)
    case string(String)
    case name(String)
    case version(model: String?, ref: VersionRef)
    case runID(Int)
    case expr(Expr)
    case flag
    case list([Argument])
    case map([MapEntry])
}

public struct MapEntry: Sendable, Hashable {
    public var key: String
    public var keySpan: SourceSpan
    public var value: Argument
    public init(key: String, keySpan: SourceSpan, value: Argument) {
        self.key = key
        self.keySpan = keySpan
        self.value = value
    }
}

/// A validated value with the span it was written at.
public struct Argument: Sendable, Hashable {
    public var value: ArgValue
    public var span: SourceSpan
    public init(_ value: ArgValue, span: SourceSpan) {
        self.value = value
        self.span = span
    }

    public var int: Int? {
        if case .integer(let i) = value { return i }
        return nil
    }

    public var double: Double? {
        switch value {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// A string, a name or a choice.
    public var string: String? {
        switch value {
        case .string(let s), .name(let s): return s
        default: return nil
        }
    }

    public var list: [Argument] {
        if case .list(let items) = value { return items }
        return [self]
    }

    public var expr: Expr? {
        if case .expr(let e) = value { return e }
        return nil
    }
}

/// A command node validated against its `CommandSpec`: typed operands and options with spans.
public struct Invocation: Sendable {
    public var node: CommandNode
    public var spec: CommandSpec
    public var operands: [Argument]
    public var options: [String: Argument]
    /// The folder relative paths resolve against (the script's folder, or the working directory).
    public var baseDirectory: String

    public init(node: CommandNode, spec: CommandSpec, operands: [Argument], options: [String: Argument],
                baseDirectory: String) {
        self.node = node
        self.spec = spec
        self.operands = operands
        self.options = options
        self.baseDirectory = baseDirectory
    }

    public func operand(_ index: Int) -> Argument? { index < operands.count ? operands[index] : nil }
    public func has(_ key: String) -> Bool { options[key] != nil }
    public func flag(_ key: String) -> Bool { options[key] != nil }
    public func int(_ key: String) -> Int? { options[key]?.int }
    public func double(_ key: String) -> Double? { options[key]?.double }
    public func string(_ key: String) -> String? { options[key]?.string }
    public func expr(_ key: String) -> Expr? { options[key]?.expr }

    /// The names in a list-valued option (`from a, b`).
    public func names(_ key: String) -> [String]? {
        options[key].map { $0.list.compactMap(\.string) }
    }

    /// The span of an option's value, or of the whole command when it is absent.
    public func span(_ key: String) -> SourceSpan { options[key]?.span ?? node.span }

    /// The span of characters `range` inside a phrase option's text (a sub-language such as
    /// backtest's policies or sweep's over clause), or the whole phrase when it spans lines.
    public func phraseSpan(_ key: String, range: Range<Int>) -> SourceSpan {
        let span = span(key)
        guard let text = string(key) else { return span }
        let utf8 = Array(text.utf8)
        let chars = Array(text)
        let lo = min(range.lowerBound, chars.count), hi = min(max(range.upperBound, lo), chars.count)
        let byteLo = String(chars[..<lo]).utf8.count, byteHi = String(chars[..<hi]).utf8.count
        guard span.start.line == span.end.line, byteHi <= utf8.count, !text.contains("\n") else { return span }
        return SourceSpan(start: SourceLocation(line: span.start.line, column: span.start.column + lo, offset: span.start.offset + byteLo),
                          end: SourceLocation(line: span.start.line, column: span.start.column + hi, offset: span.start.offset + byteHi))
    }

    /// A path option or operand resolved against the base directory.
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") { return NSString(string: path).expandingTildeInPath }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardized.path
    }

    /// The file a writing command writes. `to "F"` is the one spelling across commands
    /// (`export … to`, `report to`, `transcript to`, `save session to`); the older bare operand
    /// (`report "F.html"`) is still accepted, with a hint that prints the `to` form. `operand` is
    /// the index of that optional path operand.
    public func outputFile(operand index: Int, session: Session) throws -> (raw: String, path: String, span: SourceSpan) {
        let bare = operand(index)
        if let to = options["to"], let raw = to.string {
            if let bare {
                throw Diagnostic.syntax("the file is given twice: '\(Invocation.text(of: bare))' and 'to \"\(raw)\"'",
                                        at: bare.span, notes: ["usage: \(spec.synopsis)"])
            }
            return (raw, resolvePath(raw), to.span)
        }
        guard let bare, let raw = bare.string else {
            throw Diagnostic.syntax("\(spec.name) needs the file to write: to \"FILE\"", at: node.span,
                                    notes: ["usage: \(spec.synopsis)"])
        }
        let written = node.verb + (node.verb == "save" ? " session" : "") + " to \"" + raw + "\""
        session.printError("hint: did you mean '\(written)'? every command names the file it writes with 'to \"FILE\"'")
        return (raw, resolvePath(raw), bare.span)
    }

    /// A runtime error about an option's value (or the command when absent).
    public func error(_ message: String, at key: String? = nil, notes: [String] = []) -> Diagnostic {
        Diagnostic(message, at: key.map { span($0) } ?? node.span, kind: .runtime, notes: notes)
    }

    /// The value of an option as recorded with runs: given, or the declared default.
    public func effectiveOptions() -> [(key: String, value: String)] {
        spec.options.compactMap { opt in
            if let arg = options[opt.key] { return (opt.key, Invocation.text(of: arg)) }
            if let d = opt.defaultValue { return (opt.key, d) }
            return nil
        }
    }

    public static func text(of arg: Argument) -> String {
        switch arg.value {
        case .integer(let i): return String(i)
        case .number(let d): return formatNumber(d)
        case .string(let s), .name(let s): return s
        case .version(let m, let r): return "\(m ?? "")@\(r)"
        case .runID(let id): return "#\(id)"
        case .expr(let e): return ExprPrinter.print(e)
        case .flag: return "true"
        case .list(let items): return "[" + items.map(text(of:)).joined(separator: ", ") + "]"
        case .map(let entries): return "[" + entries.map { "\($0.key): \(text(of: $0.value))" }.joined(separator: ", ") + "]"
        }
    }

    /// Shortest round-tripping text of a number (`0.01`, `40`, `1e-06`).
    public static func formatNumber(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
