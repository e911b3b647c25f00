// Run queries: a small expression tree compiled to parameterised SQL. Values and keys are
// always bound parameters; only fixed column names and operators appear in the SQL text.
import Foundation

/// A column of the `runs` table (or derived from it) that filters and orderings may name.
public enum RunField: String, Sendable, Hashable, CaseIterable {
    case id, kind, model, version
    case parentVersion = "parent_version"
    case parentRun = "parent_run"
    case status, dataset, started, ended, duration, seed, session, cell, note, host
    case wallSeconds = "wall_seconds"
    case examples, flops

    /// The field a filter names: its raw value, or `parent` for `parent_run` (the children of a
    /// sweep, duel or backtest: `runs where parent = #12`).
    public static func named(_ name: String) -> RunField? {
        name == "parent" ? .parentRun : RunField(rawValue: name)
    }

    /// Fields whose values are names: an identifier compared with them is a name, not a field
    /// (`model = price`, `kind = finetune`, `status = failed`, `dataset = train`).
    public var isNameValued: Bool {
        switch self {
        case .kind, .model, .status, .dataset, .host: return true
        default: return false
        }
    }

    /// Fields holding text rather than numbers.
    var isText: Bool { isNameValued || self == .note }

    /// Fields holding times (seconds since 1970); comparable with ISO 8601 date strings.
    var isTime: Bool { self == .started || self == .ended }

    var column: String {
        switch self {
        case .parentRun: return "r.parent_run_id"
        case .session: return "r.session_id"
        default: return "r." + rawValue
        }
    }
}

/// Aggregates over a per-epoch curve: `min(valid_loss)`, `last(train_loss)`, …
public enum CurveAggregate: String, Sendable, Hashable, CaseIterable {
    case min, max, first, last, count, mean
}

/// A value in a filter or ordering.
public enum Operand: Sendable, Hashable, CustomStringConvertible {
    case field(RunField)
    case param(String)
    case metric(String)
    case tag(String)
    case curve(CurveAggregate, String)
    case number(Double)
    case string(String)

    public var description: String {
        switch self {
        case let .field(f): return f.rawValue
        case let .param(k): return "param.\(k)"
        case let .metric(k): return "metric.\(k)"
        case let .tag(k): return "tag.\(k)"
        case let .curve(a, k): return "\(a.rawValue)(\(k))"
        case let .number(v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
        case let .string(s): return "\"\(s)\""
        }
    }

    var isLiteral: Bool {
        switch self {
        case .number, .string: return true
        default: return false
        }
    }
}

/// A comparison operator.
public enum Comparison: String, Sendable, Hashable, CaseIterable {
    case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="

    /// The operator with its operands swapped (`3 < x` is `x > 3`).
    var flipped: Comparison {
        switch self {
        case .eq, .ne: return self
        case .lt: return .gt
        case .le: return .ge
        case .gt: return .lt
        case .ge: return .le
        }
    }
}

/// A condition on runs. A run lacking a key never satisfies a comparison on it (and so
/// satisfies its `not`): every condition is true or false, never SQL NULL.
public indirect enum RunFilter: Sendable, Hashable {
    case all
    case and(RunFilter, RunFilter)
    case or(RunFilter, RunFilter)
    case not(RunFilter)
    case compare(Operand, Comparison, Operand)
    case isIn(Operand, [Operand])
    /// SQL LIKE: `%` any run of characters, `_` one character, ASCII case-insensitive.
    case like(Operand, String)
    /// The run has this key (a param, metric, tag or curve) at all.
    case has(Operand)
}

/// An ordering key.
public struct RunOrder: Sendable, Hashable {
    public var operand: Operand
    public var descending: Bool
    public init(_ operand: Operand, descending: Bool = false) {
        self.operand = operand
        self.descending = descending
    }
}

/// A query over runs: `runs where … order by … limit …`.
public struct RunQuery: Sendable, Hashable {
    public var filter: RunFilter
    public var order: [RunOrder]
    public var limit: Int?
    public var includeDeleted: Bool

