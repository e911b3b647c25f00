import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsing a large file in two halves on two threads. Any doubt — an error, a quoted field
/// spanning the split, columns whose kinds disagree — returns nil and the caller parses serially,
/// so results and error locations are always those of the serial parser.
extension CSVLoader {
    static let parallelThreshold = 8 << 20

    struct SendableBuffer: @unchecked Sendable { let buffer: UnsafeRawBufferPointer }

    final class Slots: @unchecked Sendable {
        // One property per thread: no shared array storage is written concurrently.
        var first: PassResult?
        var second: PassResult?
        var firstCount = 0
        var secondCount = 0
    }

    /// `split` (tests): the byte the first half ends at (moved to the next row start), instead of
    /// the middle; any size of file then takes this path. `capacities` (tests): the rows of the
    /// two in-place windows instead of the exact count and the estimate (short ones spill).
    static func parallelPass(_ buffer: UnsafeRawBufferPointer, file: String, sep: UInt8, options: CSVOptions,
                             releasePages: Bool, split splitAt: Int? = nil,
                             capacities: (first: Int, second: Int)? = nil) -> PassResult? {
        let n = buffer.count
        guard n >= parallelThreshold || splitAt != nil, sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 || splitAt != nil,
              let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        // Header (and validation of it) first.
        guard let head = try? parsePass(buffer, file: file, sep: sep, options: options, forcedCategorical: [],
                                        limit: 0, requireRows: false, reserve: false),
              head.atRowBoundary, head.stop < n else { return nil }
        let dataStart = head.stop
        var split = max(dataStart, min(n - 1, splitAt ?? dataStart + (n - dataStart) / 2))
        guard let hit = memchr(base + split, Int32(UInt8(ascii: "\n")), n - split) else { return nil }
        split = UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
        guard split < n else { return nil }
        let middle = split
        let shared = SendableBuffer(buffer: buffer)
        let slots = Slots()
        // The first half's line ends, counted on both threads: an upper bound on its rows, so its
        // window is exact and the second half's can start right after it.
        let quarter = dataStart + (middle - dataStart) / 2
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            guard let b = shared.buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            let count = part == 0 ? rowEnds(b, from: dataStart, to: quarter, count: n)
                                  : rowEnds(b, from: quarter, to: middle, count: n)
            if part == 0 { slots.firstCount = count } else { slots.secondCount = count }
        }
        let firstRows = slots.firstCount + slots.secondCount
        // The second half's rows, scaled by bytes, plus an eighth; a short estimate spills.
        let secondRows = firstRows * (n - middle) / max(1, middle - dataStart) + firstRows / 8 + 64
        let caps = capacities ?? (firstRows, secondRows)
        guard caps.first >= 0, caps.second >= 0 else { return nil }
        let columns = ColumnArrays(compact: head.builders.map { $0.scale >= 0 }, capacity: caps.first + caps.second)
        let header = head.header
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let start = part == 0 ? dataStart : middle
            let limit = part == 0 ? middle : Int.max
            let windows = ColumnWindows(bases: columns.bases, compact: columns.compact, offset: part == 0 ? 0 : caps.first,
                                        capacity: part == 0 ? caps.first : caps.second)
            let r = try? parsePass(shared.buffer, file: file, sep: sep, options: options, forcedCategorical: [],
                                   releasePages: releasePages, knownHeader: header, startAt: start, limit: limit,
                                   requireRows: false, windows: windows)
            if part == 0 { slots.first = r } else { slots.second = r }
        }
        guard var a = slots.first, var b = slots.second,
              a.stop == middle, a.atRowBoundary, a.dataRows + b.dataRows > 0 else { return nil }
        slots.first = nil
        slots.second = nil
        if releasePages {
            // Every byte has been parsed: hand the rest of the mapping back before the merge
            // (a categorical re-read maps the pages again from the file).
            _ = madvise(UnsafeMutableRawPointer(mutating: base), n, MADV_DONTNEED)
        }
        let merged = mergeColumns(&a.builders, &b.builders, columns: columns)
        for k in merged.indices where !merged[k] { a.demoted.insert(k) }
        a.demoted.formUnion(b.demoted)
        a.dataRows += b.dataRows
        a.stop = b.stop
        return a
    }

    /// Line ends in `base[from..<to)` of a buffer of `count` bytes: LF, and CR not followed by
    /// LF (a CRLF counts once), as the parser ends rows. An upper bound on the rows there.
    static func rowEnds(_ base: UnsafePointer<UInt8>, from: Int, to: Int, count: Int) -> Int {
        ck_count_row_ends(base, from, to, count)
    }

    struct SendableBuilders: @unchecked Sendable {
        let left: UnsafeMutableBufferPointer<ColumnBuilder>
        let right: UnsafeMutableBufferPointer<ColumnBuilder>
        let ok: UnsafeMutableBufferPointer<Bool>
        let columns: UnsafeMutableBufferPointer<[Double]>
        let codeColumns: UnsafeMutableBufferPointer<[Int32]>
    }

    /// Appends each column of `right` to the same column of `left`, the columns shared out over
    /// two threads. Parts written in place become the final array `columns` holds (the second
    /// part moved up to the first, if the first fell short of its window, and spills copied in);
    /// anything else is copied, each column of `right` released as soon as it has been.
    /// Returns, per column, whether the merge succeeded (false: the column must be re-read as
    /// categorical).
    static func mergeColumns(_ left: inout [ColumnBuilder], _ right: inout [ColumnBuilder],
                             columns: ColumnArrays) -> [Bool] {
        let count = min(left.count, right.count, columns.arrays.count, columns.codeArrays.count)
        var ok = [Bool](repeating: false, count: count)
        left.withUnsafeMutableBufferPointer { lp in
            right.withUnsafeMutableBufferPointer { rp in
                ok.withUnsafeMutableBufferPointer { op in
                    columns.arrays.withUnsafeMutableBufferPointer { cp in
                        columns.codeArrays.withUnsafeMutableBufferPointer { dp in
                            let shared = SendableBuilders(left: lp, right: rp, ok: op, columns: cp, codeColumns: dp)
                            DispatchQueue.concurrentPerform(iterations: count) { k in
                                // Distinct k on each call: no element is touched by two threads.
                                shared.ok[k] = shared.left[k].merge(shared.right[k], column: &shared.columns[k],
                                                                    codeColumn: &shared.codeColumns[k])
                                shared.right[k] = ColumnBuilder(name: "", forced: nil)
                                shared.columns[k] = []
                                shared.codeColumns[k] = []
                            }
                        }
                    }
                }
            }
        }
        return ok
    }
}

