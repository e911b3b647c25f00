import CKernels

/// Preprocessing for models: fitted on training data, stored with every model version and
/// reused unchanged by fine-tuning.
///
/// - Numeric features (integer, float, boolean, date, datetime) are standardised with the
///   training mean and the *population* standard deviation (`ddof = 0`); a standard deviation
///   of 0 (or non-finite) is replaced by 1.
/// - Categorical features are one-hot encoded with the vocabulary seen in training (levels in
///   the column's level order). At transform time an unseen category maps to all zeros and is
///   counted in `DesignMatrix.unseenCategoryCount` (the caller turns it into a warning); a
///   missing category also maps to all zeros (not counted as unseen).
/// - A missing numeric value is an error naming the column and the number of rows, unless an
///   impute strategy was chosen at fit time: `mean` / `median` (training statistics, stored)
///   or `drop` (rows with a missing numeric feature are left out).
/// - Rows with a missing target are always left out (`DesignMatrix.droppedRows` counts them
///   together with rows dropped by `impute drop`).

public enum ImputeStrategy: String, Codable, Sendable, Hashable, CaseIterable {
    case none, mean, median, drop
}

public enum PreprocessingError: Error, CustomStringConvertible, Sendable, Equatable {
    case noFeatures
    case unknownColumn(name: String, dataset: String)
    case missingValues(column: String, rows: Int)
    case nonNumericTarget(column: String)
    case emptyTraining(dataset: String)
    case columnTypeChanged(column: String, expected: String, found: String)
    case nonFiniteValue(column: String, row: Int, value: Double)

    public var description: String {
        switch self {
        case .noFeatures:
            return "no feature columns: the model needs at least one input column besides the target"
        case .unknownColumn(let name, let dataset):
            return "column '\(name)' does not exist in dataset '\(dataset)'"
        case .missingValues(let column, let rows):
            return "column '\(column)' has \(rows) missing value\(rows == 1 ? "" : "s"); choose impute mean|median|drop or remove those rows"
        case .nonNumericTarget(let column):
            return "target '\(column)' is categorical but the model is a regression; use a classification family (logistic, softmax, mlp task classification)"
        case .emptyTraining(let dataset):
            return "dataset '\(dataset)' has no usable rows (after dropping rows with missing values)"
        case .columnTypeChanged(let column, let expected, let found):
            return "column '\(column)' was \(expected) when the preprocessing was fitted but is \(found) now"
        case .nonFiniteValue(let column, let row, let value):
            return "column '\(column)' row \(row + 1) holds the non-finite value \(value)"
        }
    }
}

/// One difference between the schema a preprocessor was fitted on and a dataset.
public enum SchemaDifference: Sendable, Hashable, CustomStringConvertible {
    case missingColumn(String)
    case newColumn(String)
    case typeChanged(column: String, from: String, to: String)
    case newCategories(column: String, levels: [String])

    public var description: String {
        switch self {
        case .missingColumn(let c): return "missing column '\(c)'"
        case .newColumn(let c): return "new column '\(c)'"
        case .typeChanged(let c, let from, let to): return "column '\(c)' changed type from \(from) to \(to)"
        case .newCategories(let c, let levels):
            return "column '\(c)' has new categor\(levels.count == 1 ? "y" : "ies") \(levels.map { "'\($0)'" }.joined(separator: ", "))"
        }
    }

    /// The column the difference is about.
    public var column: String {
        switch self {
        case .missingColumn(let c), .newColumn(let c): return c
        case .typeChanged(let c, _, _), .newCategories(let c, _): return c
        }
    }
}

/// A row-major Float64 design matrix produced by `Preprocessor.transform`.
public struct DesignMatrix: Sendable, Hashable {
    /// rows × cols, row-major.
    public var x: [Double]
    public var rows: Int
    public var cols: Int
    /// Regression: the raw target. Classification: the class index, or -1 for a class label
    /// that was not seen in training. nil when the dataset has no target column.
    public var y: [Double]?
    /// Number of categorical cells whose category was not in the training vocabulary.
    public var unseenCategoryCount: Int
    /// Names of the design columns (`col` for numbers, `col=level` for one-hot columns).
    public var featureNames: [String]
    /// For every design row, the row of the source dataset it came from.
    public var sourceRows: [Int]
    /// Source rows left out (missing target, or `impute drop`).
    public var droppedRows: Int
}

