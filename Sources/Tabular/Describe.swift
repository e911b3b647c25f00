/// Summary statistics of one numeric column (missing values excluded).
public struct NumericStats: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation (n − 1), as pandas' `describe`; 0 for one value.
    public var std: Double
    public var min: Double
    public var q1: Double
    public var median: Double
    public var q3: Double
    public var max: Double
    /// Counts in `histogram.count` equal-width bins over [min, max] (for a sparkline).
    public var histogram: [Int]
}

/// One category and how often it occurs.
public struct CategoryCount: Sendable, Hashable, Codable {
    public var value: String
    public var count: Int
    public init(value: String, count: Int) { self.value = value; self.count = count }
}

/// What `describe` shows for one column: plain values, no rendering.
public struct ColumnDescription: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var missing: Int
    /// Numbers, booleans, dates (in seconds since 1970) — nil for categoricals or all-missing.
    public var stats: NumericStats?
    /// Most frequent categories, most frequent first (ties by value), at most `topCategories`.
    public var topCategories: [CategoryCount]
    /// Number of distinct non-missing categories (categoricals only).
    public var distinct: Int
    /// First and last date/datetime as ISO text (date columns only).
    public var dateRange: (first: String, last: String)?

    public static func == (a: ColumnDescription, b: ColumnDescription) -> Bool {
        a.name == b.name && a.type == b.type && a.missing == b.missing && a.stats == b.stats
            && a.topCategories == b.topCategories && a.distinct == b.distinct
            && a.dateRange?.first == b.dateRange?.first && a.dateRange?.last == b.dateRange?.last
    }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(missing) }
}

/// What `describe NAME` shows.
public struct DatasetDescription: Sendable, Hashable {
    public var name: String
    public var rows: Int
    public var target: String?
    public var time: String?
    public var provenance: Provenance
    /// `Dataset.fingerprint()` (SHA-256 hex).
    public var fingerprint: String
    public var columns: [ColumnDescription]
}

extension Dataset {
    /// Per-column statistics, histograms (`bins` equal-width bins) and top categories.
    public func describe(bins: Int = 8, topCategories: Int = 5) -> DatasetDescription {
        DatasetDescription(name: name, rows: rowCount, target: target, time: time, provenance: provenance,
                           fingerprint: fingerprint(),
                           columns: columns.map { Dataset.describe($0, bins: bins, top: topCategories) })
    }

    static func describe(_ column: Column, bins: Int, top: Int) -> ColumnDescription {
        var d = ColumnDescription(name: column.name, type: column.type, missing: column.missingCount,
                                  stats: nil, topCategories: [], distinct: 0, dateRange: nil)
        switch column.storage {
        case .numeric, .decimal:
            let present = column.presentValues
            d.stats = numericStats(present, bins: bins)
            if let s = d.stats, column.type == .date || column.type == .datetime {
                let format = column.type == .date ? ISODate.formatDate : ISODate.formatDateTime
                d.dateRange = (format(s.min), format(s.max))
            }
        case .categorical(let codes, let levels):
            let counts = categoryCounts(codes: codes, levels: levels)
            d.distinct = counts.count
            d.topCategories = Array(counts.prefix(top))
        }
        return d
    }

    /// Non-zero category counts, most frequent first, ties broken by value.
    static func categoryCounts(codes: [Int32], levels: [String]) -> [CategoryCount] {
        var counts = [Int](repeating: 0, count: levels.count)
        for c in codes where c >= 0 { counts[Int(c)] += 1 }
        return levels.indices.filter { counts[$0] > 0 }
            .map { CategoryCount(value: levels[$0], count: counts[$0]) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
    }

    /// Linear-interpolation quantile of sorted values (numpy's default).
    static func quantile(sorted s: [Double], _ q: Double) -> Double {
        guard let first = s.first else { return .nan }
        if s.count == 1 { return first }
        let pos = q * Double(s.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = Swift.min(lo + 1, s.count - 1)
        let frac = pos - Double(lo)
        return s[lo] + (s[hi] - s[lo]) * frac
    }

    static func numericStats(_ present: [Double], bins: Int) -> NumericStats? {
        guard !present.isEmpty else { return nil }
        let s = present.sorted()
        let n = Double(s.count)
        let mean = s.reduce(0, +) / n
        let ss = s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let std = s.count > 1 ? (ss / (n - 1)).squareRoot() : 0
        let lo = s[0], hi = s[s.count - 1]
        var hist = [Int](repeating: 0, count: Swift.max(bins, 1))
        let width = (hi - lo) / Double(hist.count)
        for v in s {
            let position = width > 0 && width.isFinite ? (v - lo) / width : 0
            let k = position.isFinite ? Swift.max(0, Swift.min(Int(position), hist.count - 1)) : 0
            hist[k] += 1
        }
        return NumericStats(count: s.count, mean: mean, std: std, min: lo, q1: quantile(sorted: s, 0.25),
                            median: quantile(sorted: s, 0.5), q3: quantile(sorted: s, 0.75), max: hi,
                            histogram: hist)
    }

    /// One cell as text: integers without a decimal point, floats in shortest round-trip form,
    /// booleans `true`/`false`, dates `YYYY-MM-DD`, datetimes `YYYY-MM-DDTHH:MM:SS`, categories
    /// as written; a missing value is `NA`. Out-of-range indices give an empty string.
    public func formattedValue(row: Int, column: Int) -> String {
        guard columns.indices.contains(column), row >= 0, row < columns[column].count else { return "" }
        return Dataset.format(columns[column], row: row)
    }

    static func format(_ column: Column, row: Int) -> String {
        switch column.storage {
        case .categorical(let codes, let levels):
            let c = codes[row]
            return c < 0 ? "NA" : levels[Int(c)]
        case .numeric, .decimal:
            let v = column.value(row) ?? .nan
            if v.isNaN { return "NA" }
            switch column.type {
            case .integer:
                return abs(v) < 9.0e15 ? String(Int64(v)) : String(v)
            case .boolean: return v != 0 ? "true" : "false"
            case .date: return ISODate.formatDate(v)
            case .datetime: return ISODate.formatDateTime(v)
            case .float, .categorical:
                if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) + ".0" }
                return String(v)
            }
        }
    }

    /// The first `n` rows as text, one array per row (column order).
    public func head(_ n: Int = 10) -> [[String]] {
        (0..<Swift.max(0, Swift.min(n, rowCount))).map { r in columns.map { Dataset.format($0, row: r) } }
    }

    /// Names and types, in column order.
    public var schema: [(name: String, type: ColumnType)] { columns.map { ($0.name, $0.type) } }
}
