// The write path: sessions, cells, datasets, runs, per-epoch metrics. Crash-safe: each call is
// one committed transaction, so a killed process leaves everything written before it intact.
import Foundation
import GRDB

extension Store {
    // MARK: Sessions and cells

    /// Starts a notebook session owned by this process; returns its id.
    public func beginSession(retuneVersion: String, source: String? = nil, started: Date = Date()) throws(StoreError) -> Int64 {
        try write("beginning a session") { db in
            try db.execute(sql: "INSERT INTO sessions(started, host, pid, retune_version, source) VALUES (?, ?, ?, ?, ?)",
                           arguments: [started.timeIntervalSince1970, host, pid, retuneVersion, source])
            return try db.lastInsertedRowID()
        }
    }

    /// Records the end of a session.
    public func endSession(_ session: Int64, ended: Date = Date()) throws(StoreError) {
        try write("ending a session") { db in
            try db.execute(sql: "UPDATE sessions SET ended = ? WHERE id = ?", arguments: [ended.timeIntervalSince1970, session])
        }
    }

    /// Records (or replaces) cell `number` of `session`.
    public func recordCell(session: Int64, number: Int, text: String, status: CellRecord.Status, duration: Double,
                           started: Date = Date(), error: String? = nil) throws(StoreError)
    {
        try write("recording cell \(number)") { db in
            try db.execute(sql: """
                INSERT INTO cells(session_id, number, text, status, duration, started, error) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(session_id, number) DO UPDATE SET text = excluded.text, status = excluded.status,
                    duration = excluded.duration, started = excluded.started, error = excluded.error
                """, arguments: [session, number, text, status.rawValue, duration, started.timeIntervalSince1970, error])
        }
    }

    /// The cells of `session` in order.
    public func cells(session: Int64) throws(StoreError) -> [CellRecord] {
        try read("reading cells") { db in
            try db.rows("SELECT * FROM cells WHERE session_id = ? ORDER BY number", arguments: [session]).map { row in
                try CellRecord(session: row["session_id"], number: row["number"], text: row["text"],
                           status: CellRecord.Status(rawValue: row["status"]) ?? .error, duration: row["duration"],
                           started: Date(timeIntervalSince1970: row["started"]), error: row["error"])
            }
        }
    }

    // MARK: Datasets

    /// Records a dataset (name + fingerprint identify it); returns its id. Idempotent.
    @discardableResult
    public func recordDataset(name: String, fingerprint: String, rows: Int, columns: Int? = nil, source: String? = nil,
                              schemaJSON: String? = nil) throws(StoreError) -> Int64
    {
        let cacheKey = [name, fingerprint, String(rows), columns.map(String.init) ?? "", source ?? "\u{0}", schemaJSON ?? "\u{0}"]
            .joined(separator: "\u{1}")
        // The same dataset recorded again by this process (every run on it does) changes nothing.
        if let id = recordedDatasets.withLock({ $0[cacheKey] }) { return id }
        let id = try write("recording dataset '\(name)'") { db in
            try db.execute(sql: """
                INSERT INTO datasets(name, fingerprint, source, rows, columns, schema_json, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name, fingerprint) DO UPDATE SET
                    source = coalesce(excluded.source, datasets.source), columns = coalesce(excluded.columns, datasets.columns),
                    schema_json = coalesce(excluded.schema_json, datasets.schema_json)
                """, arguments: [name, fingerprint, source, rows, columns, schemaJSON, Date().timeIntervalSince1970])
            return try db.fetchOne(as: Int64.self, "SELECT id FROM datasets WHERE name = ? AND fingerprint = ?",
                                      arguments: [name, fingerprint]) ?? 0
        }
        recordedDatasets.withLock { $0[cacheKey] = id }
        return id
    }

    // MARK: Runs