public struct Preprocessor: Codable, Sendable, Hashable {
    public enum Kind: Codable, Sendable, Hashable {
        /// Standardised numeric input; `fill` is the imputation value for missing entries.
        case numeric(mean: Double, std: Double, fill: Double?)
        /// One-hot encoded categorical input with its training vocabulary.
        case categorical(levels: [String])
    }

    public struct Feature: Codable, Sendable, Hashable {
        public var name: String
        public var type: ColumnType
        public var kind: Kind
    }

    public var features: [Feature]
    public var target: String?
    /// Class labels for a classification target (index = class id); nil for regression.
    public var classes: [String]?
    public var impute: ImputeStrategy
    /// True when the features were "every column but the target": then a new column in later
    /// data is a schema difference.
    public var allColumns: Bool

    /// Names of the design columns, in order.
    public var featureNames: [String] {
        features.flatMap { f -> [String] in
            switch f.kind {
            case .numeric: return [f.name]
            case .categorical(let levels): return levels.map { "\(f.name)=\($0)" }
            }
        }
    }

    public var designWidth: Int {
        features.reduce(0) { acc, f in
            switch f.kind {
            case .numeric: return acc + 1
            case .categorical(let levels): return acc + levels.count
            }
        }
    }

    /// The label used for a class value of a numeric target (`0`, `1`, `2.5`).
    public static func classLabel(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    /// Fits the preprocessing on `data` for the given feature columns.
    ///
    /// `vocabularyFrom`: further data the version sees (its validation part), whose categories
    /// join the vocabulary so that a category seen only there is not "unseen" later.
    /// Σ v[r] (centre nil) or Σ (v[r] − centre)² over the rows that are usable and present, in
    /// four interleaved partial sums (r mod 4) added as (s0 + s1) + (s2 + s3), and the count.
    static func sum4(_ v: [Double], _ usable: [Bool], centre: Double?) -> (Double, Int) {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, k = 0
        let c = centre ?? 0, square = centre != nil
        v.withUnsafeBufferPointer { vp in
            usable.withUnsafeBufferPointer { up in
                let n = Swift.min(vp.count, up.count)
                var r = 0
                @inline(__always) func term(_ x: Double) -> Double { square ? (x - c) * (x - c) : x }
                while r + 3 < n {
                    let v0 = vp[r], v1 = vp[r + 1], v2 = vp[r + 2], v3 = vp[r + 3]
                    if up[r] && !v0.isNaN { s0 += term(v0); k += 1 }
                    if up[r + 1] && !v1.isNaN { s1 += term(v1); k += 1 }
                    if up[r + 2] && !v2.isNaN { s2 += term(v2); k += 1 }
                    if up[r + 3] && !v3.isNaN { s3 += term(v3); k += 1 }
                    r += 4
                }
                while r < n {
                    if up[r] && !vp[r].isNaN { s0 += term(vp[r]); k += 1 }
                    r += 1
                }
            }
        }
        return ((s0 + s1) + (s2 + s3), k)
    }

    public static func fit(_ data: Dataset, features: [String], target: String?, classification: Bool,
                           impute: ImputeStrategy = .none, allColumns: Bool = false,
                           vocabularyFrom extra: [Dataset] = []) throws -> Preprocessor {
        if features.isEmpty { throw PreprocessingError.noFeatures }
        var columns: [Column] = []
        for name in features {
            // Decimal columns decoded once here (the statistics read Doubles).
            guard let c = data.column(named: name)?.float64 else {
                throw PreprocessingError.unknownColumn(name: name, dataset: data.name)
            }
            columns.append(c)
        }
        // Rows usable for fitting: target present, and (drop) no missing numeric feature.
        var usable = [Bool](repeating: true, count: data.rowCount)
        var classes: [String]? = nil
        if let target {
            guard let t = data.column(named: target)?.float64 else {
                throw PreprocessingError.unknownColumn(name: target, dataset: data.name)
            }
            switch t.storage {
            case .numeric(let v): for r in 0..<v.count where v[r].isNaN { usable[r] = false }
            case .decimal: break   // decoded above
            case .categorical(let codes, _): for r in 0..<codes.count where codes[r] < 0 { usable[r] = false }
            }
            switch t.storage {
            case .numeric(let v):
                if classification {
                    var seen = Set<Double>()
                    for r in 0..<v.count where usable[r] { seen.insert(v[r]) }
                    classes = seen.sorted().map(classLabel)
                }
            case .categorical(let codes, let levels):
                guard classification else { throw PreprocessingError.nonNumericTarget(column: target) }
                var seen = [Bool](repeating: false, count: levels.count)
                for r in 0..<codes.count where usable[r] { seen[Int(codes[r])] = true }
                classes = levels.indices.filter { seen[$0] }.map { levels[$0] }
            case .decimal: break   // decoded above
            }
        }
        // One pass per numeric column: infinities are errors; missing values drop the row (drop),
        // are counted (none: an error) or are left to the fill (mean, median).
        func scan(_ v: [Double], _ name: String) throws {
            var missing = 0, infinite: Int?
            v.withUnsafeBufferPointer { vp in
                usable.withUnsafeMutableBufferPointer { up in
                    for r in 0..<Swift.min(vp.count, up.count) where !vp[r].isFinite {
                        if !vp[r].isNaN { infinite = r; break }
                        if impute == .drop { up[r] = false } else if up[r] { missing += 1 }
                    }
                }
            }
            if let r = infinite { throw PreprocessingError.nonFiniteValue(column: name, row: r, value: v[r]) }
            if impute == .none && missing > 0 { throw PreprocessingError.missingValues(column: name, rows: missing) }
        }
        // `cleanSum`: the column's plain sum, known finite with every row usable (so no value is
        // missing or infinite): the sums are then taken over every row without tests (ck_sum4).
        func feature(_ c: Column, cleanSum: Double? = nil) throws -> Feature {
            switch c.storage {
            case .numeric(let v):
                // Mean and population std over the usable present values (two passes, no copy of
                // the column unless the median is needed), each sum in four interleaved partial
                // sums (rows r mod 4) added as (s0 + s1) + (s2 + s3): a fixed order, so the
                // same data gives the same bits, without one long chain of dependent adds.
                let (sum, count) = cleanSum.map { ($0, v.count) } ?? Preprocessor.sum4(v, usable, centre: nil)
                if count == 0 { throw PreprocessingError.missingValues(column: c.name, rows: v.count) }
                let mean = sum / Double(count)
                let ss = cleanSum != nil ? ck_sum4(v, v.count, mean, 1) : Preprocessor.sum4(v, usable, centre: mean).0
                var std = (ss / Double(count)).squareRoot()
                if !(std > 0) || !std.isFinite { std = 1 }
                var fill: Double? = nil
                switch impute {
                case .mean: fill = mean
                case .median:
                    let s = (0..<v.count).filter { usable[$0] && !v[$0].isNaN }.map { v[$0] }.sorted()
                    let m = s.count / 2
                    fill = s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
                case .none, .drop: fill = nil
                }
                return Feature(name: c.name, type: c.type, kind: .numeric(mean: mean, std: std, fill: fill))
            case .decimal:
                return try feature(c.float64, cleanSum: cleanSum)   // not reached: decoded on entry
            case .categorical(let codes, let levels):
                var seen = [Bool](repeating: false, count: levels.count)
                for r in 0..<codes.count where usable[r] && codes[r] >= 0 { seen[Int(codes[r])] = true }
                var vocab = levels.indices.filter { seen[$0] }.map { levels[$0] }
                for other in extra {
                    guard case .categorical(let oc, let ol)? = other.column(named: c.name)?.storage else { continue }
                    var used = [Bool](repeating: false, count: ol.count)
                    for code in oc where code >= 0 { used[Int(code)] = true }
                    for i in ol.indices where used[i] && !vocab.contains(ol[i]) { vocab.append(ol[i]) }
                }
                return Feature(name: c.name, type: c.type, kind: .categorical(levels: vocab))
            }
        }
        var fitted: [Feature] = []
        if impute == .drop {
            // Every column's missing values decide the usable rows before any statistic.
            for c in columns { if case .numeric(let v) = c.storage { try scan(v, c.name) } }
            if !usable.contains(true) { throw PreprocessingError.emptyTraining(dataset: data.name) }
            for c in columns { fitted.append(try feature(c)) }
        } else {
            // The usable rows depend on the target alone: each column's statistics are taken right
            // after its scan, while it is still in cache (a 1M-row column is 8 MB). The errors keep
            // the drop path's precedence: every scan, then no usable row, then a statistic's.
            // With every row usable, a finite plain sum (one pass, ck_sum4) shows the column holds
            // no missing or infinite value, and the scan is not needed.
            let anyUsable = usable.contains(true), allUsable = !usable.contains(false)
            var deferred: (any Error)? = nil
            for c in columns {
                var cleanSum: Double? = nil
                if case .numeric(let v) = c.storage {
                    if allUsable, v.count == usable.count {
                        let s = ck_sum4(v, v.count, 0, 0)
                        if s.isFinite { cleanSum = s }
                    }
                    if cleanSum == nil { try scan(v, c.name) }
                }
                guard anyUsable, deferred == nil else { continue }
                do { fitted.append(try feature(c, cleanSum: cleanSum)) } catch { deferred = error }
            }
            if !anyUsable { throw PreprocessingError.emptyTraining(dataset: data.name) }
            if let deferred { throw deferred }
        }
        return Preprocessor(features: fitted, target: target, classes: classes, impute: impute, allColumns: allColumns)
    }

    /// Differences between the schema this preprocessor was fitted on and `data`: missing
    /// feature columns, new columns (only when the features were "all columns but the target"),
    /// type changes (numeric ↔ categorical) and categories absent from the training vocabulary.
    public func schemaDifferences(with data: Dataset) -> [SchemaDifference] {
        var out: [SchemaDifference] = []
        let known = Set(features.map(\.name))
        for f in features {
            guard let c = data.column(named: f.name) else { out.append(.missingColumn(f.name)); continue }
            switch (f.kind, c.storage) {
            case (.numeric, .numeric), (.numeric, .decimal): break
            case (.categorical(let vocab), .categorical(let codes, let levels)):
                let vocabSet = Set(vocab)
                var used = [Bool](repeating: false, count: levels.count)
                for code in codes where code >= 0 { used[Int(code)] = true }
                let new = levels.indices.filter { used[$0] && !vocabSet.contains(levels[$0]) }.map { levels[$0] }
                if !new.isEmpty { out.append(.newCategories(column: f.name, levels: new)) }
            case (.numeric, .categorical):
                out.append(.typeChanged(column: f.name, from: "numeric", to: "categorical"))
            case (.categorical, .numeric), (.categorical, .decimal):
                out.append(.typeChanged(column: f.name, from: "categorical", to: "numeric"))
            }
        }
        if allColumns {
            for name in data.columnNames where !known.contains(name) && name != target && name != data.time {
                out.append(.newColumn(name))
            }
        }
        return out
    }

    /// Class labels of the target in `data` that are not among the fitted classes (empty for
    /// regression or when the target column is absent).
    public func unseenClasses(in data: Dataset) -> [String] {
        guard let classes, let target, let t = data.column(named: target)?.float64 else { return [] }
        let known = Set(classes)
        var seen = Set<String>()
        var out: [String] = []
        for r in 0..<t.count where !t.isMissing(r) {
            let label: String
            switch t.storage {
            case .numeric(let v): label = Preprocessor.classLabel(v[r])
            case .decimal(let d): label = Preprocessor.classLabel(d.value(r))   // not reached: decoded above
            case .categorical(let c, let levels): label = levels[Int(c[r])]
            }
            if !known.contains(label) && seen.insert(label).inserted { out.append(label) }
        }
        return out
    }

    /// Transforms `data` into a design matrix. With `requireTarget` the target column must
    /// exist; otherwise `y` is nil when it is absent.
    public func transform(_ data: Dataset, requireTarget: Bool = false) throws -> DesignMatrix {
        try prepare(data, requireTarget: requireTarget).materialised()
    }

    /// Every check and row choice of `transform`, without writing the matrix: the design's rows
    /// are produced on demand, a block at a time (`PreparedDesign.fill`).
    ///
    /// `fittedOn`: the caller has just fitted this preprocessor on this very `data` with an
    /// impute other than `drop`. `fit` then already rejected every infinite feature value and
    /// (without a fill) every missing one, and none can drop a row, so the scan of the feature
    /// columns for them is skipped (it reads the whole data once more).
    public func prepare(_ data: Dataset, requireTarget: Bool = false, fittedOn: Bool = false) throws -> PreparedDesign {
        var columns: [Column] = []
        for f in features {
            // Decimal columns decoded once here (the encoders read Doubles).
            guard let c = data.column(named: f.name)?.float64 else {
                throw PreprocessingError.unknownColumn(name: f.name, dataset: data.name)
            }
            switch (f.kind, c.storage) {
            case (.numeric, .categorical):
                throw PreprocessingError.columnTypeChanged(column: f.name, expected: "numeric", found: "categorical")
            case (.categorical, .numeric), (.categorical, .decimal):
                throw PreprocessingError.columnTypeChanged(column: f.name, expected: "categorical", found: "numeric")
            default: break
            }
            columns.append(c)
        }
        let n = data.rowCount
        var keep = [Bool](repeating: true, count: n)
        var targetColumn: Column? = nil
        if let target {
            if let t = data.column(named: target)?.float64 {
                targetColumn = t
                switch t.storage {
                case .numeric(let v): for r in 0..<n where v[r].isNaN { keep[r] = false }
                case .decimal(let d): for r in 0..<n where d.codes[r] == DecimalCodes.missing { keep[r] = false }
                case .categorical(let codes, _): for r in 0..<n where codes[r] < 0 { keep[r] = false }
                }
                if classes == nil, case .categorical = t.storage {
                    throw PreprocessingError.nonNumericTarget(column: target)
                }
            } else if requireTarget {
                throw PreprocessingError.unknownColumn(name: target, dataset: data.name)
            }
        }
        for (i, f) in features.enumerated() where !(fittedOn && impute != .drop) {
            guard case .numeric(_, _, let fill) = f.kind, case .numeric(let v) = columns[i].storage else { continue }
            // One pass: infinities are errors; without a fill, missing values drop the row (drop)
            // or are counted (an error).
            var missing = 0, infinite: Int?
            v.withUnsafeBufferPointer { vp in
                keep.withUnsafeMutableBufferPointer { kp in
                    for r in 0..<Swift.min(n, vp.count) where !vp[r].isFinite {
                        if !vp[r].isNaN { infinite = r; break }
                        if fill != nil { continue }
                        if impute == .drop { kp[r] = false } else if kp[r] { missing += 1 }
                    }
                }
            }
            if let r = infinite { throw PreprocessingError.nonFiniteValue(column: f.name, row: r, value: v[r]) }
            if missing > 0 { throw PreprocessingError.missingValues(column: f.name, rows: missing) }
        }
        // nil: every row kept, design row k is source row k.
        var selected: [Int]? = nil
        if keep.contains(false) {
            var rows: [Int] = []
            rows.reserveCapacity(n)
            for r in 0..<n where keep[r] { rows.append(r) }
            selected = rows
        }
        let rows = selected?.count ?? n
        @inline(__always) func source(_ k: Int) -> Int { selected?[k] ?? k }
        // Each feature's column encoder, prepared once: numeric (mean, std, fill) or the map from
        // the dataset's category codes to vocabulary positions.
        var encoders: [PreparedDesign.Encoder] = []
        var unseen = 0
        var offset = 0
        for (i, f) in features.enumerated() {
            switch (f.kind, columns[i].storage) {
            case (.numeric(let mean, let std, let fill), .numeric(let v)):
                encoders.append(.numeric(values: v, at: offset, mean: mean, std: std, fill: fill ?? mean))
                offset += 1
            case (.categorical(let vocab), .categorical(let codes, let levels)):
                var index: [String: Int] = [:]
                for (j, l) in vocab.enumerated() { index[l] = j }
                let map = levels.map { index[$0] ?? -1 }
                for k in 0..<rows {
                    let code = Int(codes[source(k)])
                    if code >= 0 && map[code] < 0 { unseen += 1 }
                }
                encoders.append(.categorical(codes: codes, at: offset, map: map))
                offset += vocab.count
            default:
                break  // type mismatches were rejected above
            }
        }
        var y: [Double]? = nil
        if let t = targetColumn {
            switch t.storage {
            case .numeric(let v):
                for k in 0..<rows where !v[source(k)].isFinite {
                    throw PreprocessingError.nonFiniteValue(column: t.name, row: source(k), value: v[source(k)])
                }
                if let classes {
                    var index: [String: Int] = [:]
                    for (j, l) in classes.enumerated() { index[l] = j }
                    y = (0..<rows).map { Double(index[Preprocessor.classLabel(v[source($0)])] ?? -1) }
                } else if let selected {
                    y = selected.map { v[$0] }
                } else {
                    y = v
                }
            case .categorical(let codes, let levels):
                var index: [String: Int] = [:]
                for (j, l) in (classes ?? []).enumerated() { index[l] = j }
                let map: [Int] = levels.map { index[$0] ?? -1 }
                y = (0..<rows).map { Double(map[Int(codes[source($0)])]) }
            case .decimal:
                break   // not reached: decoded above
            }
        }
        return PreparedDesign(rows: rows, cols: designWidth, y: y, unseenCategoryCount: unseen,
                              featureNames: featureNames, droppedRows: n - rows, selected: selected, encoders: encoders)
    }
}

/// A design matrix not yet written: `Preprocessor.prepare` has made every check of `transform`
/// and chosen the rows, and `fill` writes any block of the design's rows. A consumer that reads
/// the design a block at a time (the exact linear fit) so never holds the whole matrix;
/// `materialised()` is the `DesignMatrix` that `transform` returns.
public struct PreparedDesign: Sendable {
    public let rows: Int
    public let cols: Int
    /// As `DesignMatrix.y`.
    public let y: [Double]?
    public let unseenCategoryCount: Int
    public let featureNames: [String]
    public let droppedRows: Int
    /// The source row of every design row; nil when every row is kept (design row k is source row k).
    let selected: [Int]?
    let encoders: [Encoder]
    /// Some column is one-hot (a block is then zeroed before it is written).
    let oneHot: Bool

