#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large numeric buffers written once, in full, by their producer (the design matrix).
enum LargeBuffer {
    /// Buffers of at least this many bytes ask Linux for transparent huge pages.
    static let hugePageThreshold = 4 << 20

    /// A `[Double]` of `count` elements that `fill` writes completely (every element). The
    /// memory is not zeroed first, and on Linux a large buffer is advised `MADV_HUGEPAGE` before
    /// its first touch: a 256 MB design then takes ~128 page faults instead of ~65,000 (the
    /// zero-fill and the faults were a third of a 1M × 32 exact fit).
    static func doubles(count: Int, _ fill: (UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if os(Linux)
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            #endif
            fill(buffer)
            initialized = count
        }
    }

    #if os(Linux)
    static func adviseHugePages(_ raw: UnsafeMutableRawBufferPointer) {
        guard raw.count >= hugePageThreshold, let base = raw.baseAddress else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) / huge * huge
        let end = (Int(bitPattern: base) + raw.count) / huge * huge
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        // Advice only: when the kernel declines, the buffer works with normal pages.
        _ = madvise(p, end - start, MADV_HUGEPAGE)
    }
    #endif
}