    public init(filter: RunFilter = .all, order: [RunOrder] = [], limit: Int? = nil, includeDeleted: Bool = false) {
        self.filter = filter
        self.order = order
        self.limit = limit
        self.includeDeleted = includeDeleted
    }
}

/// SQL text plus its bound values.
struct SQLFragment {
    var sql: String
    var values: [SQLValue]

    init(_ sql: String, _ values: [SQLValue] = []) {
        self.sql = sql
        self.values = values
    }

    var arguments: SQLArgs { SQLArgs(values) }
}

/// Compiles filters and orderings to SQL over `runs r`.
struct FilterCompiler {
    /// Correlated mode: keyed conditions test the current run (`EXISTS (… WHERE run_id = r.id …)`)
    /// instead of building the set of matching runs (`r.id IN (SELECT run_id …)`). Used when the
    /// scan is driven in order by an index and stops at the LIMIT.
    var correlated = false
    /// Where the SQL runs: the few spellings that differ (`Dialect`).
    var dialect: Dialect = .sqlite

    /// A condition on a keyed table (params, final_metrics, tags) for the current run.
    func keyed(_ table: String, _ key: String, _ predicate: String, _ values: [SQLValue]) -> SQLFragment {
        if correlated {
            return SQLFragment("EXISTS (SELECT 1 FROM \(table) WHERE run_id = r.id AND key = ? AND \(predicate))",
                               [key.sqlValue] + values)
        }
        return SQLFragment("r.id IN (SELECT run_id FROM \(table) WHERE key = ? AND \(predicate))", [key.sqlValue] + values)
    }

    static func compile(_ query: RunQuery, dialect: Dialect = .sqlite) throws(StoreError) -> SQLFragment {
        try FilterCompiler(dialect: dialect).compileGeneric(query, extra: nil)
    }

    func compileGeneric(_ query: RunQuery, extra: SQLFragment?) throws(StoreError) -> SQLFragment {
        var whereParts: [String] = []
        var values: [SQLValue] = []
        if !query.includeDeleted { whereParts.append("r.deleted = 0") }
        if query.filter != .all {
            let f = try condition(query.filter)
            whereParts.append(f.sql)
            values += f.values
        }
        if let extra {
            whereParts.append(extra.sql)
            values += extra.values
        }
        var sql = "SELECT r.id FROM runs r"
        if !whereParts.isEmpty { sql += " WHERE " + whereParts.joined(separator: " AND ") }
        var orderParts: [String] = []
        for order in query.order {
            let direction = order.descending ? "DESC" : "ASC"
            for key in try orderingKeys(order.operand) {
                // Runs lacking the key sort last in either direction.
                orderParts.append("(\(key.sql)) IS NULL")
                values += key.values
                orderParts.append("(\(key.sql)) \(direction)")
                values += key.values
            }
        }
        orderParts.append("r.id ASC")
        sql += " ORDER BY " + orderParts.joined(separator: ", ")
        if let limit = query.limit {
            sql += " LIMIT ?"
            values.append(max(0, limit).sqlValue)
        }
        return SQLFragment(sql, values)
    }

    /// An index-driven plan for `order by metric.K … limit N` and `order by param.K … limit N`:
    /// walk the (key, value) index in order and stop at the limit, instead of sorting every
    /// match. `first` finds runs that have a value for K; `rest` (no LIMIT: the caller appends
    /// one for the remaining rows) finds the others, which sort after them in either direction.
    struct DrivenPlan {
        var first: SQLFragment
        var rest: SQLFragment
    }

