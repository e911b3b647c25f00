// Bounded statements: a time limit and a cancellation check enforced by SQLite's progress handler.
import Foundation
import GRDB
import GRDBSQLite

/// How long a user query (`sql`, `runs where`) may run, and how it is cancelled. Enforced by
/// SQLite's progress handler, called every `QueryBound.opsPerCheck` virtual-machine steps: it
/// stops the statement (SQLITE_INTERRUPT) once `seconds` have passed or `cancelled()` is true.
public struct QueryBound: Sendable {
    /// The time limit in seconds; nil = no limit.
    public var seconds: Double?
    /// Polled by the progress handler (Ctrl-C).
    public var cancelled: @Sendable () -> Bool

    public init(seconds: Double?, cancelled: @escaping @Sendable () -> Bool = { false }) {
        self.seconds = seconds
        self.cancelled = cancelled
    }

    /// No limit, no cancellation.
    public static let unbounded = QueryBound(seconds: nil)

    /// SQLite VM instructions between two checks (a check costs a clock read: ~µs apart).
    static let opsPerCheck: Int32 = 4000
}

/// Why a bounded statement stopped.
public enum QueryStop: Sendable, Equatable {
    case timeout(seconds: Double)
    case cancelled
}

/// The state the progress handler reads: deadline, the cancellation check, and what stopped it.
final class QueryWatch {
    let deadline: UInt64?
    let bound: QueryBound
    var stop: QueryStop?

    init(_ bound: QueryBound) {
        self.bound = bound
        deadline = bound.seconds.map { DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, $0) * 1e9) }
    }

    /// Nonzero stops the statement.
    func check() -> Int32 {
        if bound.cancelled() { stop = .cancelled; return 1 }
        if let deadline, DispatchTime.now().uptimeNanoseconds >= deadline {
            stop = .timeout(seconds: bound.seconds ?? 0)
            return 1
        }
        return 0
    }

    /// Installs the handler on `handle` for the duration of `body`, then removes it. A
    /// statement the handler stopped becomes `StoreError.queryStopped`.
    func watching<T>(_ handle: OpaquePointer, statement: String, _ body: () throws -> T) throws -> T {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_progress_handler(handle, QueryBound.opsPerCheck, { context in
            guard let context else { return 0 }
            return Unmanaged<QueryWatch>.fromOpaque(context).takeUnretainedValue().check()
        }, context)
        defer { sqlite3_progress_handler(handle, 0, nil, nil) }
        do {
            return try withExtendedLifetime(self) { try body() }
        } catch {
            if let stop { throw StoreError.queryStopped(statement: statement, stop) }
            throw error
        }
    }
}

extension Store {
    /// Runs `body` on a reader connection under `bound`.
    func boundedRead<T>(_ operation: String, statement: String, bound: QueryBound,
                        _ body: (any SQLConnection) throws -> T) throws(StoreError) -> T {
        if case let .postgres(client) = backend {
            // PostgreSQL: the server enforces the limit (`SET LOCAL statement_timeout`).
            return try storeOp(operation) {
                try client.transaction(.read) { db in
                    if let seconds = bound.seconds {
                        try db.execute(sql: "SET LOCAL statement_timeout = \(max(1, Int((seconds * 1000).rounded(.up))))")
                    }
                    do {
                        return try body(db)
                    } catch let error as PostgresStatementError where error.sqlState == "57014" {
                        throw StoreError.queryStopped(statement: statement, .timeout(seconds: bound.seconds ?? 0))
                    }
                }
            }
        }
        return try read(operation) { db in
            guard let handle = (db as? GRDBConnection)?.db.sqliteConnection else { return try body(db) }
            return try QueryWatch(bound).watching(handle, statement: statement) { try body(db) }
        }
    }
}
