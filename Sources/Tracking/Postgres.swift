// The PostgreSQL backend: one postgres-nio connection on an event loop the store owns, driven
// synchronously (EventLoopFuture.wait() from the caller's thread, never an event-loop thread).
import Foundation
import PostgresNIO

/// A parsed `postgres://user[:password]@host[:port]/db[?sslmode=disable&connect_timeout=N]`.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// Seconds to wait for the server before giving up (default 5).
    public var connectTimeout: Double

    /// Whether `text` names a PostgreSQL store (`postgres://` or `postgresql://`).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The URL without its password (for banners, `show settings`, error messages).
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Parses a store URL; a malformed one is a clear error naming what is wrong.
    public init(_ text: String) throws(StoreError) {
        func bad(_ why: String) -> StoreError {
            .cannotOpen(path: PostgresURL.masked(text), reason: "malformed PostgreSQL URL: \(why) "
                + "(expected postgres://user[:password]@host[:port]/database[?connect_timeout=N])")
        }
        guard PostgresURL.isPostgres(text), let components = URLComponents(string: text) else { throw bad("not a URL") }
        guard let user = components.user, !user.isEmpty else { throw bad("no user name before '@'") }
        guard let host = components.host, !host.isEmpty else { throw bad("no host") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw bad("no database name after the host") }
        if let port = components.port, !(1...65535).contains(port) { throw bad("port \(port) is out of range") }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        self.port = components.port ?? 5432
        self.database = database
        self.connectTimeout = 5
        for item in components.queryItems ?? [] {
            switch item.name {
            case "connect_timeout":
                guard let value = item.value.flatMap(Double.init), value > 0, value.isFinite else {
                    throw bad("connect_timeout must be a positive number of seconds, not '\(item.value ?? "")'")
                }
                connectTimeout = value
            case "sslmode":
                guard item.value == "disable" else { throw bad("only sslmode=disable is supported, not '\(item.value ?? "")'") }
            default:
                throw bad("unknown parameter '\(item.name)'")
            }
        }
    }

    /// `text` with any password replaced by `***`.
    static func masked(_ text: String) -> String {
        guard let components = URLComponents(string: text), components.password != nil,
              let range = text.range(of: ":" + (components.percentEncodedPassword ?? "") + "@") else { return text }
        return text.replacingCharacters(in: range, with: ":***@")
    }
}

/// One PostgreSQL connection, used by one caller at a time (the store serialises callers).
final class PostgresClient: @unchecked Sendable {
    let url: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let connection: PostgresConnection
    private let logger = Logger(label: "retune-store")
    /// Serialises transactions: the connection runs one at a time.
    let lock = NSLock()
    /// The statement waiting for its answer, failed at once when the connection closes (a
    /// killed server) or after `statementDeadline` without an answer. Touched on the event loop.
    private let pending = Locked<EventLoopPromise<PostgresQueryResult>?>(nil)
    private let lost = Locked<Bool>(false)
    /// Seconds a statement may go without any answer before the connection is given up.
    static let statementDeadline: Int64 = 60