    static func drivenPlan(_ query: RunQuery, dialect: Dialect = .sqlite) throws(StoreError) -> DrivenPlan? {
        guard let limit = query.limit, limit > 0, let leading = query.order.first else { return nil }
        let table: String, column: String, key: String
        var tie: String?
        switch leading.operand {
        case let .metric(k): (table, column, key) = ("final_metrics", "value", k)
        case let .param(k): (table, column, key, tie) = ("params", "num", k, "value")
        default: return nil
        }
        let direction = leading.descending ? "DESC" : "ASC"
        var compiler = FilterCompiler(dialect: dialect)
        compiler.correlated = true
        var whereParts = ["o.key = ?", "o.\(column) IS NOT NULL"]
        var values: [SQLValue] = [key.sqlValue]
        if !query.includeDeleted { whereParts.append("r.deleted = 0") }
        for conjunct in conjuncts(query.filter) {
            // A bound on the driving key itself becomes a range on the index.
            if let (op, bound) = drivingBound(conjunct, leading.operand) {
                whereParts.append("o.\(column) \(op.rawValue) ?")
                values.append(bound.sqlValue)
                continue
            }
            let f = try compiler.condition(conjunct)
            whereParts.append(f.sql)
            values += f.values
        }
        var orderParts = ["o.\(column) \(direction)"]
        if let tie { orderParts.append("o.\(tie) \(direction)") }
        for order in query.order.dropFirst() {
            let dir = order.descending ? "DESC" : "ASC"
            for k in try compiler.orderingKeys(order.operand) {
                orderParts.append("(\(k.sql)) IS NULL")
                values += k.values
                orderParts.append("(\(k.sql)) \(dir)")
                values += k.values
            }
        }
        orderParts.append("r.id ASC")
        let sql = "SELECT r.id FROM \(table) o JOIN runs r ON r.id = o.run_id WHERE " + whereParts.joined(separator: " AND ")
            + " ORDER BY " + orderParts.joined(separator: ", ") + " LIMIT ?"
        values.append(limit.sqlValue)
        let lacking = SQLFragment("NOT EXISTS (SELECT 1 FROM \(table) WHERE run_id = r.id AND key = ? AND \(column) IS NOT NULL)",
                                  [key.sqlValue])
        var restQuery = query
        restQuery.limit = nil
        let rest = try FilterCompiler(dialect: dialect).compileGeneric(restQuery, extra: lacking)
        return DrivenPlan(first: SQLFragment(sql, values), rest: rest)
    }

    /// A plan for `… limit N` in run-id order (no ordering, or `order by id`): walk `runs` by its
    /// primary key in id order, test each run's keyed conditions through the primary keys of
    /// `params`, `final_metrics` and `tags` (`EXISTS (… WHERE run_id = r.id AND key = ? …)`),
    /// and stop at the limit. The generic statement builds the whole set of matching runs first
    /// (`r.id IN (SELECT run_id FROM params WHERE key = ? …)` reads every `params` row), so a
    /// filter that many runs satisfy costs a full table read to return ten rows. Same rows, same
    /// order (DrivenPlanTests); nil when the query is not of that shape. `through`: only runs up
    /// to that id (down to it when descending), the window `Store.matchingIDs` walks before it
    /// hands the rest to the generic statement.
    static func idOrderPlan(_ query: RunQuery, dialect: Dialect = .sqlite, through edge: Int64? = nil) throws(StoreError) -> SQLFragment? {
        guard let limit = query.limit, limit > 0, mentionsKeyedTable(query.filter) else { return nil }
        var descending = false
        switch query.order.count {
        case 0: break
        case 1 where query.order[0].operand == .field(.id): descending = query.order[0].descending
        default: return nil
        }
        var compiler = FilterCompiler(dialect: dialect)
        compiler.correlated = true
        var whereParts: [String] = []
        var values: [SQLValue] = []
        if let edge {
            whereParts.append(descending ? "r.id >= ?" : "r.id <= ?")
            values.append(edge.sqlValue)
        }
        if !query.includeDeleted { whereParts.append("r.deleted = 0") }
        let f = try compiler.condition(query.filter)
        whereParts.append(f.sql)
        values += f.values
        values.append(limit.sqlValue)
        return SQLFragment("SELECT r.id FROM runs r WHERE " + whereParts.joined(separator: " AND ")
                           + " ORDER BY r.id " + (descending ? "DESC" : "ASC") + " LIMIT ?", values)
    }

