// The hot write path (run start/end, epoch points): statements prepared once per connection
// (GRDB's statement cache owns them), arguments bound with the SQLite C API directly, and the
// IMMEDIATE transaction begun and committed with cached statements. Same SQL, same transactions,
// same durability as going through GRDB's `inTransaction` + `StatementArguments`; about half
// the instructions per run (no SQL parse of BEGIN/COMMIT per call, no boxed arguments).
import GRDB
import GRDBSQLite

/// A cached statement of the writer connection, bound and stepped through the C API.
/// Valid only inside the `Store.rawWrite` body that made it.
struct RawStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer?
    let sql: String

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
        self.sql = sql
        sqlite3_reset(handle)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int?) {
        if let value { sqlite3_bind_int64(handle, index, Int64(value)) } else { sqlite3_bind_null(handle, index) }
    }

    /// NaN is bound as NULL (SQLite has no NaN).
    @inline(__always) func bind(_ index: Int32, _ value: Double?) {
        if let value, !value.isNaN { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always) func bind(_ index: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(handle, index); return }
        value.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress {
                    sqlite3_bind_text(handle, index, base, Int32(chars.count), RawStatement.transient)
                } else {
                    sqlite3_bind_text(handle, index, "", 0, RawStatement.transient)
                }
            }
        }
    }

    /// Steps the statement to completion and resets it; an SQLite error becomes a `DatabaseError`
    /// with its extended code (a foreign-key violation is `SQLITE_CONSTRAINT_FOREIGNKEY`).
    func run() throws {
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        if code != SQLITE_DONE {
            let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
            let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: sql)
        }
        sqlite3_reset(handle)
    }

    /// Steps a one-row query and returns its first column as an integer (nil: no row or NULL).
    func int64() throws -> Int64? {
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        if code == SQLITE_ROW {
            return sqlite3_column_type(handle, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 0)
        }
        if code == SQLITE_DONE { return nil }
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        throw DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: sql)
    }
}

extension Store {
    /// Runs `body` in one `BEGIN IMMEDIATE` … `COMMIT` transaction on the writer connection
    /// (rolled back if `body` or the commit throws). `operation` is only built on error.
    func rawWrite<T>(_ operation: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        guard case let .sqlite(pool) = backend else {
            throw StoreError.database(operation: operation(), message: "the SQLite write path was called on a PostgreSQL store")
        }
        do {
            return try pool.writeWithoutTransaction { db in
                try RawStatement(db, "BEGIN IMMEDIATE").run()
                do {
                    let result = try body(db)
                    try RawStatement(db, "COMMIT").run()
                    return result
                } catch {
                    if let connection = db.sqliteConnection, sqlite3_get_autocommit(connection) == 0 {
                        _ = sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
                    }
                    throw error
                }
            }
        } catch {
            throw StoreError.wrap(error, operation())
        }
    }
}

/// An INSERT of many rows as one statement per chunk (`VALUES (…), (…), …`): one statement
/// start, one set of open cursors and one step for up to `maxRows` rows, instead of a step per
/// row. The SQL for each row count is built once.
struct MultiRowInsert: Sendable {
    static let maxRows = 32
    let columns: Int32
    private let sqls: [String]

    /// The statement for `n` rows (1…maxRows).
    func sql(rows n: Int) -> String { sqls[n - 1] }

    /// `head` ends with `VALUES `; `tail` (an upsert clause, or empty) follows the rows.
    init(head: String, columns: Int, tail: String) {
        self.columns = Int32(columns)
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        sqls = (1...MultiRowInsert.maxRows).map { n in
            head + Array(repeating: row, count: n).joined(separator: ", ") + (tail.isEmpty ? "" : " " + tail)
        }
    }

    /// Inserts one row per element of `items`; `bind` binds an element's columns starting at the
    /// given parameter index.
    func insert<C: Collection>(_ db: Database, _ items: C, bind: (RawStatement, Int32, C.Element) -> Void) throws {
        var iterator = items.makeIterator()
        var remaining = items.count
        while remaining > 0 {
            let n = Swift.min(remaining, MultiRowInsert.maxRows)
            let statement = try RawStatement(db, sqls[n - 1])
            for row in 0..<n {
                guard let item = iterator.next() else { break }
                bind(statement, Int32(row) * columns + 1, item)
            }
            try statement.run()
            remaining -= n
        }
    }
}
