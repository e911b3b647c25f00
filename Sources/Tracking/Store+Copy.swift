// `store copy FROM TO`: every table of one store into another (SQLite ↔ PostgreSQL), ids kept,
// verified by row counts and a checksum of runs and their parameters, metrics and curves.
import Foundation
import Tabular

extension Store {
    /// Tables in copy order (a row's references are copied before it), with the columns that
    /// identify a row (the checksum's and the copy's order).
    static let copyTables: [(name: String, key: String)] = [
        ("meta", "key"), ("sessions", "id"), ("cells", "session_id, number"), ("datasets", "id"), ("models", "id"),
        ("runs", "id"), ("model_versions", "id"), ("version_metrics", "version_id, key"), ("aliases", "model_id, alias"),
        ("alias_events", "id"), ("run_datasets", "run_id, position"), ("params", "run_id, key"),
        ("final_metrics", "run_id, key"), ("metrics", "run_id, step, key"), ("tags", "run_id, key"),
    ]

    /// The tables the checksum covers: runs and everything recorded per run or version.
    static let checksumTables: Set<String> = ["runs", "params", "final_metrics", "metrics", "tags", "run_datasets",
                                              "model_versions", "version_metrics", "aliases"]

    /// Row counts per table and the checksum of a store.
    public struct Census: Sendable, Hashable {
        public var counts: [(table: String, rows: Int)]
        /// SHA-256 (hex) over the canonical lines of `checksumTables`, sorted bytewise.
        public var checksum: String

        public static func == (a: Census, b: Census) -> Bool {
            a.checksum == b.checksum && a.counts.map(\.table) == b.counts.map(\.table) && a.counts.map(\.rows) == b.counts.map(\.rows)
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(checksum) }
    }

    /// Counts and checksum of this store (one read snapshot).
    public func census() throws(StoreError) -> Census {
        try read("computing the store's checksum") { db in try Store.census(db) }
    }

    static func census(_ db: any SQLConnection) throws -> Census {
        var counts: [(table: String, rows: Int)] = []
        var lines: [String] = []
        for (table, key) in copyTables {
            let rows = try db.rows("SELECT * FROM \(table) ORDER BY \(key)")
            counts.append((table, rows.count))
            guard checksumTables.contains(table) else { continue }
            for row in rows {
                // Column names with values: independent of column order and of the backend's types.
                let fields = zip(row.columns, row.values).sorted { $0.0 < $1.0 }.map { "\($0.0)=\(canonical($0.1))" }
                lines.append(table + "\u{1}" + fields.joined(separator: "\u{1}"))
            }
        }
        lines.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var hasher = SHA256Stream()
        for line in lines { hasher.update(Array(line.utf8) + [0x0A]) }
        return Census(counts: counts, checksum: hasher.finalizeHex())
    }

    /// One value as text that is the same on both backends: numbers by value (an integral REAL
    /// is written as an integer), text quoted, blobs as their SHA-256.
    static func canonical(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case let .integer(v): return String(v)
        case let .real(v):
            if v == v.rounded(), abs(v) < 9.0e15 { return String(Int64(v)) }
            return "\(v)"
        case let .text(t): return "'" + t.replacingOccurrences(of: "'", with: "''") + "'"
        case let .blob(b): return "x" + SHA256Stream.hex(b)
        }
    }

    /// What `store copy` did.
    public struct CopyResult: Sendable {
        public var source: Census
        public var target: Census
        public var matches: Bool { source == target }
    }

    /// Copies every row of `source` into this store, keeping ids, in one transaction on each
    /// side. Refuses a target that already holds sessions, runs, models or datasets. Returns
    /// both censuses; the caller reports a mismatch (the copy is then rolled back).
    public func copy(from source: Store) throws(StoreError) -> CopyResult {
        try write("copying \(source.path) into \(path)") { target in
            for table in ["sessions", "runs", "models", "datasets"] {
                let n = try target.fetchOne(as: Int.self, "SELECT count(*) FROM \(table)") ?? 0
                if n > 0 {
                    throw StoreError.copyTargetNotEmpty(path: path, table: table, rows: n)
                }
            }
            let sourceCensus = try source.read("reading \(source.path)") { from -> Census in
                for (table, key) in Store.copyTables {
                    let rows = try from.rows("SELECT * FROM \(table) ORDER BY \(key)")
                    guard let columns = rows.first?.columns else { continue }
                    if table == "meta" {
                        // The target has its own schema_version row: copy the rest (counters).
                        for row in rows where row.value("key") != .text("schema_version") {
                            try target.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                               arguments: [row.value("key"), row.value("value")])
                        }
                        continue
                    }
                    let insert = MultiRowInsert(head: "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES ",
                                                columns: columns.count, tail: "")
                    try insert.insert(target, rows.map(\.values))
                }
                return try Store.census(from)
            }
            if target.dialect == .postgres {
                // Identity columns continue after the copied ids.
                for table in ["sessions", "datasets", "models", "runs", "model_versions", "alias_events"] {
                    _ = try target.rows("""
                        SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)
                        """)
                }
            }
            let targetCensus = try Store.census(target)
            let result = CopyResult(source: sourceCensus, target: targetCensus)
            if !result.matches { throw StoreError.copyMismatch(source: sourceCensus.checksum, target: targetCensus.checksum) }
            return result
        }
    }
}
