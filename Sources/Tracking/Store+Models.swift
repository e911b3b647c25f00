// Models, versions, aliases, lineage.
import Foundation
import GRDB

extension Store {
    /// Valid alias names: a letter or `_` first, then letters, digits, `_` or `-`; not `latest`.
    public static func isValidAliasName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name != "latest" else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
        guard isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ($0 >= "0" && $0 <= "9") || $0 == "-" }
    }

    // MARK: Models

    /// Creates model `name` or replaces its specification; returns the model id.
    @discardableResult
    public func upsertModel(name: String, specJSON: String) throws(StoreError) -> Int64 {
        try write("saving model '\(name)'") { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO models(name, spec_json, created, updated) VALUES (?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET spec_json = excluded.spec_json, updated = excluded.updated
                """, arguments: [name, specJSON, now, now])
            return try modelID(db, name)
        }
    }

    /// The specification of model `name` (JSON text).
    public func modelSpec(_ name: String) throws(StoreError) -> String {
        try read("reading model '\(name)'") { db in
            guard let spec = try db.fetchOne(as: String.self, "SELECT spec_json FROM models WHERE name = ?", arguments: [name]) else {
                throw StoreError.noSuchModel(name)
            }
            return spec
        }
    }

    /// Every model with its version count (deleted versions excluded), latest version and aliases.
    public func models() throws(StoreError) -> [ModelSummary] {
        try read("listing models") { db in
            let rows = try db.rows("""
                SELECT m.id, m.name, m.spec_json, m.created,
                    (SELECT count(*) FROM model_versions v WHERE v.model_id = m.id AND v.deleted = 0) AS n,
                    (SELECT max(version) FROM model_versions v WHERE v.model_id = m.id AND v.deleted = 0) AS latest
                FROM models m ORDER BY m.name
                """)
            return try rows.map { row in
                let id: Int64 = try row["id"]
                return try ModelSummary(name: row["name"], specJSON: row["spec_json"], versionCount: row["n"], latest: row["latest"],
                                    aliases: try aliasMap(db, modelID: id), created: Date(timeIntervalSince1970: row["created"]))
            }
        }
    }

    // MARK: Versions

    /// Adds the next version of `model` (numbered 1, 2, … per model) with its weights (opaque,
    /// `formatVersion` names their encoding), training-data summary and metrics. When `runID` is
    /// given, the run is linked both ways (`model_versions.run_id`, `runs.version`).
    @discardableResult
    public func addModelVersion(model: String, parentVersion: Int?, runID: Int64?, weights: [UInt8], formatVersion: Int,
                                summary: [UInt8]?, metrics: [String: Double] = [:], created: Date = Date()) throws(StoreError) -> Int
    {
        try write("adding a version of model '\(model)'") { db in
            let mid = try modelID(db, model)
            if db.dialect == .postgres {
                // Concurrent writers number versions one at a time: the model row's lock is held
                // until commit, so the next writer reads the counter this one wrote (gap-free, no
                // duplicate). SQLite's IMMEDIATE transaction already serialises writers.
                _ = try db.rows("SELECT id FROM models WHERE id = ? FOR UPDATE", arguments: [mid])
            }
            if let parentVersion {
                guard try versionRowID(db, modelID: mid, version: parentVersion) != nil else {
                    throw StoreError.noSuchVersion(model: model, version: parentVersion)
                }
            }
            if let runID, try !exists(db, run: runID) { throw StoreError.noSuchRun(runID) }
            // Deleted versions keep their numbers: a number is never reused, even after purge
            // (the counter lives in meta).
            let counterKey = "next_version:\(mid)"
            let stored = try db.fetchOne(as: Int.self, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", arguments: [counterKey])
            let maxExisting = try db.fetchOne(as: Int.self, "SELECT max(version) FROM model_versions WHERE model_id = ?", arguments: [mid]) ?? 0
            let number = max(stored ?? 1, maxExisting + 1)
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [counterKey, String(number + 1)])
            try db.execute(sql: """
                INSERT INTO model_versions(model_id, version, parent_version, run_id, format_version, weights, summary, created)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [mid, number, parentVersion, runID, formatVersion, Data(weights), summary.map { Data($0) },
                                 created.timeIntervalSince1970])
            let vid = try db.lastInsertedRowID()
            for (key, value) in metrics {
                try db.execute(sql: "INSERT INTO version_metrics(version_id, key, value) VALUES (?, ?, ?) ON CONFLICT(version_id, key) DO UPDATE SET value = excluded.value",
                               arguments: [vid, key, Store.storable(value)])
            }
            if let runID {
                try db.execute(sql: "UPDATE runs SET version = ?, model = coalesce(model, ?) WHERE id = ?",
                               arguments: [number, model, runID])
            }
            return number
        }
    }

    /// The versions of `model`, oldest first, without blobs. Deleted ones only when asked.
    public func versions(_ model: String, includeDeleted: Bool = false) throws(StoreError) -> [VersionInfo] {
        try read("listing versions of '\(model)'") { db in
            let mid = try modelID(db, model)
            let rows = try db.rows("""
                SELECT id, version, parent_version, run_id, format_version, length(weights) AS bytes, created, deleted
                FROM model_versions WHERE model_id = ? \(includeDeleted ? "" : "AND deleted = 0") ORDER BY version
                """, arguments: [mid])
            let aliases = try aliasMap(db, modelID: mid)
            return try rows.map { try versionInfo(db, model: model, row: $0, aliases: aliases) }
        }
    }

    /// One version with its weights and summary. `ref` may be a number, `latest` or an alias.
    public func loadVersion(_ model: String, _ ref: VersionRef) throws(StoreError) -> ModelVersion {
        try read("loading \(model)@\(ref)") { db in
            let mid = try modelID(db, model)
            let number = try resolve(db, model: model, modelID: mid, ref: ref)
            guard let row = try db.row("""
                SELECT v.*, length(v.weights) AS bytes, m.spec_json FROM model_versions v JOIN models m ON m.id = v.model_id
                WHERE v.model_id = ? AND v.version = ?
                """, arguments: [mid, number]) else { throw StoreError.noSuchVersion(model: model, version: number) }
            let info = try versionInfo(db, model: model, row: row, aliases: try aliasMap(db, modelID: mid))
            let weights: Data = try row["weights"]
            let summary: Data? = row["summary"]
            return try ModelVersion(info: info, weights: [UInt8](weights), summary: summary.map { [UInt8]($0) },
                                specJSON: row["spec_json"])
        }
    }

    /// Resolves a version reference to a version number. Deleted versions do not resolve.
    public func resolve(_ model: String, ref: VersionRef) throws(StoreError) -> Int {
        try read("resolving \(model)@\(ref)") { db in
            try resolve(db, model: model, modelID: try modelID(db, model), ref: ref)
        }
    }

    /// The chain from `model@version` back to its root through parent versions, newest first.
    /// A parent that was purged ends the chain.
    public func lineage(_ model: String, version: Int) throws(StoreError) -> [VersionInfo] {
        try read("tracing the lineage of \(model)@\(version)") { db in
            try lineage(db, model: model, version: version)
        }
    }

    /// Hides a version from listings and `latest` until restored. Aliases keep pointing at it
    /// (so a restore is complete) but do not resolve while it is deleted.
    public func deleteVersion(_ model: String, version: Int) throws(StoreError) {
        try setVersionDeleted(model, version, true)
    }

    public func restoreVersion(_ model: String, version: Int) throws(StoreError) {
        try setVersionDeleted(model, version, false)
    }

    private func setVersionDeleted(_ model: String, _ version: Int, _ deleted: Bool) throws(StoreError) {
        try write(deleted ? "deleting \(model)@\(version)" : "restoring \(model)@\(version)") { db in
            let mid = try modelID(db, model)
            guard try versionRowID(db, modelID: mid, version: version) != nil else {
                throw StoreError.noSuchVersion(model: model, version: version)
            }
            try db.execute(sql: "UPDATE model_versions SET deleted = ? WHERE model_id = ? AND version = ?",
                           arguments: [deleted ? 1 : 0, mid, version])
        }
    }

    // MARK: Aliases

    /// Points `alias` of `model` at `version` (`promote price@3 as production`), recording an event.
    /// Returns the event.
    @discardableResult
    public func setAlias(_ model: String, alias: String, version: Int) throws(StoreError) -> AliasEvent {
        guard Store.isValidAliasName(alias) else { throw StoreError.invalidAliasName(alias) }
        return try write("setting alias '\(alias)' of '\(model)'") { db in
            let mid = try modelID(db, model)
            try requireLiveVersion(db, model: model, modelID: mid, version: version)
            let old = try db.fetchOne(as: Int.self, "SELECT version FROM aliases WHERE model_id = ? AND alias = ?", arguments: [mid, alias])
            return try changeAlias(db, model: model, modelID: mid, alias: alias, old: old, new: version, action: .set)
        }
    }

    /// Moves `alias` back: to `version` when given, else to where it pointed before its last
    /// change (removing it if it did not exist then). Recorded as an event, so a second
    /// `rollback` without a version undoes the first. Returns the event.
    @discardableResult
    public func rollback(_ model: String, alias: String, to version: Int? = nil) throws(StoreError) -> AliasEvent {
        try write("rolling back alias '\(alias)' of '\(model)'") { db in
            let mid = try modelID(db, model)
            let current = try db.fetchOne(as: Int.self, "SELECT version FROM aliases WHERE model_id = ? AND alias = ?", arguments: [mid, alias])
            let target: Int?
            if let version {
                try requireLiveVersion(db, model: model, modelID: mid, version: version)
                target = version
            } else {
                guard let last = try db.row("""
                    SELECT old_version, new_version FROM alias_events WHERE model_id = ? AND alias = ? ORDER BY id DESC LIMIT 1
                    """, arguments: [mid, alias]) else {
                    if current == nil { throw StoreError.noSuchAlias(model: model, alias: alias) }
                    throw StoreError.noEarlierAliasTarget(model: model, alias: alias)
                }
                let previous: Int? = last["old_version"]
                guard previous != nil || current != nil else { throw StoreError.noEarlierAliasTarget(model: model, alias: alias) }
                if let previous { try requireLiveVersion(db, model: model, modelID: mid, version: previous) }
                target = previous
            }
            return try changeAlias(db, model: model, modelID: mid, alias: alias, old: current, new: target, action: .rollback)
        }
    }

    /// Removes `alias` of `model`, recording an event.
    @discardableResult
    public func removeAlias(_ model: String, alias: String) throws(StoreError) -> AliasEvent {
        try write("removing alias '\(alias)' of '\(model)'") { db in
            let mid = try modelID(db, model)
            guard let old = try db.fetchOne(as: Int.self, "SELECT version FROM aliases WHERE model_id = ? AND alias = ?", arguments: [mid, alias]) else {
                throw StoreError.noSuchAlias(model: model, alias: alias)
            }
            return try changeAlias(db, model: model, modelID: mid, alias: alias, old: old, new: nil, action: .set)
        }
    }

    /// The current aliases of `model`: alias → version.
    public func aliases(_ model: String) throws(StoreError) -> [String: Int] {
        try read("listing aliases of '\(model)'") { db in try aliasMap(db, modelID: try modelID(db, model)) }
    }

    /// Every alias change of `model`, oldest first (`aliases MODEL`).
    public func aliasEvents(_ model: String) throws(StoreError) -> [AliasEvent] {
        try read("listing alias events of '\(model)'") { db in
            let mid = try modelID(db, model)
            return try db.rows("SELECT * FROM alias_events WHERE model_id = ? ORDER BY id", arguments: [mid]).map { row in
                try AliasEvent(id: row["id"], model: model, alias: row["alias"], oldVersion: row["old_version"],
                           newVersion: row["new_version"], action: AliasEvent.Action(rawValue: row["action"]) ?? .set,
                           time: Date(timeIntervalSince1970: row["time"]))
            }
        }
    }

    // MARK: Internals

    func modelID(_ db: any SQLConnection, _ name: String) throws -> Int64 {
        guard let id = try db.fetchOne(as: Int64.self, "SELECT id FROM models WHERE name = ?", arguments: [name]) else {
            throw StoreError.noSuchModel(name)
        }
        return id
    }

    func versionRowID(_ db: any SQLConnection, modelID: Int64, version: Int) throws -> Int64? {
        try db.fetchOne(as: Int64.self, "SELECT id FROM model_versions WHERE model_id = ? AND version = ?", arguments: [modelID, version])
    }

    func requireLiveVersion(_ db: any SQLConnection, model: String, modelID: Int64, version: Int) throws {
        guard let deleted = try db.fetchOne(as: Bool.self, "SELECT deleted FROM model_versions WHERE model_id = ? AND version = ?",
                                              arguments: [modelID, version]) else {
            throw StoreError.noSuchVersion(model: model, version: version)
        }
        if deleted { throw StoreError.versionDeleted(model: model, version: version) }
    }

    func resolve(_ db: any SQLConnection, model: String, modelID: Int64, ref: VersionRef) throws -> Int {
        switch ref {
        case let .number(n):
            try requireLiveVersion(db, model: model, modelID: modelID, version: n)
            return n
        case .latest:
            guard let n = try db.fetchOne(as: Int.self, "SELECT max(version) FROM model_versions WHERE model_id = ? AND deleted = 0",
                                           arguments: [modelID]) else {
                throw StoreError.noVersions(model: model)
            }
            return n
        case let .alias(alias):
            guard let n = try db.fetchOne(as: Int.self, "SELECT version FROM aliases WHERE model_id = ? AND alias = ?",
                                           arguments: [modelID, alias]) else {
                throw StoreError.noSuchAlias(model: model, alias: alias)
            }
            try requireLiveVersion(db, model: model, modelID: modelID, version: n)
            return n
        }
    }

    func aliasMap(_ db: any SQLConnection, modelID: Int64) throws -> [String: Int] {
        var map: [String: Int] = [:]
        for row in try db.rows("SELECT alias, version FROM aliases WHERE model_id = ?", arguments: [modelID]) {
            try map[row["alias"]] = row["version"]
        }
        return map
    }

    func versionInfo(_ db: any SQLConnection, model: String, row: SQLRow, aliases: [String: Int]) throws -> VersionInfo {
        let vid: Int64 = try row["id"]
        let number: Int = try row["version"]
        var metrics: [String: Double] = [:]
        for m in try db.rows("SELECT key, value FROM version_metrics WHERE version_id = ?", arguments: [vid]) {
            let value: Double? = m["value"]
            try metrics[m["key"]] = value ?? .nan
        }
        let run: Int64? = row["run_id"]
        var datasets: [RunDataset] = []
        if let run {
            datasets = try db.rows("SELECT role, name, fingerprint, rows FROM run_datasets WHERE run_id = ? ORDER BY position",
                                        arguments: [run]).map {
                try RunDataset(role: $0["role"], name: $0["name"], fingerprint: $0["fingerprint"], rows: $0["rows"])
            }
        }
        return try VersionInfo(model: model, version: number, parentVersion: row["parent_version"], run: run,
                           formatVersion: row["format_version"], weightsBytes: row["bytes"] ?? 0,
                           created: Date(timeIntervalSince1970: row["created"]), metrics: metrics, datasets: datasets,
                           aliases: aliases.filter { $0.value == number }.map(\.key).sorted(),
                           deleted: (row["deleted"] as Int? ?? 0) != 0)
    }

    func lineage(_ db: any SQLConnection, model: String, version: Int) throws -> [VersionInfo] {
        let mid = try modelID(db, model)
        let aliases = try aliasMap(db, modelID: mid)
        var chain: [VersionInfo] = []
        var seen: Set<Int> = []
        var next: Int? = version
        while let number = next, !seen.contains(number) {
            seen.insert(number)
            guard let row = try db.row("""
                SELECT id, version, parent_version, run_id, format_version, length(weights) AS bytes, created, deleted
                FROM model_versions WHERE model_id = ? AND version = ?
                """, arguments: [mid, number]) else {
                if chain.isEmpty { throw StoreError.noSuchVersion(model: model, version: number) }
                break
            }
            let info = try versionInfo(db, model: model, row: row, aliases: aliases)
            chain.append(info)
            next = info.parentVersion
        }
        return chain
    }

    func changeAlias(_ db: any SQLConnection, model: String, modelID: Int64, alias: String, old: Int?, new: Int?,
                     action: AliasEvent.Action) throws -> AliasEvent
    {
        let now = Date().timeIntervalSince1970
        if let new {
            try db.execute(sql: "INSERT INTO aliases(model_id, alias, version, updated) VALUES (?, ?, ?, ?) ON CONFLICT(model_id, alias) DO UPDATE SET version = excluded.version, updated = excluded.updated",
                           arguments: [modelID, alias, new, now])
        } else {
            try db.execute(sql: "DELETE FROM aliases WHERE model_id = ? AND alias = ?", arguments: [modelID, alias])
        }
        try db.execute(sql: """
            INSERT INTO alias_events(model_id, alias, old_version, new_version, action, time) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [modelID, alias, old, new, action.rawValue, now])
        return AliasEvent(id: try db.lastInsertedRowID(), model: model, alias: alias, oldVersion: old, newVersion: new,
                          action: action, time: Date(timeIntervalSince1970: now))
    }
}
