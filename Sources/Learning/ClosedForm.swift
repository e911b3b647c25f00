import CKernels
import Foundation
import Tabular

/// Closed-form fits in Float64 on the standardised design (intercept first in θ).
///
/// Objectives (θ = [intercept, w], X standardised by the preprocessor):
/// - linear exact:   Σ (y − θ·[1,x])² + l2·‖w‖² + anchor·‖θ − θ_parent‖²
///   (equivalently ½ of it: the halves of the loss and of λ/2·‖·‖² cancel the same way), solved
///   by the normal equations in one pass over the design (`normalEquations`: Gram matrix,
///   Cholesky, one step of iterative refinement) when every column is well determined, else by
///   Householder QR on the design augmented with √l2 and √anchor rows;
/// - logistic/softmax (Newton): Σ logloss + l2/2·‖w‖² + anchor/2·‖θ − θ_parent‖².
/// The anchor includes the intercept. anchor → 0 is a retrain on the data with the parent's
/// preprocessing; anchor → ∞ returns the parent's parameters.
enum ClosedForm {
    struct Fit {
        var layer: DenseLayer
        var iterations: Int
        var converged: Bool
        var flops: Double
        var warnings: [String] = []
        var interrupted = false
    }

    /// θ of a single-layer model in class-major order: for class k, [b_k, w_1k … w_pk].
    static func theta(of layer: DenseLayer) -> [Double] {
        let p = layer.inputs, k = layer.outputs
        var t = [Double](repeating: 0, count: k * (p + 1))
        for c in 0..<k {
            t[c * (p + 1)] = layer.bias[c]
            for j in 0..<p { t[c * (p + 1) + 1 + j] = layer.weights[j * k + c] }
        }
        return t
    }

    /// θ of λ·layer + p·fresh (Glorot uniform, seeded; biases only shrunk), as `theta(of:)` lays it out.
    static func shrunk(_ layer: DenseLayer, _ sp: ShrinkPerturb, seed: UInt64) -> [Double] {
        let p = layer.inputs, k = layer.outputs
        var rng = LearningRandom(seed: ShrinkPerturb.seed(seed))
        let limit = (6.0 / Double(p + k)).squareRoot()
        var t = theta(of: layer)
        for c in 0..<k { t[c * (p + 1)] *= sp.shrink }
        // Drawn in the weights' storage order (input-major), as the iterative path draws them.
        for j in 0..<p {
            for c in 0..<k {
                let fresh = (rng.nextDouble() * 2 - 1) * limit
                t[c * (p + 1) + 1 + j] = sp.shrink * t[c * (p + 1) + 1 + j] + sp.perturb * fresh
            }
        }
        return t
    }

    static func layer(from t: [Double], inputs p: Int, outputs k: Int) -> DenseLayer {
        var w = [Double](repeating: 0, count: p * k)
        var b = [Double](repeating: 0, count: k)
        for c in 0..<k {
            b[c] = t[c * (p + 1)]
            for j in 0..<p { w[j * k + c] = t[c * (p + 1) + 1 + j] }
        }
        return DenseLayer(inputs: p, outputs: k, weights: w, bias: b)
    }

    /// The training design of an exact linear fit: a written-out matrix, or a prepared design
    /// whose rows are produced `blockRows` at a time from the dataset's columns, so that the
    /// normal equations, their refinement and the training outputs never hold a copy of the data
    /// (the whole matrix is written only when the QR fallback needs it).
    enum LinearDesign {
        case matrix(DesignMatrix)
        case prepared(PreparedDesign)

        /// Rows of one produced block: even (ck_gram_upper pairs rows from the start of each
        /// call), 256 × 32 features = 64 KB.
        static let blockRows = 256

        var rows: Int { switch self { case .matrix(let d): return d.rows; case .prepared(let d): return d.rows } }
        var cols: Int { switch self { case .matrix(let d): return d.cols; case .prepared(let d): return d.cols } }
        var featureNames: [String] {
            switch self { case .matrix(let d): return d.featureNames; case .prepared(let d): return d.featureNames }
        }
        var matrix: DesignMatrix {
            switch self { case .matrix(let d): return d; case .prepared(let d): return d.materialised() }
        }

