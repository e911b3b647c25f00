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
            return db.lastInsertedRowID
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
                INSERT OR REPLACE INTO cells(session_id, number, text, status, duration, started, error)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [session, number, text, status.rawValue, duration, started.timeIntervalSince1970, error])
        }
    }

    /// The cells of `session` in order.
    public func cells(session: Int64) throws(StoreError) -> [CellRecord] {
        try read("reading cells") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cells WHERE session_id = ? ORDER BY number", arguments: [session]).map { row in
                CellRecord(session: row["session_id"], number: row["number"], text: row["text"],
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
        try write("recording dataset '\(name)'") { db in
            try db.execute(sql: """
                INSERT INTO datasets(name, fingerprint, source, rows, columns, schema_json, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name, fingerprint) DO UPDATE SET
                    source = coalesce(excluded.source, source), columns = coalesce(excluded.columns, columns),
                    schema_json = coalesce(excluded.schema_json, schema_json)
                """, arguments: [name, fingerprint, source, rows, columns, schemaJSON, Date().timeIntervalSince1970])
            return try Int64.fetchOne(db, sql: "SELECT id FROM datasets WHERE name = ? AND fingerprint = ?",
                                      arguments: [name, fingerprint]) ?? 0
        }
    }

    // MARK: Runs

    /// Records a new run with status `running`, owned by this process, with its environment,
    /// parameters, datasets and tags, in one transaction. Returns the run id.
    public func beginRun(_ run: NewRun) throws(StoreError) -> Int64 {
        try write("beginning a \(run.kind) run") { db in
            if let parent = run.parentRun, try !exists(db, run: parent) { throw StoreError.noSuchRun(parent) }
            let env = run.environment
            let insert = try db.cachedStatement(sql: """
                INSERT INTO runs(kind, model, parent_version, parent_run_id, status, seed, command, session_id, cell,
                                 started, host, pid, retune_version, backend, kernel, threads, os, cpu, note)
                VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            insert.setUncheckedArguments([
                run.kind.rawValue, run.model, run.parentVersion, run.parentRun, run.seed, run.command, run.session,
                run.cell, run.started.timeIntervalSince1970, host, pid, env.retuneVersion, env.backend, env.kernel,
                env.threads, env.os, env.cpu, run.note,
            ])
            try insert.execute()
            let id = db.lastInsertedRowID
            if !run.params.isEmpty {
                let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO params(run_id, key, value, num) VALUES (?, ?, ?, ?)")
                for (key, value) in run.params {
                    statement.setUncheckedArguments([id, key, value, Store.numericValue(value)])
                    try statement.execute()
                }
            }
            if !run.datasets.isEmpty {
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO run_datasets(run_id, position, role, name, fingerprint, rows) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                for (position, dataset) in run.datasets.enumerated() {
                    statement.setUncheckedArguments([id, position, dataset.role, dataset.name, dataset.fingerprint, dataset.rows])
                    try statement.execute()
                }
            }
            if !run.tags.isEmpty {
                let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tags(run_id, key, value) VALUES (?, ?, ?)")
                for (key, value) in run.tags {
                    statement.setUncheckedArguments([id, key, value])
                    try statement.execute()
                }
            }
            return id
        }
    }

    /// Logs one epoch's metric values (`train_loss`, `valid_loss`, `valid_<metric>`) at `step`,
    /// in one transaction. NaN is stored as NULL.
    public func logEpoch(_ runID: Int64, step: Int, values: [String: Double], time: Date = Date()) throws(StoreError) {
        let t = time.timeIntervalSince1970
        try logPoints(runID, values.map { MetricPoint(key: $0.key, step: step, value: $0.value, time: t) })
    }

    /// Logs curve points (any keys and steps) in one transaction, with one reused statement.
    /// A point with the same run, key and step as an earlier one replaces it.
    public func logPoints(_ runID: Int64, _ points: [MetricPoint]) throws(StoreError) {
        guard !points.isEmpty else { return }
        try write("logging metrics of run #\(runID)") { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO metrics(run_id, key, step, value, time) VALUES (?, ?, ?, ?, ?)")
            do {
                for point in points {
                    statement.setUncheckedArguments([runID, point.key, point.step, Store.storable(point.value), point.time])
                    try statement.execute()
                }
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                // No existence check per epoch on the hot path: the foreign key is the check.
                throw StoreError.noSuchRun(runID)
            }
        }
    }

    /// Ends a run: status, final metrics, cost, the version it produced, an error message.
    public func finishRun(_ runID: Int64, status: RunStatus, finalMetrics: [String: Double] = [:], cost: RunCost? = nil,
                          producedVersion: Int? = nil, error: String? = nil, ended: Date = Date()) throws(StoreError)
    {
        try write("finishing run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            let t = ended.timeIntervalSince1970
            let update = try db.cachedStatement(sql: """
                UPDATE runs SET status = ?, ended = ?, duration = max(0, ? - started),
                    wall_seconds = coalesce(?, wall_seconds), examples = coalesce(?, examples), flops = coalesce(?, flops),
                    version = coalesce(?, version), error = coalesce(?, error)
                WHERE id = ?
                """)
            update.setUncheckedArguments([status.rawValue, t, t, cost?.wallSeconds, cost?.examples,
                                          cost.map { Store.storable($0.flops) }, producedVersion, error, runID])
            try update.execute()
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO final_metrics(run_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in finalMetrics {
                statement.setUncheckedArguments([runID, key, Store.storable(value)])
                try statement.execute()
            }
        }
    }

    /// Adds or replaces final metrics of a run without changing its status.
    public func setFinalMetrics(_ runID: Int64, _ metrics: [String: Double]) throws(StoreError) {
        try write("setting metrics of run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO final_metrics(run_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in metrics {
                statement.setUncheckedArguments([runID, key, Store.storable(value)])
                try statement.execute()
            }
        }
    }

    /// Sets tag `key` of a run (`tag #ID KEY VALUE`).
    public func tag(_ runID: Int64, key: String, value: String) throws(StoreError) {
        try write("tagging run #\(runID)") { db in
            guard try exists(db, run: runID) else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: "INSERT OR REPLACE INTO tags(run_id, key, value) VALUES (?, ?, ?)", arguments: [runID, key, value])
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
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        return counts
    }

    // MARK: Helpers

    func exists(_ db: Database, run: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM runs WHERE id = ?"), arguments: [run]) ?? false
    }

    /// The numeric value of a parameter's text, used for numeric comparisons (`param.lr < 0.1`).
    static func numericValue(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Decimal notation only: no hex ("0x10"), no "inf"/"nan".
        guard !trimmed.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) else { return nil }
        guard let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// SQLite has no NaN: NaN is stored as NULL (and read back as NaN). Infinities are kept.
    static func storable(_ value: Double) -> Double? { value.isNaN ? nil : value }
}
