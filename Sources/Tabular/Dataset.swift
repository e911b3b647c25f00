/// Columnar datasets: typed numeric arrays and category codes, never arrays of strings.

/// The logical type of a column, as inferred from a CSV or declared with `types [...]`.
public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable {
    case integer, float, boolean, date, datetime, categorical

    /// Numeric columns are stored as `[Double]` or exact decimal codes (`DecimalCodes`); categorical ones as codes into levels.
    public var isNumeric: Bool { self != .categorical }
}

/// Exact compact storage of a numeric column loaded from CSV: value = Double(code) / 10^scale
/// (scale 0: Double(code)), `missing` (Int32.min) for a missing value (decoded as `.nan`). The
/// loader only stores a code when decoding it gives the parsed value's exact bits (both are the
/// correctly rounded value of the same rational; −0 is never a code).
public struct DecimalCodes: Sendable, Hashable {
    public static let missing = Int32.min
    public var codes: [Int32]
    /// The decimal exponent, 0…9.
    public var scale: Int

    public init(codes: [Int32], scale: Int) {
        self.codes = codes
        self.scale = scale
    }

    /// 10^s as a Double (exact for s ≤ 22).
    @inline(__always)
    public static func power(_ s: Int) -> Double { NumberParser.pow10(min(max(s, 0), 9)) }

    @inline(__always)
    public static func decode(_ code: Int32, scale: Int) -> Double {
        if code == missing { return .nan }
        return scale == 0 ? Double(code) : Double(code) / power(scale)
    }

    @inline(__always)
    public func value(_ row: Int) -> Double { Self.decode(codes[row], scale: scale) }

    /// Every value as a Double: one pass, the same bits as a Float64 load.
    public func decoded() -> [Double] {
        let s = scale
        let p = Self.power(s)
        return [Double](unsafeUninitializedCapacity: codes.count) { buf, n in
            codes.withUnsafeBufferPointer { c in
                for i in 0..<c.count {
                    let x = c[i]
                    buf[i] = x == Self.missing ? .nan : (s == 0 ? Double(x) : Double(x) / p)
                }
            }
            n = codes.count
        }
    }

    /// The code of `v` at `scale`, when decoding it gives v's exact bits (nil otherwise: −0, a
    /// value needing more decimals, |code| ≥ 2^31). NaN is `missing`.
    @inline(__always)
    public static func encode(_ v: Double, scale: Int) -> Int32? {
        if v.isNaN { return missing }
        if v == 0 { return v.sign == .minus ? nil : 0 }
        let p = power(scale)
        let x = scale == 0 ? v : v * p
        guard abs(x) < 2_147_483_647.5 else { return nil }
        let r = x.rounded()
        guard abs(r) <= 2_147_483_647 else { return nil }
        let code = Int32(r)
        let back = scale == 0 ? Double(code) : Double(code) / p
        return back.bitPattern == v.bitPattern ? code : nil
    }

    /// The smallest scale ≥ `from` (≤ 9) at which `v` has a code.
    public static func scaleNeeded(_ v: Double, from: Int) -> Int? {
        var s = from
        while s <= 9 {
            if encode(v, scale: s) != nil { return s }
            s += 1
        }
        return nil
    }

    /// Whether every code (not `missing`) times 10^k stays below 2^31 in magnitude.
    public static func canRescale(_ codes: UnsafeBufferPointer<Int32>, by k: Int) -> Bool {
        guard k > 0 else { return true }
        guard k <= 9 else { return codes.allSatisfy { $0 == missing || $0 == 0 } }
        var f: Int64 = 1
        for _ in 0..<k { f *= 10 }
        let limit = Int64(Int32.max) / f
        for x in codes where x != missing && Int64(x.magnitude) > limit { return false }
        return true
    }

    /// Multiplies every code (not `missing`) by 10^k in place (after `canRescale`). Exact: the
    /// decoded value (code·10^k) / 10^(s+k) is the correctly rounded value of the same rational.
    public static func applyRescale(_ codes: UnsafeMutableBufferPointer<Int32>, by k: Int) {
        guard k > 0 else { return }
        var f: Int32 = 1
        for _ in 0..<min(k, 9) { f &*= 10 }
        for i in codes.indices where codes[i] != missing { codes[i] &*= f }
    }

    /// Row selection (exact: the same codes and scale).
    public func selecting(_ rows: [Int]) -> DecimalCodes {
        DecimalCodes(codes: rows.map { codes[$0] }, scale: scale)
    }
}

/// One column. Numeric kinds (integer, float, boolean as 0/1, date and datetime as seconds
/// since 1970-01-01 UTC) are stored as `Double` with `.nan` for a missing value, or — integer
/// and float columns inferred by the CSV loader — as `DecimalCodes` (Int32 codes and a decimal
/// exponent, exact); categorical columns as `Int32` codes into `levels` with `-1` for a missing
/// value. Equality and hashing see the decoded values: a decimal column equals the Float64
/// column of the same values.
public struct Column: Sendable, Hashable {
    public enum Storage: Sendable, Hashable {
        case numeric([Double])
        case decimal(DecimalCodes)
        case categorical(codes: [Int32], levels: [String])

        public static func == (a: Storage, b: Storage) -> Bool {
            switch (a, b) {
            case let (.categorical(c1, l1), .categorical(c2, l2)): return c1 == c2 && l1 == l2
            case let (.decimal(x), .decimal(y)) where x.scale == y.scale: return x.codes == y.codes
            case (.categorical, _), (_, .categorical): return false
            default: return a.numericValues == b.numericValues
            }
        }

        public func hash(into h: inout Hasher) {
            switch self {
            case let .categorical(c, l): h.combine(1); h.combine(c); h.combine(l)
            default: h.combine(0); h.combine(numericValues)
            }
        }

        /// The values of a numeric storage as Doubles (decoded once for a decimal one).
        public var numericValues: [Double]? {
            switch self {
            case .numeric(let v): return v
            case .decimal(let d): return d.decoded()
            case .categorical: return nil
            }
        }
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
        case .decimal(let d): return d.codes.count
        case .categorical(let c, _): return c.count
        }
    }

    /// The values of a numeric column (nil for a categorical one). A decimal column is decoded
    /// on every call (one pass): take it once per operation, never per row (`value(_:)` reads
    /// one row).
    public var doubles: [Double]? { storage.numericValues }

    /// Whether the column holds numbers (Float64 or decimal codes).
    public var isNumericStorage: Bool {
        if case .categorical = storage { return false }
        return true
    }

    /// One row's value of a numeric column (nil for a categorical one), without decoding the rest.
    @inline(__always)
    public func value(_ row: Int) -> Double? {
        switch storage {
        case .numeric(let v): return v[row]
        case .decimal(let d): return d.value(row)
        case .categorical: return nil
        }
    }

    /// The column with its decimal codes decoded to Float64 (itself otherwise).
    public var float64: Column {
        if case .decimal(let d) = storage { return Column(name: name, type: type, storage: .numeric(d.decoded())) }
        return self
    }

    public func isMissing(_ row: Int) -> Bool {
        switch storage {
        case .numeric(let v): return v[row].isNaN
        case .decimal(let d): return d.codes[row] == DecimalCodes.missing
        case .categorical(let c, _): return c[row] < 0
        }
    }

    public var missingCount: Int {
        switch storage {
        case .numeric(let v): return v.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .decimal(let d): return d.codes.reduce(0) { $0 + ($1 == DecimalCodes.missing ? 1 : 0) }
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
