/// A value at which to split a dataset by a column: a number, or an ISO date/datetime string.
public enum SplitValue: Sendable, Hashable, CustomStringConvertible {
    case number(Double)
    case string(String)

    public var description: String {
        switch self {
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .string(let s): return "\"\(s)\""
        }
    }
}

extension Column {
    /// The rows at `indices`, in that order.
    public func gathering(_ indices: [Int]) -> Column {
        switch storage {
        case .numeric(let v):
            return Column(name: name, type: type, storage: .numeric(indices.map { v[$0] }))
        case .decimal(let d):
            return Column(name: name, type: type, storage: .decimal(d.selecting(indices)))
        case .categorical(let c, let levels):
            return Column(name: name, type: type, storage: .categorical(codes: indices.map { c[$0] }, levels: levels))
        }
    }
}

extension Dataset {
    /// A new dataset with the rows at `indices` (in that order), the same schema and roles.
    public func gathering(rows indices: [Int], name: String, provenance: Provenance) -> Dataset {
        Dataset(name: name, columns: columns.map { $0.gathering(indices) }, target: target, time: time,
                provenance: provenance)
    }

    func requireColumn(_ name: String) throws -> Column {
        guard let c = column(named: name) else { throw TabularError.unknownColumn(name, available: columnNames) }
        return c
    }

    /// Splits rows into two datasets. `fraction` of the rows (`floor(fraction·n)`) go to the first.
    /// - `ordered`: the first rows in file order go to the first dataset, nothing is shuffled.
    /// - otherwise rows are shuffled with `SeededRandom(seed)`; each part keeps file order.
    /// - `stratify`: the shuffle is done per class of the target column (categorical, boolean or
    ///   integer), taking `round(fraction·n_class)` of each class.
    public func split(at fraction: Double, seed: UInt64 = 0, stratify: Bool = false, ordered: Bool = false,
                      names: (String, String)) throws -> (Dataset, Dataset) {
        guard fraction > 0, fraction < 1 else {
            throw TabularError.invalidArgument("split fraction must be between 0 and 1 (exclusive), got \(fraction)")
        }
        if stratify && ordered {
            throw TabularError.invalidArgument("split: 'stratify' and 'ordered' cannot be combined")
        }
        let n = rowCount
        var first: [Int] = []
        var second: [Int] = []
        var detail = "at \(fraction)"
        if ordered {
            let k = Int((fraction * Double(n)).rounded(.down))
            first = Array(0..<k)
            second = Array(k..<n)
            detail += " ordered"
        } else if stratify {
            guard let targetName = target else {
                throw TabularError.invalidArgument("split: 'stratify' needs a target column (dataset '\(name)' has none)")
            }
            let t = try requireColumn(targetName)
            var groups: [Double: [Int]] = [:]
            switch t.storage {
            case .categorical(let codes, _):
                for r in 0..<n { groups[Double(codes[r]), default: []].append(r) }
            case .numeric, .decimal:
                guard t.type == .boolean || t.type == .integer else {
                    throw TabularError.column(targetName, message: "cannot stratify on a \(t.type.rawValue) target (needs classes)")
                }
                let v = t.doubles ?? []   // decoded once
                for r in 0..<n { groups[v[r].isNaN ? -.infinity : v[r], default: []].append(r) }
            }
            var rng = SeededRandom(seed: seed)
            for key in groups.keys.sorted() {
                var rows = groups[key] ?? []
                rng.shuffle(&rows)
                let k = Int((fraction * Double(rows.count)).rounded())
                first += rows[0..<k]
                second += rows[k...]
            }
            first.sort()
            second.sort()
            detail += " seed \(seed) stratify"
        } else {
            var rng = SeededRandom(seed: seed)
            let perm = rng.permutation(n)
            let k = Int((fraction * Double(n)).rounded(.down))
            first = perm[0..<k].sorted()
            second = perm[k...].sorted()
            detail += " seed \(seed)"
        }
        let p = Provenance(operation: "split", sources: [name], detail: detail)
        return (gathering(rows: first, name: names.0, provenance: p), gathering(rows: second, name: names.1, provenance: p))
    }

