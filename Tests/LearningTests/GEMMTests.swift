import Testing
@testable import Learning

/// Deterministic test data in [-1, 1].
private func values(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &+ 0x1234_5678
    return (0..<n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int(s >> 33) % 2001 - 1000) / 1000
    }
}

private struct Shape: CustomTestStringConvertible, Sendable {
    var m, n, k: Int
    var transA, transB: Bool
    var alpha, beta: Float
    var pad: Int
    var testDescription: String { "m\(m) n\(n) k\(k) tA=\(transA) tB=\(transB) α\(alpha) β\(beta) pad\(pad)" }
}

private let shapes: [Shape] = {
    var out: [Shape] = []
    for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 33), (1, 29, 13), (9, 513, 5), (37, 23, 301),
                      (70, 1, 19), (13, 40, 2), (19, 33, 17)] {
        for ta in [false, true] {
            for tb in [false, true] {
                out.append(Shape(m: m, n: n, k: k, transA: ta, transB: tb, alpha: 0.5, beta: 0.25, pad: (m + n) % 3))
            }
        }
    }
    return out
}()

/// Runs `kernel` on the shape and returns (result, reference) over the m×n outputs.
private func run(_ s: Shape, _ kernel: SgemmKernel, cInit: Float? = nil) -> (got: [Float], ref: [Double], scale: [Double]) {
    let lda = (s.transA ? s.m : s.k) + s.pad
    let ldb = (s.transB ? s.k : s.n) + s.pad
    let ldc = s.n + s.pad
    let a = values((s.transA ? s.k : s.m) * lda, seed: 1)
    let b = values((s.transB ? s.n : s.k) * ldb, seed: 2)
    var c = cInit.map { [Float](repeating: $0, count: s.m * ldc) } ?? values(s.m * ldc, seed: 3)
    let ref = PortableGEMM.referenceProduct(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                                            alpha: s.alpha, a: a, lda: lda, b: b, ldb: ldb,
                                            beta: s.beta, c: c, ldc: ldc)
    let c0 = c
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                if let a0 = ap.baseAddress, let b0 = bp.baseAddress, let cc = cp.baseAddress {
                    kernel(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a0, lda, b0, ldb, s.beta, cc, ldc)
                }
            }
        }
    }
    var got: [Float] = [], scale: [Double] = []
    for i in 0..<s.m {
        for j in 0..<s.n {
            got.append(c[i * ldc + j])
            var sc = abs(Double(s.beta) * Double(c0[i * ldc + j]))
            if sc.isNaN { sc = 0 }
            for p in 0..<s.k {
                let av = s.transA ? a[p * lda + i] : a[i * lda + p]
                let bv = s.transB ? b[j * ldb + p] : b[p * ldb + j]
                sc += abs(Double(s.alpha) * Double(av) * Double(bv))
            }
            scale.append(sc)
        }
    }
    // Padding columns of C must be untouched.
    for i in 0..<s.m {
        for j in s.n..<ldc { #expect(c[i * ldc + j].bitPattern == c0[i * ldc + j].bitPattern) }
    }
    return (got, ref, scale)
}

private let portable: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
    PortableGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                       b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
}

private let active: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
    GEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
               b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
}

private func maxScaledError(_ r: (got: [Float], ref: [Double], scale: [Double])) -> Double {
    var worst = 0.0
    for i in r.got.indices {
        let e = abs(Double(r.got[i]) - r.ref[i]) / max(r.scale[i], 1e-30)
        worst = max(worst, e.isNaN ? .infinity : e)
    }
    return worst
}

private let fastShapes: [Shape] = {
    var out = shapes
    // The MLP shapes (batch 256, 32→64→64→1) and beta 0 / 1, alpha 1.
    for (m, n, k, ta, tb) in [(256, 64, 32, false, false), (256, 64, 64, false, false), (256, 1, 64, false, false),
                              (32, 64, 256, true, false), (64, 64, 256, true, false), (64, 1, 256, true, false),
                              (256, 64, 1, false, true), (256, 64, 64, false, true)] {
        out.append(Shape(m: m, n: n, k: k, transA: ta, transB: tb, alpha: 1, beta: 0, pad: 0))
        out.append(Shape(m: m, n: n, k: k, transA: ta, transB: tb, alpha: 1, beta: 1, pad: 1))
    }
    return out
}()

