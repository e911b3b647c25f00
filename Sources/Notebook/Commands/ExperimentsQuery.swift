import Foundation
import Language
import Render
import Tracking

/// Turns a `where` expression of the shared grammar into Tracking's `RunFilter`. Bare names
/// resolve through the store (a run field, then a final metric, then a parameter; ambiguity is
/// the store's error listing the choices); errors point at the offending sub-expression.
struct RunFilterBuilder {
    let store: Store

    func filter(_ e: Expr) throws -> RunFilter {
        switch e.kind {
        case .binary(.and, let l, let r): return .and(try filter(l), try filter(r))
        case .binary(.or, let l, let r): return .or(try filter(l), try filter(r))
        case .unary(.not, let x): return .not(try filter(x))
        case .binary(let op, let l, let r) where op.isComparison:
            return try comparison(op, l, r, whole: e)
        case .identifier, .dotted, .call:
            // A bare key: the run has it at all (`runs where valid_loss`).
            return .has(try operand(e))
        default:
            throw Diagnostic("expected a condition such as 'rmse < 3' or 'kind = finetune', got \(ExprPrinter.print(e))",
                             at: e.span)
        }
    }

    func comparison(_ op: BinaryOperator, _ l: Expr, _ r: Expr, whole: Expr) throws -> RunFilter {
        switch op {
        case .in:
            let lhs = try operand(l)
            let members: [Expr]
            switch r.kind {
            case .list(let xs), .sequence(let xs): members = xs
            default: members = [r]
            }
            let list = try members.map { try operand($0, comparedWith: lhs) }
            return .isIn(lhs, list)
        case .like:
            let lhs = try operand(l)
            guard case .string(let pattern) = r.kind else {
                throw Diagnostic("'like' needs a quoted pattern such as \"fine%\", got \(ExprPrinter.print(r))", at: r.span)
            }
            return .like(lhs, pattern)
        default:
            let cmp: Comparison
            switch op {
            case .equal: cmp = .eq
            case .notEqual: cmp = .ne
            case .less: cmp = .lt
            case .lessEqual: cmp = .le
            case .greater: cmp = .gt
            case .greaterEqual: cmp = .ge
            default:
                throw Diagnostic("'\(op.rawValue)' is not a comparison", at: whole.span)
            }
            // A name compared with a name-valued field is a name: resolve the field side first.
            let lhs: Operand, rhs: Operand
            if isNameValuedField(r), !isNameValuedField(l) {
                rhs = try operand(r)
                lhs = try operand(l, comparedWith: rhs)
            } else {
                lhs = try operand(l)
                rhs = try operand(r, comparedWith: lhs)
            }
            let f = RunFilter.compare(lhs, cmp, rhs)
            // Let the store type-check now, so the error points at this comparison.
            do {
                _ = try store.compiledSQL(RunQuery(filter: f))
            } catch {
                throw Diagnostic("\(error)", at: whole.span)
            }
            return f
        }
    }

    func isNameValuedField(_ e: Expr) -> Bool {
        if let n = e.identifier, let f = RunField.named(n) { return f.isNameValued }
        return false
    }

    /// One side of a comparison. `other` is the already-resolved other side, if any.
    func operand(_ e: Expr, comparedWith other: Operand? = nil) throws -> Operand {
        switch e.kind {
        case .number(let d, _): return .number(d)
        case .unary(.negate, let inner):
            if case .number(let d, _) = inner.kind { return .number(-d) }
        case .string(let s): return .string(s)
        case .runID(let id): return .number(Double(id))
        case .range:
            throw Diagnostic("a range a..b belongs to sweep's over clause; in a filter write x >= A and x <= B", at: e.span)
        case .identifier(let name):
            if case .field(let f)? = other, f.isNameValued { return .string(name) }
            // Tags and parameters are text: `tag.stage = candidate`, `param.solver = exact`.
            switch other {
            case .tag?, .param?: return .string(name)
            default: break
            }
            return try resolve(name, at: e.span)
        case .dotted(let parts):
            let name = parts.joined(separator: ".")
            guard ["param", "metric", "tag"].contains(parts.first ?? "") else {
                throw Diagnostic("unknown name '\(name)'", at: e.span,
                                 notes: ["prefixes are param., metric. and tag. (e.g. param.lr, metric.rmse)"])
            }
            return try resolve(name, at: e.span)
        case .call(let name, let args):
            guard let agg = CurveAggregate(rawValue: name) else {
                throw Diagnostic("unknown function '\(name)'", at: e.span,
                                 notes: ["curve aggregates: " + CurveAggregate.allCases.map { "\($0.rawValue)(KEY)" }.joined(separator: ", ")])
            }
            guard args.count == 1, let arg = args.first else {
                throw Diagnostic("\(name)() takes one curve key, e.g. \(name)(valid_loss)", at: e.span)
            }
            let key: String
            switch arg.kind {
            case .identifier(let k): key = k
            case .dotted(let parts): key = parts.joined(separator: ".")
            case .string(let k): key = k
            default:
                throw Diagnostic("\(name)() takes a curve key such as valid_loss, got \(ExprPrinter.print(arg))", at: arg.span)
            }
            return .curve(agg, key)
        default:
            break
        }
        throw Diagnostic("expected a field, metric, parameter or value, got \(ExprPrinter.print(e))", at: e.span)
    }