    /// Time/ordered split: rows with `column < value` go to the first dataset, the others (and
    /// rows where the column is missing) to the second. For a date/datetime column the value is an
    /// ISO string (or a number of seconds since 1970).
    public func split(by columnName: String, at value: SplitValue, names: (String, String)) throws -> (Dataset, Dataset) {
        let c = try requireColumn(columnName)
        guard let v = c.doubles else {   // decoded once
            throw TabularError.column(columnName, message: "cannot split by a categorical column (needs numbers or dates)")
        }
        let threshold: Double
        switch value {
        case .number(let x): threshold = x
        case .string(let s):
            guard c.type == .date || c.type == .datetime else {
                throw TabularError.column(columnName, message: "is \(c.type.rawValue); split value \"\(s)\" must be a number")
            }
            guard let parsed = ISODate.parse(s) else {
                throw TabularError.column(columnName, message: "split value \"\(s)\" is not an ISO-8601 date (YYYY-MM-DD) or datetime")
            }
            threshold = parsed.seconds
        }
        var first: [Int] = [], second: [Int] = []
        for r in 0..<v.count { if v[r] < threshold { first.append(r) } else { second.append(r) } }
        let p = Provenance(operation: "split", sources: [name], detail: "by \(columnName) at \(value)")
        return (gathering(rows: first, name: names.0, provenance: p), gathering(rows: second, name: names.1, provenance: p))
    }

    /// The rows where `predicate` is true (a missing value makes a comparison unknown, and
    /// unknown rows are dropped, as in SQL).
    public func filter(_ predicate: RowExpr, name newName: String) throws -> Dataset {
        let compiled = try RowExprCompiler(dataset: self).compileBool(predicate)
        var rows: [Int] = []
        for r in 0..<rowCount where compiled.evalBool(r) == true { rows.append(r) }
        return gathering(rows: rows, name: newName,
                         provenance: Provenance(operation: "filter", sources: [name], detail: predicate.description))
    }

    /// `n` rows drawn without replacement (kept in file order).
    public func sample(n: Int, seed: UInt64 = 0, name newName: String) throws -> Dataset {
        guard n >= 0, n <= rowCount else {
            throw TabularError.invalidArgument("sample: cannot draw \(n) rows from '\(name)' with \(rowCount) rows")
        }
        var rng = SeededRandom(seed: seed)
        let rows = rng.permutation(rowCount)[0..<n].sorted()
        return gathering(rows: rows, name: newName,
                         provenance: Provenance(operation: "sample", sources: [name], detail: "\(n) seed \(seed)"))
    }

    /// Only the named columns, in the order given. Target/time roles are kept if their column is.
    public func select(columns names: [String], name newName: String) throws -> Dataset {
        var seen = Set<String>()
        var cols: [Column] = []
        for n in names {
            guard seen.insert(n).inserted else { throw TabularError.invalidArgument("select: column '\(n)' named twice") }
            cols.append(try requireColumn(n))
        }
        return Dataset(name: newName, columns: cols, target: target.flatMap { seen.contains($0) ? $0 : nil },
                       time: time.flatMap { seen.contains($0) ? $0 : nil },
                       provenance: Provenance(operation: "select", sources: [name], detail: names.joined(separator: ", ")))
    }

    /// All columns except the named ones.
    public func drop(columns names: [String], name newName: String) throws -> Dataset {
        for n in names { _ = try requireColumn(n) }
        let dropped = Set(names)
        return Dataset(name: newName, columns: columns.filter { !dropped.contains($0.name) },
                       target: target.flatMap { dropped.contains($0) ? nil : $0 },
                       time: time.flatMap { dropped.contains($0) ? nil : $0 },
                       provenance: Provenance(operation: "drop", sources: [name], detail: names.joined(separator: ", ")))
    }