    /// Records a new run with status `running`, owned by this process, with its environment,
    /// parameters, datasets and tags, in one transaction. Returns the run id.
    public func beginRun(_ run: NewRun) throws(StoreError) -> Int64 {
        if dialect == .postgres { return try write("beginning a \(run.kind) run") { db in try beginRun(db, run) } }
        return try rawWrite("beginning a \(run.kind) run") { db in
            if let parent = run.parentRun, try !exists(db, run: parent) { throw StoreError.noSuchRun(parent) }
            let env = run.environment
            let insert = try RawStatement(db, """
                INSERT INTO runs(kind, model, parent_version, parent_run_id, status, seed, command, session_id, cell,
                                 started, host, pid, retune_version, backend, kernel, threads, os, cpu, note)
                VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            insert.bind(1, run.kind.rawValue)
            insert.bind(2, run.model)
            insert.bind(3, run.parentVersion)
            insert.bind(4, run.parentRun)
            insert.bind(5, run.seed)
            insert.bind(6, run.command)
            insert.bind(7, run.session)
            insert.bind(8, run.cell)
            insert.bind(9, run.started.timeIntervalSince1970)
            insert.bind(10, host)
            insert.bind(11, pid)
            insert.bind(12, env.retuneVersion)
            insert.bind(13, env.backend)
            insert.bind(14, env.kernel)
            insert.bind(15, env.threads)
            insert.bind(16, env.os)
            insert.bind(17, env.cpu)
            insert.bind(18, run.note)
            try insert.run()
            let id = db.lastInsertedRowID
            if !run.params.isEmpty {
                // A new run's keys are distinct (dictionary keys): a plain INSERT (an OR REPLACE would
                // open a statement journal for every row).
                try Store.paramRows.insert(db, run.params) { statement, i, param in
                    statement.bind(i, id)
                    statement.bind(i + 1, param.key)
                    statement.bind(i + 2, param.value)
                    statement.bind(i + 3, Store.numericValue(param.value))
                }
            }
            if !run.datasets.isEmpty {
                let statement = try RawStatement(db, """
                    INSERT INTO run_datasets(run_id, position, role, name, fingerprint, rows) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                for (position, dataset) in run.datasets.enumerated() {
                    statement.bind(1, id)
                    statement.bind(2, position)
                    statement.bind(3, dataset.role)
                    statement.bind(4, dataset.name)
                    statement.bind(5, dataset.fingerprint)
                    statement.bind(6, dataset.rows)
                    try statement.run()
                }
            }
            if !run.tags.isEmpty {
                let statement = try RawStatement(db, "INSERT INTO tags(run_id, key, value) VALUES (?, ?, ?)")
                for (key, value) in run.tags {
                    statement.bind(1, id)
                    statement.bind(2, key)
                    statement.bind(3, value)
                    try statement.run()
                }
            }
            return id
        }
    }

    /// Logs one epoch's metric values (`train_loss`, `valid_loss`, `valid_<metric>`) at `step`,
    /// in one transaction. NaN is stored as NULL.
    public func logEpoch(_ runID: Int64, step: Int, values: [String: Double], time: Date = Date()) throws(StoreError) {
        guard !values.isEmpty else { return }
        let t = time.timeIntervalSince1970
        if dialect == .postgres {
            return try write("logging metrics of run #\(runID)") { db in
                try logPoints(db, runID, values.map { MetricPoint(key: $0.key, step: step, value: $0.value, time: t) })
            }
        }
        try rawWrite("logging metrics of run #\(runID)") { db in
            do {
                try Store.pointRows.insert(db, values) { statement, i, point in
                    statement.bind(i, runID)
                    statement.bind(i + 1, point.key)
                    statement.bind(i + 2, step)
                    statement.bind(i + 3, point.value)
                    statement.bind(i + 4, t)
                }
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                // No existence check per epoch on the hot path: the foreign key is the check.
                throw StoreError.noSuchRun(runID)
            }
        }
    }

    /// Logs curve points (any keys and steps) in one transaction, with one reused statement.
    /// A point with the same run, key and step as an earlier one replaces it.
    public func logPoints(_ runID: Int64, _ points: [MetricPoint]) throws(StoreError) {
        guard !points.isEmpty else { return }
        if dialect == .postgres { return try write("logging metrics of run #\(runID)") { db in try logPoints(db, runID, points) } }
        try rawWrite("logging metrics of run #\(runID)") { db in
            do {
                try Store.pointRows.insert(db, points) { statement, i, point in
                    statement.bind(i, runID)
                    statement.bind(i + 1, point.key)
                    statement.bind(i + 2, point.step)
                    statement.bind(i + 3, point.value)
                    statement.bind(i + 4, point.time)
                }
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                // No existence check per epoch on the hot path: the foreign key is the check.
                throw StoreError.noSuchRun(runID)
            }
        }
    }

