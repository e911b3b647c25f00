/// Arithmetic operators of a row expression.
public enum ArithmeticOp: String, Sendable, Hashable { case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%" }

/// Comparison operators of a row expression.
public enum ComparisonOp: String, Sendable, Hashable { case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }

/// An expression over the values of one row, used by `filter`. The Notebook translates the
/// language's shared expression AST into this tree; Tabular type-checks it against a dataset.
///
/// Typing: integer/float columns and number literals are numbers; date/datetime columns are
/// dates (a string literal compared with a date is parsed as an ISO date or datetime);
/// boolean columns and `true`/`false` are booleans; categorical columns and string literals are
/// strings. Comparing different kinds is an error naming the column. A missing value makes a
/// comparison unknown; `and`/`or`/`not` use three-valued logic and `filter` keeps only rows
/// where the predicate is true.
public indirect enum RowExpr: Sendable, Hashable, CustomStringConvertible {
    case column(String)
    case number(Double)
    case string(String)
    case bool(Bool)
    case negate(RowExpr)
    case not(RowExpr)
    case arithmetic(ArithmeticOp, RowExpr, RowExpr)
    case compare(ComparisonOp, RowExpr, RowExpr)
    case and(RowExpr, RowExpr)
    case or(RowExpr, RowExpr)
    /// `lhs in [a, b, …]`.
    case isIn(RowExpr, [RowExpr])
    /// `lhs like "pattern"`: `%` matches any run of characters, `_` exactly one.
    case like(RowExpr, String)
    /// True where the value is missing.
    case isMissing(RowExpr)

    public var description: String {
        switch self {
        case .column(let n): return n
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return b ? "true" : "false"
        case .negate(let e): return "-\(e.wrapped)"
        case .not(let e): return "not \(e.wrapped)"
        case let .arithmetic(op, a, b): return "\(a.wrapped) \(op.rawValue) \(b.wrapped)"
        case let .compare(op, a, b): return "\(a.wrapped) \(op.rawValue) \(b.wrapped)"
        case let .and(a, b): return "\(a.wrapped) and \(b.wrapped)"
        case let .or(a, b): return "\(a.wrapped) or \(b.wrapped)"
        case let .isIn(a, list): return "\(a.wrapped) in [\(list.map(\.description).joined(separator: ", "))]"
        case let .like(a, p): return "\(a.wrapped) like \"\(p)\""
        case .isMissing(let e): return "\(e.wrapped) is missing"
        }
    }

    var wrapped: String {
        switch self {
        case .column, .number, .string, .bool: return description
        default: return "(\(description))"
        }
    }

    /// The first column named in the expression (for error messages).
    var firstColumn: String? {
        switch self {
        case .column(let n): return n
        case .number, .string, .bool: return nil
        case .negate(let e), .not(let e), .like(let e, _), .isMissing(let e): return e.firstColumn
        case let .arithmetic(_, a, b), let .compare(_, a, b), let .and(a, b), let .or(a, b):
            return a.firstColumn ?? b.firstColumn
        case let .isIn(a, list): return a.firstColumn ?? list.lazy.compactMap(\.firstColumn).first
        }
    }
}

/// `RowPredicate` is a `RowExpr` used as a condition.
public typealias RowPredicate = RowExpr

// MARK: - Compilation

enum CompiledExpr {
    case number((Int) -> Double)          // NaN = missing
    case date((Int) -> Double)            // seconds; NaN = missing
    case bool((Int) -> Bool?)
    case string((Int) -> String?)
    case stringLiteral(String)

    var kindName: String {
        switch self {
        case .number: return "number"
        case .date: return "date"
        case .bool: return "boolean"
        case .string, .stringLiteral: return "string"
        }
    }

    func evalBool(_ r: Int) -> Bool? {
        if case .bool(let f) = self { return f(r) }
        return nil
    }
}

struct CompiledPredicate {
    let f: (Int) -> Bool?
    func evalBool(_ r: Int) -> Bool? { f(r) }
}

struct RowExprCompiler {
    let dataset: Dataset

    func fail(_ e: RowExpr, _ message: String) -> TabularError {
        if let c = e.firstColumn { return .column(c, message: message) }
        return .invalidArgument("in '\(e)': \(message)")
    }

    func compileBool(_ e: RowExpr) throws -> CompiledPredicate {
        let c = try compile(e)
        guard case .bool(let f) = c else {
            throw fail(e, "the condition '\(e)' is a \(c.kindName), not true/false")
        }
        return CompiledPredicate(f: f)
    }

