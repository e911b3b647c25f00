#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What drift detection needs to know about one column of a reference dataset, without its rows.
/// Numeric (including boolean and date) columns carry PSI edges and bin proportions; categorical
/// columns carry their category counts.
public struct ColumnSummary: Sendable, Hashable, Codable {
    public var name: String
    public var type: ColumnType
    /// Non-missing values.
    public var count: Int
    public var missing: Int
    public var missingRate: Double
    /// Numeric columns: mean and population standard deviation (ddof 0), min and max.
    public var mean: Double?
    public var std: Double?
    public var min: Double?
    public var max: Double?
    /// PSI edges (inverted-CDF deciles of the reference, duplicates removed) and the reference's
    /// share of values in each right-closed bin `(−∞, e1], (e1, e2], …, (e_last, +∞)` — not floored.
    public var edges: [Double]
    public var binProportions: [Double]
    /// Categorical columns: every category's count (most frequent first), at most
    /// `ColumnSummary.maxCategories`; the rest are pooled in `otherCount`.
    public var categories: [CategoryCount]
    public var otherCount: Int

    public static let maxCategories = 1000
}

/// Column summaries of a whole dataset: computed once, small enough to store with a model version.
public struct DatasetSummary: Sendable, Hashable, Codable {
    public var rows: Int
    public var target: String?
    public var time: String?
    public var fingerprint: String?
    public var columns: [ColumnSummary]

    public func column(named name: String) -> ColumnSummary? { columns.first { $0.name == name } }
}

/// Result of comparing a categorical column against its reference.
public struct CategoricalDrift: Sendable, Hashable, Codable {
    public var psi: Double
    /// Categories present in the new data but not in the reference (sorted).
    public var appeared: [String]
    /// Categories present in the reference but not in the new data (sorted).
    public var vanished: [String]
}

/// Two-sample Kolmogorov–Smirnov result.
public struct KSResult: Sendable, Hashable, Codable {
    public var d: Double
    public var pValue: Double
    /// `exact` or `asymptotic`.
    public var method: String
}

extension Column {
    /// The non-missing numeric values (empty for a categorical column).
    public var presentValues: [Double] {
        switch storage {
        case .numeric(let v): return v.filter { !$0.isNaN }
        case .decimal(let d):
            // Straight from the codes (no decoded copy of the whole column).
            var out: [Double] = []
            out.reserveCapacity(d.codes.count)
            for code in d.codes where code != DecimalCodes.missing { out.append(DecimalCodes.decode(code, scale: d.scale)) }
            return out
        case .categorical: return []
        }
    }

    /// Drift summary of this column.
    public func summary() -> ColumnSummary {
        let missing = missingCount
        let n = count
        var s = ColumnSummary(name: name, type: type, count: n - missing, missing: missing,
                              missingRate: n > 0 ? Double(missing) / Double(n) : 0,
                              mean: nil, std: nil, min: nil, max: nil, edges: [], binProportions: [],
                              categories: [], otherCount: 0)
        switch storage {
        case .numeric, .decimal:
            let values = presentValues.sorted()
            guard let lo = values.first, let hi = values.last else { return s }
            let m = Double(values.count)
            let mean = values.reduce(0, +) / m
            s.mean = mean
            s.std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / m).squareRoot()
            s.min = lo
            s.max = hi
            s.edges = Drift.psiEdges(sorted: values)
            s.binProportions = Drift.binProportions(values, edges: s.edges)
        case .categorical(let codes, let levels):
            let counts = Dataset.categoryCounts(codes: codes, levels: levels)
            s.categories = Array(counts.prefix(ColumnSummary.maxCategories))
            s.otherCount = counts.dropFirst(ColumnSummary.maxCategories).reduce(0) { $0 + $1.count }
        }
        return s
    }
}

extension Dataset {
    /// Summaries of every column (and the fingerprint, unless `fingerprint` is false).
    public func summary(fingerprint withFingerprint: Bool = true) -> DatasetSummary {
        DatasetSummary(rows: rowCount, target: target, time: time,
                       fingerprint: withFingerprint ? fingerprint() : nil, columns: columns.map { $0.summary() })
    }
}

/// Drift statistics: population stability index (PSI) and the two-sample Kolmogorov–Smirnov test.
///
/// PSI follows `reference.json` exactly: edges `e_k = sorted_ref[ceil(k·m/10) − 1]` for
/// k = 1…9 with duplicates removed, right-closed bins, proportions floored at 1e-4 without
/// renormalisation, `PSI = Σ (p_new − p_ref)·ln(p_new / p_ref)`. Missing values (NaN) are ignored.
public enum Drift {
    public static let floor = 1e-4
    public static let bins = 10

