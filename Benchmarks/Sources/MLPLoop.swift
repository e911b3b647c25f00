import Learning

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The shared MLP data: raw little-endian float32, X (rows × 32, row-major) then y (rows).
struct MLPData {
    var rows: Int
    var dim: Int
    var x: [Float]
    var y: [Float]

    /// Reads the anchors' data file (rows inferred from the size: rows·(dim+1)·4 bytes).
    static func read(path: String, dim: Int = 32) throws -> MLPData {
        guard let f = fopen(path, "rb") else {
            throw BenchError.dataFile(path: path, reason: "cannot open (generate it with Benchmarks/peers/common.py)")
        }
        defer { fclose(f) }
        fseek(f, 0, SEEK_END)
        let bytes = ftell(f)
        fseek(f, 0, SEEK_SET)
        let per = (dim + 1) * 4
        guard bytes > 0, bytes % per == 0 else {
            throw BenchError.dataFile(path: path, reason: "size \(bytes) bytes is not a multiple of \(per) (rows × (\(dim)+1) float32)")
        }
        let rows = bytes / per
        var x = [Float](repeating: 0, count: rows * dim)
        var y = [Float](repeating: 0, count: rows)
        let gotX = x.withUnsafeMutableBufferPointer { fread($0.baseAddress, 4, rows * dim, f) }
        let gotY = y.withUnsafeMutableBufferPointer { fread($0.baseAddress, 4, rows, f) }
        guard gotX == rows * dim, gotY == rows else {
            throw BenchError.dataFile(path: path, reason: "short read (\(gotX + gotY) of \(rows * (dim + 1)) floats)")
        }
        #if _endian(big)
        x = x.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
        y = y.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
        #endif
        return MLPData(rows: rows, dim: dim, x: x, y: y)
    }

    /// Small synthetic data for smoke runs (no Python needed).
    static func synthetic(rows: Int, dim: Int = 32, seed: UInt64 = 0) -> MLPData {
        var rng = SplitMix64(seed: seed)
        var x = [Float](repeating: 0, count: rows * dim)
        for i in 0..<x.count { x[i] = rng.unitFloat() * 2 - 1 }
        var y = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<dim { s += x[r * dim + j] * Float(j % 5) * 0.1 }
            y[r] = sin(s)
        }
        return MLPData(rows: rows, dim: dim, x: x, y: y)
    }
}

/// Pointers shared with workers; each worker writes only its own buffers.
struct SendablePointers: @unchecked Sendable {
    var params: UnsafeMutablePointer<Float>
    var x: UnsafePointer<Float>
    var y: UnsafePointer<Float>
    var perm: UnsafePointer<Int>
    var workers: [WorkerBuffers]
}

/// Per-worker scratch: gathered batch rows, activations, deltas, gradient and loss.
struct WorkerBuffers: @unchecked Sendable {
    var xb, yb, h1, h2, out, d2, d1, grad, loss: UnsafeMutablePointer<Float>

    init(maxRows: Int, dim: Int, hidden1: Int, hidden2: Int, params: Int) {
        func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        xb = alloc(maxRows * dim); yb = alloc(maxRows)
        h1 = alloc(maxRows * hidden1); h2 = alloc(maxRows * hidden2)
        out = alloc(maxRows); d2 = alloc(maxRows * hidden2); d1 = alloc(maxRows * hidden1)
        grad = alloc(params); loss = alloc(1)
    }

    func free() {
        for p in [xb, yb, h1, h2, out, d2, d1, grad, loss] { p.deallocate() }
    }
}

/// A raw MLP d→64→64→1, ReLU, MSE, Adam(1e-3), written directly over `GEMM.sgemm` —
/// the "Swift loop over BLAS" figure, and the fallback MLP workload until the Trainer lands.
/// Deterministic for a given seed, kernel, thread count and worker count.
// @unchecked: workers only read the immutable layout (offsets) and write their own buffers;
// the mutable state (rng, step, Adam moments) is touched only between batches, on one thread.
final class RawMLP: @unchecked Sendable {
    let dim: Int, h1: Int = 64, h2: Int = 64
    let oW1 = 0, oW2: Int, oW3: Int, ob1: Int, ob2: Int, ob3: Int, count: Int
    let params, grad, m, v: UnsafeMutablePointer<Float>
    var rng: SplitMix64
    var step = 0