/// One part of every column's final storage, for one thread's pass: column k's values go to
/// `bases[k] + offset`, at most `capacity` of them (then they spill into the builder's array).
struct ColumnWindows: @unchecked Sendable {
    /// Doubles, or Int32 decimal codes where `compact[k]`.
    let bases: [UnsafeMutableRawPointer]
    let compact: [Bool]
    let offset: Int
    let capacity: Int
}

/// The final columns of the two-thread path, allocated once with the rows of both parts: arrays
/// whose count is their capacity and whose elements are only ever read after a pass wrote them
/// (plain Doubles, no initialization needed), and the address of each one's storage. The arrays
/// are neither copied nor resized while the passes write through `bases`; the merge hands each
/// one, cut to the rows read, to its column.
final class ColumnArrays: @unchecked Sendable {
    /// Column k is `arrays[k]` (Doubles) or, where `compact[k]` (a decimal column, see
    /// `ColumnBuilder.scale`), `codeArrays[k]`; the other one is empty.
    var arrays: [[Double]]
    var codeArrays: [[Int32]]
    let compact: [Bool]
    let bases: [UnsafeMutableRawPointer]
    let capacity: Int

    init(compact: [Bool], capacity: Int) {
        let size = max(1, capacity)
        var arrays: [[Double]] = []
        var codeArrays: [[Int32]] = []
        var bases: [UnsafeMutableRawPointer] = []
        var kept: [Bool] = []
        for c in compact {
            if c {
                var a = [Int32](unsafeUninitializedCapacity: size) { _, initialized in initialized = size }
                if let p = a.withUnsafeMutableBufferPointer({ $0.baseAddress }) {
                    codeArrays.append(a)
                    arrays.append([])
                    bases.append(UnsafeMutableRawPointer(p))
                    kept.append(true)
                }
            } else {
                var a = [Double](unsafeUninitializedCapacity: size) { _, initialized in initialized = size }
                if let p = a.withUnsafeMutableBufferPointer({ $0.baseAddress }) {
                    arrays.append(a)
                    codeArrays.append([])
                    bases.append(UnsafeMutableRawPointer(p))
                    kept.append(false)
                }
            }
        }
        self.arrays = arrays
        self.codeArrays = codeArrays
        self.bases = bases
        self.compact = kept
        self.capacity = size
    }
}

extension ColumnBuilder {
    func numericKind(_ a: Kind, _ b: Kind) -> Kind? {
        if a == b { return a }
        if a == .unknown { return b }
        if b == .unknown { return a }
        switch (a, b) {
        case (.integer, .float), (.float, .integer): return forced == .integer ? nil : .float
        case (.date, .datetime), (.datetime, .date): return forced == .date ? .date : .datetime
        default: return nil
        }
    }

