/// Every failure in the Tabular module: a typed value whose message names the file, line and
/// column (for CSV input) or the column name and row (for data operations).
public enum TabularError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A malformed CSV: `file:line:col: message`.
    case csv(file: String, line: Int, column: Int, message: String)
    /// A value that does not fit its column: names the column and the 1-based data row.
    case value(file: String, line: Int, column: Int, columnName: String, message: String)
    /// The file could not be read at all.
    case io(path: String, message: String)
    /// An unknown column name.
    case unknownColumn(String, available: [String])
    /// A type mismatch or other problem tied to a column.
    case column(String, message: String)
    /// Two schemas that must agree do not; each difference is one entry.
    case schemaMismatch([String])
    /// A bad argument to an operation (fraction out of range, sample larger than data, …).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .csv(file, line, column, message):
            return "\(file):\(line):\(column): error: \(message)"
        case let .value(file, line, column, columnName, message):
            return "\(file):\(line):\(column): error: column '\(columnName)': \(message)"
        case let .io(path, message):
            return "\(path): error: \(message)"
        case let .unknownColumn(name, available):
            return "unknown column '\(name)' (columns: \(available.joined(separator: ", ")))"
        case let .column(name, message):
            return "column '\(name)': \(message)"
        case let .schemaMismatch(differences):
            return "schemas differ:\n" + differences.map { "  - " + $0 }.joined(separator: "\n")
        case let .invalidArgument(message):
            return message
        }
    }
}
