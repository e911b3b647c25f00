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
    }

    static func parallelPass(_ buffer: UnsafeRawBufferPointer, file: String, sep: UInt8, options: CSVOptions,
                             releasePages: Bool) -> PassResult? {
        let n = buffer.count
        guard n >= parallelThreshold, sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2,
              let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        // Header (and validation of it) first.
        guard let head = try? parsePass(buffer, file: file, sep: sep, options: options, forcedCategorical: [],
                                        limit: 0, requireRows: false, reserve: false),
              head.atRowBoundary, head.stop < n else { return nil }
        let dataStart = head.stop
        var split = dataStart + (n - dataStart) / 2
        guard let hit = memchr(base + split, Int32(UInt8(ascii: "\n")), n - split) else { return nil }
        split = UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
        guard split < n else { return nil }
        let middle = split
        let shared = SendableBuffer(buffer: buffer)
        let slots = Slots()
        let header = head.header
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let start = part == 0 ? dataStart : middle
            let limit = part == 0 ? middle : Int.max
            let r = try? parsePass(shared.buffer, file: file, sep: sep, options: options, forcedCategorical: [],
                                   releasePages: releasePages, knownHeader: header, startAt: start, limit: limit,
                                   requireRows: false)
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
        let merged = mergeColumns(&a.builders, &b.builders)
        for k in merged.indices where !merged[k] { a.demoted.insert(k) }
        a.demoted.formUnion(b.demoted)
        a.dataRows += b.dataRows
        a.stop = b.stop
        return a
    }

    struct SendableBuilders: @unchecked Sendable {
        let left: UnsafeMutableBufferPointer<ColumnBuilder>
        let right: UnsafeMutableBufferPointer<ColumnBuilder>
        let ok: UnsafeMutableBufferPointer<Bool>
    }

    /// Appends each column of `right` to the same column of `left`, the columns shared out over
    /// two threads; each column of `right` is released as soon as it has been copied, so memory
    /// peaks near the size of the merged columns, not merged + second half. Returns, per column,
    /// whether the merge succeeded (false: the column must be re-read as categorical).
    static func mergeColumns(_ left: inout [ColumnBuilder], _ right: inout [ColumnBuilder]) -> [Bool] {
        let count = min(left.count, right.count)
        var ok = [Bool](repeating: false, count: count)
        left.withUnsafeMutableBufferPointer { lp in
            right.withUnsafeMutableBufferPointer { rp in
                ok.withUnsafeMutableBufferPointer { op in
                    let shared = SendableBuilders(left: lp, right: rp, ok: op)
                    DispatchQueue.concurrentPerform(iterations: count) { k in
                        // Distinct k on each call: no element is touched by two threads.
                        shared.ok[k] = shared.left[k].merge(shared.right[k])
                        shared.right[k] = ColumnBuilder(name: "", forced: nil)
                    }
                }
            }
        }
        return ok
    }
}

extension ColumnBuilder {
    /// Appends the rows another builder read after this one's; false when the two parts
    /// disagree in a way only a categorical re-read can resolve.
    mutating func merge(_ other: ColumnBuilder) -> Bool {
        if kind == .demoted || other.kind == .demoted { return false }
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
            codes.append(contentsOf: repeatElement(-1, count: other.values.count))
            return true
        case (.unknown, .categorical):
            var merged = [Int32](repeating: -1, count: values.count)
            merged.reserveCapacity(values.count + other.codes.count)
            merged.append(contentsOf: other.codes)
            codes = merged
            levels = other.levels
            lookup = other.lookup
            values = []
            kind = .categorical
            return true
        case (.categorical, _), (_, .categorical):
            return false
        default:
            guard let k = numericKind(kind, other.kind) else { return false }
            kind = k
            values.append(contentsOf: other.values)
            return true
        }
    }
}
