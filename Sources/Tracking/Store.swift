// The experiment store: one SQLite file through a GRDB DatabasePool (WAL), or a PostgreSQL
// database through postgres-nio. One implementation over `SQLConnection` serves both.
import Foundation
import GRDB

/// The experiment store. Safe to share between threads; several processes may open the same
/// SQLite file (WAL, a 10 s busy timeout, IMMEDIATE write transactions) or the same PostgreSQL
/// database (`postgres://…`: transactions, row locks for version numbers).
public final class Store: Sendable {
    /// Where the rows live.
    enum Backend: Sendable {
        case sqlite(DatabasePool)
        case postgres(PostgresClient)
    }
    /// The schema version this build reads and writes.
    public static let schemaVersion = Schema.version

    /// The file this store lives in (for PostgreSQL: its URL without the password).
    public let path: String
    /// Host and pid recorded as the owner of runs begun through this store.
    public let host: String
    public let pid: Int
    /// Runs found `running` with a dead owner and marked `interrupted` when this store opened.
    public let interruptedOnOpen: [Int64]

    /// Page size of a new store file, bytes.
    static let pageSize = 1024
    /// WAL size (pages) that triggers an automatic checkpoint.
    static let walAutocheckpointPages = 32_000

    let backend: Backend
    private let removeOnDeinit: Bool

    /// The SQLite pool (nil for PostgreSQL).
    var pool: DatabasePool? {
        if case let .sqlite(pool) = backend { return pool }
        return nil
    }

    /// The SQL dialect of the backend.
    public var dialect: Dialect {
        if case .postgres = backend { return .postgres }
        return .sqlite
    }

    /// What `show settings` and `store` print: the file, or `PostgreSQL postgres://user@host:port/db`.
    public var location: String { dialect == .postgres ? "PostgreSQL \(path)" : path }
    /// Datasets this process already recorded (their full `recordDataset` arguments → id): a
    /// repeat is answered without a write transaction.
    let recordedDatasets = Locked<[String: Int64]>([:])

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    /// Throws `StoreError.newerSchema` / `.unknownMigrations` for a file written by a newer
    /// retune, without changing it.
    /// `path` may be a PostgreSQL URL (`postgres://user@host:port/db`, `postgresql://…`).
    public convenience init(path: String) throws(StoreError) {
        try self.init(path: path, removeOnDeinit: false)
    }

    /// `path` for display: a PostgreSQL URL loses its password.
    public static func displayName(_ path: String) -> String {
        PostgresURL.isPostgres(path) ? PostgresURL.masked(path) : path
    }

    /// A store in a fresh temporary file, deleted when the store is released. For tests and
    /// throw-away sessions (`retune run --expect`).
    public static func temporary() throws(StoreError) -> Store {
        let dir = FileManager.default.temporaryDirectory.path
        let path = dir + "/retune-\(UUID().uuidString).db"
        return try Store(path: path, removeOnDeinit: true)
    }

    init(path: String, removeOnDeinit: Bool) throws(StoreError) {
        self.removeOnDeinit = removeOnDeinit
        self.host = HostInfo.hostname
        self.pid = HostInfo.pid
        if PostgresURL.isPostgres(path) {
            let url = try PostgresURL(path)
            self.path = url.description
            let client = try PostgresClient(url)
            self.backend = .postgres(client)
            self.interruptedOnOpen = try Store.openPostgres(client, host: host)
            return
        }
        self.path = path
        // Two processes creating the same new store at once contend for the exclusive lock that
        // switching to WAL and the first migration need; SQLite can answer SQLITE_BUSY there
        // without waiting on the busy handler. Opening is idempotent, so retry for up to ~10 s.
        var attempt = 0
        while true {
            do {
                let (pool, marked) = try Store.openAndMigrate(path: path, host: host)
                self.backend = .sqlite(pool)
                self.interruptedOnOpen = marked
                return
            } catch {
                switch error {
                case .failed(let final):
                    throw final
                case .busy(let reason):
                    attempt += 1
                    if attempt > 100 { throw StoreError.cannotOpen(path: path, reason: reason) }
                    usleep(useconds_t(min(attempt, 10) * 10_000))
                }
            }
        }
    }

    /// Why opening failed: contention worth another try, or a final error.
    enum OpenFailure: Error {
        case busy(String)
        case failed(StoreError)
    }

    static func isBusy(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED
    }

    /// One attempt at opening: schema check, pool (WAL), migrations, interrupted-run marking.
    static func openAndMigrate(path: String, host: String) throws(OpenFailure) -> (DatabasePool, [Int64]) {
        if FileManager.default.fileExists(atPath: path) {
            try Store.checkExisting(path: path)
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.label = "retune-store"
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a killed process (the crash-safety promise); only
            // an OS crash or power loss may lose the last commits. Saves an fsync per commit.
            // 1 KiB pages (for a new file; an existing file keeps its page size): a run's start and
            // end each rewrite a handful of pages (the run row, index leaves); every page written
            // goes to the WAL whole and checksummed, so smaller pages make each commit cheaper.
            try db.execute(sql: "PRAGMA page_size = \(Store.pageSize)")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Checkpoint every ~32 MB of WAL (32,000 1 KiB pages) rather than the default 1,000
            // pages: far fewer checkpoints (each one two fsyncs) while logging.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Store.walAutocheckpointPages)")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            if isBusy(error) { throw .busy(message(error)) }
            throw .failed(StoreError.cannotOpen(path: path, reason: message(error)))
        }
        do {
            try Schema.migrator.migrate(pool)
        } catch {
            // Another process may have applied the same migration between our check and our
            // write (a concurrent first open): then the next attempt finds it applied.
            if isBusy(error) || (try? pool.read { try Schema.migrator.hasCompletedMigrations($0) }) == true {
                throw .busy(message(error))
            }
            throw .failed(StoreError.cannotOpen(path: path, reason: "migration failed: " + message(error)))
        }
        do {
            return (pool, try Store.markInterrupted(pool: pool, host: host))
        } catch {
            throw .failed(error)
        }
    }

