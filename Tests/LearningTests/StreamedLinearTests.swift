import CKernels
import Foundation
import Testing
import Tabular
@testable import Learning

/// The exact linear fit reading its design block by block (`ClosedForm.LinearDesign.prepared`)
/// against the written-out matrix, and the kernels against the row-by-row arithmetic they
/// document (which the kernels before the blocked ones computed).
@Suite struct StreamedLinearTests {
    /// Columns x1 … xP (Gaussian, scaled and shifted per column), a categorical column, y linear
    /// in them plus noise. `collinear`: x3 = x1 + x2 + collinear · noise (0: exactly dependent).
    static func data(rows: Int, features p: Int, seed: UInt64, collinear: Double? = nil,
                     missingTargetEvery: Int? = nil, missingFeatureEvery: Int? = nil) -> Dataset {
        var rng = LearningRandom(seed: seed)
        var cols = [[Double]](repeating: [], count: p)
        var cat = [Int32](), y = [Double]()
        for i in 0..<rows {
            var s = 0.0
            for j in 0..<p {
                var v = rng.nextGaussian() * Double(j + 1) + Double(j) * 0.5
                if j == 2, let c = collinear, p > 2 { v = cols[0][i] + cols[1][i] + c * rng.nextGaussian() }
                cols[j].append(v)
                s += v * (j % 2 == 0 ? 1.5 : -0.75)
            }
            let c = Int32(rng.nextInt(below: 3))
            cat.append(c)
            var t = s + Double(c) * 0.3 + 2 + 0.1 * rng.nextGaussian()
            if let k = missingTargetEvery, i % k == k - 1 { t = .nan }
            y.append(t)
        }
        if let k = missingFeatureEvery { for i in stride(from: k / 2, to: rows, by: k) { cols[p - 1][i] = .nan } }
        var columns = (0..<p).map { Column.numeric("x\($0 + 1)", cols[$0]) }
        columns.append(.categorical("g", codes: cat, levels: ["a", "b", "c"]))
        columns.append(.numeric("y", y))
        return Dataset(name: "blocks", columns: columns, target: "y")
    }

    static func prepared(_ data: Dataset, impute: ImputeStrategy = .none) throws -> PreparedDesign {
        let features = data.columnNames.filter { $0 != "y" }
        let pre = try Preprocessor.fit(data, features: features, target: "y", classification: false, impute: impute)
        return try pre.prepare(data, requireTarget: true)
    }

    /// The row-by-row Gram matrix of [1, x, y] in pairs (ck_gram_upper's documented sums).
    static func gramReference(_ x: [Double], _ y: [Double], n: Int, p: Int) -> [Double] {
        let w = p + 2
        var g = [Double](repeating: 0, count: w * w)
        func row(_ i: Int) -> [Double] { [1] + Array(x[(i * p)..<((i + 1) * p)]) + [y[i]] }
        var i = 0
        while i + 1 < n {
            let a = row(i), b = row(i + 1)
            for j in 0..<w { for l in j..<w { g[j * w + l] = g[j * w + l] + (a[j] * a[l] + b[j] * b[l]) } }
            i += 2
        }
        if i < n {
            let a = row(i)
            for j in 0..<w { for l in j..<w { g[j * w + l] = g[j * w + l] + a[j] * a[l] } }
        }
        return g
    }