    init(_ url: PostgresURL) throws(StoreError) {
        self.url = url
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user,
                                                      password: url.password, database: url.database, tls: .disable)
        let timeout = TimeAmount.milliseconds(Int64(url.connectTimeout * 1000))
        config.options.connectTimeout = timeout
        do {
            // The TCP connect has its own timeout; the whole start-up (a server that accepts but
            // never answers, authentication) is bounded by the same limit.
            let loop = group.next()
            let promise = loop.makePromise(of: PostgresConnection.self)
            let connecting = PostgresConnection.connect(on: loop, configuration: config, id: 1, logger: logger)
            let deadline = loop.scheduleTask(in: timeout) { promise.fail(PostgresConnectTimeout()) }
            connecting.whenComplete { result in
                deadline.cancel()
                switch result {
                case let .success(connection):
                    promise.futureResult.whenFailure { _ in connection.close().whenComplete { _ in } }
                    promise.succeed(connection)
                case let .failure(error):
                    promise.fail(error)
                }
            }
            connection = try promise.futureResult.wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw StoreError.cannotConnect(host: url.host, port: url.port, reason: PostgresClient.connectReason(error, url))
        }
        self.group = group
        connection.closeFuture.whenComplete { [pending, lost] _ in
            lost.withLock { $0 = true }
            pending.withLock { $0?.fail(PostgresConnectionLost()) }
        }
    }

    deinit {
        _ = try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// A short reason for a failed connect: refused, timed out, or the server's own message.
    static func connectReason(_ error: any Error, _ url: PostgresURL) -> String {
        if error is PostgresConnectTimeout {
            return "no answer within \(StoreError.seconds(url.connectTimeout)) (connect_timeout)"
        }
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            if let underlying = e.underlying { return connectReason(underlying, url) }
            if e.code == .serverClosedConnection || e.code == .uncleanShutdown {
                return "the connection was closed before the server answered (is it a PostgreSQL server, and reachable?)"
            }
            return "\(e.code)"
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return "no answer within \(StoreError.seconds(url.connectTimeout)) (connect_timeout)"
        }
        if let e = error as? IOError {
            if e.errnoCode == ECONNREFUSED { return "connection refused" }
            return String(cString: strerror(e.errnoCode))
        }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first?.error { return connectReason(first, url) }
            if e.dnsAAAAError != nil || e.dnsAError != nil { return "unknown host '\(url.host)'" }
        }
        let text = "\(error)"
        if text.contains("connectTimeout") { return "no answer within \(StoreError.seconds(url.connectTimeout)) (connect_timeout)" }
        if text.contains("refused") { return "connection refused" }
        return text
    }

    /// The server's message for a failed statement (with its SQLSTATE when it has one).
    static func message(_ error: any Error) -> String {
        if let e = error as? PostgresConnectionLost { return e.reason }
        guard let e = error as? PSQLError else { return "\(error)" }
        if let message = e.serverInfo?[.message] { return message }
        if e.code == .serverClosedConnection || e.code == .clientClosedConnection || e.code == .uncleanShutdown {
            return "the connection to the PostgreSQL server was lost"
        }
        if let underlying = e.underlying { return "\(e.code): \(underlying)" }
        return "\(e.code)"
    }

    /// The SQLSTATE of a server error (e.g. `40001` serialization failure).
    static func sqlState(_ error: any Error) -> String? { (error as? PSQLError)?.serverInfo?[.sqlState] }

    /// Runs one statement and collects its rows and changed-row count.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> (rows: [SQLRow], changes: Int) {
        var binds = PostgresBindings(capacity: arguments.count)
        for value in arguments {
            switch value {
            case .null: binds.appendNull()
            case let .integer(v): binds.append(v)
            case let .real(v): binds.append(v)
            case let .text(v): binds.append(v)
            case let .blob(v): binds.append(ByteBuffer(bytes: v))
            }
        }
        if lost.withLock({ $0 }) { throw PostgresConnectionLost() }
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: PostgresQueryResult.self)
        pending.withLock { $0 = promise }
        defer { pending.withLock { $0 = nil } }
        let connection = self.connection
        let deadline = loop.scheduleTask(in: .seconds(PostgresClient.statementDeadline)) {
            promise.fail(PostgresConnectionLost(reason: "no answer from the server within \(PostgresClient.statementDeadline) s"))
            connection.close().whenComplete { _ in }
        }
        connection.query(PostgresQuery(unsafeSQL: PostgresClient.numbered(sql), binds: binds), logger: logger).whenComplete { result in
            deadline.cancel()
            promise.completeWith(result)
        }
        if lost.withLock({ $0 }) { promise.fail(PostgresConnectionLost()) }
        let result = try promise.futureResult.wait()
        var rows: [SQLRow] = []
        rows.reserveCapacity(result.rows.count)
        var columns: [String]?
        for row in result.rows {
            var values: [SQLValue] = []
            var names: [String] = []
            for cell in row {
                if columns == nil { names.append(cell.columnName) }
                values.append(try PostgresClient.value(cell))
            }
            if columns == nil { columns = names }
            rows.append(SQLRow(columns: columns ?? names, values: values))
        }
        return (rows, result.metadata.rows ?? 0)
    }

    /// A cell as a neutral value (integers, floats, numeric, text, bytea, booleans; anything
    /// else as its text when it decodes as one).
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .integer(try cell.decode(Int64.self))
        case .int4: return .integer(Int64(try cell.decode(Int32.self)))
        case .int2: return .integer(Int64(try cell.decode(Int16.self)))
        case .float8: return .real(try cell.decode(Double.self))
        case .float4: return .real(Double(try cell.decode(Float.self)))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric:
            let d = try cell.decode(Decimal.self)
            let x = NSDecimalNumber(decimal: d).doubleValue
            if x == x.rounded(), abs(x) < 9e15 { return .integer(Int64(x)) }
            return .real(x)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [])
        default:
            if let text = try? cell.decode(String.self) { return .text(text) }
            return .text("<\(cell.dataType)>")
        }
    }

    /// `?` placeholders → `$1, $2, …` (outside quoted strings and identifiers).
    static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quote: Character?
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// The PostgreSQL connection as the store sees it, valid inside one `Store.read`/`write` call.
final class PostgresSQLConnection: SQLConnection {
    let client: PostgresClient
    private(set) var changesCount = 0
    init(_ client: PostgresClient) { self.client = client }