    /// PSI edges of already sorted, NaN-free reference values.
    public static func psiEdges(sorted s: [Double]) -> [Double] {
        let m = s.count
        guard m > 0 else { return [] }
        var edges: [Double] = []
        for k in 1..<bins {
            let idx = (k * m + bins - 1) / bins - 1
            let e = s[Swift.max(0, idx)]
            if edges.last != e { edges.append(e) }
        }
        return edges
    }

    /// Share of values in each right-closed bin defined by `edges` (NaN ignored; not floored).
    public static func binProportions(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Int](repeating: 0, count: edges.count + 1)
        var n = 0
        for v in values where !v.isNaN {
            // First edge >= v: bins are right-closed.
            var lo = 0, hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if edges[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            counts[lo] += 1
            n += 1
        }
        guard n > 0 else { return counts.map { _ in 0 } }
        return counts.map { Double($0) / Double(n) }
    }

    /// PSI between two vectors of proportions (same length), each floored at 1e-4.
    public static func psi(expected: [Double], actual: [Double]) -> Double {
        var total = 0.0
        for (e0, a0) in zip(expected, actual) {
            let e = Swift.max(e0, floor), a = Swift.max(a0, floor)
            total += (a - e) * log(a / e)
        }
        return total
    }

    /// PSI of `new` against `reference` (raw values; NaN ignored). NaN when either side is empty.
    public static func psi(reference: [Double], new: [Double]) -> Double {
        let ref = reference.filter { !$0.isNaN }.sorted()
        let fresh = new.filter { !$0.isNaN }
        guard !ref.isEmpty, !fresh.isEmpty else { return .nan }
        let edges = psiEdges(sorted: ref)
        return psi(expected: binProportions(ref, edges: edges), actual: binProportions(fresh, edges: edges))
    }

    /// PSI of `new` against a stored numeric column summary. NaN when either side is empty.
    public static func psi(summary: ColumnSummary, new: [Double]) throws -> Double {
        guard summary.type != .categorical else {
            throw TabularError.column(summary.name, message: "is categorical: use the categorical PSI")
        }
        let fresh = new.filter { !$0.isNaN }
        guard summary.count > 0, !fresh.isEmpty else { return .nan }
        return psi(expected: summary.binProportions, actual: binProportions(fresh, edges: summary.edges))
    }

    /// Categorical PSI over the union of categories (proportions floored at 1e-4), plus the
    /// categories that appeared or vanished. Missing values are ignored.
    public static func categoricalPSI(reference: [CategoryCount], new: [CategoryCount]) -> CategoricalDrift {
        var ref: [String: Int] = [:], fresh: [String: Int] = [:]
        for c in reference where c.count > 0 { ref[c.value, default: 0] += c.count }
        for c in new where c.count > 0 { fresh[c.value, default: 0] += c.count }
        let nRef = Double(ref.values.reduce(0, +)), nNew = Double(fresh.values.reduce(0, +))
        let all = Set(ref.keys).union(fresh.keys).sorted()
        var value = 0.0
        if nRef > 0 && nNew > 0 {
            for k in all {
                let e = Swift.max(Double(ref[k] ?? 0) / nRef, floor)
                let a = Swift.max(Double(fresh[k] ?? 0) / nNew, floor)
                value += (a - e) * log(a / e)
            }
        } else {
            value = .nan
        }
        return CategoricalDrift(psi: value, appeared: all.filter { ref[$0] == nil },
                                vanished: all.filter { fresh[$0] == nil })
    }

    /// Categorical PSI of a new column against a stored summary.
    public static func categoricalPSI(summary: ColumnSummary, new: Column) throws -> CategoricalDrift {
        guard case .categorical(let codes, let levels) = new.storage else {
            throw TabularError.column(new.name, message: "is \(new.type.rawValue), not categorical")
        }
        return categoricalPSI(reference: summary.categories, new: Dataset.categoryCounts(codes: codes, levels: levels))
    }

    /// Categorical PSI between two categorical columns.
    public static func categoricalPSI(reference: Column, new: Column) throws -> CategoricalDrift {
        try categoricalPSI(summary: reference.summary(), new: new)
    }

    /// The approximate PSI of two samples from the same distribution: `9·(1/n_ref + 1/n_new)`.
    public static func noiseFloor(nRef: Int, nNew: Int) -> Double {
        guard nRef > 0, nNew > 0 else { return .infinity }
        return 9 * (1 / Double(nRef) + 1 / Double(nNew))
    }

    /// Two-sided two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(a, b)` with
    /// `method='auto'`: the exact p-value when both samples have at most 10,000 values
    /// (Hodges' inside method, computed in the numerically stable form of Viehmann 2021, or the
    /// closed form for equal sizes), otherwise asymptotic: the one-sample distribution of D at
    /// n = round(n1·n2/(n1+n2)), computed as scipy's `kstwo.sf`. NaN values are ignored.
    /// Returns D = nan, p = nan when a sample is empty.
    public static func ks(_ a: [Double], _ b: [Double]) -> (d: Double, pValue: Double) {
        let r = ksTest(a, b)
        return (r.d, r.pValue)
    }