    func compile(_ e: RowExpr) throws -> CompiledExpr {
        switch e {
        case .column(let name):
            guard let col = dataset.column(named: name) else {
                throw TabularError.unknownColumn(name, available: dataset.columnNames)
            }
            switch col.storage {
            case .categorical(let codes, let levels):
                return .string { r in codes[r] < 0 ? nil : levels[Int(codes[r])] }
            case .numeric(let v):
                switch col.type {
                case .boolean: return .bool { r in v[r].isNaN ? nil : v[r] != 0 }
                case .date, .datetime: return .date { r in v[r] }
                default: return .number { r in v[r] }
                }
            case .decimal(let d):
                // Each row's code read directly (the column is never decoded as a whole).
                switch col.type {
                case .boolean: return .bool { r in d.codes[r] == DecimalCodes.missing ? nil : d.codes[r] != 0 }
                case .date, .datetime: return .date { r in d.value(r) }
                default: return .number { r in d.value(r) }
                }
            }
        case .number(let x): return .number { _ in x }
        case .string(let s): return .stringLiteral(s)
        case .bool(let b): return .bool { _ in b }
        case .negate(let inner):
            guard case .number(let f) = try compile(inner) else { throw fail(e, "'-' needs a number") }
            return .number { r in -f(r) }
        case .not(let inner):
            guard case .bool(let f) = try compile(inner) else { throw fail(e, "'not' needs a true/false condition") }
            return .bool { r in f(r).map { !$0 } }
        case let .and(a, b):
            let fa = try compileBool(a).f, fb = try compileBool(b).f
            return .bool { r in
                let x = fa(r)
                if x == false { return false }
                let y = fb(r)
                if y == false { return false }
                return (x == true && y == true) ? true : nil
            }
        case let .or(a, b):
            let fa = try compileBool(a).f, fb = try compileBool(b).f
            return .bool { r in
                let x = fa(r)
                if x == true { return true }
                let y = fb(r)
                if y == true { return true }
                return (x == false && y == false) ? false : nil
            }
        case let .arithmetic(op, a, b):
            let ca = try compile(a), cb = try compile(b)
            switch (ca, cb) {
            case let (.number(fa), .number(fb)):
                return .number(arith(op, fa, fb))
            case let (.date(fa), .date(fb)) where op == .subtract:
                return .number(arith(op, fa, fb))
            case let (.date(fa), .number(fb)) where op == .add || op == .subtract:
                return .date(arith(op, fa, fb))
            default:
                throw fail(e, "cannot apply '\(op.rawValue)' to a \(ca.kindName) and a \(cb.kindName)")
            }
        case let .compare(op, a, b):
            return .bool(try comparison(op, a, b, whole: e))
        case let .isIn(a, list):
            let tests = try list.map { try comparison(.eq, a, $0, whole: e) }
            return .bool { r in
                var unknown = false
                for t in tests {
                    switch t(r) {
                    case true?: return true
                    case nil: unknown = true
                    case false?: break
                    }
                }
                return unknown ? nil : false
            }
        case let .like(a, pattern):
            let ca = try compile(a)
            let pat = Array(pattern.unicodeScalars)
            switch ca {
            case .string(let f):
                // Cache per distinct value (categoricals repeat).
                let box = LikeCache(pattern: pat)
                return .bool { r in f(r).map { box.matches($0) } }
            case .stringLiteral(let s):
                let m = likeMatch(Array(s.unicodeScalars)[...], pat[...])
                return .bool { _ in m }
            default:
                throw fail(e, "'like' needs a string (categorical) column, not a \(ca.kindName)")
            }
        case .isMissing(let inner):
            switch try compile(inner) {
            case .number(let f), .date(let f): return .bool { r in f(r).isNaN }
            case .bool(let f): return .bool { r in f(r) == nil }
            case .string(let f): return .bool { r in f(r) == nil }
            case .stringLiteral: return .bool { _ in false }
            }
        }
    }

    func arith(_ op: ArithmeticOp, _ fa: @escaping (Int) -> Double, _ fb: @escaping (Int) -> Double) -> (Int) -> Double {
        switch op {
        case .add: return { fa($0) + fb($0) }
        case .subtract: return { fa($0) - fb($0) }
        case .multiply: return { fa($0) * fb($0) }
        case .divide: return { r in let d = fb(r); return d == 0 ? .nan : fa(r) / d }
        case .remainder: return { r in let d = fb(r); return d == 0 ? .nan : fa(r).truncatingRemainder(dividingBy: d) }
        }
    }

