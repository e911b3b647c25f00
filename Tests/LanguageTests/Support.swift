import Testing
@testable import Language

/// A compact, unambiguous rendering of an expression's shape for assertions.
func shape(_ e: Expr) -> String {
    switch e.kind {
    case .number(_, let text): return text
    case .string(let s): return "\"" + s + "\""
    case .identifier(let n): return n
    case .dotted(let parts): return "dot(" + parts.joined(separator: ".") + ")"
    case .runID(let id): return "#\(id)"
    case .version(let model, let ref): return "ver(\(model ?? "")@\(ref))"
    case .cellRef(let n): return n.map { "_\($0)" } ?? "_"
    case .list(let items): return "[" + items.map(shape).joined(separator: ", ") + "]"
    case .map(let pairs): return "{" + pairs.map { shape($0.key) + ": " + shape($0.value) }.joined(separator: ", ") + "}"
    case .star: return "*"
    case .call(let name, let args): return name + "(" + args.map(shape).joined(separator: ", ") + ")"
    case .unary(let op, let x): return "(\(op == .not ? "not" : "neg") \(shape(x)))"
    case .binary(let op, let l, let r): return "(\(op.rawValue) \(shape(l)) \(shape(r)))"
    case .sequence(let items): return "seq(" + items.map(shape).joined(separator: ", ") + ")"
    case .range(let lo, let hi, let log, let count):
        return "range(\(log ? "log " : "")\(shape(lo))..\(shape(hi))\(count.map { " count " + shape($0) } ?? ""))"
    }
}

/// `verb | item | item …`
func shape(_ c: CommandNode) -> String {
    ([c.verb] + c.items.map(shape)).joined(separator: " | ")
}

struct ParseProblem: Error, CustomStringConvertible {
    var description: String
}

/// Parses and returns the commands, or throws describing the unexpected result.
func commands(_ source: String, firstLine: Int = 1) throws -> [CommandNode] {
    switch Parser.parse(source, firstLine: firstLine) {
    case .commands(let c): return c
    case .incomplete(let i): throw ParseProblem(description: "incomplete: \(i.reason) for \(source)")
    case .failure(let d): throw ParseProblem(description: "failure: \(d.message) at \(d.span) for \(source)")
    }
}

/// The single command of `source`, as a shape string.
func one(_ source: String) throws -> String {
    let c = try commands(source)
    guard c.count == 1 else { throw ParseProblem(description: "expected 1 command, got \(c.count)") }
    return shape(c[0])
}

func failure(_ source: String) -> Diagnostic? {
    if case .failure(let d) = Parser.parse(source) { return d }
    return nil
}

func incomplete(_ source: String) -> Incomplete.Reason? {
    if case .incomplete(let i) = Parser.parse(source) { return i.reason }
    return nil
}

func loc(_ line: Int, _ column: Int, _ offset: Int) -> Language.SourceLocation {
    Language.SourceLocation(line: line, column: column, offset: offset)
}

func span(_ l1: Int, _ c1: Int, _ o1: Int, _ l2: Int, _ c2: Int, _ o2: Int) -> SourceSpan {
    SourceSpan(start: loc(l1, c1, o1), end: loc(l2, c2, o2))
}