        /// Calls `body(first row, row count, rows)` over consecutive blocks of rows, row-major
        /// (`cols` values a row); every block but the last has an even number of rows. Returns
        /// false (calling nothing) when there is no row or feature to read.
        func forEachBlock(_ body: (Int, Int, UnsafePointer<Double>) -> Void) -> Bool {
            guard rows > 0, cols > 0 else { return false }
            switch self {
            case .matrix(let d):
                guard d.x.count == d.rows * d.cols else { return false }
                return d.x.withUnsafeBufferPointer { xp in
                    guard let x0 = xp.baseAddress else { return false }
                    body(0, d.rows, x0)
                    return true
                }
            case .prepared(let d):
                var scratch = [Double](repeating: 0, count: Swift.min(Self.blockRows, d.rows) * d.cols)
                return scratch.withUnsafeMutableBufferPointer { sp in
                    guard let s0 = sp.baseAddress else { return false }
                    var start = 0
                    while start < d.rows {
                        let end = Swift.min(start + Self.blockRows, d.rows)
                        d.fill(start..<end, into: s0)
                        body(start, end - start, UnsafePointer(s0))
                        start = end
                    }
                    return true
                }
            }
        }
    }

    /// The outputs θ0 + Σ θ_j x_j of a one-output linear layer on every row (`ck_linear_outputs`,
    /// the sums of `TrainedModel`'s Float64 forward pass), before the output mapping.
    static func outputs(_ layer: DenseLayer, _ d: LinearDesign) -> [Double] {
        let theta = [layer.bias[0]] + layer.weights
        var out = [Double](repeating: 0, count: d.rows)
        out.withUnsafeMutableBufferPointer { op in
            guard let o0 = op.baseAddress else { return }
            _ = d.forEachBlock { start, count, x in ck_linear_outputs(x, count, layer.inputs, theta, o0 + start) }
        }
        return out
    }

    static func linear(_ design: LinearDesign, y: [Double], l2: Double, anchor: Double, parent: [Double]?) throws -> Fit {
        let n = design.rows, p = design.cols, q = p + 1
        let ridgeRows = l2 > 0 ? p : 0
        let anchorRows = (anchor > 0 && parent != nil) ? q : 0
        let m = n + ridgeRows + anchorRows
        if m < q {
            throw LearningError.notEnoughData("least squares needs at least \(q) rows for \(p) features and an intercept, got \(n)")
        }
        if let fit = normalEquations(design, y: y, l2: l2, anchor: anchorRows > 0 ? anchor : 0, parent: parent) { return fit }
        let d = design.matrix
        var a = [Double](repeating: 0, count: m * q)
        var b = [Double](repeating: 0, count: m)
        for i in 0..<n {
            a[i * q] = 1
            for j in 0..<p { a[i * q + 1 + j] = d.x[i * p + j] }
            b[i] = y[i]
        }
        if ridgeRows > 0 {
            let s = l2.squareRoot()
            for j in 0..<p { a[(n + j) * q + 1 + j] = s }
        }
        if anchorRows > 0, let parent {
            let s = anchor.squareRoot()
            for j in 0..<q { a[(n + ridgeRows + j) * q + j] = s; b[n + ridgeRows + j] = s * parent[j] }
        }
        let (x, dependent) = LinearAlgebra.leastSquares(a, rows: m, cols: q, b)
        if dependent.contains(0) { throw LearningError.singular("no rows to fit the intercept") }
        var warnings: [String] = []
        if !dependent.isEmpty {
            let names = dependent.map { "'\(d.featureNames[$0 - 1])'" }.joined(separator: ", ")
            warnings.append("\(names) \(dependent.count == 1 ? "is a linear combination" : "are linear combinations") of earlier columns (collinear, constant, or a one-hot level implied by the others): coefficient fixed at 0")
        }
        let flops = 2.0 * Double(m) * Double(q) * Double(q)
        return Fit(layer: layer(from: x, inputs: p, outputs: 1), iterations: 1, converged: true, flops: flops, warnings: warnings)
    }

    /// Relative Cholesky pivot (the squared share of a column's norm that earlier columns do not
    /// explain) at or above which the normal equations are used; below `dependentPivot` a column is
    /// taken as a linear combination of earlier ones (coefficient 0, as the QR does); between the
    /// two the QR decides. At 1e-6 the condition number of the fit is at most about 10³·√q, so the
    /// normal equations lose at most ~1e-10 relative before the refinement step restores it.
    static let wellDeterminedPivot = 1e-6
    static let dependentPivot = 1e-10

