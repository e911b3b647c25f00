// `sql "SELECT …"`: user SQL on a separate read-only connection guarded by an authorizer.
import Foundation
import GRDBSQLite

extension Store {
    /// Runs one user SQL statement read-only and returns its result table. The connection is
    /// opened read-only (SQLITE_OPEN_READONLY, `query_only`) and an authorizer refuses anything
    /// but reading: INSERT/UPDATE/DELETE/CREATE/DROP/ALTER, ATTACH/DETACH, transactions,
    /// writing PRAGMAs and unknown functions with side effects never run.
    /// `bound` limits its running time and lets Ctrl-C stop it (`StoreError.queryStopped`).
    /// On PostgreSQL: a READ ONLY transaction with `statement_timeout` from `bound` (see
    /// `postgresReadOnlySQL`).
    public func readOnlySQL(_ sql: String, bound: QueryBound = .unbounded) throws(StoreError) -> SQLTable {
        if case let .postgres(client) = backend { return try Store.postgresReadOnlySQL(client, sql, bound: bound) }
        let connection = try ReadOnlyConnection(path: path)
        return try connection.query(sql, bound: bound)
    }
}

/// Why the authorizer refused a statement; filled in by the authorizer callback.
private final class Refusal {
    var reason: String?
    /// The statement was a PRAGMA the authorizer allowed (a read): SQLite reports some of those
    /// as not read-only (`PRAGMA journal_mode`) although, without an argument, they only read.
    var allowedPragma = false

    /// Records the first reason only: SQLite asks again for the statement's side effects
    /// (a DROP TABLE also deletes from sqlite_master) and the first question names it best.
    func refuse(_ reason: String) -> Int32 {
        if self.reason == nil { self.reason = reason }
        return SQLITE_DENY
    }

    /// SQLite asks about the write to `sqlite_master` before the CREATE/DROP that causes it,
    /// and stops at the first denial. Let that one through (noted) so the CREATE/DROP itself is
    /// refused with its name. Nothing can write there anyway: the connection is read-only,
    /// SQLite refuses direct writes to its schema table, and `sqlite3_stmt_readonly` is checked.
    var schemaWrite: String?
    func refuse(_ reason: String, table: String?) -> Int32 {
        if let table, table.hasPrefix("sqlite_") {
            if schemaWrite == nil { schemaWrite = reason }
            return SQLITE_OK
        }
        return refuse(reason)
    }

    var explanation: String? { reason ?? schemaWrite }
}

/// A raw sqlite3 read-only connection with a refusing authorizer. Not shared: one per call.
private final class ReadOnlyConnection {
    let handle: OpaquePointer
    let refusal = Refusal()

    init(path: String) throws(StoreError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw StoreError.cannotOpen(path: path, reason: message)
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_exec(db, "PRAGMA query_only = 1", nil, nil, nil)
        let context = Unmanaged.passUnretained(refusal).toOpaque()
        sqlite3_set_authorizer(db, { context, action, arg1, arg2, _, _ in
            guard let context else { return SQLITE_DENY }
            let refusal = Unmanaged<Refusal>.fromOpaque(context).takeUnretainedValue()
            let name1 = arg1.map { String(cString: $0) }
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_FUNCTION:
                // arg2 is the function name. Refuse the few with side effects or file access.
                let name = (arg2.map { String(cString: $0) } ?? "").lowercased()
                if ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"].contains(name) {
                    return refusal.refuse("function \(name)()")
                }
                return SQLITE_OK
            case SQLITE_PRAGMA:
                let pragma = (name1 ?? "").lowercased()
                if arg2 != nil {
                    // `PRAGMA x = v` and `PRAGMA x(v)`: allow only table-valued reads with an argument.
                    let readsWithArgument: Set<String> = ["table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                                                          "foreign_key_list", "integrity_check", "quick_check"]
                    if !readsWithArgument.contains(pragma) {
                        return refusal.refuse("writing PRAGMA \(pragma)")
                    }
                }
                let refused: Set<String> = ["wal_checkpoint", "optimize", "incremental_vacuum", "shrink_memory", "writable_schema"]
                if refused.contains(pragma) {
                    return refusal.refuse("PRAGMA \(pragma)")
                }
                refusal.allowedPragma = true
                return SQLITE_OK
            case SQLITE_ATTACH:
                return refusal.refuse("ATTACH")
            case SQLITE_DETACH:
                return refusal.refuse("DETACH")
            case SQLITE_INSERT:
                return refusal.refuse("INSERT into \(name1 ?? "a table")", table: name1)
            case SQLITE_UPDATE:
                return refusal.refuse("UPDATE of \(name1 ?? "a table")", table: name1)
            case SQLITE_DELETE:
                return refusal.refuse("DELETE from \(name1 ?? "a table")", table: name1)
            case SQLITE_TRANSACTION, SQLITE_SAVEPOINT:
                return refusal.refuse("a transaction statement")
            case SQLITE_ALTER_TABLE:
                return refusal.refuse("ALTER TABLE")
            case SQLITE_REINDEX, SQLITE_ANALYZE:
                return refusal.refuse("REINDEX/ANALYZE")
            default:
                // CREATE/DROP of anything, virtual tables, and any action code added later.
                let creates: Set<Int32> = [SQLITE_CREATE_INDEX, SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_INDEX,
                                           SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_TEMP_VIEW,
                                           SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VIEW, SQLITE_CREATE_VTABLE]
                let drops: Set<Int32> = [SQLITE_DROP_INDEX, SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_TEMP_TABLE,
                                         SQLITE_DROP_TEMP_TRIGGER, SQLITE_DROP_TEMP_VIEW, SQLITE_DROP_TRIGGER, SQLITE_DROP_VIEW,
                                         SQLITE_DROP_VTABLE]
                if creates.contains(action) { return refusal.refuse("CREATE \(name1 ?? "")") }
                if drops.contains(action) { return refusal.refuse("DROP \(name1 ?? "")") }
                return refusal.refuse("this kind of statement")
            }
        }, context)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    func query(_ sql: String, bound: QueryBound) throws(StoreError) -> SQLTable {
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let utf8 = Array(trimmed.utf8CString)
        let rc = utf8.withUnsafeBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return SQLITE_MISUSE }
            let rc = sqlite3_prepare_v2(handle, base, -1, &statement, &tail)
            // Anything but whitespace/semicolons after the first statement is a second statement.
            if rc == SQLITE_OK, let tail {
                let offset = tail - base
                let rest = buffer[offset..<(buffer.count - 1)].map { UInt8(bitPattern: $0) }
                let text = String(decoding: rest, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\n;"))
                if !text.isEmpty { return SQLITE_MISUSE }
            }
            return rc
        }
        if rc == SQLITE_MISUSE, statement != nil {
            sqlite3_finalize(statement)
            throw StoreError.sqlError(statement: shown, message: "only one statement at a time")
        }
        guard rc == SQLITE_OK else {
            if let reason = refusal.explanation { throw StoreError.readOnlyViolation(statement: shown, reason: reason) }
            throw StoreError.sqlError(statement: shown, message: String(cString: sqlite3_errmsg(handle)))
        }
        guard let statement else { throw StoreError.sqlError(statement: shown, message: "empty statement") }
        defer { sqlite3_finalize(statement) }
        if sqlite3_stmt_readonly(statement) == 0 && !refusal.allowedPragma {
            throw StoreError.readOnlyViolation(statement: shown, reason: refusal.schemaWrite ?? "a statement that writes")
        }
        let count = Int(sqlite3_column_count(statement))
        let columns = (0..<count).map { i in sqlite3_column_name(statement, Int32(i)).map { String(cString: $0) } ?? "column\(i + 1)" }
        do {
            return try QueryWatch(bound).watching(handle, statement: shown) {
                try self.rows(of: statement, columns: columns, shown: shown)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.sqlError(statement: shown, message: "\(error)")
        }
    }