    deinit {
        if removeOnDeinit {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
        }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error)" }
        return "\(error)"
    }

    /// Refuses files written by a newer retune, and files that are not retune stores, before
    /// anything is written to them.
    static func checkExisting(path: String) throws(OpenFailure) {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        let result: (userVersion: Int, hasMigrations: Bool, applied: [String], tables: Int)
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            result = try queue.read { db in
                let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                let hasMigrations = try db.tableExists("grdb_migrations")
                let applied = hasMigrations
                    ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                return (userVersion, hasMigrations, applied, tables)
            }
            try queue.close()
        } catch {
            if isBusy(error) { throw .busy(message(error)) }
            throw .failed(StoreError.cannotOpen(path: path, reason: message(error)))
        }
        if result.userVersion > Schema.version {
            throw .failed(StoreError.newerSchema(path: path, found: result.userVersion, supported: Schema.version))
        }
        let unknown = result.applied.filter { !Schema.migrationNames.contains($0) }
        if !unknown.isEmpty {
            throw .failed(StoreError.unknownMigrations(path: path, names: unknown.sorted()))
        }
        if result.tables > 0 && !result.hasMigrations {
            throw .failed(StoreError.cannotOpen(path: path, reason: "the file is an SQLite database but not a retune store"))
        }
    }

    /// Marks `running` runs of this host whose owner process is gone as `interrupted`.
    /// Runs owned by another host are left alone (their owner cannot be checked from here).
    static func markInterrupted(pool: DatabasePool, host: String) throws(StoreError) -> [Int64] {
        try storeOp("marking interrupted runs") {
            try pool.writeWithoutTransaction { db in
                var marked: [Int64] = []
                try db.inTransaction(.immediate) {
                    marked = try markInterrupted(GRDBConnection(db), host: host)
                    return .commit
                }
                return marked
            }
        }
    }

    /// Marks this host's `running` runs whose process is gone (both backends, in a transaction).
    static func markInterrupted(_ db: any SQLConnection, host: String) throws -> [Int64] {
        var marked: [Int64] = []
        let rows = try db.rows("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?", arguments: [host])
        let now = Date().timeIntervalSince1970
        for row in rows {
            let id: Int64 = try row["id"]
            let pid: Int = try row["pid"]
            if !HostInfo.processIsAlive(pid) {
                try db.execute(sql: """
                    UPDATE runs SET status = 'interrupted', ended = ?, duration = ? - started,
                    error = coalesce(error, 'owner process ' || pid || ' on ' || host || ' is gone')
                    WHERE id = ?
                    """, arguments: [now, now, id])
                marked.append(id)
            }
        }
        return marked
    }

    /// Runs `body` in an IMMEDIATE transaction (takes the write lock up front, so concurrent
    /// writers wait on the busy timeout instead of failing with SQLITE_BUSY on upgrade).
    /// On PostgreSQL: a plain transaction (retried on a serialization failure or deadlock).
    func write<T>(_ operation: String, _ body: (any SQLConnection) throws -> T) throws(StoreError) -> T {
        switch backend {
        case let .sqlite(pool):
            return try storeOp(operation) {
                try pool.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(GRDBConnection(db))
                        return .commit
                    }
                    guard let result else { throw StoreError.database(operation: operation, message: "transaction produced no result") }
                    return result
                }
            }
        case let .postgres(client):
            return try storeOp(operation) { try client.transaction(.write) { try body($0) } }
        }
    }

    /// Runs `body` on a reader connection (a snapshot; concurrent with writes). On PostgreSQL a
    /// REPEATABLE READ, READ ONLY transaction.
    func read<T>(_ operation: String, _ body: (any SQLConnection) throws -> T) throws(StoreError) -> T {
        switch backend {
        case let .sqlite(pool):
            return try storeOp(operation) { try pool.read { db in try body(GRDBConnection(db)) } }
        case let .postgres(client):
            return try storeOp(operation) { try client.transaction(.read) { try body($0) } }
        }
    }

    /// The schema version recorded in the store.
    public func fileSchemaVersion() throws(StoreError) -> Int {
        try read("reading the schema version") { db in
            if db.dialect == .postgres {
                return try db.fetchOne(as: Int.self, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") ?? 0
            }
            return try db.fetchOne(as: Int.self, "PRAGMA user_version") ?? 0
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound (PostgreSQL: "ok" when the server
    /// answers; it checks its own pages).
    public func integrityCheck() throws(StoreError) -> String {
        try read("checking integrity") { db in
            if db.dialect == .postgres { return try db.fetchOne(as: Int.self, "SELECT 1") == 1 ? "ok" : "no answer" }
            return try db.fetchAll(as: String.self, "PRAGMA integrity_check").joined(separator: "\n")
        }
    }
}

/// A value behind a lock, shareable between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