@Suite struct GEMMTests {
    @Test(arguments: shapes)
    fileprivate func portableAgreesWithNaiveProduct(_ s: Shape) {
        #expect(maxScaledError(run(s, portable)) < 1e-5)
    }

    @Test(arguments: shapes)
    fileprivate func simdKernelIsBitIdenticalToPortable(_ s: Shape) {
        let simd: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            SimdGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                           b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        let r1 = run(s, simd), r2 = run(s, portable)
        #expect(r1.got.map(\.bitPattern) == r2.got.map(\.bitPattern), "simd variant \(SimdGEMM.variant)")
        #expect(maxScaledError(r1) < 1e-5)
    }

    @Test(arguments: shapes)
    fileprivate func activeBackendAgreesWithNaiveProduct(_ s: Shape) {
        #expect(maxScaledError(run(s, active)) < 1e-5, "kernel: \(GEMM.kernelName)")
    }

    @Test func betaZeroOverwritesNaN() {
        for kernel in [portable, active] {
            let s = Shape(m: 6, n: 10, k: 4, transA: false, transB: true, alpha: 1, beta: 0, pad: 2)
            let r = run(s, kernel, cInit: .nan)
            #expect(r.got.allSatisfy { $0.isFinite })
            #expect(maxScaledError(r) < 1e-5)
        }
    }

    @Test func betaOneAccumulatesAndAlphaZeroOnlyScales() {
        // beta 1 keeps C and adds the product: 1×1 case checked exactly.
        var a: [Float] = [2, 3], b: [Float] = [5, 7], c: [Float] = [10]
        PortableGEMM.sgemm(transA: false, transB: false, m: 1, n: 1, k: 2, alpha: 1, a: &a, lda: 2,
                           b: &b, ldb: 1, beta: 1, c: &c, ldc: 1)
        #expect(c == [41])   // 10 + 2·5 + 3·7
        // alpha 0: C ← beta·C, A and B ignored (even NaN).
        var an: [Float] = [.nan, .nan], c2: [Float] = [4, 8]
        PortableGEMM.sgemm(transA: false, transB: false, m: 1, n: 2, k: 1, alpha: 0, a: &an, lda: 1,
                           b: &an, ldb: 2, beta: 0.5, c: &c2, ldc: 2)
        #expect(c2 == [2, 4])
        // k = 0: only scaling.
        var c3: [Float] = [3, 6]
        PortableGEMM.sgemm(transA: false, transB: false, m: 2, n: 1, k: 0, alpha: 1, a: &an, lda: 1,
                           b: &an, ldb: 1, beta: 2, c: &c3, ldc: 1)
        #expect(c3 == [6, 12])
    }

