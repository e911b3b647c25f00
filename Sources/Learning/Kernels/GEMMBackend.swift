import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A row-major sgemm with the argument order of `GEMM.sgemm`
/// (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).
public typealias SgemmKernel = @Sendable (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int,
                                UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>, Int) -> Void

/// CPU features that decide the OpenBLAS kernel.
public struct CPUFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let avx2 = CPUFeatures(rawValue: Int(CK_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: Int(CK_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: Int(CK_CPU_AVX512F))
    public static let x86_64 = CPUFeatures(rawValue: Int(CK_CPU_X86_64))
    public static let aarch64 = CPUFeatures(rawValue: Int(CK_CPU_AARCH64))

    /// Features of the running CPU (`__builtin_cpu_supports`).
    public static var current: CPUFeatures { CPUFeatures(rawValue: Int(ck_cpu_features())) }
}

/// What happens to `OPENBLAS_CORETYPE` before OpenBLAS loads.
public enum CoretypeDecision: Sendable, Equatable, CustomStringConvertible {
    /// The environment sets it: never overridden.
    case keptFromEnvironment(String)
    /// Unset in the environment; chosen from CPU features and set before loading.
    case chosen(String)
    /// Unset, and no kernel is forced (OpenBLAS detects the CPU itself).
    case leftUnset

    public var description: String {
        switch self {
        case .keptFromEnvironment(let v): return "OPENBLAS_CORETYPE=\(v) (from environment)"
        case .chosen(let v): return "OPENBLAS_CORETYPE=\(v) (chosen from CPU features)"
        case .leftUnset: return "OPENBLAS_CORETYPE unset (OpenBLAS auto-detect)"
        }
    }

    /// avx512f → SkylakeX, avx2+fma → Haswell, else unset; an environment value always wins
    /// (an empty value counts as set: it is the user's to give).
    public static func choose(environmentValue: String?, features: CPUFeatures) -> CoretypeDecision {
        if let v = environmentValue { return .keptFromEnvironment(v) }
        if features.contains(.avx512f) { return .chosen("SkylakeX") }
        if features.contains([.avx2, .fma]) { return .chosen("Haswell") }
        return .leftUnset
    }

    /// Whether an `OPENBLAS_CORETYPE` value holds OpenBLAS below what the CPU can run: on an
    /// avx512f CPU anything but an AVX-512 kernel (SkylakeX, CooperLake, SapphireRapids); on an
    /// avx2+fma CPU anything but those or an AVX2 kernel (Haswell, Zen). An empty or unknown
    /// value counts as below (OpenBLAS then falls back to an old generic kernel).
    public static func isBelowCPU(_ value: String, features: CPUFeatures) -> Bool {
        let v = value.lowercased()
        let avx512 = ["skylakex", "cooperlake", "sapphirerapids"]
        if features.contains([.avx512f, .fma]) { return !avx512.contains(v) }
        if features.contains([.avx2, .fma]) { return !(avx512 + ["haswell", "zen"]).contains(v) }
        return false
    }
}

/// Outcome of comparing a kernel with the Float64 reference product.
public struct SelfCheckResult: Sendable, Equatable {
    public var passed: Bool
    /// Largest |got − reference| / (Σ|α·a·b| + |β·c|) over all checked elements.
    public var maxScaledError: Double
    /// The first failing case, or "ok".
    public var detail: String
}

/// Environment values the backend reads (a snapshot, so tests can pass their own).
public struct GEMMEnvironment: Sendable {
    public var values: [String: String]
    public init(_ values: [String: String]) { self.values = values }

    static let names = ["RETUNE_GEMM", "RETUNE_BLAS_THREADS", "RETUNE_OPENBLAS_PATH",
                        "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]

    /// The relevant variables of this process.
    public static var process: GEMMEnvironment {
        var v: [String: String] = [:]
        for name in names {
            if let p = getenv(name) { v[name] = String(cString: p) }
        }
        return GEMMEnvironment(v)
    }
}

/// The matrix backend in use: which kernel, how many threads, and why.
public struct GEMMBackend: Sendable {
    /// openBLAS: the dlopen'ed library; retune: the register-blocked C kernel (`FastGEMM`,
    /// avx512f / avx2 paths); simd: the C kernel with per-CPU clones (ck_sgemm_simd);
    /// portable: the pure-Swift kernel (`PortableGEMM`).
    public enum Kind: Sendable, Equatable { case openBLAS, retune, simd, portable }

    public let kind: Kind
    /// e.g. "openblas 0.3.21 SkylakeX (1 thread)" or "portable (libopenblas.so.0 not loadable)".
    public let name: String
    public let threads: Int
    /// What was done with OPENBLAS_CORETYPE (nil when OpenBLAS was not tried).
    public let coretype: CoretypeDecision?
    /// The start-up self-check of the library kernel (nil when OpenBLAS was not loaded).
    public let selfCheck: SelfCheckResult?
    /// The start-up timing of the own kernel against OpenBLAS (nil when a backend was forced
    /// with `RETUNE_GEMM`, or only one of the two was available).
    public var calibration: Calibration? = nil

    /// Best-of-rounds seconds for one pass over `calibrationShapes`, per candidate.
    public struct Calibration: Sendable, Equatable {
        public var ownSeconds: Double
        public var openBLASSeconds: Double
        /// `.retune` or `.openBLAS`: the faster of the two.
        public var winner: Kind
        /// e.g. "retune avx512f 41 µs, openblas 0.3.21 SkylakeX 58 µs per pass".
        public var detail: String
    }

    public static func portable(reason: String?) -> GEMMBackend {
        GEMMBackend(kind: .portable, name: reason.map { "portable (\($0))" } ?? "portable",
                    threads: 1, coretype: nil, selfCheck: nil)
    }

    /// Runs `GEMM.sgemm` on this backend.
    @inline(__always)
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "GEMM: negative dimension")
        precondition(lda >= max(1, transA ? m : k) && ldb >= max(1, transB ? k : n) && ldc >= max(1, n),
                     "GEMM: leading dimension too small")
        if kind == .retune, FastGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                           a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        if kind == .simd || kind == .retune {
            SimdGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else if kind == .openBLAS, let m32 = Int32(exactly: m), let n32 = Int32(exactly: n),
           let k32 = Int32(exactly: k), let lda32 = Int32(exactly: lda),
           let ldb32 = Int32(exactly: ldb), let ldc32 = Int32(exactly: ldc) {
            ck_blas_sgemm(transA ? 1 : 0, transB ? 1 : 0, m32, n32, k32, alpha, a, lda32,
                          b, ldb32, beta, c, ldc32)
        } else {
            PortableGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Chooses the backend: see `GEMM`'s documentation for the rules.
    public static func load(environment env: GEMMEnvironment) -> GEMMBackend {
        let mode = env.values["RETUNE_GEMM"]?.lowercased()
        if mode == "portable" {
            return .portable(reason: "RETUNE_GEMM=portable")
        }
        if mode == "simd" {
            return simdFallback(reason: "RETUNE_GEMM=simd", coretype: nil, openBLASCheck: nil)
        }
        if mode == "retune" {
            return fallback(reason: "RETUNE_GEMM=retune", coretype: nil, openBLASCheck: nil)
        }
        let threads = env.values["RETUNE_BLAS_THREADS"].flatMap { Int($0) }.map { min(max($0, 1), 64) } ?? 1
        let decision = CoretypeDecision.choose(environmentValue: env.values["OPENBLAS_CORETYPE"],
                                               features: .current)
        // Unless a backend is forced, the own kernel (single-threaded) is a candidate next to
        // OpenBLAS, and a start-up calibration picks the faster (`calibrate`).
        var heldReason: String?
        if case .keptFromEnvironment(let v) = decision, CoretypeDecision.isBelowCPU(v, features: .current) {
            heldReason = "OPENBLAS_CORETYPE=\(v) in the environment"
        }
        let own: GEMMBackend? = (mode != "openblas" && threads == 1 && FastGEMM.variant != nil)
            ? fallback(reason: heldReason ?? "calibrated", coretype: decision, openBLASCheck: nil) : nil
        if case .chosen(let core) = decision {
            // overwrite = 0: never replaces a value, even one set since the snapshot.
            setenv("OPENBLAS_CORETYPE", core, 0)
        }
        // Without this the pthread build starts one server thread per core at load; idle, they
        // spin in sched_yield and compete with the caller on a busy machine. Never overridden.
        setenv("OPENBLAS_NUM_THREADS", String(threads), 0)
        let path = env.values["RETUNE_OPENBLAS_PATH"] ?? "libopenblas.so.0"
        guard ck_blas_open(path) == 0 else {
            if let own, own.kind == .retune, heldReason != nil { return own }
            return fallback(reason: "\(path) not loadable", coretype: decision, openBLASCheck: nil)
        }
        ck_blas_set_num_threads(Int32(threads))
        let config = String(cString: ck_blas_config())
        let core = String(cString: ck_blas_corename())
        let version = openBLASVersion(config: config) ?? "?"
        let kernel: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            ck_blas_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), al, a, Int32(lda),
                          b, Int32(ldb), be, c, Int32(ldc))
        }
        let check = selfCheck(kernel)
        let label = "openblas \(version) \(core.isEmpty ? "?" : core)"
        guard check.passed else {
            if let own, own.kind == .retune, heldReason != nil { return own }
            return fallback(reason: "\(label) failed self-check", coretype: decision, openBLASCheck: check)
        }
        let library = GEMMBackend(kind: .openBLAS,
                                  name: "\(label) (\(threads) thread\(threads == 1 ? "" : "s"))",
                                  threads: threads, coretype: decision, selfCheck: check)
        guard let own, own.kind == .retune, let variant = FastGEMM.variant else { return library }
        let ownKernel: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            FastGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                           b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        let timing = calibrate([ownKernel, kernel])
        let ownLabel = "retune \(variant)"
        let ownWins = timing.index == 0
        let result = Calibration(
            ownSeconds: timing.seconds[0], openBLASSeconds: timing.seconds[1],
            winner: ownWins ? .retune : .openBLAS,
            detail: "\(ownLabel) \(Int((timing.seconds[0] * 1e6).rounded())) µs, \(label) "
                + "\(Int((timing.seconds[1] * 1e6).rounded())) µs per pass")
        // The name says which kernel runs and what it was calibrated against, never the
        // timings: it is recorded with every run and compared between runs.
        if ownWins {
            var b = GEMMBackend(kind: .retune,
                                name: "\(ownLabel) (calibrated against \(label)\(heldReason.map { "; \($0)" } ?? ""))",
                                threads: 1, coretype: decision, selfCheck: check)
            b.calibration = result
            return b
        }
        var b = GEMMBackend(kind: .openBLAS, name: "\(label) (1 thread; calibrated against \(ownLabel))",
                            threads: threads, coretype: decision, selfCheck: check)
        b.calibration = result
        return b
    }

    /// The products the MLP trainer runs at its default batch (256) and widths 32 and 64: the
    /// forward `X·W`, the weight gradient `Xᵀ·Δ` and the input gradient `Δ·Wᵀ`
    /// (transA, transB, m, n, k).
    public static let calibrationShapes: [(Bool, Bool, Int, Int, Int)] = [
        (false, false, 256, 64, 32), (false, false, 256, 64, 64), (true, false, 64, 64, 256),
        (true, false, 32, 64, 256), (false, true, 256, 64, 64),
    ]

    /// Times each kernel on one pass over `calibrationShapes` (≈ 8 MFLOP, tens of µs), after a
    /// warm-up pass, in `rounds` alternated rounds; returns the index of the kernel with the
    /// lowest best-of-rounds time (the first on a tie) and each kernel's best time in seconds.
    /// A few ms in all. The choice depends on the machine and its load at that moment.
    public static func calibrate(_ kernels: [SgemmKernel], rounds: Int = 7) -> (index: Int, seconds: [Double]) {
        guard !kernels.isEmpty else { return (0, []) }
        let size = 256 * 64
        var a = [Float](repeating: 0, count: size), b = a, c = a
        for i in 0..<size {
            a[i] = Float(i % 17) * 0.0625 - 0.5
            b[i] = Float(i % 13) * 0.0625 - 0.375
        }
        var best = [Double](repeating: .infinity, count: kernels.count)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    guard let a0 = ap.baseAddress, let b0 = bp.baseAddress, let c0 = cp.baseAddress else { return }
                    func pass(_ kernel: SgemmKernel) {
                        for (ta, tb, m, n, k) in calibrationShapes {
                            kernel(ta, tb, m, n, k, 1, a0, ta ? m : k, b0, tb ? k : n, 0, c0, n)
                        }
                    }
                    for kernel in kernels { pass(kernel) }   // warm-up (packing buffers, caches)
                    for _ in 0..<max(rounds, 1) {
                        for (i, kernel) in kernels.enumerated() {
                            let t0 = monotonicSeconds()
                            pass(kernel)
                            best[i] = min(best[i], monotonicSeconds() - t0)
                        }
                    }
                }
            }
        }
        var index = 0
        for i in best.indices where best[i] < best[index] { index = i }
        return (index, best)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Without OpenBLAS: the register-blocked kernel (`FastGEMM`) when this CPU has it and it
    /// passes its self-check, else `simdFallback`.
    static func fallback(reason: String, coretype: CoretypeDecision?, openBLASCheck: SelfCheckResult?) -> GEMMBackend {
        if let variant = FastGEMM.variant {
            let kernel: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
                FastGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                               b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
            }
            let check = selfCheck(kernel)
            if check.passed {
                return GEMMBackend(kind: .retune, name: "retune \(variant) (\(reason))",
                                   threads: 1, coretype: coretype, selfCheck: openBLASCheck ?? check)
            }
            return simdFallback(reason: "\(reason); retune \(variant) kernel failed self-check",
                                coretype: coretype, openBLASCheck: openBLASCheck ?? check)
        }
        return simdFallback(reason: reason, coretype: coretype, openBLASCheck: openBLASCheck)
    }

    /// The C SIMD kernel if it passes its own self-check, else pure Swift.
    /// `selfCheck` keeps the failed OpenBLAS check when there was one (it says why we are here).
    static func simdFallback(reason: String, coretype: CoretypeDecision?, openBLASCheck: SelfCheckResult?) -> GEMMBackend {
        let kernel: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            SimdGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                           b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        let check = selfCheck(kernel)
        guard check.passed else {
            return GEMMBackend(kind: .portable, name: "portable (\(reason); simd kernel failed self-check)",
                               threads: 1, coretype: coretype, selfCheck: openBLASCheck ?? check)
        }
        return GEMMBackend(kind: .simd, name: "simd \(SimdGEMM.variant) (\(reason))",
                           threads: 1, coretype: coretype, selfCheck: openBLASCheck ?? check)
    }

    /// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64" → "0.3.21".
    public static func openBLASVersion(config: String) -> String? {
        let parts = config.split(separator: " ")
        guard parts.count >= 2, parts[0].lowercased() == "openblas" else { return nil }
        return String(parts[1])
    }

    /// One self-check product: inputs, the Float64 reference and each element's error scale.
    struct SelfCheckCase: Sendable {
        var transA, transB: Bool
        var m, n, k, lda, ldb, ldc: Int
        var alpha, beta: Float
        var a, b, c0: [Float]
        var reference: [Double]
        /// Σ|α·a·b| + |β·c| per element (m × n).
        var scale: [Double]
    }

    /// The self-check's cases, computed once per process (the Float64 reference is the costly
    /// part; every kernel checked afterwards only runs its product and compares).
    static let selfCheckCases: [SelfCheckCase] = {
        struct Shape { var m, n, k: Int; var alpha, beta: Float; var pad: Int }
        let shapes = [Shape(m: 7, n: 5, k: 3, alpha: 1, beta: 0, pad: 0),
                      Shape(m: 23, n: 19, k: 37, alpha: 0.75, beta: 0.5, pad: 3),
                      Shape(m: 96, n: 65, k: 130, alpha: -1.25, beta: 1, pad: 1)]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        var out: [SelfCheckCase] = []
        for cs in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (m, n, k) = (cs.m, cs.n, cs.k)
                let lda = (ta ? m : k) + cs.pad, ldb = (tb ? k : n) + cs.pad, ldc = n + cs.pad
                let a = (0..<((ta ? k : m) * lda)).map { _ in next() }
                let b = (0..<((tb ? n : k) * ldb)).map { _ in next() }
                let c0: [Float] = (0..<(m * ldc)).map { _ in cs.beta == 0 ? .nan : next() }
                let ref = PortableGEMM.referenceProduct(transA: ta, transB: tb, m: m, n: n, k: k,
                                                        alpha: cs.alpha, a: a, lda: lda, b: b, ldb: ldb,
                                                        beta: cs.beta, c: c0, ldc: ldc)
                var scale = [Double](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var sc = 0.0
                        for p in 0..<k {
                            let av = ta ? a[p * lda + i] : a[i * lda + p]
                            let bv = tb ? b[j * ldb + p] : b[p * ldb + j]
                            sc += abs(Double(cs.alpha) * Double(av) * Double(bv))
                        }
                        if cs.beta != 0 { sc += abs(Double(cs.beta) * Double(c0[i * ldc + j])) }
                        scale[i * n + j] = sc
                    }
                }
                out.append(SelfCheckCase(transA: ta, transB: tb, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                                         alpha: cs.alpha, beta: cs.beta, a: a, b: b, c0: c0,
                                         reference: ref, scale: scale))
            }
        }
        return out
    }()

    /// Compares `kernel` with a Float64 naive product on all four transpose combinations,
    /// a small and a medium size, beta 0 (over NaN-filled C), 1 and 0.5, odd leading
    /// dimensions. Passes when every element is within `tolerance` scaled error.
    public static func selfCheck(_ kernel: SgemmKernel, tolerance: Double = 1e-4) -> SelfCheckResult {
        var worst = 0.0
        for cs in selfCheckCases {
            let (m, n, k, ta, tb) = (cs.m, cs.n, cs.k, cs.transA, cs.transB)
            var c = cs.c0
            cs.a.withUnsafeBufferPointer { ap in
                cs.b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        if let a0 = ap.baseAddress, let b0 = bp.baseAddress, let c0p = cp.baseAddress {
                            kernel(ta, tb, m, n, k, cs.alpha, a0, cs.lda, b0, cs.ldb, cs.beta, c0p, cs.ldc)
                        }
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    let got = Double(c[i * cs.ldc + j])
                    let ref = cs.reference[i * n + j]
                    let err = abs(got - ref) / max(cs.scale[i * n + j], 1e-30)
                    if !(err <= tolerance) {  // also catches NaN
                        return SelfCheckResult(
                            passed: false, maxScaledError: err.isNaN ? .infinity : err,
                            detail: "m=\(m) n=\(n) k=\(k) transA=\(ta) transB=\(tb) beta=\(cs.beta): "
                                + "C[\(i),\(j)] = \(got), reference \(ref)")
                    }
                    worst = max(worst, err)
                }
            }
        }
        return SelfCheckResult(passed: true, maxScaledError: worst, detail: "ok")
    }
}
