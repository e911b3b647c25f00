// The query side: runs, one run in full, curves, names, exports.
import Foundation
import GRDB

extension Store {
    // MARK: Names

    /// Resolves a bare name from a filter or ordering: `param.X`, `metric.X`, `tag.X` directly;
    /// otherwise a run field, a final-metric key or a parameter key. A name that is more than
    /// one of these is an error listing the choices; an unknown name suggests near misses.
    public func resolveName(_ name: String) throws(StoreError) -> Operand {
        for (prefix, make) in [("param.", Operand.param), ("metric.", Operand.metric), ("tag.", Operand.tag)] as [(String, (String) -> Operand)]
        where name.hasPrefix(prefix) && name.count > prefix.count {
            return make(String(name.dropFirst(prefix.count)))
        }
        let (isMetric, isParam, isCurve) = try read("resolving '\(name)'") { db in
            (try db.fetchOne(as: Bool.self, "SELECT 1 FROM final_metrics WHERE key = ? LIMIT 1", arguments: [name]) ?? false,
             try db.fetchOne(as: Bool.self, "SELECT 1 FROM params WHERE key = ? LIMIT 1", arguments: [name]) ?? false,
             try db.fetchOne(as: Bool.self, "SELECT 1 FROM metrics WHERE key = ? LIMIT 1", arguments: [name]) ?? false)
        }
        var choices: [(String, Operand)] = []
        if let field = RunField.named(name) { choices.append(("run field '\(name)'", .field(field))) }
        if isMetric { choices.append(("metric.\(name)", .metric(name))) }
        if isParam { choices.append(("param.\(name)", .param(name))) }
        if choices.count == 1, let only = choices.first { return only.1 }
        if choices.count > 1 { throw StoreError.ambiguousName(name, choices: choices.map(\.0)) }
        if isCurve {
            throw StoreError.unknownName(name, suggestions: ["last(\(name))", "min(\(name))"])
        }
        let known = RunField.allCases.map(\.rawValue) + (try metricKeys()).map { "metric.\($0)" } + (try paramKeys()).map { "param.\($0)" }
        throw StoreError.unknownName(name, suggestions: Store.nearMisses(name, in: known))
    }

    /// Distinct final-metric keys, sorted.
    public func metricKeys() throws(StoreError) -> [String] {
        try read("listing metric keys") { db in try db.fetchAll(as: String.self, "SELECT DISTINCT key FROM final_metrics ORDER BY key") }
    }

    /// Distinct parameter keys, sorted.
    public func paramKeys() throws(StoreError) -> [String] {
        try read("listing parameter keys") { db in try db.fetchAll(as: String.self, "SELECT DISTINCT key FROM params ORDER BY key") }
    }

    /// Distinct curve keys over all runs, sorted.
    public func allCurveKeys() throws(StoreError) -> [String] {
        try read("listing curve keys") { db in try db.fetchAll(as: String.self, "SELECT DISTINCT key FROM metrics ORDER BY key") }
    }