    init(dim: Int, seed: UInt64) {
        self.dim = dim
        oW2 = dim * 64; oW3 = oW2 + 64 * 64; ob1 = oW3 + 64; ob2 = ob1 + 64; ob3 = ob2 + 64
        count = ob3 + 1
        params = .allocate(capacity: count); grad = .allocate(capacity: count)
        m = .allocate(capacity: count); v = .allocate(capacity: count)
        grad.initialize(repeating: 0, count: count)
        m.initialize(repeating: 0, count: count); v.initialize(repeating: 0, count: count)
        rng = SplitMix64(seed: seed)
        params.initialize(repeating: 0, count: count)
        // PyTorch-style init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
        let layers = [(oW1, ob1, dim, 64), (oW2, ob2, 64, 64), (oW3, ob3, 64, 1)]
        for (ow, ob, fanIn, fanOut) in layers {
            let bound = 1 / Float(fanIn).squareRoot()
            for i in 0..<(fanIn * fanOut) { params[ow + i] = (rng.unitFloat() * 2 - 1) * bound }
            for i in 0..<fanOut { params[ob + i] = (rng.unitFloat() * 2 - 1) * bound }
        }
    }

    deinit {
        params.deallocate(); grad.deallocate(); m.deallocate(); v.deallocate()
    }