    func dateLiteral(_ s: String, against other: RowExpr, whole: RowExpr) throws -> Double {
        guard let d = ISODate.parse(s) else {
            throw fail(whole.firstColumn == nil ? whole : other,
                       "is a date; \"\(s)\" is not an ISO-8601 date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM:SS)")
        }
        return d.seconds
    }

    func comparison(_ op: ComparisonOp, _ a: RowExpr, _ b: RowExpr, whole: RowExpr) throws -> (Int) -> Bool? {
        let ca = try compile(a), cb = try compile(b)
        func num(_ fa: @escaping (Int) -> Double, _ fb: @escaping (Int) -> Double) -> (Int) -> Bool? {
            return { r in
                let x = fa(r), y = fb(r)
                if x.isNaN || y.isNaN { return nil }
                switch op {
                case .eq: return x == y
                case .ne: return x != y
                case .lt: return x < y
                case .le: return x <= y
                case .gt: return x > y
                case .ge: return x >= y
                }
            }
        }
        func str(_ fa: @escaping (Int) -> String?, _ fb: @escaping (Int) -> String?) -> (Int) -> Bool? {
            return { r in
                guard let x = fa(r), let y = fb(r) else { return nil }
                switch op {
                case .eq: return x == y
                case .ne: return x != y
                case .lt: return x < y
                case .le: return x <= y
                case .gt: return x > y
                case .ge: return x >= y
                }
            }
        }
        switch (ca, cb) {
        case let (.number(fa), .number(fb)), let (.date(fa), .date(fb)):
            return num(fa, fb)
        case let (.date(fa), .stringLiteral(s)):
            let v = try dateLiteral(s, against: a, whole: whole)
            return num(fa, { _ in v })
        case let (.stringLiteral(s), .date(fb)):
            let v = try dateLiteral(s, against: b, whole: whole)
            return num({ _ in v }, fb)
        case let (.string(fa), .string(fb)):
            return str(fa, fb)
        case let (.string(fa), .stringLiteral(s)):
            return str(fa, { _ in s })
        case let (.stringLiteral(s), .string(fb)):
            return str({ _ in s }, fb)
        case let (.stringLiteral(s), .stringLiteral(t)):
            return str({ _ in s }, { _ in t })
        case let (.bool(fa), .bool(fb)) where op == .eq || op == .ne:
            return { r in
                guard let x = fa(r), let y = fb(r) else { return nil }
                return op == .eq ? x == y : x != y
            }
        default:
            let column = a.firstColumn ?? b.firstColumn
            var hint = ""
            if case .string = ca, case .number = cb { hint = "; compare a categorical column with a quoted string" }
            if case .number = ca, case .stringLiteral = cb { hint = "; compare a numeric column with a number" }
            if case .date = ca, case .number = cb { hint = "; compare a date column with a date string like \"2020-01-31\"" }
            if case .bool = ca, case .bool = cb { hint = "; booleans support only = and !=" }
            let message = "cannot compare a \(ca.kindName) with a \(cb.kindName) in '\(whole)'\(hint)"
            if let column { throw TabularError.column(column, message: message) }
            throw TabularError.invalidArgument(message)
        }
    }
}

final class LikeCache: @unchecked Sendable {
    let pattern: [Unicode.Scalar]
    var cache: [String: Bool] = [:]
    init(pattern: [Unicode.Scalar]) { self.pattern = pattern }
    func matches(_ s: String) -> Bool {
        if let m = cache[s] { return m }
        let m = likeMatch(Array(s.unicodeScalars)[...], pattern[...])
        cache[s] = m
        return m
    }
}

/// SQL LIKE: `%` any run (possibly empty), `_` exactly one character; case-sensitive.
func likeMatch(_ s: ArraySlice<Unicode.Scalar>, _ p: ArraySlice<Unicode.Scalar>) -> Bool {
    // Iterative matcher with backtracking to the last '%'.
    var si = s.startIndex, pi = p.startIndex
    var starP = -1, starS = -1
    while si < s.endIndex {
        if pi < p.endIndex, p[pi] == "_" || (p[pi] != "%" && p[pi] == s[si]) {
            si += 1; pi += 1
        } else if pi < p.endIndex, p[pi] == "%" {
            starP = pi; starS = si; pi += 1
        } else if starP >= 0 {
            pi = starP + 1; starS += 1; si = starS
        } else {
            return false
        }
    }
    while pi < p.endIndex, p[pi] == "%" { pi += 1 }
    return pi == p.endIndex
}