    @Test(arguments: [(1, 1), (2, 3), (63, 5), (64, 6), (65, 32), (257, 32), (130, 7), (41, 130)])
    func gramKernelGivesTheRowByRowBits(_ n: Int, _ p: Int) {
        var rng = LearningRandom(seed: UInt64(n * 1000 + p))
        let x = (0..<(n * p)).map { _ in rng.nextGaussian() * 3 + 1 }
        let y = (0..<n).map { _ in rng.nextGaussian() }
        let w = p + 2
        // The lower triangle is left alone: sentinels there must survive.
        var g = [Double](repeating: 0, count: w * w)
        for j in 0..<w { for l in 0..<j { g[j * w + l] = 42 } }
        ck_gram_upper(x, y, n, p, &g)
        let want = Self.gramReference(x, y, n: n, p: p)
        for j in 0..<w {
            for l in 0..<w {
                if l < j { #expect(g[j * w + l] == 42) } else { #expect(g[j * w + l].bitPattern == want[j * w + l].bitPattern, "n \(n) p \(p) (\(j), \(l))") }
            }
        }
        // Consecutive even blocks give the bits of one call.
        if n > 2 {
            var blocked = [Double](repeating: 0, count: w * w)
            let cut = (n / 3) & ~1
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    guard let x0 = xp.baseAddress, let y0 = yp.baseAddress else { return }
                    ck_gram_upper(x0, y0, cut, p, &blocked)
                    ck_gram_upper(x0 + cut * p, y0 + cut, n - cut, p, &blocked)
                }
            }
            for j in 0..<w { for l in j..<w { #expect(blocked[j * w + l].bitPattern == want[j * w + l].bitPattern) } }
        }
    }

    @Test(arguments: [(1, 1), (7, 3), (64, 32), (200, 32), (9, 130)])
    func residualAndOutputKernelsGiveTheRowByRowBits(_ n: Int, _ p: Int) {
        var rng = LearningRandom(seed: UInt64(7 * n + p))
        let x = (0..<(n * p)).map { _ in rng.nextGaussian() }
        let y = (0..<n).map { _ in rng.nextGaussian() * 10 }
        let theta = (0...p).map { _ in rng.nextGaussian() }
        var h = [Double](repeating: 0.5, count: p + 1), out = [Double](repeating: 0, count: n)
        ck_residual_gradient(x, y, n, p, theta, &h)
        ck_linear_outputs(x, n, p, theta, &out)
        var wantH = [Double](repeating: 0.5, count: p + 1)
        for i in 0..<n {
            var s = theta[0]
            for j in 0..<p { s = s + theta[j + 1] * x[i * p + j] }
            #expect(out[i].bitPattern == s.bitPattern)
            let r = y[i] - s
            wantH[0] = wantH[0] + r
            for j in 0..<p { wantH[j + 1] = wantH[j + 1] + r * x[i * p + j] }
        }
        #expect(h.map(\.bitPattern) == wantH.map(\.bitPattern))
    }

    /// `materialised()` writes what the row-by-row standardisation and one-hot encoding give.
    @Test func preparedDesignMaterialisesTheTransform() throws {
        let data = Self.data(rows: 700, features: 4, seed: 3, missingTargetEvery: 9, missingFeatureEvery: 50)
        let d = try Self.prepared(data, impute: .mean)
        let pre = try Preprocessor.fit(data, features: data.columnNames.filter { $0 != "y" }, target: "y",
                                       classification: false, impute: .mean)
        let m = d.materialised()
        let transformed = try pre.transform(data, requireTarget: true)
        #expect(m == transformed)
        #expect(m.rows == 700 - 700 / 9 && m.droppedRows == 700 / 9 && m.cols == 7)
        for (k, r) in m.sourceRows.enumerated() {
            for (j, f) in pre.features.enumerated() where j < 4 {
                guard case .numeric(let mean, let std, let fill) = f.kind, case .numeric(let v)? = data.column(named: f.name)?.storage else { continue }
                let value = v[r].isNaN ? (fill ?? mean) : v[r]
                #expect(m.x[k * 7 + j].bitPattern == ((value - mean) / std).bitPattern)
            }
        }
        // A block fill anywhere gives the same rows.
        var block = [Double](repeating: -1, count: 37 * 7)
        block.withUnsafeMutableBufferPointer { bp in if let b = bp.baseAddress { d.fill(100..<137, into: b) } }
        #expect(block == Array(m.x[(100 * 7)..<(137 * 7)]))
    }

    static func fit(_ design: ClosedForm.LinearDesign, _ y: [Double], l2: Double = 0, anchor: Double = 0,
                    parent: [Double]? = nil) throws -> ClosedForm.Fit {
        try ClosedForm.linear(design, y: y, l2: l2, anchor: anchor, parent: parent)
    }

    /// Blocks of 256 rows against the one written-out matrix: same bits, same warnings, for row
    /// counts below, at and around the block size, with rows dropped and one-hot columns.
    @Test(arguments: [40, 255, 256, 257, 1000, 1025])
    func blockedFitGivesTheBitsOfTheMatrixFit(_ n: Int) throws {
        let data = Self.data(rows: n, features: 5, seed: UInt64(n), missingTargetEvery: 11)
        let d = try Self.prepared(data)
        let y = try #require(d.y)
        for (l2, anchor) in [(0.0, 0.0), (2.5, 0.0), (0.0, 3.0), (0.7, 0.4)] {
            let parent: [Double]? = anchor > 0 ? (0...d.cols).map { Double($0) * 0.1 - 0.2 } : nil
            let a = try Self.fit(.prepared(d), y, l2: l2, anchor: anchor, parent: parent)
            let b = try Self.fit(.matrix(d.materialised()), y, l2: l2, anchor: anchor, parent: parent)
            #expect(a.layer == b.layer, "n \(n) l2 \(l2) anchor \(anchor)")
            #expect(a.warnings == b.warnings && a.flops == b.flops)
            #expect(ClosedForm.normalEquations(.prepared(d), y: y, l2: l2, anchor: anchor, parent: parent) != nil)
        }
    }

    /// A one-hot level implied by the others (every level present, plus the intercept) and an
    /// exactly collinear column: dependent pivots, coefficient 0 and the warning, both ways.
    @Test func dependentColumnsGiveTheSameWarningBothWays() throws {
        let data = Self.data(rows: 600, features: 4, seed: 5, collinear: 0)
        let d = try Self.prepared(data)
        let y = try #require(d.y)
        let a = try Self.fit(.prepared(d), y), b = try Self.fit(.matrix(d.materialised()), y)
        #expect(a.layer == b.layer)
        #expect(a.warnings == b.warnings)
        #expect(a.warnings.count == 1 && a.warnings[0].contains("'x3'") && a.warnings[0].contains("'g=c'"))
    }

    /// A nearly collinear column leaves its pivot between the two thresholds: the normal
    /// equations decline and the QR fit on the written-out design decides, as before.
    @Test func ambiguousPivotStillFallsBackToQR() throws {
        let data = Self.data(rows: 900, features: 3, seed: 6, collinear: 2e-4)
        let d = try Self.prepared(data)
        let y = try #require(d.y)
        #expect(ClosedForm.normalEquations(.prepared(d), y: y, l2: 0, anchor: 0, parent: nil) == nil)
        let a = try Self.fit(.prepared(d), y), b = try Self.fit(.matrix(d.materialised()), y)
        #expect(a.layer == b.layer && a.warnings == b.warnings)
        #expect(a.flops == 2.0 * 900 * Double(d.cols + 1) * Double(d.cols + 1), "the QR path's flop count")
    }

    /// Well-conditioned random data: the blocked normal equations agree with the QR reference to
    /// 1e-12 relative (the refinement step's accuracy).
    @Test func blockedFitAgreesWithQR() throws {
        let data = Self.data(rows: 3000, features: 12, seed: 8)
        let d = try Self.prepared(data)
        let y = try #require(d.y)
        let fit = try Self.fit(.prepared(d), y)
        let m = d.materialised()
        let q = m.cols + 1
        var a = [Double](repeating: 0, count: m.rows * q)
        for i in 0..<m.rows { a[i * q] = 1; for j in 0..<m.cols { a[i * q + 1 + j] = m.x[i * m.cols + j] } }
        let (theta, _) = LinearAlgebra.leastSquares(a, rows: m.rows, cols: q, y)
        let got = ClosedForm.theta(of: fit.layer)
        let scale = theta.map(abs).max() ?? 1
        #expect(fit.warnings.count == 1 && fit.warnings[0].hasPrefix("'g=c' is a linear combination"))
        for j in 0..<q {
            #expect(abs(got[j] - theta[j]) <= 1e-12 * scale, "θ\(j): \(got[j]) vs QR \(theta[j])")
        }
    }

    /// Through the trainer (the streamed path): the model, warnings and training metrics are those
    /// of the written-out design fitted and evaluated directly.
    @Test func trainerStreamedPathMatchesTheMatrixPath() throws {
        let data = Self.data(rows: 1500, features: 6, seed: 9, missingTargetEvery: 13, missingFeatureEvery: 40)
        let spec = ModelSpec(name: "ols", family: .linear, target: "y", solver: .exact, l2: 0.3)
        let result = try Trainer.train(spec: spec, data: data, options: TrainOptions(impute: .median))
        let pre = result.model.preprocessor
        let m = try pre.transform(data, requireTarget: true)
        let direct = try ClosedForm.linear(.matrix(m), y: try #require(m.y), l2: 0.3, anchor: 0, parent: nil)
        #expect(result.model.layers == [direct.layer])
        #expect(result.trainMetrics == Metrics.evaluate(result.model, design: m))
        #expect(result.trainRows == m.rows)
        #expect(result.warnings.contains { $0.hasPrefix("\(m.droppedRows) training rows left out") })
        #expect(result.curve.first?.trainLoss == Metrics.loss(result.trainMetrics, task: .regression))
    }
}
