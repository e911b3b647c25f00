import Dispatch

/// Deterministic data-parallel helper: split a batch over a fixed number of workers, run them
/// concurrently, and reduce their partial results in a fixed order.
///
/// Results are bit-identical for a given kernel, thread count and worker count: the partition
/// depends only on (count, workers), each worker owns its output buffer, and `reduce` always
/// adds worker 0, then 1, … (never "whoever finishes first"). Results differ between worker
/// counts (a different summation order), so record the worker count with a run.
public enum BatchSplit {
    /// Contiguous ranges covering 0..<count; the first `count % workers` ranges get one extra
    /// row. Empty ranges are kept (so index w is always worker w).
    public static func ranges(count: Int, workers: Int) -> [Range<Int>] {
        let w = max(workers, 1)
        let n = max(count, 0)
        let base = n / w, extra = n % w
        var out: [Range<Int>] = []
        out.reserveCapacity(w)
        var start = 0
        for i in 0..<w {
            let len = base + (i < extra ? 1 : 0)
            out.append(start..<(start + len))
            start += len
        }
        return out
    }

    /// Runs `body(w)` for every w in 0..<workers concurrently and returns when all are done.
    /// One worker runs inline on the caller's thread.
    public static func run(workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
    }

    /// dst[i] = parts[0][i] + parts[1][i] + … in worker order (fixed summation order).
    public static func reduce(into dst: UnsafeMutablePointer<Float>, parts: [UnsafePointer<Float>],
                              count: Int) {
        guard let first = parts.first else {
            dst.update(repeating: 0, count: count)
            return
        }
        if UnsafePointer(dst) != first { dst.update(from: first, count: count) }
        for part in parts.dropFirst() {
            var i = 0
            while i < count {
                dst[i] = dst[i] + part[i]
                i &+= 1
            }
        }
    }
}