    /// Rows of `a` followed by rows of `b`. Column names, order and types must agree (integer and
    /// float combine to float); otherwise the error lists every difference. Categorical levels are
    /// merged. Roles (target, time) come from `a`.
    public static func concat(_ a: Dataset, _ b: Dataset, name newName: String) throws -> Dataset {
        var diffs: [String] = []
        let bNames = Set(b.columnNames), aNames = Set(a.columnNames)
        for c in a.columns where !bNames.contains(c.name) { diffs.append("column '\(c.name)' is in '\(a.name)' but not in '\(b.name)'") }
        for c in b.columns where !aNames.contains(c.name) { diffs.append("column '\(c.name)' is in '\(b.name)' but not in '\(a.name)'") }
        for c in a.columns {
            guard let o = b.column(named: c.name) else { continue }
            let compatible = c.type == o.type || (Set([c.type, o.type]) == Set([ColumnType.integer, .float]))
            if !compatible {
                diffs.append("column '\(c.name)' is \(c.type.rawValue) in '\(a.name)' but \(o.type.rawValue) in '\(b.name)'")
            }
        }
        if diffs.isEmpty && a.columnNames != b.columnNames {
            diffs.append("column order differs: (\(a.columnNames.joined(separator: ", "))) vs (\(b.columnNames.joined(separator: ", ")))")
        }
        if a.target != b.target {
            diffs.append("target differs: \(a.target ?? "none") in '\(a.name)', \(b.target ?? "none") in '\(b.name)'")
        }
        guard diffs.isEmpty else { throw TabularError.schemaMismatch(diffs) }
        var cols: [Column] = []
        for c in a.columns {
            guard let o = b.column(named: c.name) else { continue }
            switch (c.storage, o.storage) {
            case let (.numeric(x), .numeric(y)):
                cols.append(Column(name: c.name, type: c.type == o.type ? c.type : .float, storage: .numeric(x + y)))
            case let (.decimal(x), .decimal(y)):
                // One scale when the codes allow it (an exact rescale), else Float64.
                let type = c.type == o.type ? c.type : ColumnType.float
                let s = max(x.scale, y.scale)
                var xc = x.codes, yc = y.codes
                let fits = xc.withUnsafeBufferPointer { DecimalCodes.canRescale($0, by: s - x.scale) }
                    && yc.withUnsafeBufferPointer { DecimalCodes.canRescale($0, by: s - y.scale) }
                if fits {
                    xc.withUnsafeMutableBufferPointer { DecimalCodes.applyRescale($0, by: s - x.scale) }
                    yc.withUnsafeMutableBufferPointer { DecimalCodes.applyRescale($0, by: s - y.scale) }
                    cols.append(Column(name: c.name, type: type, storage: .decimal(DecimalCodes(codes: xc + yc, scale: s))))
                } else {
                    cols.append(Column(name: c.name, type: type, storage: .numeric(x.decoded() + y.decoded())))
                }
            case (.numeric, .decimal), (.decimal, .numeric):
                cols.append(Column(name: c.name, type: c.type == o.type ? c.type : .float,
                                   storage: .numeric((c.doubles ?? []) + (o.doubles ?? []))))
            case let (.categorical(xc, xl), .categorical(yc, yl)):
                var levels = xl
                var index: [String: Int32] = [:]
                for (k, l) in xl.enumerated() { index[l] = Int32(k) }
                var remap: [Int32] = []
                for l in yl {
                    if let k = index[l] { remap.append(k) } else {
                        let k = Int32(levels.count)
                        levels.append(l); index[l] = k; remap.append(k)
                    }
                }
                cols.append(Column(name: c.name, type: .categorical,
                                   storage: .categorical(codes: xc + yc.map { $0 < 0 ? -1 : remap[Int($0)] }, levels: levels)))
            default:
                throw TabularError.schemaMismatch(["column '\(c.name)' has different storage"])
            }
        }
        return Dataset(name: newName, columns: cols, target: a.target, time: a.time,
                       provenance: Provenance(operation: "concat", sources: [a.name, b.name]))
    }

    /// Rows with no missing value in any of the named columns (all columns when `columns` is nil).
    public func droppingMissing(columns names: [String]? = nil, name newName: String) throws -> Dataset {
        let cols = try (names ?? columnNames).map { try requireColumn($0) }
        let rows = (0..<rowCount).filter { r in !cols.contains { $0.isMissing(r) } }
        return gathering(rows: rows, name: newName,
                         provenance: Provenance(operation: "dropna", sources: [name], detail: (names ?? []).joined(separator: ", ")))
    }
}