    /// Whether a filter tests a parameter, final metric or tag (the conditions the generic
    /// statement answers by reading a whole keyed table).
    static func mentionsKeyedTable(_ filter: RunFilter) -> Bool {
        func keyed(_ o: Operand) -> Bool {
            switch o {
            case .param, .metric, .tag: return true
            default: return false
            }
        }
        switch filter {
        case .all: return false
        case let .and(a, b), let .or(a, b): return mentionsKeyedTable(a) || mentionsKeyedTable(b)
        case let .not(a): return mentionsKeyedTable(a)
        case let .compare(l, _, r): return keyed(l) || keyed(r)
        case let .isIn(l, list): return keyed(l) || list.contains(where: keyed)
        case let .like(l, _): return keyed(l)
        case let .has(o): return keyed(o)
        }
    }

    /// The top-level AND-ed parts of a filter.
    static func conjuncts(_ filter: RunFilter) -> [RunFilter] {
        switch filter {
        case .all: return []
        case let .and(a, b): return conjuncts(a) + conjuncts(b)
        default: return [filter]
        }
    }

    /// `metric.K < 0.5` (or `0.5 > metric.K`) when K drives the plan: a bound on the index.
    static func drivingBound(_ filter: RunFilter, _ driver: Operand) -> (Comparison, Double)? {
        guard case let .compare(lhs, op, rhs) = filter else { return nil }
        if lhs == driver, case let .number(v) = rhs { return (op, v) }
        if rhs == driver, case let .number(v) = lhs { return (op.flipped, v) }
        return nil
    }

    func condition(_ filter: RunFilter) throws(StoreError) -> SQLFragment {
        switch filter {
        case .all:
            return SQLFragment(dialect == .sqlite ? "1" : "TRUE")
        case let .and(a, b):
            let l = try condition(a), r = try condition(b)
            return SQLFragment("(\(l.sql) AND \(r.sql))", l.values + r.values)
        case let .or(a, b):
            let l = try condition(a), r = try condition(b)
            return SQLFragment("(\(l.sql) OR \(r.sql))", l.values + r.values)
        case let .not(a):
            let inner = try condition(a)
            return SQLFragment("(NOT \(inner.sql))", inner.values)
        case let .compare(lhs, op, rhs):
            return try compare(lhs, op, rhs)
        case let .isIn(lhs, list):
            return try membership(lhs, list)
        case let .like(lhs, pattern):
            return try like(lhs, pattern)
        case let .has(operand):
            return try has(operand)
        }
    }

    // MARK: Comparisons

    func compare(_ lhs: Operand, _ op: Comparison, _ rhs: Operand) throws(StoreError) -> SQLFragment {
        if lhs.isLiteral && !rhs.isLiteral { return try compare(rhs, op.flipped, lhs) }
        try typeCheck(lhs, op, rhs)
        switch (lhs, rhs) {
        case let (.param(key), .number(v)):
            return keyed("params", key, "num \(op.rawValue) ?", [v.sqlValue])
        case let (.param(key), .string(s)):
            // A quoted number compares as the number; other text only with non-numeric values
            // (`num IS NULL`), which lets the (key, num, value) index answer it.
            if let number = Store.numericValue(s) { return try compare(lhs, op, .number(number)) }
            return keyed("params", key, "num IS NULL AND value \(op.rawValue) ?", [s.sqlValue])
        case let (.metric(key), .number(v)):
            return keyed("final_metrics", key, "value \(op.rawValue) ?", [v.sqlValue])
        case let (.tag(key), .string(s)):
            return keyed("tags", key, "value \(op.rawValue) ?", [s.sqlValue])
        case let (.tag(key), .number(v)):
            return keyed("tags", key, "\(dialect.number("value")) \(op.rawValue) ?", [v.sqlValue])
        case let (.field(.dataset), .string(name)):
            if op == .ne {
                return SQLFragment("NOT EXISTS (SELECT 1 FROM run_datasets d WHERE d.run_id = r.id AND d.name = ?)",
                                   [name.sqlValue])
            }
            return SQLFragment("EXISTS (SELECT 1 FROM run_datasets d WHERE d.run_id = r.id AND d.name \(op.rawValue) ?)",
                               [name.sqlValue])
        case (.field, .number), (.field, .string):
            // A plain column against a value: `IS` for equality stays two-valued without
            // coalesce, so an index on the column could serve it.
            let l = try scalar(lhs, comparedWith: rhs)
            let r = try scalar(rhs, comparedWith: lhs)
            switch op {
            case .eq: return SQLFragment("\(l.sql) \(dialect.isSame) \(r.sql)", l.values + r.values)
            case .ne: return SQLFragment("(\(l.sql) IS NOT NULL AND \(l.sql) != \(r.sql))", l.values + l.values + r.values)
            default: return SQLFragment(dialect.truth("\(l.sql) \(op.rawValue) \(r.sql)"), l.values + r.values)
            }
        default:
            let l = try scalar(lhs, comparedWith: rhs)
            let r = try scalar(rhs, comparedWith: lhs)
            return SQLFragment(dialect.truth("(\(l.sql)) \(op.rawValue) (\(r.sql))"), l.values + r.values)
        }
    }