    /// One epoch; returns the mean training loss (MSE over the epoch's batches, pre-update).
    func epoch(data: MLPData, batch: Int, workers: Int) -> Double {
        let n = data.rows
        var perm = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = rng.below(i + 1)
            perm.swapAt(i, j)
        }
        let wb = (0..<max(workers, 1)).map { _ in
            WorkerBuffers(maxRows: (batch + workers - 1) / max(workers, 1) + 1, dim: dim,
                          hidden1: h1, hidden2: h2, params: count)
        }
        defer { wb.forEach { $0.free() } }
        var total = 0.0
        data.x.withUnsafeBufferPointer { xp in
            data.y.withUnsafeBufferPointer { yp in
                perm.withUnsafeBufferPointer { pp in
                    guard let x0 = xp.baseAddress, let y0 = yp.baseAddress, let p0 = pp.baseAddress else { return }
                    let shared = SendablePointers(params: params, x: x0, y: y0, perm: p0, workers: wb)
                    var start = 0
                    while start < n {
                        let bs = min(batch, n - start)
                        let ranges = BatchSplit.ranges(count: bs, workers: wb.count)
                        let batchStart = start
                        BatchSplit.run(workers: wb.count) { w in
                            self.forwardBackward(shared, worker: w, batchStart: batchStart,
                                                 rows: ranges[w], batchSize: bs)
                        }
                        for w in wb { total += Double(w.loss[0]) }
                        BatchSplit.reduce(into: grad, parts: wb.map { UnsafePointer($0.grad) }, count: count)
                        adam()
                        start += bs
                    }
                }
            }
        }
        return total / Double(n)
    }

    /// Forward and backward over rows `rows` of the batch starting at `batchStart` (of the
    /// epoch's permutation); writes the worker's gradient (scaled by 2/batchSize) and loss.
    func forwardBackward(_ s: SendablePointers, worker: Int, batchStart: Int, rows: Range<Int>, batchSize: Int) {
        let b = s.workers[worker]
        let nb = rows.count
        let d = dim
        let p = UnsafePointer(s.params)
        guard nb > 0 else {
            b.grad.update(repeating: 0, count: count)
            b.loss[0] = 0
            return
        }
        // Gather.
        for r in 0..<nb {
            let src = s.perm[batchStart + rows.lowerBound + r]
            copyRow(from: s.x + src &* d, to: b.xb + r &* d, count: d)
            b.yb[r] = s.y[src]
        }
        // h1 = relu(xb·W1 + b1)
        GEMM.sgemm(transA: false, transB: false, m: nb, n: h1, k: d, alpha: 1, a: b.xb, lda: d,
                   b: p + oW1, ldb: h1, beta: 0, c: b.h1, ldc: h1)
        biasRelu(b.h1, rows: nb, cols: h1, bias: p + ob1)
        // h2 = relu(h1·W2 + b2)
        GEMM.sgemm(transA: false, transB: false, m: nb, n: h2, k: h1, alpha: 1, a: b.h1, lda: h1,
                   b: p + oW2, ldb: h2, beta: 0, c: b.h2, ldc: h2)
        biasRelu(b.h2, rows: nb, cols: h2, bias: p + ob2)
        // out = h2·W3 + b3
        GEMM.sgemm(transA: false, transB: false, m: nb, n: 1, k: h2, alpha: 1, a: b.h2, lda: h2,
                   b: p + oW3, ldb: 1, beta: 0, c: b.out, ldc: 1)
        let scale = 2 / Float(batchSize)
        var loss: Float = 0
        var gb3: Float = 0
        let b3 = p[ob3]
        for r in 0..<nb {
            let diff = b.out[r] + b3 - b.yb[r]
            loss += diff * diff
            b.out[r] = scale * diff   // out now holds d3
            gb3 += b.out[r]
        }
        b.loss[0] = loss
        let g = b.grad
        g[ob3] = gb3
        // gW3 = h2ᵀ·d3
        GEMM.sgemm(transA: true, transB: false, m: h2, n: 1, k: nb, alpha: 1, a: b.h2, lda: h2,
                   b: b.out, ldb: 1, beta: 0, c: g + oW3, ldc: 1)
        // d2 = (d3·W3ᵀ) ⊙ [h2 > 0]
        // (branch-free selects with unconditional stores, so the loops vectorise)
        // The bias gradient (column sums) is accumulated in the same pass, rows in order.
        let w3 = p + oW3, n2 = h2, n1 = h1
        let gb2 = g + ob2
        gb2.update(repeating: 0, count: n2)
        for r in 0..<nb {
            let d3 = b.out[r]
            let hr = b.h2 + r &* n2, dr = b.d2 + r &* n2
            var j = 0
            while j < n2 {
                let v = d3 * w3[j]
                let x = hr[j] > 0 ? v : 0
                dr[j] = x
                gb2[j] = gb2[j] + x
                j &+= 1
            }
        }
        // gW2 = h1ᵀ·d2
        GEMM.sgemm(transA: true, transB: false, m: h1, n: h2, k: nb, alpha: 1, a: b.h1, lda: h1,
                   b: b.d2, ldb: h2, beta: 0, c: g + oW2, ldc: h2)
        // d1 = (d2·W2ᵀ) ⊙ [h1 > 0]
        GEMM.sgemm(transA: false, transB: true, m: nb, n: h1, k: h2, alpha: 1, a: b.d2, lda: h2,
                   b: p + oW2, ldb: h2, beta: 0, c: b.d1, ldc: h1)
        let d1 = b.d1, a1 = UnsafePointer(b.h1), gb1 = g + ob1
        gb1.update(repeating: 0, count: n1)
        for r in 0..<nb {
            let dr = d1 + r &* n1, ar = a1 + r &* n1
            var j = 0
            while j < n1 {
                let v = dr[j]
                let x = ar[j] > 0 ? v : 0
                dr[j] = x
                gb1[j] = gb1[j] + x
                j &+= 1
            }
        }
        // gW1 = xbᵀ·d1
        GEMM.sgemm(transA: true, transB: false, m: d, n: h1, k: nb, alpha: 1, a: b.xb, lda: d,
                   b: b.d1, ldb: h1, beta: 0, c: g + oW1, ldc: h1)
    }

    /// Row copy without a memmove call per 128-byte row (4-float chunks, then the tail).
    @inline(__always)
    func copyRow(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j &+ 4 <= count {
            let v = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(dst + j).storeBytes(of: v, as: SIMD4<Float>.self)
            j &+= 4
        }
        while j < count {
            dst[j] = src[j]
            j &+= 1
        }
    }

    @inline(__always)
    func biasRelu(_ h: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = h + r &* cols
            var j = 0
            while j < cols {
                let v = row[j] + bias[j]
                row[j] = v > 0 ? v : 0
                j &+= 1
            }
        }
    }

    /// Adam, lr 1e-3, β 0.9/0.999, ε 1e-8, bias-corrected as in the numpy peer.
    func adam() {
        step += 1
        AdamKernel.update(params: params, grads: grad, m: m, v: v, count: count, lr: 1e-3, t: step)
    }
}