    /// The linear exact fit through the normal equations: one pass of `ck_gram_upper` over the
    /// rows, block by block (no copy of the design), the penalties on the diagonal, Cholesky in
    /// column order, and one step of iterative refinement with the true residual (a second
    /// pass). Returns nil when a column is neither well determined nor clearly dependent: the QR
    /// path then decides. The blocks give the bits of one pass over a written-out matrix.
    static func normalEquations(_ d: LinearDesign, y: [Double], l2: Double, anchor: Double, parent: [Double]?) -> Fit? {
        let n = d.rows, p = d.cols, q = p + 1, w = p + 2
        guard n >= q, p > 0, y.count >= n else { return nil }
        var g = [Double](repeating: 0, count: w * w)
        let ok = y.withUnsafeBufferPointer { yp in
            g.withUnsafeMutableBufferPointer { gp -> Bool in
                guard let y0 = yp.baseAddress, let g0 = gp.baseAddress else { return false }
                return d.forEachBlock { start, count, x in ck_gram_upper(x, y0 + start, count, p, g0) }
            }
        }
        guard ok else { return nil }
        // H = AᵀA + D (D: l2 on the weights, anchor on every parameter), c = Aᵀy + anchor·θ_parent.
        var h = [Double](repeating: 0, count: q * q), c = [Double](repeating: 0, count: q)
        for j in 0..<q {
            for l in j..<q { h[j * q + l] = g[j * w + l]; h[l * q + j] = g[j * w + l] }
            c[j] = g[j * w + w - 1]
            if j > 0 { h[j * q + j] += l2 }
        }
        let anchored = anchor > 0 && parent != nil
        if anchored, let parent {
            for j in 0..<q { h[j * q + j] += anchor; c[j] += anchor * parent[j] }
        }
        guard h.allSatisfy(\.isFinite), c.allSatisfy(\.isFinite) else { return nil }
        // Cholesky in column order; a dependent column is removed (row and column zeroed, unit
        // diagonal, coefficient 0) and the factorisation restarted.
        var dependent: [Int] = []
        var l: [Double]
        while true {
            // A pivot is judged by the share of its column's variance it keeps.
            var ratio = 0.0
            let (factor, rejected) = LinearAlgebra.choleskyFactor(h, n: q) { k, dk in
                ratio = h[k * q + k] > 0 ? dk / h[k * q + k] : 0
                return ratio >= wellDeterminedPivot
            }
            guard let k = rejected else { l = factor; break }
            if !(ratio < dependentPivot) || dependent.contains(k) || k == 0 { return nil }
            dependent.append(k)
            for t in 0..<q { h[k * q + t] = 0; h[t * q + k] = 0 }
            h[k * q + k] = 1
            c[k] = 0
        }
        func solve(_ rhs: [Double]) -> [Double] {
            var z = LinearAlgebra.choleskySubstitute(l, n: q, rhs)
            for k in dependent { z[k] = 0 }
            return z
        }
        var theta = solve(c)
        // One refinement step: r = (Aᵀy + anchor·θp) − (AᵀA + D)θ computed from the rows.
        var r = [Double](repeating: 0, count: q)
        y.withUnsafeBufferPointer { yp in
            r.withUnsafeMutableBufferPointer { rp in
                guard let y0 = yp.baseAddress, let r0 = rp.baseAddress else { return }
                _ = d.forEachBlock { start, count, x in ck_residual_gradient(x, y0 + start, count, p, theta, r0) }
            }
        }
        for j in 1..<q { r[j] -= l2 * theta[j] }
        if anchored, let parent { for j in 0..<q { r[j] += anchor * (parent[j] - theta[j]) } }
        for k in dependent { r[k] = 0 }
        let delta = solve(r)
        for j in 0..<q { theta[j] += delta[j] }
        guard theta.allSatisfy(\.isFinite) else { return nil }
        var warnings: [String] = []
        if !dependent.isEmpty {
            let names = dependent.sorted().map { "'\(d.featureNames[$0 - 1])'" }.joined(separator: ", ")
            warnings.append("\(names) \(dependent.count == 1 ? "is a linear combination" : "are linear combinations") of earlier columns (collinear, constant, or a one-hot level implied by the others): coefficient fixed at 0")
        }
        let flops = Double(n) * Double(w) * Double(w) + 4 * Double(n) * Double(q)
        return Fit(layer: layer(from: theta, inputs: p, outputs: 1), iterations: 1, converged: true, flops: flops, warnings: warnings)
    }

    /// Stable log(1 + e^z).
    @inline(__always) static func softplus(_ z: Double) -> Double {
        z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
    }