    static func nearMisses(_ name: String, in candidates: [String]) -> [String] {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            if a.isEmpty { return b.count }
            if b.isEmpty { return a.count }
            // Optimal string alignment: edits plus adjacent transpositions ("rmes" → "rmse" is 1).
            var before = Array(repeating: 0, count: b.count + 1)
            var previous = Array(0...b.count)
            for i in 1...a.count {
                var current = [i] + Array(repeating: 0, count: b.count)
                for j in 1...b.count {
                    current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        current[j] = Swift.min(current[j], before[j - 2] + 1)
                    }
                }
                before = previous
                previous = current
            }
            return previous[b.count]
        }
        let target = Array(name)
        let scored = candidates.map { candidate -> (String, Int) in
            let bare = candidate.split(separator: ".", maxSplits: 1).last.map(String.init) ?? candidate
            return (candidate, Swift.min(distance(target, Array(candidate)), distance(target, Array(bare))))
        }
        let limit = Swift.max(1, name.count / 3)
        return scored.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0)
    }

    // MARK: Runs

    /// The runs matching `query`, in its order.
    /// `bound` limits its running time and lets Ctrl-C stop it (`StoreError.queryStopped`).
    public func runs(_ query: RunQuery = RunQuery(), bound: QueryBound = .unbounded) throws(StoreError) -> [RunRow] {
        try boundedRead("querying runs", statement: "", bound: bound) { db in try rows(db, ids: try matchingIDs(db, query)) }
    }

    /// The ids of the runs matching `query`, in its order.
    public func runIDs(_ query: RunQuery) throws(StoreError) -> [Int64] {
        try read("querying runs") { db in try matchingIDs(db, query) }
    }

    /// The SQL and bound values a query compiles to (for `explain`-style debugging and tests).
    public func compiledSQL(_ query: RunQuery) throws(StoreError) -> (sql: String, values: [SQLValue]) {
        let compiled = try FilterCompiler.compile(query, dialect: dialect)
        return (compiled.sql, compiled.values)
    }

    /// Everything about one run: parameters, metrics, curves, environment, cost, datasets,
    /// children and lineage. Works for soft-deleted runs too (`row.deleted` says so).
    public func run(_ id: Int64) throws(StoreError) -> RunDetail {
        try read("reading run #\(id)") { db in
            guard let row = try rows(db, ids: [id]).first,
                  let raw = try db.row("SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                throw StoreError.noSuchRun(id)
            }
            let env = try RunEnvironment(retuneVersion: raw["retune_version"], backend: raw["backend"], kernel: raw["kernel"],
                                     threads: raw["threads"], os: raw["os"], cpu: raw["cpu"])
            let wall: Double? = raw["wall_seconds"]
            let cost = wall.map { RunCost(wallSeconds: $0, examples: raw["examples"] ?? 0, flops: raw["flops"] ?? .nan) }
            let datasets = try db.rows("SELECT * FROM run_datasets WHERE run_id = ? ORDER BY position", arguments: [id]).map {
                try RunDataset(role: $0["role"], name: $0["name"], fingerprint: $0["fingerprint"], rows: $0["rows"])
            }
            var curves: [String: [MetricPoint]] = [:]
            for p in try db.rows("SELECT key, step, value, time FROM metrics WHERE run_id = ? ORDER BY key, step", arguments: [id]) {
                let value: Double? = p["value"]
                let key: String = try p["key"]
                try curves[key, default: []].append(MetricPoint(key: key, step: p["step"], value: value ?? .nan, time: p["time"]))
            }
            let children = try db.fetchAll(as: Int64.self, "SELECT id FROM runs WHERE parent_run_id = ? ORDER BY id", arguments: [id])
            var lineage: [VersionInfo] = []
            if let model = row.model, let version = row.version ?? row.parentVersion,
               try db.fetchOne(as: Bool.self, "SELECT 1 FROM models WHERE name = ?", arguments: [model]) ?? false {
                lineage = (try? self.lineage(db, model: model, version: version)) ?? []
            }
            return try RunDetail(row: row, command: raw["command"], session: raw["session_id"], cell: raw["cell"], host: raw["host"],
                             pid: raw["pid"], environment: env, cost: cost, error: raw["error"], datasets: datasets,
                             curves: curves, children: children, lineage: lineage)
        }
    }

    /// One curve of a run, ordered by step (empty if the run never logged `key`).
    public func curve(_ runID: Int64, key: String) throws(StoreError) -> [MetricPoint] {
        try read("reading curve '\(key)' of run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            return try db.rows("SELECT step, value, time FROM metrics WHERE run_id = ? AND key = ? ORDER BY step",
                                    arguments: [runID, key]).map { p in
                let value: Double? = p["value"]
                return try MetricPoint(key: key, step: p["step"], value: value ?? .nan, time: p["time"])
            }
        }
    }

    /// The curve keys a run logged, sorted.
    public func curveKeys(_ runID: Int64) throws(StoreError) -> [String] {
        try read("listing curves of run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            return try db.fetchAll(as: String.self, "SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key", arguments: [runID])
        }
    }

    // MARK: Export

    /// One row per run matching `query`: fixed run columns, then `param.X` and `metric.X`
    /// columns (sorted by key; empty cells are NULL), tags as `k=v; …`. Times in ISO 8601 UTC,
    /// durations in seconds.
    public func exportRows(_ query: RunQuery = RunQuery()) throws(StoreError) -> SQLTable {
        try read("exporting runs") { db in
            let ids = try matchingIDs(db, query)
            let runs = try rows(db, ids: ids)
            var extra: [Int64: SQLRow] = [:]
            for chunk in Store.chunks(ids) {
                let sql = "SELECT id, command, wall_seconds, examples, flops FROM runs WHERE id IN (\(Store.placeholders(chunk.count)))"
                for row in try db.rows(sql, arguments: SQLArgs(chunk)) { extra[try row["id"]] = row }
            }
            let paramKeys = Set(runs.flatMap(\.params.keys)).sorted()
            let metricKeys = Set(runs.flatMap(\.metrics.keys)).sorted()
            let columns = ["id", "kind", "model", "version", "parent_version", "parent_run", "status", "seed", "datasets",
                           "started", "ended", "duration", "wall_seconds", "examples", "flops", "command"]
                + paramKeys.map { "param.\($0)" } + metricKeys.map { "metric.\($0)" } + ["tags", "note"]
            let table = runs.map { run -> [SQLValue] in
                let more = extra[run.id]
                var values: [SQLValue] = [
                    .integer(run.id), .text(run.kind.rawValue), run.model.map(SQLValue.text) ?? .null,
                    run.version.map { .integer(Int64($0)) } ?? .null, run.parentVersion.map { .integer(Int64($0)) } ?? .null,
                    run.parentRun.map(SQLValue.integer) ?? .null, .text(run.status.rawValue),
                    run.seed.map { .integer(Int64($0)) } ?? .null, .text(run.datasets.joined(separator: ",")),
                    .text(Store.iso8601(run.started)), run.ended.map { .text(Store.iso8601($0)) } ?? .null,
                    run.duration.map(SQLValue.real) ?? .null,
                    more?.value("wall_seconds") ?? .null,
                    more?.value("examples") ?? .null,
                    more?.value("flops") ?? .null,
                    more?.value("command") ?? .null,
                ]
                values += paramKeys.map { key in run.params[key].map(Store.typedParam) ?? .null }
                values += metricKeys.map { key in run.metrics[key].map { $0.isNaN ? .null : .real($0) } ?? .null }
                values.append(.text(run.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
                values.append(run.note.map(SQLValue.text) ?? .null)
                return values
            }
            return SQLTable(columns: columns, rows: table)
        }
    }

    /// Curve points of the given runs: columns run, key, step, value, time (ISO 8601 UTC).
    public func curvePoints(_ runIDs: [Int64]) throws(StoreError) -> SQLTable {
        try read("exporting curves") { db in
            var rows: [[SQLValue]] = []
            for id in runIDs {
                guard try exists(db, run: id) else { throw StoreError.noSuchRun(id) }
                for p in try db.rows("SELECT key, step, value, time FROM metrics WHERE run_id = ? ORDER BY key, step",
                                          arguments: [id]) {
                    let value: Double? = p["value"]
                    let time: Double = try p["time"]
                    try rows.append([.integer(id), .text(p["key"]), .integer(p["step"]), value.map(SQLValue.real) ?? .null,
                                 .text(Store.iso8601(Date(timeIntervalSince1970: time)))])
                }
            }
            return SQLTable(columns: ["run", "key", "step", "value", "time"], rows: rows)
        }
    }

    // MARK: Internals

    /// The ids matching `query`, in order: through an index-driven plan when the query orders by
    /// a metric or parameter with a limit, a run-id-order walk that stops at the limit when it
    /// has no other ordering (`FilterCompiler.idOrderPlan`), else one generic statement. All
    /// give the same rows.
    func matchingIDs(_ db: any SQLConnection, _ query: RunQuery, window: Int = 4096) throws -> [Int64] {
        if let plan = try FilterCompiler.drivenPlan(query, dialect: db.dialect), let limit = query.limit {
            var ids = try db.fetchAll(as: Int64.self, plan.first.sql, arguments: plan.first.arguments)
            if ids.count < limit {
                ids += try db.fetchAll(as: Int64.self, plan.rest.sql + " LIMIT ?",
                                          arguments: SQLArgs(plan.rest.values + [(limit - ids.count).sqlValue]))
            }
            return ids
        }
        if query.limit == 0 { return [] }
        if let limit = query.limit, try FilterCompiler.idOrderPlan(query, dialect: db.dialect) != nil {
            // Walk the first `window` runs in id order; if they hold fewer than `limit` matches
            // (a rare value), the generic statement answers for the runs after them, so a filter
            // that matches little costs at most the window more than the generic statement.
            let descending = query.order.first?.descending ?? false
            let edge = try db.fetchOne(as: Int64.self, "SELECT id FROM runs ORDER BY id \(descending ? "DESC" : "ASC") LIMIT 1 OFFSET ?",
                                       arguments: [max(0, window - 1)])
            guard let walk = try FilterCompiler.idOrderPlan(query, dialect: db.dialect, through: edge) else { return [] }
            var ids = try db.fetchAll(as: Int64.self, walk.sql, arguments: walk.arguments)
            if let edge, ids.count < limit {
                var rest = query
                rest.limit = limit - ids.count
                let after = SQLFragment(descending ? "r.id < ?" : "r.id > ?", [edge.sqlValue])
                let generic = try FilterCompiler(dialect: db.dialect).compileGeneric(rest, extra: after)
                ids += try db.fetchAll(as: Int64.self, generic.sql, arguments: generic.arguments)
            }
            return ids
        }
        let compiled = try FilterCompiler.compile(query, dialect: db.dialect)
        return try db.fetchAll(as: Int64.self, compiled.sql, arguments: compiled.arguments)
    }

    /// Loads `RunRow`s for `ids`, keeping their order.
    func rows(_ db: any SQLConnection, ids: [Int64]) throws -> [RunRow] {
        guard !ids.isEmpty else { return [] }
        var byID: [Int64: RunRow] = [:]
        for chunk in Store.chunks(ids) {
            let list = Store.placeholders(chunk.count)
            let args = SQLArgs(chunk)
            for r in try db.rows("""
                SELECT id, kind, model, version, parent_version, parent_run_id, status, seed, started, ended, duration, note, deleted
                FROM runs WHERE id IN (\(list))
                """, arguments: args) {
                let id: Int64 = try r["id"]
                let ended: Double? = r["ended"]
                try byID[id] = RunRow(id: id, kind: RunKind(rawValue: r["kind"]), model: r["model"], version: r["version"],
                                  parentVersion: r["parent_version"], parentRun: r["parent_run_id"],
                                  status: RunStatus(rawValue: r["status"]) ?? .failed, seed: r["seed"], datasets: [],
                                  started: Date(timeIntervalSince1970: r["started"]),
                                  ended: ended.map { Date(timeIntervalSince1970: $0) }, duration: r["duration"], params: [:],
                                  metrics: [:], tags: [:], note: r["note"], deleted: (r["deleted"] as Int? ?? 0) != 0)
            }
            for r in try db.rows("SELECT run_id, key, value FROM params WHERE run_id IN (\(list))", arguments: args) {
                try byID[r["run_id"]]?.params[r["key"]] = r["value"]
            }
            for r in try db.rows("SELECT run_id, key, value FROM final_metrics WHERE run_id IN (\(list))", arguments: args) {
                let value: Double? = r["value"]
                try byID[r["run_id"]]?.metrics[r["key"]] = value ?? .nan
            }
            for r in try db.rows("SELECT run_id, key, value FROM tags WHERE run_id IN (\(list))", arguments: args) {
                try byID[r["run_id"]]?.tags[r["key"]] = r["value"]
            }
            for r in try db.rows("SELECT run_id, name FROM run_datasets WHERE run_id IN (\(list)) ORDER BY run_id, position",
                                      arguments: args) {
                try byID[r["run_id"]]?.datasets.append(r["name"])
            }
        }
        return ids.compactMap { byID[$0] }
    }

    static func chunks(_ ids: [Int64], size: Int = 500) -> [[Int64]] {
        stride(from: 0, to: ids.count, by: size).map { Array(ids[$0..<Swift.min($0 + size, ids.count)]) }
    }

    static func placeholders(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        return formatter.string(from: date)
    }

    static func typedParam(_ text: String) -> SQLValue {
        if let i = Int64(text) { return .integer(i) }
        if let d = Double(text), d.isFinite, !text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) { return .real(d) }
        return .text(text)
    }

    static func sqlValue(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case let .int64(v): return .integer(v)
        case let .double(v): return .real(v)
        case let .string(v): return .text(v)
        case let .blob(v): return .blob([UInt8](v))
        }
    }
}