    var dialect: Dialect { .postgres }

    func run(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
        changesCount = try wrapped { try client.execute(sql, arguments).changes }
        return changesCount
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try wrapped {
            let result = try client.execute(sql, arguments)
            changesCount = result.changes
            return result.rows
        }
    }

    /// The identity value the last INSERT generated in this session.
    func lastInsertedRowID() throws -> Int64 {
        try fetchOne(as: Int64.self, "SELECT lastval()") ?? 0
    }

    private func wrapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw error } catch {
            throw PostgresStatementError(message: PostgresClient.message(error), sqlState: PostgresClient.sqlState(error))
        }
    }
}

/// The connection closed under a statement (a killed server), or the server stopped answering.
struct PostgresConnectionLost: Error {
    var reason = "the connection to the PostgreSQL server was lost"
}

/// The connect (TCP and start-up) took longer than `connect_timeout`.
struct PostgresConnectTimeout: Error {}

/// A failed PostgreSQL statement: the server's message and SQLSTATE.
struct PostgresStatementError: Error, CustomStringConvertible {
    var message: String
    var sqlState: String?
    var description: String { message }
    /// Serialization failure or deadlock: the transaction is worth running again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
}

extension PostgresClient {
    enum TransactionKind { case write, read, readOnlyUser }

    /// Runs `body` in one transaction (rolled back if it throws); a serialization failure or
    /// deadlock runs it again, up to 20 times.
    func transaction<T>(_ kind: TransactionKind, _ body: (PostgresSQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        var attempt = 0
        while true {
            let connection = PostgresSQLConnection(self)
            do {
                switch kind {
                case .write: try connection.execute(sql: "BEGIN")
                case .read: try connection.execute(sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                case .readOnlyUser: try connection.execute(sql: "BEGIN READ ONLY")
                }
                let result = try body(connection)
                try connection.execute(sql: "COMMIT")
                return result
            } catch {
                // Ending the failed transaction; on a lost connection there is nothing to roll back.
                _ = try? connection.execute(sql: "ROLLBACK")
                if let e = error as? PostgresStatementError, e.isRetryable, attempt < 20 {
                    attempt += 1
                    usleep(useconds_t(Int.random(in: 1...10) * 1000 * min(attempt, 10)))
                    continue
                }
                throw error
            }
        }
    }
}