    // Upserts rather than INSERT OR REPLACE: same result (the row for the key is replaced), but
    // no delete-then-insert and no statement journal per row.
    // Rows within one statement are applied in order, so a repeated key in one call also ends
    // with its last value.
    static let pointRows = MultiRowInsert(
        head: "INSERT INTO metrics(run_id, key, step, value, time) VALUES ", columns: 5,
        tail: "ON CONFLICT(run_id, step, key) DO UPDATE SET value = excluded.value, time = excluded.time")
    static let finalMetricRows = MultiRowInsert(
        head: "INSERT INTO final_metrics(run_id, key, value) VALUES ", columns: 3,
        tail: "ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value")
    static let paramRows = MultiRowInsert(head: "INSERT INTO params(run_id, key, value, num) VALUES ", columns: 4, tail: "")

    /// Ends a run: status, final metrics, cost, the version it produced, an error message.
    public func finishRun(_ runID: Int64, status: RunStatus, finalMetrics: [String: Double] = [:], cost: RunCost? = nil,
                          producedVersion: Int? = nil, error: String? = nil, ended: Date = Date()) throws(StoreError)
    {
        if dialect == .postgres {
            return try write("finishing run #\(runID)") { db in
                try finishRun(db, runID, status: status, finalMetrics: finalMetrics, cost: cost, producedVersion: producedVersion,
                              error: error, ended: ended)
            }
        }
        try rawWrite("finishing run #\(runID)") { db in
            let t = ended.timeIntervalSince1970
            let update = try RawStatement(db, """
                UPDATE runs SET status = ?, ended = ?, duration = max(0, ? - started),
                    wall_seconds = coalesce(?, wall_seconds), examples = coalesce(?, examples), flops = coalesce(?, flops),
                    version = coalesce(?, version), error = coalesce(?, error)
                WHERE id = ?
                """)
            update.bind(1, status.rawValue)
            update.bind(2, t)
            update.bind(3, t)
            update.bind(4, cost?.wallSeconds)
            update.bind(5, cost?.examples)
            update.bind(6, cost?.flops)
            update.bind(7, producedVersion)
            update.bind(8, error)
            update.bind(9, runID)
            try update.run()
            // The update is the existence check: no row changed means no such run (rolled back).
            guard db.changesCount > 0 else { throw StoreError.noSuchRun(runID) }
            if !finalMetrics.isEmpty {
                try Store.finalMetricRows.insert(db, finalMetrics) { statement, i, metric in
                    statement.bind(i, runID)
                    statement.bind(i + 1, metric.key)
                    statement.bind(i + 2, metric.value)
                }
            }
        }
    }

