import CKernels

/// The BLAS-free fast path: `ck_sgemm_simd`, the same i-k-j algorithm as `PortableGEMM`
/// written in C and compiled per CPU (avx512f / avx2 / baseline clones on x86-64, chosen at
/// load time). Every element is summed in the same order with the same IEEE operations (no FMA
/// contraction), so the result is bit-identical to `PortableGEMM` on every CPU.
public enum SimdGEMM {
    /// The clone this CPU runs: "avx512f", "avx2" or "baseline".
    public static var variant: String { String(cString: ck_sgemm_simd_variant()) }

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let rc = ck_sgemm_simd(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        if rc != 0 {
            // Packing buffer unavailable: the Swift kernel gives the identical result.
            PortableGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}