    /// `merge`, where this builder's window starts `column`'s storage and `other`'s lies
    /// further in it: when both parts hold numbers and everything fits, the values are moved
    /// into place there and `column` becomes this builder's array (`column` is then empty);
    /// otherwise both parts are copied out of their windows first.
    mutating func merge(_ other: ColumnBuilder, column: inout [Double], codeColumn: inout [Int32]) -> Bool {
        let total = valueCount + other.valueCount
        if scale >= 0, other.scale >= 0, kind != .demoted, other.kind != .demoted, kind != .categorical,
           other.kind != .categorical, let k = numericKind(kind, other.kind), total <= codeColumn.count,
           let w = codeWindow, let ow = other.codeWindow, ow == w + windowCapacity,
           decimals.isEmpty || windowCount == windowCapacity {
            // Both halves decimal: the smaller scale's codes rescaled to the larger (exact), or
            // both decoded below when that would overflow.
            var other = other
            let target = max(scale, other.scale)
            if rescale(to: target), other.rescale(to: target) {
                let placed = codeColumn.withUnsafeMutableBufferPointer { buf -> Bool in
                    guard let start = buf.baseAddress, start == w else { return false }
                    let dest = start + valueCount
                    if dest != ow { memmove(dest, ow, other.windowCount * MemoryLayout<Int32>.stride) }
                    decimals.withUnsafeBufferPointer { spill in
                        if let s = spill.baseAddress { (start + windowCount).update(from: s, count: spill.count) }
                    }
                    other.decimals.withUnsafeBufferPointer { spill in
                        if let s = spill.baseAddress { (dest + other.windowCount).update(from: s, count: spill.count) }
                    }
                    return true
                }
                if placed {
                    codeColumn.removeLast(codeColumn.count - total)
                    decimals = []
                    swap(&decimals, &codeColumn)
                    codeWindow = nil
                    windowCount = 0
                    windowCapacity = 0
                    kind = k
                    return true
                }
            }
            materialize()
            other.materialize()
            return merge(other)
        }
        if kind != .demoted, other.kind != .demoted, kind != .categorical, other.kind != .categorical,
           let k = numericKind(kind, other.kind), total <= column.count,
           let w = window, let ow = other.window, ow == w + windowCapacity,
           values.isEmpty || windowCount == windowCapacity {
            let placed = column.withUnsafeMutableBufferPointer { buf -> Bool in
                guard let start = buf.baseAddress, start == w else { return false }
                // The second part first (it may move up, over room the first part's spill
                // then fills), then the spills.
                let dest = start + valueCount
                if dest != ow { memmove(dest, ow, other.windowCount * MemoryLayout<Double>.stride) }
                values.withUnsafeBufferPointer { spill in
                    if let s = spill.baseAddress { (start + windowCount).update(from: s, count: spill.count) }
                }
                other.values.withUnsafeBufferPointer { spill in
                    if let s = spill.baseAddress { (dest + other.windowCount).update(from: s, count: spill.count) }
                }
                return true
            }
            if placed {
                column.removeLast(column.count - total)
                values = []
                swap(&values, &column)
                window = nil
                windowCount = 0
                windowCapacity = 0
                kind = k
                return true
            }
        }
        materialize()
        var copy = other
        copy.materialize()
        return merge(copy)
    }

    /// Appends the rows another builder read after this one's; false when the two parts
    /// disagree in a way only a categorical re-read can resolve.
    mutating func merge(_ other: ColumnBuilder) -> Bool {
        if kind == .demoted || other.kind == .demoted { return false }
        switch (kind, other.kind) {
        case (.categorical, .categorical):
            var remap: [Int32] = []
            remap.reserveCapacity(other.levels.count)
            for level in other.levels {
                if let code = lookup[level] {
                    remap.append(code)
                } else {
                    let code = Int32(levels.count)
                    lookup[level] = code
                    levels.append(level)
                    remap.append(code)
                }
            }
            codes.append(contentsOf: other.codes.lazy.map { $0 < 0 ? -1 : remap[Int($0)] })
            return true
        case (.categorical, .unknown):
            codes.append(contentsOf: repeatElement(-1, count: other.valueCount))
            return true
        case (.unknown, .categorical):
            var merged = [Int32](repeating: -1, count: valueCount)
            merged.reserveCapacity(valueCount + other.codes.count)
            merged.append(contentsOf: other.codes)
            codes = merged
            levels = other.levels
            lookup = other.lookup
            values = []
            decimals = []
            scale = -1
            kind = .categorical
            return true
        case (.categorical, _), (_, .categorical):
            return false
        default:
            guard let k = numericKind(kind, other.kind) else { return false }
            kind = k
            var other = other
            if scale >= 0 && other.scale >= 0 {
                // Both decimal: one scale (exact rescale) or, when a code would overflow, Float64.
                let target = max(scale, other.scale)
                if rescale(to: target), other.rescale(to: target) {
                    decimals.append(contentsOf: other.decimals)
                    return true
                }
            }
            toFloat64()
            other.toFloat64()
            values.append(contentsOf: other.values)
            return true
        }
    }
}
