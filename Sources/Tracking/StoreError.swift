// Errors of the experiment store: typed values, worded in one place.
import GRDB

/// Everything that can go wrong in the store. Each case carries the offending value.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's schema was written by a newer retune.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file holds migrations this build does not know (written by a newer or foreign build).
    case unknownMigrations(path: String, names: [String])
    /// The file could not be opened or is not a retune store.
    case cannotOpen(path: String, reason: String)
    /// A PostgreSQL server that could not be reached (refused, timed out, authentication).
    case cannotConnect(host: String, port: Int, reason: String)
    /// `store copy` into a store that already has rows in `table`.
    case copyTargetNotEmpty(path: String, table: String, rows: Int)
    /// `store copy` read back different rows than it wrote (the copy was rolled back).
    case copyMismatch(source: String, target: String)
    /// An SQLite or PostgreSQL failure, with the operation that failed.
    case database(operation: String, message: String)
    case noSuchRun(Int64)
    case noSuchModel(String)
    case noSuchVersion(model: String, version: Int)
    case noVersions(model: String)
    case noSuchAlias(model: String, alias: String)
    case versionDeleted(model: String, version: Int)
    case invalidReference(String)
    case invalidAliasName(String)
    case noEarlierAliasTarget(model: String, alias: String)
    case unknownName(String, suggestions: [String])
    case ambiguousName(String, choices: [String])
    case invalidFilter(String)
    case readOnlyViolation(statement: String, reason: String)
    case sqlError(statement: String, message: String)
    /// A user query stopped by its time limit or by Ctrl-C (`QueryBound`).
    case queryStopped(statement: String, QueryStop)

    public var description: String {
        switch self {
        case let .newerSchema(path, found, supported):
            return "store '\(path)' has schema version \(found), but this retune supports up to \(supported): "
                + "upgrade retune to open it (the file was not changed)"
        case let .unknownMigrations(path, names):
            return "store '\(path)' was migrated by a newer retune (unknown migrations: "
                + names.joined(separator: ", ") + "); the file was not changed"
        case let .cannotOpen(path, reason):
            return "cannot open store '\(path)': \(reason)"
        case let .cannotConnect(host, port, reason):
            return "cannot connect to PostgreSQL at \(host):\(port): \(reason)"
        case let .copyTargetNotEmpty(path, table, rows):
            return "cannot copy into '\(path)': it already has \(rows) row\(rows == 1 ? "" : "s") in \(table) "
                + "(copy into a new, empty store)"
        case let .copyMismatch(source, target):
            return "the copy does not match its source (checksum \(source.prefix(12)) vs \(target.prefix(12))); nothing was written"
        case let .database(operation, message):
            return "store error while \(operation): \(message)"
        case let .noSuchRun(id):
            return "no run #\(id)"
        case let .noSuchModel(name):
            return "no model named '\(name)'"
        case let .noSuchVersion(model, version):
            return "model '\(model)' has no version \(version)"
        case let .noVersions(model):
            return "model '\(model)' has no versions yet (train it first)"
        case let .noSuchAlias(model, alias):
            return "model '\(model)' has no alias '\(alias)'"
        case let .versionDeleted(model, version):
            return "\(model)@\(version) is deleted (restore it first)"
        case let .invalidReference(text):
            return "invalid version reference '\(text)': expected a number, 'latest' or an alias name"
        case let .invalidAliasName(text):
            return "invalid alias name '\(text)': use letters, digits, '_' or '-', not starting with a digit, and not 'latest'"
        case let .noEarlierAliasTarget(model, alias):
            return "alias '\(alias)' of model '\(model)' has no earlier target to roll back to"
        case let .unknownName(name, suggestions):
            var text = "unknown name '\(name)': not a run field, metric or parameter"
            if !suggestions.isEmpty { text += " (did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?)" }
            return text
        case let .ambiguousName(name, choices):
            return "ambiguous name '\(name)': it could be " + choices.joined(separator: ", ") + "; write one of these instead"
        case let .invalidFilter(message):
            return "invalid filter: \(message)"
        case let .readOnlyViolation(statement, reason):
            return "sql is read-only: \(reason) is not allowed (in: \(statement))"
        case let .sqlError(statement, message):
            return "sql error: \(message) (in: \(statement))"
        case let .queryStopped(statement, .timeout(seconds)):
            return "query stopped after \(StoreError.seconds(seconds)) (the sql_timeout limit); "
                + "raise it with 'set sql_timeout \(StoreError.seconds(max(seconds * 10, 10), unit: false))' or lift it with 'set sql_timeout off'" + StoreError.inStatement(statement)
        case let .queryStopped(statement, .cancelled):
            return "query interrupted by Ctrl-C" + StoreError.inStatement(statement)
        }
    }
}

extension StoreError {
    /// A user query stopped by Ctrl-C (reported as an interruption, not a failure).
    public var isCancelledQuery: Bool {
        if case .queryStopped(_, .cancelled) = self { return true }
        return false
    }

    static func inStatement(_ statement: String) -> String { statement.isEmpty ? "" : " (in: \(statement))" }

    /// `5 s`, `0.5 s` (or the bare number).
    static func seconds(_ x: Double, unit: Bool = true) -> String {
        let text = x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x)
        return unit ? text + " s" : text
    }

    /// Wraps a GRDB/SQLite error with the operation that failed; passes StoreErrors through.
    static func wrap(_ error: any Error, _ operation: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresStatementError {
            return .database(operation: operation, message: error.message)
        }
        if let error = error as? DatabaseError {
            return .database(operation: operation, message: error.message ?? "\(error)")
        }
        return .database(operation: operation, message: "\(error)")
    }
}

/// Runs `body`, turning any thrown error into a `StoreError` naming `operation`.
@inline(__always)
func storeOp<T>(_ operation: String, _ body: () throws -> T) throws(StoreError) -> T {
    do { return try body() } catch { throw StoreError.wrap(error, operation) }
}
