import CKernels

/// The register-blocked C kernel (`ck_sgemm_fast`, Sources/CKernels/gemm_fast.c): an
/// avx512f+fma path (8×32 micro-tiles in zmm registers) or an avx2+fma path (6×16), chosen at
/// run time from the CPU's features; not available on other CPUs (`variant == nil`).
///
/// Every element is summed as `acc = fma(a_p, b_p, acc)` over p ascending from 0, then
/// `alpha·acc + beta·C` with separate IEEE operations — so results are bit-identical from run to
/// run and between the two paths (and equal `FastGEMM.reference`), except n = 1 with op(A) = A,
/// which sums 16 strided partial sums pairwise (a fixed order too, the same on both paths, so
/// the two paths are bit-identical for every shape).
public enum FastGEMM {
    /// "avx512f", "avx2", or nil when the CPU has neither avx512f+fma nor avx2+fma.
    public static var variant: String? {
        let v = String(cString: ck_sgemm_fast_variant())
        return v.isEmpty ? nil : v
    }

    /// Runs the kernel; returns false (C untouched) when it is unavailable on this CPU or a
    /// packing buffer could not be allocated.
    @discardableResult
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        ck_sgemm_fast(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0
    }

    /// The kernel with its path forced (`level` 2 = avx512f, 1 = avx2); false when this CPU
    /// lacks that path. For tests.
    @discardableResult
    public static func sgemm(level: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        ck_sgemm_fast_with(Int32(level), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb,
                           beta, c, ldc) == 0
    }

    /// The kernel's arithmetic in scalar Swift (fused multiply-add chain over p ascending, then
    /// alpha, then beta), on a dense m×n result. Bit-identical to both paths except the
    /// n = 1, op(A) = A case (16 partial sums).
    public static func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                 a: [Float], lda: Int, b: [Float], ldb: Int,
                                 beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                if alpha != 0 {
                    for p in 0..<k {
                        let av = transA ? a[p * lda + i] : a[i * lda + p]
                        let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                        acc = acc.addingProduct(av, bv)
                    }
                }
                var v = alpha == 1 ? acc : alpha * acc
                if beta != 0 {
                    let cv = c[i * ldc + j]
                    v = v + (beta == 1 ? cv : beta * cv)
                }
                out[i * n + j] = v
            }
        }
        return out
    }
}