    @Test func transposesOnAKnownProduct() {
        // A = [[1,2,3],[4,5,6]] (2×3), B = [[1,0],[0,1],[1,1]] (3×2): A·B = [[4,5],[10,11]].
        let a: [Float] = [1, 2, 3, 4, 5, 6], at: [Float] = [1, 4, 2, 5, 3, 6]
        let b: [Float] = [1, 0, 0, 1, 1, 1], bt: [Float] = [1, 0, 1, 0, 1, 1]
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for kernel in [portable, active] {
                var c = [Float](repeating: -1, count: 4)
                let aa = ta ? at : a, bb = tb ? bt : b
                aa.withUnsafeBufferPointer { ap in
                    bb.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            if let a0 = ap.baseAddress, let b0 = bp.baseAddress, let c0 = cp.baseAddress {
                                kernel(ta, tb, 2, 2, 3, 1, a0, ta ? 2 : 3, b0, tb ? 3 : 2, 0, c0, 2)
                            }
                        }
                    }
                }
                #expect(c == [4, 5, 10, 11], "transA=\(ta) transB=\(tb)")
            }
        }
    }

    @Test func deterministicRepeatedCalls() {
        let s = Shape(m: 64, n: 48, k: 200, transA: true, transB: false, alpha: 1, beta: 0, pad: 0)
        for kernel in [portable, active] {
            let r1 = run(s, kernel), r2 = run(s, kernel)
            #expect(r1.got.map(\.bitPattern) == r2.got.map(\.bitPattern))
        }
    }

    // MARK: the register-blocked kernel (FastGEMM)

    /// Runs FastGEMM with `level` (nil: the dispatched path) and the scalar FMA reference.
    fileprivate func fast(_ s: Shape, level: Int?) -> (got: [Float], ref: [Float])? {
        let lda = (s.transA ? s.m : s.k) + s.pad
        let ldb = (s.transB ? s.k : s.n) + s.pad
        let ldc = s.n + s.pad
        let a = values((s.transA ? s.k : s.m) * lda, seed: 4)
        let b = values((s.transB ? s.n : s.k) * ldb, seed: 5)
        let c0 = values(s.m * ldc, seed: 6)
        var c = c0
        var ok = false
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    if let a0 = ap.baseAddress, let b0 = bp.baseAddress, let cc = cp.baseAddress {
                        if let level {
                            ok = FastGEMM.sgemm(level: level, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                                                alpha: s.alpha, a: a0, lda: lda, b: b0, ldb: ldb, beta: s.beta, c: cc, ldc: ldc)
                        } else {
                            ok = FastGEMM.sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                                                alpha: s.alpha, a: a0, lda: lda, b: b0, ldb: ldb, beta: s.beta, c: cc, ldc: ldc)
                        }
                    }
                }
            }
        }
        guard ok else { return nil }
        for i in 0..<s.m {
            for j in s.n..<ldc { #expect(c[i * ldc + j].bitPattern == c0[i * ldc + j].bitPattern, "padding touched") }
        }
        var got: [Float] = []
        for i in 0..<s.m { for j in 0..<s.n { got.append(c[i * ldc + j]) } }
        let ref = FastGEMM.reference(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                     a: a, lda: lda, b: b, ldb: ldb, beta: s.beta, c: c0, ldc: ldc)
        return (got, ref)
    }

    @Test(arguments: fastShapes)
    fileprivate func fastKernelAgreesWithNaiveProductAndItsReference(_ s: Shape) throws {
        guard FastGEMM.variant != nil else { return }   // CPU without avx2+fma: nothing to run
        // Accuracy against the Float64 product (through the common harness: checks padding too).
        let dispatched: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            FastGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al, a: a, lda: lda,
                           b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        #expect(maxScaledError(run(s, dispatched)) < 1e-5, "variant \(FastGEMM.variant ?? "-")")
        // Bit-exact against the scalar FMA chain, on every path this CPU has.
        let dotPath = s.n == 1 && !s.transA
        var results: [[UInt32]] = []
        for level in [1, 2] {
            guard let r = fast(s, level: level) else { continue }
            results.append(r.got.map(\.bitPattern))
            if dotPath {
                // Partial sums in 16 lanes: same accuracy, a different (fixed) order.
                for i in r.got.indices { #expect(abs(r.got[i] - r.ref[i]) <= 1e-4 * max(1, abs(r.ref[i]))) }
            } else {
                #expect(r.got.map(\.bitPattern) == r.ref.map(\.bitPattern), "level \(level)")
            }
        }
        // The avx2 and avx512f paths agree bit for bit (when this CPU has both).
        if results.count == 2 { #expect(results[0] == results[1]) }
        // Run-to-run: bit-identical.
        let again = try #require(fast(s, level: nil))
        let first = try #require(fast(s, level: nil))
        #expect(again.got.map(\.bitPattern) == first.got.map(\.bitPattern))
    }

    @Test func fastKernelBetaZeroIgnoresNaNAndAlphaZeroOnlyScales() {
        guard FastGEMM.variant != nil else { return }
        for level in [1, 2] {
            var a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 0, 1, 1, 1]
            var c = [Float](repeating: .nan, count: 4)
            guard FastGEMM.sgemm(level: level, transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1,
                                 a: &a, lda: 3, b: &b, ldb: 2, beta: 0, c: &c, ldc: 2) else { continue }
            #expect(c == [4, 5, 10, 11], "level \(level)")
            var an: [Float] = [.nan, .nan], c2: [Float] = [4, 8]
            FastGEMM.sgemm(level: level, transA: false, transB: false, m: 1, n: 2, k: 1, alpha: 0, a: &an, lda: 1,
                           b: &an, ldb: 2, beta: 0.5, c: &c2, ldc: 2)
            #expect(c2 == [2, 4])
        }
        // A level above the CPU's is refused and leaves C alone.
        var z: [Float] = [1], c3: [Float] = [7]
        #expect(!FastGEMM.sgemm(level: 3, transA: false, transB: false, m: 1, n: 1, k: 1, alpha: 1, a: &z, lda: 1,
                                b: &z, ldb: 1, beta: 0, c: &c3, ldc: 1))
        #expect(c3 == [7])
    }

    @Test func ownKernelReplacesOpenBLASHeldBelowTheCPU() {
        let avx512: CPUFeatures = [.x86_64, .avx2, .fma, .avx512f]
        let avx2: CPUFeatures = [.x86_64, .avx2, .fma]
        #expect(CoretypeDecision.isBelowCPU("Haswell", features: avx512))
        #expect(CoretypeDecision.isBelowCPU("Prescott", features: avx512))
        #expect(CoretypeDecision.isBelowCPU("", features: avx512))
        #expect(!CoretypeDecision.isBelowCPU("SkylakeX", features: avx512))
        #expect(!CoretypeDecision.isBelowCPU("cooperlake", features: avx512))
        #expect(!CoretypeDecision.isBelowCPU("Haswell", features: avx2))
        #expect(!CoretypeDecision.isBelowCPU("Zen", features: avx2))
        #expect(CoretypeDecision.isBelowCPU("Sandybridge", features: avx2))
        #expect(!CoretypeDecision.isBelowCPU("Prescott", features: [.x86_64]))
        #expect(!CoretypeDecision.isBelowCPU("ARMV8", features: [.aarch64]))
        // On this machine: with the environment holding OpenBLAS to Prescott, the own kernel runs
        // (when the CPU has it) and says why; RETUNE_GEMM=retune forces it.
        let held = GEMMBackend.load(environment: GEMMEnvironment(["OPENBLAS_CORETYPE": "Prescott"]))
        let forced = GEMMBackend.load(environment: GEMMEnvironment(["RETUNE_GEMM": "retune"]))
        if let v = FastGEMM.variant, CoretypeDecision.isBelowCPU("Prescott", features: .current) {
            // OpenBLAS is loaded too and the calibration picks the faster (either may win).
            if held.kind == .retune {
                #expect(held.name.hasPrefix("retune \(v) ("))
                #expect(held.name.contains("OPENBLAS_CORETYPE=Prescott in the environment"), "\(held.name)")
            } else {
                #expect(held.kind == .openBLAS)
                #expect(held.calibration?.winner == .openBLAS)
            }
            #expect(held.coretype == .keptFromEnvironment("Prescott"))
            #expect(held.selfCheck?.passed == true)
            #expect(forced.kind == .retune)
            #expect(forced.name == "retune \(v) (RETUNE_GEMM=retune)")
        } else {
            #expect(held.kind != .retune)
            #expect(forced.kind == .simd || forced.kind == .portable)
        }
    }

    @Test func openBLASStaysWhenAskedForOrNotHeldBelowTheCPU() {
        // RETUNE_GEMM=openblas keeps OpenBLAS even when the environment holds it to Haswell; an
        // AVX-512 OPENBLAS_CORETYPE is not "below" this CPU either. Either way the own kernel
        // only appears as the fallback for a library that is absent or fails its self-check.
        for env in [["OPENBLAS_CORETYPE": "Haswell", "RETUNE_GEMM": "openblas"], ["OPENBLAS_CORETYPE": "SkylakeX"]] {
            let b = GEMMBackend.load(environment: GEMMEnvironment(env))
            if b.kind == .retune {
                // Not forced: the calibration may find the own kernel faster.
                #expect(env["RETUNE_GEMM"] == nil)
                #expect(b.calibration?.winner == .retune)
                #expect(b.name.contains("calibrated against openblas"), "\(b.name)")
            } else if b.kind == .openBLAS {
                #expect(b.name.hasPrefix("openblas "))
                #expect(b.coretype == .keptFromEnvironment(env["OPENBLAS_CORETYPE"] ?? ""))
            } else {
                #expect(b.name.contains("not loadable") || b.name.contains("self-check"), "\(b.name)")
            }
        }
    }

    // MARK: start-up calibration

    @Test func calibrationReturnsOneOfTheGivenKernels() {
        let two = GEMMBackend.calibrate([portable, active], rounds: 2)
        #expect(two.index == 0 || two.index == 1)
        #expect(two.seconds.count == 2)
        #expect(two.seconds.allSatisfy { $0 > 0 && $0.isFinite })
        #expect(two.seconds[two.index] == two.seconds.min())
        let one = GEMMBackend.calibrate([active], rounds: 1)
        #expect(one.index == 0 && one.seconds.count == 1)
    }

    @Test func calibratedChoiceIsAnAvailableKernelAndRetuneGEMMOverridesIt() {
        // Unset: when both the own kernel and OpenBLAS are there, the backend is the
        // calibration's winner and its name says it was calibrated (no timing is asserted).
        let auto = GEMMBackend.load(environment: GEMMEnvironment([:]))
        if let c = auto.calibration {
            #expect(c.winner == .retune || c.winner == .openBLAS)
            #expect(auto.kind == c.winner)
            #expect(auto.name.contains("calibrated against"), "\(auto.name)")
            #expect(c.ownSeconds > 0 && c.openBLASSeconds > 0)
        } else {
            // Only one candidate: no own kernel on this CPU, or OpenBLAS absent / failed.
            #expect(FastGEMM.variant == nil || auto.kind != .openBLAS, "\(auto.name)")
        }
        // RETUNE_GEMM forces a backend: no calibration, whatever would have won.
        let forced = ["retune": GEMMBackend.Kind.retune, "openblas": .openBLAS, "simd": .simd, "portable": .portable]
        for (mode, kind) in forced {
            let b = GEMMBackend.load(environment: GEMMEnvironment(["RETUNE_GEMM": mode]))
            #expect(b.calibration == nil, "\(mode): \(b.name)")
            #expect(!b.name.contains("calibrated"), "\(mode): \(b.name)")
            if mode == "retune" && FastGEMM.variant == nil { continue }
            if mode == "openblas" && b.kind != .openBLAS {
                #expect(b.name.contains("not loadable") || b.name.contains("self-check"), "\(b.name)")
                continue
            }
            #expect(b.kind == kind, "\(mode): \(b.name)")
        }
    }

    // MARK: self-check and backend choice

    @Test func selfCheckPassesForPortableAndActiveKernels() {
        let p = GEMMBackend.selfCheck(portable)
        #expect(p.passed, "\(p.detail)")
        #expect(p.maxScaledError < 1e-5)
        let a = GEMMBackend.selfCheck(active)
        #expect(a.passed, "\(a.detail)")
    }

    @Test func selfCheckRejectsBrokenKernels() {
        // Off by a small factor (a wrong kernel that "almost" works).
        let scaled: SgemmKernel = { ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            PortableGEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: al * 1.001, a: a, lda: lda,
                               b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        let r1 = GEMMBackend.selfCheck(scaled)
        #expect(!r1.passed)
        #expect(r1.detail.contains("reference"))
        // Ignores transB (reads B as if not transposed).
        let noTrans: SgemmKernel = { ta, _, m, n, k, al, a, lda, b, ldb, be, c, ldc in
            PortableGEMM.sgemm(transA: ta, transB: false, m: m, n: n, k: min(k, ldb), alpha: al, a: a, lda: lda,
                               b: b, ldb: ldb, beta: be, c: c, ldc: ldc)
        }
        #expect(!GEMMBackend.selfCheck(noTrans).passed)
        // Leaves C untouched when beta is 0 (NaN stays).
        let noop: SgemmKernel = { _, _, _, _, _, _, _, _, _, _, _, _, _ in }
        let r3 = GEMMBackend.selfCheck(noop)
        #expect(!r3.passed)
        #expect(r3.maxScaledError == .infinity)
    }

    @Test func coretypeNeverOverridesEnvironment() {
        let all: CPUFeatures = [.x86_64, .avx2, .fma, .avx512f]
        #expect(CoretypeDecision.choose(environmentValue: "Prescott", features: all) == .keptFromEnvironment("Prescott"))
        #expect(CoretypeDecision.choose(environmentValue: "", features: all) == .keptFromEnvironment(""))
        #expect(CoretypeDecision.choose(environmentValue: nil, features: all) == .chosen("SkylakeX"))
        #expect(CoretypeDecision.choose(environmentValue: nil, features: [.x86_64, .avx2, .fma]) == .chosen("Haswell"))
        #expect(CoretypeDecision.choose(environmentValue: nil, features: [.x86_64, .avx2]) == .leftUnset)
        #expect(CoretypeDecision.choose(environmentValue: nil, features: [.aarch64]) == .leftUnset)
    }

    @Test func backendHonoursPortableOverrideAndNamesItself() {
        let b = GEMMBackend.load(environment: GEMMEnvironment(["RETUNE_GEMM": "portable"]))
        #expect(b.kind == .portable)
        #expect(b.name == "portable (RETUNE_GEMM=portable)")
        let s = GEMMBackend.load(environment: GEMMEnvironment(["RETUNE_GEMM": "simd"]))
        #expect(s.kind == .simd)
        #expect(s.name == "simd \(SimdGEMM.variant) (RETUNE_GEMM=simd)")
        #expect(s.selfCheck?.passed == true)
        #expect(["avx512f", "avx2", "baseline"].contains(SimdGEMM.variant))
        #expect(GEMMBackend.openBLASVersion(config: "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64") == "0.3.21")
        #expect(GEMMBackend.openBLASVersion(config: "") == nil)
    }

    @Test func activeBackendKernelNameIsDescriptive() {
        let b = GEMM.backend
        switch b.kind {
        case .openBLAS:
            #expect(b.name.hasPrefix("openblas "))
            let threads = "\(b.threads) thread\(b.threads == 1 ? "" : "s")"
            if b.calibration != nil {
                #expect(b.name.hasSuffix("(\(threads); calibrated against retune \(FastGEMM.variant ?? "?"))"), "\(b.name)")
            } else {
                #expect(b.name.hasSuffix("(\(threads))"), "\(b.name)")
            }
            #expect(b.selfCheck?.passed == true)
        case .retune:
            #expect(b.name.hasPrefix("retune \(FastGEMM.variant ?? "?") ("))
            #expect(b.selfCheck?.passed == true)
        case .simd:
            #expect(b.name.hasPrefix("simd "))
        case .portable:
            #expect(b.name.hasPrefix("portable"))
        }
    }

    // MARK: two-worker split

    @Test func batchSplitPartitionIsFixedAndCovering() {
        #expect(BatchSplit.ranges(count: 256, workers: 2) == [0..<128, 128..<256])
        #expect(BatchSplit.ranges(count: 5, workers: 2) == [0..<3, 3..<5])
        #expect(BatchSplit.ranges(count: 1, workers: 3) == [0..<1, 1..<1, 1..<1])
        #expect(BatchSplit.ranges(count: 0, workers: 2) == [0..<0, 0..<0])
    }

    @Test func twoWorkerGradientIsDeterministicAndCorrect() {
        // Gradient-like reduction: G = Xᵀ·D, split by rows over two workers, summed in order.
        let rows = 300, d = 32, h = 64
        let x = values(rows * d, seed: 11), dd = values(rows * h, seed: 12)
        func twoWorker() -> [Float] {
            let parts = (0..<2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: d * h) }
            defer { parts.forEach { $0.deallocate() } }
            let ranges = BatchSplit.ranges(count: rows, workers: 2)
            x.withUnsafeBufferPointer { xp in
                dd.withUnsafeBufferPointer { dp in
                    guard let x0 = xp.baseAddress, let d0 = dp.baseAddress else { return }
                    let shared = TestPointers(x: x0, d: d0, parts: parts)
                    BatchSplit.run(workers: 2) { w in
                        let r = ranges[w]
                        GEMM.sgemm(transA: true, transB: false, m: d, n: h, k: r.count, alpha: 1,
                                   a: shared.x + r.lowerBound * d, lda: d, b: shared.d + r.lowerBound * h, ldb: h,
                                   beta: 0, c: shared.parts[w], ldc: h)
                    }
                }
            }
            var out = [Float](repeating: 0, count: d * h)
            out.withUnsafeMutableBufferPointer { op in
                if let o = op.baseAddress {
                    BatchSplit.reduce(into: o, parts: parts.map { UnsafePointer($0) }, count: d * h)
                }
            }
            return out
        }
        let first = twoWorker()
        for _ in 0..<5 { #expect(twoWorker().map(\.bitPattern) == first.map(\.bitPattern)) }
        let ref = PortableGEMM.referenceProduct(transA: true, transB: false, m: d, n: h, k: rows, alpha: 1,
                                                a: x, lda: d, b: dd, ldb: h, beta: 0, c: [], ldc: h)
        for i in first.indices { #expect(abs(Double(first[i]) - ref[i]) < 1e-3) }
    }
}

private struct TestPointers: @unchecked Sendable {
    var x: UnsafePointer<Float>
    var d: UnsafePointer<Float>
    var parts: [UnsafeMutablePointer<Float>]
}

@Suite struct AdamKernelTests {
    @Test func vectorisedUpdateEqualsScalarFormulaBitForBit() {
        let n = 1037   // not a multiple of any vector width
        var p = values(n, seed: 21), m = values(n, seed: 22).map { $0 * 0.1 }
        var v = values(n, seed: 23).map { $0 * $0 * 0.01 }
        let g = values(n, seed: 24)
        var rp = p, rm = m, rv = v
        for t in 1...3 {
            p.withUnsafeMutableBufferPointer { pp in
                m.withUnsafeMutableBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        g.withUnsafeBufferPointer { gp in
                            if let p0 = pp.baseAddress, let m0 = mp.baseAddress, let v0 = vp.baseAddress, let g0 = gp.baseAddress {
                                AdamKernel.update(params: p0, grads: g0, m: m0, v: v0, count: n, lr: 1e-3, t: t)
                            }
                        }
                    }
                }
            }
            AdamKernel.referenceUpdate(params: &rp, grads: g, m: &rm, v: &rv, lr: 1e-3, t: t)
        }
        #expect(p.map(\.bitPattern) == rp.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == rm.map(\.bitPattern))
        #expect(v.map(\.bitPattern) == rv.map(\.bitPattern))
        // And it moved: first step of Adam is ≈ lr·sign(g) per element.
        let q = values(n, seed: 21)
        #expect(abs(Double(q[0] - rp[0])) > 1e-4)
    }
}