    func resolve(_ name: String, at span: SourceSpan) throws -> Operand {
        do {
            return try store.resolveName(name)
        } catch {
            throw Diagnostic("\(error)", at: span)
        }
    }

    /// An ordering key: the same names as in a filter.
    func orderKey(_ arg: Argument) throws -> Operand {
        guard case .expr(let e) = arg.value else {
            throw Diagnostic("order by expects a field, metric or parameter", at: arg.span)
        }
        return try operand(e)
    }
}

/// Shared pieces of the experiment commands.
enum Experiments {
    /// A library error as a diagnostic at `span`.
    static func wrap<T>(_ span: SourceSpan, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic("\(error)", at: span, kind: (error as? StoreError)?.isCancelledQuery == true ? .interrupted : .runtime)
        }
    }

    /// The metric keys worth a column, in the documented vocabulary's order.
    static let metricPriority = ["rmse", "mae", "r2", "accuracy", "auc", "f1", "log_loss"]

    static func keyMetrics(_ rows: [RunRow], prefer: [String] = [], limit: Int = 2) -> [String] {
        let present = Set(rows.flatMap(\.metrics.keys))
        var keys: [String] = []
        for k in prefer + metricPriority where present.contains(k) && !keys.contains(k) { keys.append(k) }
        if keys.count < limit {
            for k in present.sorted() where !keys.contains(k) && !k.hasPrefix("train_") && !k.hasPrefix("valid_")
                && !k.hasPrefix("psi.") {
                keys.append(k)
            }
        }
        return Array(keys.prefix(limit))
    }

    static func versionText(_ r: RunRow) -> String {
        guard let m = r.model else { return "" }
        if let v = r.version { return "\(m)@\(v)" }
        if let p = r.parentVersion { return "\(m) (from @\(p))" }
        return m
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(secondsFromGMT: 0)
        return f.string(from: d)
    }

    /// `2026-11-29 14:05` (UTC): short enough for the run table.
    static func minute(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: d)
    }

    static func duration(_ s: Double?) -> Cell {
        guard let s else { return .missing }
        return .text(NumberFormat.duration(s))
    }

    /// The run table of `runs` and `report`.
    static func runTable(_ rows: [RunRow], prefer: [String] = []) -> Table {
        let metrics = keyMetrics(rows, prefer: prefer)
        var columns = [Table.Column("id", alignment: .right), Table.Column("kind"), Table.Column("model"),
                       Table.Column("status"), Table.Column("data")]
        columns += metrics.map { Table.Column($0, alignment: .right) }
        columns += [Table.Column("duration", alignment: .right), Table.Column("started")]
        let body: [[Cell]] = rows.map { r in
            var cells: [Cell] = [.text("#\(r.id)"), .text(r.kind.rawValue), .text(versionText(r)),
                                 .text(r.status.rawValue + (r.deleted ? " (deleted)" : "")),
                                 .text(r.datasets.joined(separator: ", "))]
            cells += metrics.map { k in r.metrics[k].map(Cell.number) ?? .missing }
            cells += [duration(r.duration), .text(minute(r.started))]
            return cells
        }
        return Table(columns: columns, rows: body,
                     footer: rows.isEmpty ? ["no runs match"] : ["\(rows.count) run\(rows.count == 1 ? "" : "s")"])
    }

    /// Builds a `RunQuery` from `where`, `order by`, `limit` and `all`.
    static func query(_ inv: Invocation, store: Store) throws -> RunQuery {
        let builder = RunFilterBuilder(store: store)
        var q = RunQuery()
        if let e = inv.expr("where") { q.filter = try builder.filter(e) }
        if let o = inv.options["order by"] {
            q.order = [RunOrder(try builder.orderKey(o), descending: inv.flag("desc"))]
        } else if inv.flag("desc") || inv.flag("asc") {
            throw inv.error("asc/desc go after 'order by KEY'", at: inv.has("desc") ? "desc" : "asc")
        }
        if let n = inv.int("limit") {
            guard n >= 0 else { throw inv.error("limit must be 0 or more, got \(n)", at: "limit") }
            q.limit = n
        }
        q.includeDeleted = inv.flag("all")
        return q
    }

    /// The operand spec for `where` / `order by` / `limit` shared by runs, export and report.
    static let queryOptions: [OptionSpec] = [
        OptionSpec("where", .expr, help: "a condition over run fields, param.X, metric.X, tag.X and min/max/first/last/count/mean(CURVE)"),
        OptionSpec("order by", .expr, help: "a field, metric or parameter to sort by"),
        OptionSpec("asc", .flag, help: "ascending order (the default)"),
        OptionSpec("desc", .flag, help: "descending order"),
        OptionSpec("limit", .integer, help: "at most N runs"),
        OptionSpec("all", .flag, help: "include deleted runs"),
    ]
}