    init(rows: Int, cols: Int, y: [Double]?, unseenCategoryCount: Int, featureNames: [String], droppedRows: Int,
         selected: [Int]?, encoders: [Encoder]) {
        self.rows = rows; self.cols = cols; self.y = y; self.unseenCategoryCount = unseenCategoryCount
        self.featureNames = featureNames; self.droppedRows = droppedRows; self.selected = selected
        self.encoders = encoders
        oneHot = encoders.contains { if case .categorical = $0 { return true } else { return false } }
    }

    enum Encoder: Sendable {
        /// Standardised numeric column; `fill` replaces a missing value (the mean without impute).
        case numeric(values: [Double], at: Int, mean: Double, std: Double, fill: Double)
        /// One-hot column: the dataset's category codes and their vocabulary positions (-1 unseen).
        case categorical(codes: [Int32], at: Int, map: [Int])
    }

    /// For every design row, the row of the source dataset it came from.
    public var sourceRows: [Int] { selected ?? Array(0..<rows) }

    /// Writes design rows `range` row-major (`cols` values a row, every value written) at `out`.
    public func fill(_ range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let width = cols, count = range.count
        guard count > 0, width > 0 else { return }
        // Numeric columns write every value of theirs; one-hot columns write their ones only.
        if oneHot { out.update(repeating: 0, count: count * width) }
        for encoder in encoders {
            switch encoder {
            case .numeric(let v, let at, let mean, let std, let fill):
                v.withUnsafeBufferPointer { vp in
                    guard let v0 = vp.baseAddress else { return }
                    if let selected {
                        selected.withUnsafeBufferPointer { sp in
                            if let s0 = sp.baseAddress {
                                ck_standardise(v0, s0 + range.lowerBound, count, mean, std, fill, out + at, width)
                            }
                        }
                    } else {
                        ck_standardise(v0 + range.lowerBound, nil, count, mean, std, fill, out + at, width)
                    }
                }
            case .categorical(let codes, let at, let map):
                for k in range {
                    let code = Int(codes[selected?[k] ?? k])
                    if code < 0 { continue }
                    let j = map[code]
                    if j >= 0 { out[(k - range.lowerBound) * width + at + j] = 1 }
                }
            }
        }
    }

    /// The whole design as `Preprocessor.transform` returns it (written in blocks of 512 rows:
    /// a block's part of the row-major matrix stays in cache while every feature is written).
    public func materialised() -> DesignMatrix {
        let block = 512
        let x = LargeBuffer.doubles(count: rows * cols) { xp in
            guard let base = xp.baseAddress else { return }
            var start = 0
            while start < rows {
                let end = Swift.min(start + block, rows)
                fill(start..<end, into: base + start * cols)
                start = end
            }
        }
        return DesignMatrix(x: x, rows: rows, cols: cols, y: y, unseenCategoryCount: unseenCategoryCount,
                            featureNames: featureNames, sourceRows: sourceRows, droppedRows: droppedRows)
    }
}
