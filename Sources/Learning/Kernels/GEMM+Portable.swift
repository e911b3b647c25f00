/// The portable single-precision GEMM: plain Swift, any CPU, no target flags.
///
/// Loop order i-k-j over a packed row-major copy of op(B), four rows of C at a time, so the
/// innermost loop is a contiguous `c[j] += a·b[j]` that the compiler vectorises for the
/// baseline ISA (SSE2 on x86-64, NEON on aarch64). Index maths is unchecked (`&+`, `&*`):
/// overflow checks in the hot loop defeat vectorisation. The summation order is fixed
/// (p ascending for every element), so results are deterministic.
public enum PortableGEMM {
    /// Column block: 4 rows × `columnBlock` floats of C stay in L1 while p runs over k.
    static let columnBlock = 512

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        // C ← beta·C (beta = 0 overwrites, so NaN/garbage in C does not propagate, as in BLAS).
        for i in 0..<m {
            let row = c + i &* ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] = beta * row[j] }
            }
        }
        guard k > 0, alpha != 0 else { return }

        // op(B) as a contiguous k×n row-major panel (stride bs). Without a transpose and with a
        // dense leading dimension B is used in place.
        var packed: UnsafeMutablePointer<Float>? = nil
        defer { packed?.deallocate() }
        let bp: UnsafePointer<Float>
        let bs: Int
        if transB {
            let buf = UnsafeMutablePointer<Float>.allocate(capacity: k &* n)
            for j in 0..<n {
                let src = b + j &* ldb
                for p in 0..<k { buf[p &* n &+ j] = src[p] }
            }
            packed = buf
            bp = UnsafePointer(buf)
            bs = n
        } else {
            bp = b
            bs = ldb
        }
        // A(i, p)
        let aRow = transA ? 1 : lda   // step between rows i
        let aCol = transA ? lda : 1   // step between columns p

        var j0 = 0
        while j0 < n {
            let nb = min(columnBlock, n &- j0)
            var i = 0
            while i &+ 4 <= m {
                let c0 = c + (i &* ldc &+ j0)
                let c1 = c0 + ldc
                let c2 = c1 + ldc
                let c3 = c2 + ldc
                let ai = a + i &* aRow
                for p in 0..<k {
                    let ap = ai + p &* aCol
                    let a0 = alpha * ap[0]
                    let a1 = alpha * ap[aRow]
                    let a2 = alpha * ap[2 &* aRow]
                    let a3 = alpha * ap[3 &* aRow]
                    let br = bp + (p &* bs &+ j0)
                    kernel4(c0, c1, c2, c3, br, a0, a1, a2, a3, nb)
                }
                i &+= 4
            }
            while i < m {
                let c0 = c + (i &* ldc &+ j0)
                let ai = a + i &* aRow
                for p in 0..<k {
                    let a0 = alpha * ai[p &* aCol]
                    let br = bp + (p &* bs &+ j0)
                    var j = 0
                    while j < nb {
                        c0[j] = c0[j] + a0 * br[j]
                        j &+= 1
                    }
                }
                i &+= 1
            }
            j0 &+= nb
        }
    }

    @inline(__always)
    static func kernel4(_ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
                        _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>,
                        _ br: UnsafePointer<Float>,
                        _ a0: Float, _ a1: Float, _ a2: Float, _ a3: Float, _ nb: Int) {
        var j = 0
        while j < nb {
            let bv = br[j]
            c0[j] = c0[j] + a0 * bv
            c1[j] = c1[j] + a1 * bv
            c2[j] = c2[j] + a2 * bv
            c3[j] = c3[j] + a3 * bv
            j &+= 1
        }
    }

    /// Reference product in Float64 (naive triple loop), for self-checks and tests.
    public static func referenceProduct(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                        alpha: Float, a: [Float], lda: Int, b: [Float], ldb: Int,
                                        beta: Float, c: [Float], ldc: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                out[i * n + j] = Double(alpha) * s + prior
            }
        }
        return out
    }
}
