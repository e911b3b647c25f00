/// Columnar datasets: typed numeric arrays and category codes, never arrays of strings.

/// The logical type of a column, as inferred from a CSV or declared with `types [...]`.
public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable {
    case integer, float, boolean, date, datetime, categorical

    /// Numeric columns are stored as `[Double]`; categorical ones as codes into levels.
    public var isNumeric: Bool { self != .categorical }
}

/// One column. Numeric kinds (integer, float, boolean as 0/1, date and datetime as seconds
/// since 1970-01-01 UTC) are stored as `Double` with `.nan` for a missing value; categorical
/// columns as `Int32` codes into `levels` with `-1` for a missing value.
public struct Column: Sendable, Hashable {
    public enum Storage: Sendable, Hashable {
        case numeric([Double])
        case categorical(codes: [Int32], levels: [String])
    }

    public var name: String
    public var type: ColumnType
    public var storage: Storage

    public init(name: String, type: ColumnType, storage: Storage) {
        self.name = name
        self.type = type
        self.storage = storage
    }

    public static func numeric(_ name: String, _ values: [Double], type: ColumnType = .float) -> Column {
        Column(name: name, type: type, storage: .numeric(values))
    }

    public static func categorical(_ name: String, codes: [Int32], levels: [String]) -> Column {
        Column(name: name, type: .categorical, storage: .categorical(codes: codes, levels: levels))
    }

    public var count: Int {
        switch storage {
        case .numeric(let v): return v.count
        case .categorical(let c, _): return c.count
        }
    }

    /// The values of a numeric column (nil for a categorical one).
    public var doubles: [Double]? {
        if case .numeric(let v) = storage { return v }
        return nil
    }

    public func isMissing(_ row: Int) -> Bool {
        switch storage {
        case .numeric(let v): return v[row].isNaN
        case .categorical(let c, _): return c[row] < 0
        }
    }

    public var missingCount: Int {
        switch storage {
        case .numeric(let v): return v.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let c, _): return c.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }
}

/// Where a dataset came from: a file, a generator, or an operation on other datasets.
public struct Provenance: Sendable, Hashable {
    /// `file`, `generate`, `split`, `filter`, `concat`, `sample`, `select`, `drop`, `predict`, …
    public var operation: String
    /// Names of the datasets it was derived from (empty for files and generators).
    public var sources: [String]
    /// Human-readable detail: the path, the generator options, the filter expression.
    public var detail: String

    public init(operation: String, sources: [String] = [], detail: String = "") {
        self.operation = operation
        self.sources = sources
        self.detail = detail
    }
}

/// A named table of equally long columns, with optional target and time columns.
public struct Dataset: Sendable, Hashable {
    public var name: String
    public var columns: [Column]
    public var target: String?
    public var time: String?
    public var provenance: Provenance

    public init(name: String, columns: [Column], target: String? = nil, time: String? = nil,
                provenance: Provenance = Provenance(operation: "unknown")) {
        self.name = name
        self.columns = columns
        self.target = target
        self.time = time
        self.provenance = provenance
    }

    public var rowCount: Int { columns.first?.count ?? 0 }
    public var columnNames: [String] { columns.map(\.name) }

    public func column(named name: String) -> Column? {
        columns.first { $0.name == name }
    }

    public func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}