    private func rows(of statement: OpaquePointer, columns: [String], shown: String) throws(StoreError) -> SQLTable {
        let count = columns.count
        var rows: [[SQLValue]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw StoreError.sqlError(statement: shown, message: String(cString: sqlite3_errmsg(handle)))
            }
            var row: [SQLValue] = []
            row.reserveCapacity(count)
            for i in 0..<Int32(count) {
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, i)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, i)))
                case SQLITE_TEXT:
                    row.append(.text(sqlite3_column_text(statement, i).map { String(cString: $0) } ?? ""))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(statement, i))
                    if let p = sqlite3_column_blob(statement, i), n > 0 {
                        row.append(.blob([UInt8](UnsafeRawBufferPointer(start: p, count: n))))
                    } else {
                        row.append(.blob([]))
                    }
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
        return SQLTable(columns: columns, rows: rows)
    }
}

extension Store {
    /// Statements `sql` may run on PostgreSQL: reads only. Anything else (INSERT, SET, COMMIT,
    /// COPY, DO, CALL, VACUUM, …) is refused before it reaches the server; a write hidden in a
    /// read (a data-modifying WITH, a function that writes) is refused by the READ ONLY
    /// transaction. No Ctrl-C cancellation on PostgreSQL: `statement_timeout` bounds it.
    static let postgresReadStatements: Set<String> = ["SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW"]

    static func postgresReadOnlySQL(_ client: PostgresClient, _ sql: String, bound: QueryBound) throws(StoreError) -> SQLTable {
        let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
        let words = trimmed.split(whereSeparator: { $0.isWhitespace || $0 == "(" || $0 == ";" }).prefix(3).map { String($0) }
        guard let first = words.first?.uppercased() else { throw StoreError.sqlError(statement: shown, message: "empty statement") }
        if !postgresReadStatements.contains(first) {
            let target = words.dropFirst().first { !["INTO", "FROM", "TABLE", "INDEX", "VIEW"].contains($0.uppercased()) }
            let reason: String
            switch first {
            case "INSERT": reason = "INSERT into \(target ?? "a table")"
            case "UPDATE": reason = "UPDATE of \(target ?? "a table")"
            case "DELETE": reason = "DELETE from \(target ?? "a table")"
            case "CREATE", "DROP": reason = "\(first) \(target ?? "")"
            case "ALTER": reason = "ALTER TABLE"
            case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END", "ABORT": reason = "a transaction statement"
            default: reason = "this kind of statement"
            }
            throw StoreError.readOnlyViolation(statement: shown, reason: reason)
        }
        do {
            let rows = try client.transaction(.readOnlyUser) { db -> [SQLRow] in
                if let seconds = bound.seconds {
                    try db.execute(sql: "SET LOCAL statement_timeout = \(max(1, Int((seconds * 1000).rounded(.up))))")
                }
                return try db.rows(trimmed)
            }
            let columns = rows.first?.columns ?? []
            return SQLTable(columns: columns, rows: rows.map(\.values))
        } catch let error as PostgresStatementError {
            switch error.sqlState {
            case "25006": throw StoreError.readOnlyViolation(statement: shown, reason: "a statement that writes")
            case "57014": throw StoreError.queryStopped(statement: shown, .timeout(seconds: bound.seconds ?? 0))
            case "42601" where error.message.contains("multiple commands"):
                throw StoreError.sqlError(statement: shown, message: "only one statement at a time")
            default: throw StoreError.sqlError(statement: shown, message: error.message)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.sqlError(statement: shown, message: "\(error)")
        }
    }
}