    public static func ksTest(_ a0: [Double], _ b0: [Double]) -> KSResult {
        let a = a0.filter { !$0.isNaN }.sorted(), b = b0.filter { !$0.isNaN }.sorted()
        let n1 = a.count, n2 = b.count
        guard n1 > 0, n2 > 0 else { return KSResult(d: .nan, pValue: .nan, method: "none") }
        // Largest gap between the two empirical CDFs, evaluated at every observed value.
        var i = 0, j = 0
        var maxS = 0.0, minS = 0.0
        while i < n1 || j < n2 {
            let x: Double
            if j >= n2 || (i < n1 && a[i] <= b[j]) { x = a[i] } else { x = b[j] }
            while i < n1 && a[i] <= x { i += 1 }
            while j < n2 && b[j] <= x { j += 1 }
            let diff = Double(i) / Double(n1) - Double(j) / Double(n2)
            if diff > maxS { maxS = diff }
            if diff < minS { minS = diff }
        }
        var d = Swift.max(maxS, Swift.min(1, -minS))
        let g = gcd(n1, n2)
        if Swift.max(n1, n2) <= 10_000 {
            let lcm = Double(n1 / g) * Double(n2)
            let h = Int((d * lcm).rounded(.toNearestOrEven))
            d = Double(h) / lcm
            if h == 0 { return KSResult(d: d, pValue: 1, method: "exact") }
            let p = n1 == n2 ? probOutsideSquare(n: n1, h: h) : outerProbInside(m: n1, n: n2, g: g, h: h)
            if p.isFinite, p >= 0, p <= 1 {
                return KSResult(d: d, pValue: p, method: "exact")
            }
        }
        let m = Double(Swift.max(n1, n2)), n = Double(Swift.min(n1, n2))
        let en = (m * n / (m + n)).rounded(.toNearestOrEven)
        // scipy: kstwo.sf(d, round(en)).
        let p = KolmogorovN.sf(n: Int(en), x: d)
        return KSResult(d: d, pValue: p, method: "asymptotic")
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    /// P(D_{n,n} ≥ h/n), alternating-series form evaluated Horner-like (as scipy).
    static func probOutsideSquare(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var p1 = 1.0
            for j in 0..<h {
                p1 = Double(n - k * h - j) * p1 / Double(n + k * h + j + 1)
            }
            p = p1 * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// 1 − (share of lattice paths from (0,0) to (m,n) staying strictly inside |x/m − y/n| < h/lcm),
    /// computed directly as the complement (Viehmann's recursion), as scipy does.
    static func outerProbInside(m m0: Int, n n0: Int, g: Int, h: Int) -> Double {
        let m = Swift.max(m0, n0), n = Swift.min(m0, n0)
        let mg = m / g, ng = n / g
        var minj = 0
        var maxj = Swift.min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var curlen = maxj - minj
        let lenA = Swift.min(2 * maxj + 2, n + 1)
        var A = [Double](repeating: 1, count: Swift.max(lenA, 1))
        for k in minj..<Swift.min(maxj, A.count) { A[k] = 0 }
        for i in 1...m {
            let lastminj = minj, lastlen = curlen
            minj = Swift.max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0)
            minj = Swift.min(minj, n)
            maxj = Swift.min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
            if maxj <= minj { return 1 }
            var val = minj == 0 ? 0.0 : 1.0
            for jj in 0..<(maxj - minj) {
                let j = jj + minj
                let src = jj + minj - lastminj
                let prev = src < A.count ? A[src] : 1
                val = (prev * Double(i) + val * Double(j)) / Double(i + j)
                if jj < A.count { A[jj] = val }
            }
            curlen = maxj - minj
            if lastlen > curlen {
                for k in (maxj - minj)..<Swift.min(maxj - minj + (lastlen - curlen), A.count) { A[k] = 1 }
            }
        }
        let last = maxj - minj - 1
        return last >= 0 && last < A.count ? A[last] : .nan
    }

    /// Survival function of the Kolmogorov distribution (limit of √n·D).
    static func kolmogorovSF(_ x: Double) -> Double {
        if x <= 0 { return 1 }
        if x < 1 {
            // cdf = √(2π)/x · Σ exp(−(2k−1)²π²/(8x²))
            var s = 0.0
            for k in 1...8 {
                let t = Double(2 * k - 1) * Double.pi / x
                s += exp(-t * t / 8)
            }
            return 1 - (2 * Double.pi).squareRoot() / x * s
        }
        var s = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * x * x)
            s += (k % 2 == 1 ? term : -term)
            if term < 1e-300 { break }
        }
        return 2 * s
    }
}
