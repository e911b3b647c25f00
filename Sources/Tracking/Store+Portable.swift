// The write path over the neutral connection (PostgreSQL). SQLite takes the C-API fast path in
// Store+Runs.swift / RawWrite.swift: the same statements, bound through sqlite3 directly.
import Foundation

extension Store {
    func beginRun(_ db: any SQLConnection, _ run: NewRun) throws -> Int64 {
        if let parent = run.parentRun, try !db.exists(run: parent) { throw StoreError.noSuchRun(parent) }
        let env = run.environment
        let rows = try db.rows("""
            INSERT INTO runs(kind, model, parent_version, parent_run_id, status, seed, command, session_id, cell,
                             started, host, pid, retune_version, backend, kernel, threads, os, cpu, note)
            VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, arguments: [run.kind.rawValue, run.model, run.parentVersion, run.parentRun, run.seed, run.command, run.session,
                             run.cell, run.started.timeIntervalSince1970, host, pid, env.retuneVersion, env.backend, env.kernel,
                             env.threads, env.os, env.cpu, run.note])
        guard let inserted = rows.first else {
            throw StoreError.database(operation: "beginning a run", message: "the INSERT returned no id")
        }
        let id: Int64 = try inserted["id"]
        try Store.paramRows.insert(db, run.params.map { [.integer(id), .text($0.key), .text($0.value),
                                                         Store.numericValue($0.value).sqlValue] })
        for (position, dataset) in run.datasets.enumerated() {
            try db.execute(sql: "INSERT INTO run_datasets(run_id, position, role, name, fingerprint, rows) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, position, dataset.role, dataset.name, dataset.fingerprint, dataset.rows])
        }
        for (key, value) in run.tags {
            try db.execute(sql: "INSERT INTO tags(run_id, key, value) VALUES (?, ?, ?)", arguments: [id, key, value])
        }
        return id
    }

    func logPoints(_ db: any SQLConnection, _ runID: Int64, _ points: [MetricPoint]) throws {
        // A multi-row upsert may not name one (run, step, key) twice: the last value wins, as on SQLite.
        var last: [String: Int] = [:]
        for (i, p) in points.enumerated() { last["\(p.step)\u{1}\(p.key)"] = i }
        let kept = points.enumerated().filter { last["\($0.element.step)\u{1}\($0.element.key)"] == $0.offset }.map(\.element)
        do {
            try Store.pointRows.insert(db, kept.map { [.integer(runID), .text($0.key), .integer(Int64($0.step)), $0.value.sqlValue,
                                                       .real($0.time)] })
        } catch let error as PostgresStatementError where error.sqlState == "23503" {
            // No existence check per epoch on the hot path: the foreign key is the check.
            throw StoreError.noSuchRun(runID)
        }
    }

    func finishRun(_ db: any SQLConnection, _ runID: Int64, status: RunStatus, finalMetrics: [String: Double], cost: RunCost?,
                   producedVersion: Int?, error: String?, ended: Date) throws
    {
        let t = ended.timeIntervalSince1970
        let changed = try db.run("""
            UPDATE runs SET status = ?, ended = ?, duration = \(db.dialect.greatest("0", "? - started")),
                wall_seconds = coalesce(?, wall_seconds), examples = coalesce(?, examples), flops = coalesce(?, flops),
                version = coalesce(?, version), error = coalesce(?, error)
            WHERE id = ?
            """, SQLArgs(arrayLiteral: status.rawValue, t, t, cost?.wallSeconds, cost?.examples, cost?.flops, producedVersion, error,
                         runID).values)
        guard changed > 0 else { throw StoreError.noSuchRun(runID) }
        try Store.finalMetricRows.insert(db, finalMetrics.map { [.integer(runID), .text($0.key), $0.value.sqlValue] })
    }
}

extension MultiRowInsert {
    /// Inserts `rows` (each `columns` values) through the neutral connection, up to `maxRows` a statement.
    func insert(_ db: any SQLConnection, _ rows: [[SQLValue]]) throws {
        var start = 0
        while start < rows.count {
            let n = Swift.min(rows.count - start, MultiRowInsert.maxRows)
            try db.run(sql(rows: n), rows[start..<(start + n)].flatMap { $0 })
            start += n
        }
    }
}