    /// Binary (classes == 2, one logit) or multinomial (K logits) Newton with backtracking.
    static func newton(_ d: DesignMatrix, y: [Double], classes: Int, binary: Bool, l2: Double,
                       anchor: Double, parent: [Double]?, maxIterations: Int = 200,
                       shouldStop: () -> Bool = { false }) throws -> Fit {
        let n = d.rows, p = d.cols, q = p + 1
        let k = binary ? 1 : classes
        let dim = k * q
        var theta = parent ?? [Double](repeating: 0, count: dim)
        let a = parent != nil ? anchor : 0
        let yi = y.map { Int($0) }

        func row(_ i: Int, _ j: Int) -> Double { j == 0 ? 1 : d.x[i * p + j - 1] }

        func objective(_ t: [Double]) -> Double {
            var f = 0.0
            var z = [Double](repeating: 0, count: k)
            for i in 0..<n {
                for c in 0..<k {
                    var s = t[c * q]
                    for j in 0..<p { s += t[c * q + 1 + j] * d.x[i * p + j] }
                    z[c] = s
                }
                if binary {
                    f += softplus(z[0]) - (yi[i] == 1 ? z[0] : 0)
                } else {
                    var m = -Double.infinity
                    for c in 0..<k { m = max(m, z[c]) }
                    var s = 0.0
                    for c in 0..<k { s += exp(z[c] - m) }
                    f += m + log(s) - z[yi[i]]
                }
            }
            for c in 0..<k {
                for j in 1..<q { f += 0.5 * l2 * t[c * q + j] * t[c * q + j] }
            }
            if a > 0, let parent {
                for i in 0..<dim { f += 0.5 * a * (t[i] - parent[i]) * (t[i] - parent[i]) }
            }
            return f
        }

        var iterations = 0
        var converged = false
        var f = objective(theta)
        var flops = 0.0
        var probs = [Double](repeating: 0, count: k)
        var interrupted = false
        while iterations < maxIterations {
            if shouldStop() { interrupted = true; break }
            iterations += 1
            var g = [Double](repeating: 0, count: dim)
            var h = [Double](repeating: 0, count: dim * dim)
            for i in 0..<n {
                for c in 0..<k {
                    var s = theta[c * q]
                    for j in 0..<p { s += theta[c * q + 1 + j] * d.x[i * p + j] }
                    probs[c] = s
                }
                if binary {
                    let pr = OutputMath.sigmoid(probs[0])
                    let r = pr - (yi[i] == 1 ? 1 : 0)
                    let w = pr * (1 - pr)
                    for j in 0..<q {
                        let xj = row(i, j)
                        g[j] += r * xj
                        let wx = w * xj
                        for l in j..<q { h[j * dim + l] += wx * row(i, l) }
                    }
                } else {
                    OutputMath.softmaxRow(&probs, offset: 0, width: k)
                    for c in 0..<k {
                        let r = probs[c] - (yi[i] == c ? 1 : 0)
                        for j in 0..<q { g[c * q + j] += r * row(i, j) }
                        for c2 in c..<k {
                            let w = probs[c] * ((c == c2 ? 1 : 0) - probs[c2])
                            if w == 0 { continue }
                            for j in 0..<q {
                                let wx = w * row(i, j)
                                let rowBase = (c * q + j) * dim + c2 * q
                                for l in 0..<q { h[rowBase + l] += wx * row(i, l) }
                            }
                        }
                    }
                }
            }
            flops += Double(n) * Double(dim) * Double(dim)
            // symmetrise (upper → lower), add penalties
            for r in 0..<dim {
                for c in (r + 1)..<max(dim, r + 1) where c < dim { h[c * dim + r] = h[r * dim + c] }
            }
            for c in 0..<k {
                for j in 1..<q { g[c * q + j] += l2 * theta[c * q + j]; h[(c * q + j) * dim + c * q + j] += l2 }
            }
            if a > 0, let parent {
                for i in 0..<dim { g[i] += a * (theta[i] - parent[i]); h[i * dim + i] += a }
            }
            var gmax = 0.0
            for v in g { gmax = max(gmax, abs(v)) }
            if !gmax.isFinite { throw LearningError.diverged(epoch: 1, batch: iterations, loss: f) }
            if gmax <= 1e-10 * max(1, Double(n) * 1e-3) { converged = true; break }
            guard let step = LinearAlgebra.robustSolve(h, n: dim, g) else {
                throw LearningError.singular("the Newton system is singular (is a class perfectly separated with l2 0?); use l2 > 0")
            }
            flops += Double(dim) * Double(dim) * Double(dim) / 3
            var t = 1.0
            var accepted = false
            var candidate = theta
            var fNew = f
            for _ in 0..<40 {
                for i in 0..<dim { candidate[i] = theta[i] - t * step[i] }
                fNew = objective(candidate)
                let slope = zip(g, step).reduce(0.0) { $0 - $1.0 * $1.1 }
                if fNew.isFinite && fNew <= f + 1e-4 * t * slope + 1e-12 * abs(f) {
                    accepted = true
                    break
                }
                t *= 0.5
            }
            if !accepted { converged = gmax < 1e-6; break }
            var stepMax = 0.0, thetaMax = 0.0
            for i in 0..<dim { stepMax = max(stepMax, abs(t * step[i])); thetaMax = max(thetaMax, abs(candidate[i])) }
            theta = candidate
            f = fNew
            if stepMax <= 1e-13 * max(1, thetaMax) { converged = true; break }
        }
        return Fit(layer: layer(from: theta, inputs: p, outputs: k), iterations: iterations, converged: converged, flops: flops,
                   interrupted: interrupted)
    }
}