    /// Adds or replaces final metrics of a run without changing its status.
    public func setFinalMetrics(_ runID: Int64, _ metrics: [String: Double]) throws(StoreError) {
        if dialect == .postgres {
            return try write("setting metrics of run #\(runID)") { db in
                guard try db.exists(run: runID) else { throw StoreError.noSuchRun(runID) }
                try Store.finalMetricRows.insert(db, metrics.map { [.integer(runID), .text($0.key), $0.value.sqlValue] })
            }
        }
        try rawWrite("setting metrics of run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            try Store.finalMetricRows.insert(db, metrics) { statement, i, metric in
                statement.bind(i, runID)
                statement.bind(i + 1, metric.key)
                statement.bind(i + 2, metric.value)
            }
        }
    }

    /// Sets tag `key` of a run (`tag #ID KEY VALUE`).
    public func tag(_ runID: Int64, key: String, value: String) throws(StoreError) {
        try write("tagging run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: "INSERT INTO tags(run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value", arguments: [runID, key, value])
        }
    }

    /// Removes tag `key` of a run; returns whether it existed.
    @discardableResult
    public func untag(_ runID: Int64, key: String) throws(StoreError) -> Bool {
        try write("untagging run #\(runID)") { db in
            try db.execute(sql: "DELETE FROM tags WHERE run_id = ? AND key = ?", arguments: [runID, key])
            return db.changesCount > 0
        }
    }

    /// Sets the note of a run (`note #ID "text"`); nil clears it.
    public func setNote(_ runID: Int64, _ note: String?) throws(StoreError) {
        try write("setting the note of run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: "UPDATE runs SET note = ? WHERE id = ?", arguments: [note, runID])
        }
    }

    /// Hides a run from every query and listing until `restoreRun`.
    public func deleteRun(_ runID: Int64) throws(StoreError) {
        try setRunDeleted(runID, true)
    }

    /// Undoes `deleteRun`.
    public func restoreRun(_ runID: Int64) throws(StoreError) {
        try setRunDeleted(runID, false)
    }

    private func setRunDeleted(_ runID: Int64, _ deleted: Bool) throws(StoreError) {
        try write(deleted ? "deleting run #\(runID)" : "restoring run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: "UPDATE runs SET deleted = ? WHERE id = ?", arguments: [deleted ? 1 : 0, runID])
        }
    }

    /// What `purge` removed.
    public struct PurgeCounts: Sendable, Hashable {
        public var runs: Int
        public var versions: Int
    }

    /// Really deletes soft-deleted runs (with their params, metrics, tags, datasets) and
    /// soft-deleted model versions (with their metrics; aliases pointing at them are removed and
    /// the removal recorded as an alias event). Then checkpoints the WAL.
    @discardableResult
    public func purge() throws(StoreError) -> PurgeCounts {
        let counts = try write("purging deleted rows") { db -> PurgeCounts in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO alias_events(model_id, alias, old_version, new_version, action, time)
                SELECT a.model_id, a.alias, a.version, NULL, 'set', ?
                FROM aliases a JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
                WHERE v.deleted = 1
                """, arguments: [now])
            try db.execute(sql: """
                DELETE FROM aliases WHERE EXISTS (SELECT 1 FROM model_versions v
                    WHERE v.model_id = aliases.model_id AND v.version = aliases.version AND v.deleted = 1)
                """)
            try db.execute(sql: "DELETE FROM model_versions WHERE deleted = 1")
            let versions = db.changesCount
            try db.execute(sql: "DELETE FROM runs WHERE deleted = 1")
            let runs = db.changesCount
            return PurgeCounts(runs: runs, versions: versions)
        }
        // A checkpoint is housekeeping, not a write of data: a busy reader may postpone it.
        if let pool { _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
        return counts
    }

    // MARK: Helpers

    func exists(_ db: any SQLConnection, run: Int64) throws -> Bool { try db.exists(run: run) }

    /// The SQLite hot path's existence check (a cached statement of the writer connection).
    func exists(_ db: Database, run: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM runs WHERE id = ?"), arguments: [run]) ?? false
    }

    /// The numeric value of a parameter's text, used for numeric comparisons (`param.lr < 0.1`).
    /// Decimal notation only (optionally signed, with a fraction and an exponent, surrounded by
    /// spaces or tabs): no hex ("0x10"), no "inf"/"nan"; finite values only. Checked byte by
    /// byte: it runs for every parameter of every run.
    static func numericValue(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { bytes -> Double? in
            var start = 0, end = bytes.count
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            guard start < end, end - start <= 64 else { return nil }
            var i = start
            if bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }  // + -
            var digits = 0
            while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; digits += 1 }
            if i < end, bytes[i] == 0x2E {  // .
                i += 1
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; digits += 1 }
            }
            guard digits > 0 else { return nil }
            if i < end, bytes[i] == 0x65 || bytes[i] == 0x45 {  // e E
                i += 1
                if i < end, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
                var exponentDigits = 0
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; exponentDigits += 1 }
                guard exponentDigits > 0 else { return nil }
            }
            guard i == end else { return nil }
            guard let value = Double(Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)),
                  value.isFinite else { return nil }
            return value
        }
    }

    /// SQLite has no NaN: NaN is stored as NULL (and read back as NaN). Infinities are kept.
    static func storable(_ value: Double) -> Double? { value.isNaN ? nil : value }
}
