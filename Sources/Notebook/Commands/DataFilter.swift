import Language
import Tabular

/// Turns the language's shared expression tree into Tabular's `RowExpr` for one dataset.
/// Identifiers and dotted names are columns (`true`/`false` are booleans unless a column has
/// that name); numbers, strings, arithmetic, comparisons, `in [..]`, `like`, `and`/`or`/`not`
/// carry over; `missing(COL)` is true where COL is missing. Every error points at the span of
/// the sub-expression at fault.
struct FilterTranslator {
    let dataset: Dataset

    func translate(_ e: Expr) throws -> RowExpr {
        switch e.kind {
        case .identifier(let n):
            return try column(n, e)
        case .dotted(let parts):
            return try column(parts.joined(separator: "."), e)
        case .number(let d, _):
            return .number(d)
        case .string(let s):
            return .string(s)
        case .unary(.negate, let inner):
            if case .number(let d, _) = inner.kind { return .number(-d) }
            return .negate(try translate(inner))
        case .unary(.not, let inner):
            return .not(try translate(inner))
        case .binary(let op, let l, let r):
            switch op {
            case .and: return .and(try translate(l), try translate(r))
            case .or: return .or(try translate(l), try translate(r))
            case .equal: return .compare(.eq, try translate(l), try translate(r))
            case .notEqual: return .compare(.ne, try translate(l), try translate(r))
            case .less: return .compare(.lt, try translate(l), try translate(r))
            case .lessEqual: return .compare(.le, try translate(l), try translate(r))
            case .greater: return .compare(.gt, try translate(l), try translate(r))
            case .greaterEqual: return .compare(.ge, try translate(l), try translate(r))
            case .add: return .arithmetic(.add, try translate(l), try translate(r))
            case .subtract: return .arithmetic(.subtract, try translate(l), try translate(r))
            case .multiply: return .arithmetic(.multiply, try translate(l), try translate(r))
            case .divide: return .arithmetic(.divide, try translate(l), try translate(r))
            case .in:
                guard case .list(let items) = r.kind else {
                    throw Diagnostic("'in' needs a list such as [\"a\", \"b\"]", at: r.span)
                }
                return .isIn(try translate(l), try items.map(translate))
            case .like:
                guard case .string(let pattern) = r.kind else {
                    throw Diagnostic("'like' needs a quoted pattern such as \"Ad%\"", at: r.span,
                                     notes: ["% matches any run of characters, _ exactly one"])
                }
                return .like(try translate(l), pattern)
            }
        case .call(let name, let args):
            if name == "missing" {
                guard args.count == 1, let arg = args.first else {
                    throw Diagnostic("missing() takes one column, got \(args.count) arguments", at: e.span)
                }
                return .isMissing(try translate(arg))
            }
            throw Diagnostic("function '\(name)' cannot be used in a filter", at: e.span,
                             notes: ["a filter compares column values; the only function is missing(COLUMN)"])
        case .list:
            throw Diagnostic("a list can only follow 'in' in a filter", at: e.span)
        case .range:
            throw Diagnostic("a range a..b belongs to sweep's over clause; in a filter write x >= A and x <= B", at: e.span)
        case .map, .star, .runID, .version, .cellRef, .sequence:
            throw Diagnostic("'\(ExprPrinter.print(e))' cannot be used in a filter", at: e.span,
                             notes: ["a filter uses columns, numbers, quoted strings, true/false and operators"])
        }
    }

    func column(_ name: String, _ e: Expr) throws -> RowExpr {
        if dataset.column(named: name) != nil { return .column(name) }
        if name == "true" { return .bool(true) }
        if name == "false" { return .bool(false) }
        let hint = dataset.columns.contains { $0.type == .categorical }
            ? ["to compare with text, quote it: \"\(name)\""] : []
        throw DataErrors.unknownColumn(name, among: dataset.columnNames, at: e.span,
                                       extraNotes: Suggest.closest(name, among: dataset.columnNames) == nil ? hint : [])
    }

    /// Translates and type-checks `e` as a row condition. A type error is reported on the
    /// innermost sub-expression that fails on its own.
    func predicate(_ e: Expr) throws -> RowExpr {
        let whole = try translate(e)
        let empty = dataset.gathering(rows: [], name: dataset.name, provenance: dataset.provenance)
        if let d = try locate(e, in: empty) { throw d }
        do {
            _ = try empty.filter(whole, name: "_check")
        } catch let err as TabularError {
            throw DataErrors.diagnostic(err, at: e.span)
        }
        return whole
    }

    /// The first failing sub-expression, children before parents.
    private func locate(_ e: Expr, in empty: Dataset) throws -> Diagnostic? {
        let children: [Expr]
        let isCondition: Bool
        switch e.kind {
        case .unary(.not, let x): children = [x]; isCondition = true
        case .unary(.negate, let x): children = [x]; isCondition = false
        case .binary(let op, let l, let r):
            children = op == .in ? [l] + ((r.kind.listItems) ?? []) : [l, r]
            switch op {
            case .add, .subtract, .multiply, .divide: isCondition = false
            default: isCondition = true
            }
        case .call(_, let args): children = args; isCondition = true
        default: return nil
        }
        for c in children {
            if let d = try locate(c, in: empty) { return d }
        }
        let sub = try translate(e)
        let probe: RowExpr = isCondition ? sub : .compare(.eq, sub, sub)
        do {
            _ = try empty.filter(probe, name: "_check")
        } catch let err as TabularError {
            return DataErrors.diagnostic(err, at: e.span)
        }
        return nil
    }
}

extension Expr.Kind {
    var listItems: [Expr]? {
        if case .list(let xs) = self { return xs }
        return nil
    }
}