    func typeCheck(_ lhs: Operand, _ op: Comparison, _ rhs: Operand) throws(StoreError) {
        guard case let .field(field) = lhs else { return }
        switch rhs {
        case .number where field.isText:
            throw StoreError.invalidFilter("\(field.rawValue) holds names; compare it with a name or a quoted string, not \(rhs)")
        case let .string(text) where !field.isText && !field.isTime:
            throw StoreError.invalidFilter("\(field.rawValue) holds numbers; \"\(text)\" is not a number")
        case let .string(text) where field == .status && (op == .eq || op == .ne):
            if RunStatus(rawValue: text) == nil {
                throw StoreError.invalidFilter("unknown status '\(text)'; statuses are "
                    + RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
        default:
            return
        }
    }

    func membership(_ lhs: Operand, _ list: [Operand]) throws(StoreError) -> SQLFragment {
        guard !list.isEmpty else { return SQLFragment(dialect == .sqlite ? "0" : "FALSE") }
        // Each member is one comparison for equality; ORed. Literal lists on indexed keys
        // become one IN over the index.
        let numbers = list.compactMap { if case let .number(v) = $0 { v } else { nil } }
        let strings = list.compactMap { if case let .string(s) = $0 { s } else { nil } }
        let placeholders = { (n: Int) in Array(repeating: "?", count: n).joined(separator: ", ") }
        if numbers.count + strings.count == list.count {
            switch lhs {
            case let .param(key) where strings.isEmpty:
                return keyed("params", key, "num IN (\(placeholders(numbers.count)))", numbers.map(\.sqlValue))
            case let .param(key) where numbers.isEmpty && strings.allSatisfy({ Store.numericValue($0) == nil }):
                return keyed("params", key, "num IS NULL AND value IN (\(placeholders(strings.count)))", strings.map(\.sqlValue))
            case let .metric(key) where strings.isEmpty:
                return keyed("final_metrics", key, "value IN (\(placeholders(numbers.count)))", numbers.map(\.sqlValue))
            case let .tag(key) where numbers.isEmpty:
                return keyed("tags", key, "value IN (\(placeholders(strings.count)))", strings.map(\.sqlValue))
            case .field(.dataset) where numbers.isEmpty:
                return SQLFragment("EXISTS (SELECT 1 FROM run_datasets d WHERE d.run_id = r.id AND d.name IN (\(placeholders(strings.count))))",
                                   strings.map(\.sqlValue))
            default:
                break
            }
        }
        var parts: [SQLFragment] = []
        for member in list { parts.append(try compare(lhs, .eq, member)) }
        return SQLFragment("(" + parts.map(\.sql).joined(separator: " OR ") + ")", parts.flatMap(\.values))
    }

    func like(_ lhs: Operand, _ pattern: String) throws(StoreError) -> SQLFragment {
        switch lhs {
        case let .param(key):
            return keyed("params", key, "value \(dialect.like) ?", [pattern.sqlValue])
        case let .tag(key):
            return keyed("tags", key, "value \(dialect.like) ?", [pattern.sqlValue])
        case .field(.dataset):
            return SQLFragment("EXISTS (SELECT 1 FROM run_datasets d WHERE d.run_id = r.id AND d.name \(dialect.like) ?)",
                               [pattern.sqlValue])
        default:
            let l = try scalar(lhs, comparedWith: .string(pattern))
            return SQLFragment(dialect.truth("(\(l.sql)) \(dialect.like) ?"), l.values + [pattern.sqlValue])
        }
    }

    func has(_ operand: Operand) throws(StoreError) -> SQLFragment {
        switch operand {
        case let .param(key):
            return SQLFragment("EXISTS (SELECT 1 FROM params WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .metric(key):
            return SQLFragment("EXISTS (SELECT 1 FROM final_metrics WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .tag(key):
            return SQLFragment("EXISTS (SELECT 1 FROM tags WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .curve(_, key):
            return SQLFragment("EXISTS (SELECT 1 FROM metrics WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case .field(.dataset):
            return SQLFragment("EXISTS (SELECT 1 FROM run_datasets d WHERE d.run_id = r.id)")
        case let .field(field):
            return SQLFragment("(\(field.column) IS NOT NULL)")
        case .number, .string:
            throw StoreError.invalidFilter("'has' needs a field or key, not the literal \(operand)")
        }
    }

    // MARK: Scalars

    /// The SQL value of an operand in a general comparison. Parameters compare numerically
    /// against numbers and as text otherwise; times compare with ISO 8601 date strings.
    func scalar(_ operand: Operand, comparedWith other: Operand?) throws(StoreError) -> SQLFragment {
        switch operand {
        case let .field(field):
            if field == .dataset {
                return SQLFragment("(SELECT \(dialect.joined("name")) FROM run_datasets d WHERE d.run_id = r.id)")
            }
            return SQLFragment(field.column)
        case let .param(key):
            if case .string = other {
                return SQLFragment("(SELECT value FROM params WHERE run_id = r.id AND key = ?)", [key.sqlValue])
            }
            return SQLFragment("(SELECT num FROM params WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .metric(key):
            return SQLFragment("(SELECT value FROM final_metrics WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .tag(key):
            return SQLFragment("(SELECT value FROM tags WHERE run_id = r.id AND key = ?)", [key.sqlValue])
        case let .curve(aggregate, key):
            let sql: String
            switch aggregate {
            case .min: sql = "(SELECT min(value) FROM metrics WHERE run_id = r.id AND key = ?)"
            case .max: sql = "(SELECT max(value) FROM metrics WHERE run_id = r.id AND key = ?)"
            case .mean: sql = "(SELECT avg(value) FROM metrics WHERE run_id = r.id AND key = ?)"
            case .count: sql = "(SELECT count(*) FROM metrics WHERE run_id = r.id AND key = ?)"
            case .first: sql = "(SELECT value FROM metrics WHERE run_id = r.id AND key = ? ORDER BY step ASC LIMIT 1)"
            case .last: sql = "(SELECT value FROM metrics WHERE run_id = r.id AND key = ? ORDER BY step DESC LIMIT 1)"
            }
            return SQLFragment(sql, [key.sqlValue])
        case let .number(v):
            return SQLFragment("?", [v.sqlValue])
        case let .string(s):
            if case let .field(field) = other, field.isTime {
                guard let date = FilterCompiler.parseDate(s) else {
                    throw StoreError.invalidFilter("\"\(s)\" is not a date; write e.g. \"2026-11-29\" or \"2026-11-29T14:05:00Z\"")
                }
                return SQLFragment("?", [date.timeIntervalSince1970.sqlValue])
            }
            return SQLFragment("?", [s.sqlValue])
        }
    }

    /// Ordering keys: parameters sort by number, then by text.
    func orderingKeys(_ operand: Operand) throws(StoreError) -> [SQLFragment] {
        switch operand {
        case let .param(key):
            return [SQLFragment("(SELECT num FROM params WHERE run_id = r.id AND key = ?)", [key.sqlValue]),
                    SQLFragment("(SELECT value FROM params WHERE run_id = r.id AND key = ?)", [key.sqlValue])]
        case .number, .string:
            throw StoreError.invalidFilter("cannot order by the literal \(operand)")
        default:
            return [try scalar(operand, comparedWith: nil)]
        }
    }

    /// ISO 8601 dates and date-times (UTC unless a zone is given).
    static func parseDate(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: text) { return d }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let d = formatter.date(from: text) { return d }
        }
        return nil
    }
}
