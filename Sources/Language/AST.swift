/// The generic syntax tree. The parser knows no command: every command becomes a
/// `CommandNode` — a verb followed by items — and the Notebook registry decides which items
/// are operands and which are `key value` options.

/// A value or expression, with the span of source it came from.
public struct Expr: Sendable, Hashable, CustomStringConvertible {
    public indirect enum Kind: Sendable, Hashable {
        /// `42`, `0.8`, `1e-6`, `-3` (the original text is kept for exact echo).
        case number(Double, text: String)
        /// `"text"` with escapes resolved.
        case string(String)
        /// A bare name: dataset, model, column, keyword or enumerated value.
        case identifier(String)
        /// `param.lr`, `metric.rmse`: two or more names joined by dots.
        case dotted([String])
        /// `#12`.
        case runID(Int)
        /// `price@3`, `price@latest`, `price@production`, or `@2` with no model name.
        case version(model: String?, ref: VersionRef)
        /// `_` (index nil: the last result) or `_3` (the result of cell 3).
        case cellRef(Int?)
        /// `[a, b, c]`.
        case list([Expr])
        /// `[key: value, …]`.
        case map([Pair])
        /// `*` standing alone (as in `from *`).
        case star
        /// `min(valid_loss)`.
        case call(name: String, arguments: [Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        /// Items joined by commas outside brackets: `train, test`.
        case sequence([Expr])
        /// `1e-4..1e-1`, `log 1e-4..1e-1 count 6`: a range, only on the right of `in`.
        case range(low: Expr, high: Expr, log: Bool, count: Expr?)
    }

    public var kind: Kind
    public var span: SourceSpan

    public init(_ kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }

    /// The name, when this is a bare identifier.
    public var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    public var description: String { ExprPrinter.print(self) }
}

/// A `key: value` entry of a map literal.
public struct Pair: Sendable, Hashable {
    public var key: Expr
    public var value: Expr
    public init(key: Expr, value: Expr) {
        self.key = key
        self.value = value
    }
}

/// What follows `@` in a version reference.
public enum VersionRef: Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    /// `latest` or an alias name such as `production`.
    case alias(String)

    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .alias(let a): return a
        }
    }
}

public enum UnaryOperator: String, Sendable, Hashable {
    case not
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case or, and
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in`, like
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in, .like: return true
        default: return false
        }
    }
}

/// One command: `verb item item …`, e.g. `train price on train epochs 40`.
public struct CommandNode: Sendable, Hashable {
    public var verb: String
    public var verbSpan: SourceSpan
    public var items: [Expr]
    /// The whole command, from the verb to the last item.
    public var span: SourceSpan
    /// The command's source text, exactly as written (continuation lines included).
    public var text: String

    public init(verb: String, verbSpan: SourceSpan, items: [Expr], span: SourceSpan, text: String) {
        self.verb = verb
        self.verbSpan = verbSpan
        self.items = items
        self.span = span
        self.text = text
    }
}

/// Prints an expression back as source text (used in messages and for echo of expressions).
public enum ExprPrinter {
    public static func print(_ e: Expr) -> String {
        switch e.kind {
        case .number(_, let text): return text
        case .string(let s):
            var out = "\""
            for ch in s {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default: out.append(ch)
                }
            }
            return out + "\""
        case .identifier(let n): return n
        case .dotted(let parts): return parts.joined(separator: ".")
        case .runID(let id): return "#\(id)"
        case .version(let model, let ref): return "\(model ?? "")@\(ref)"
        case .cellRef(let n): return n.map { "_\($0)" } ?? "_"
        case .list(let items): return "[" + items.map(print).joined(separator: ", ") + "]"
        case .map(let pairs): return "[" + pairs.map { print($0.key) + ": " + print($0.value) }.joined(separator: ", ") + "]"
        case .star: return "*"
        case .call(let name, let args): return name + "(" + args.map(print).joined(separator: ", ") + ")"
        case .unary(let op, let x): return op == .not ? "not " + print(x) : "-" + print(x)
        case .binary(let op, let l, let r): return "(" + print(l) + " " + op.rawValue + " " + print(r) + ")"
        case .sequence(let items): return items.map(print).joined(separator: ", ")
        case .range(let lo, let hi, let log, let count):
            return (log ? "log " : "") + print(lo) + ".." + print(hi) + (count.map { " count " + print($0) } ?? "")
        }
    }
}
