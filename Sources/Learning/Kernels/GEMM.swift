/// Single-precision matrix multiply used by the neural-network trainer.
/// Row-major: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
/// The backend (OpenBLAS with a verified kernel, or the portable fallback) is chosen once at
/// start-up; `kernelName` names it and is recorded with every run.
///
/// Determinism: for one backend (kernel) and thread count, results are bit-identical from run
/// to run. Different kernels sum in different orders, so results differ slightly between
/// kernels — which is why every run records `kernelName`.
///
/// Backend selection (see `GEMMBackend.load`):
/// - `RETUNE_GEMM=portable` forces the pure-Swift kernel, `RETUNE_GEMM=simd` the C kernel with
///   per-CPU clones (both bit-identical to each other on every CPU), `RETUNE_GEMM=retune` the
///   register-blocked C kernel (`FastGEMM`: avx512f or avx2+fma path); `RETUNE_GEMM=openblas`
///   always tries OpenBLAS first. `RETUNE_OPENBLAS_PATH` overrides the library name.
/// - Unset: OpenBLAS is loaded and, when this CPU has a path for the own kernel (`FastGEMM`) and
///   OpenBLAS runs one thread, a start-up calibration (`GEMMBackend.calibrate`, a few ms at the
///   first product) times both on the MLP trainer's products and keeps the faster: `kernelName`
///   is then e.g. "retune avx512f (calibrated against openblas 0.3.21 Haswell; OPENBLAS_CORETYPE=
///   Haswell in the environment)" or "openblas 0.3.21 SkylakeX (1 thread; calibrated against
///   retune avx512f)". The choice can differ between machines and loads; runs record it, and a
///   given kernel gives identical bits.
/// - OpenBLAS is loaded with `dlopen("libopenblas.so.0")`. Before loading, `OPENBLAS_CORETYPE`
///   is set from the CPU's features (avx512f → SkylakeX, avx2+fma → Haswell) **only when the
///   environment does not set it**; `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` from the
///   environment are never overridden.
/// - A start-up self-check compares the library's product with a Float64 reference; on
///   disagreement, or when the library is absent, the own kernel (`FastGEMM`), else the SIMD C
///   kernel (`SimdGEMM`), else the pure-Swift kernel (`PortableGEMM`) — each self-checked — is
///   used, and `kernelName` says why, e.g. "retune avx2 (libopenblas.so.0 not loadable)".
/// - OpenBLAS runs with 1 thread unless `RETUNE_BLAS_THREADS` asks for more
///   (`OPENBLAS_NUM_THREADS` is set to the same count before loading, if the environment does
///   not set it, so no idle server threads are started).
public enum GEMM {
    /// The backend chosen at first use (thread-safe lazy initialisation).
    public static let backend: GEMMBackend = GEMMBackend.load(environment: .process)

    /// e.g. "openblas 0.3.21 SkylakeX (1 thread)" or
    /// "retune avx512f (OPENBLAS_CORETYPE=Haswell in the environment)".
    public static var kernelName: String { backend.name }

    /// Thread count the backend uses (1 for the portable kernel).
    public static var threads: Int { backend.threads }

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        backend.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
