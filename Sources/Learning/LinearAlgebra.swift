import Foundation

/// Small dense Float64 linear algebra for the closed-form solvers.
enum LinearAlgebra {
    /// Least squares `min ‖A·x − b‖` by Householder QR (A row-major m × n). A column that is
    /// (numerically) a linear combination of the columns before it is skipped and its
    /// coefficient fixed at 0 (the "basic" solution, as R's `lm` does for aliased terms); its
    /// index is returned in `dependent`.
    static func leastSquares(_ aIn: [Double], rows m: Int, cols n: Int, _ bIn: [Double]) -> (x: [Double], dependent: [Int]) {
        // Work on a column-major copy: every pass below walks one column, which is then
        // contiguous (the row-major walk touched one cache line per element: ~4× slower at
        // 1,000,000 × 33). The arithmetic and its order are unchanged, so results are identical.
        var a = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { a[j &* m &+ i] = aIn[i &* n &+ j] } }
        var b = bIn
        var colNorms = [Double](repeating: 0, count: n)
        var active: [Int] = []      // columns kept, in order; active[r] has its pivot at row r
        var rdiag: [Double] = []
        var dependent: [Int] = []
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                guard let a0 = ap.baseAddress, let b0 = bp.baseAddress else { return }
                for j in 0..<n {
                    let cj = a0 + j &* m
                    var s = 0.0
                    var i = 0
                    while i < m { s += cj[i] * cj[i]; i &+= 1 }
                    colNorms[j] = s.squareRoot()
                }
                for k in 0..<n {
                    let r = active.count
                    let ck = a0 + k &* m
                    var norm = 0.0
                    if r < m { var i = r; while i < m { norm = hypot(norm, ck[i]); i &+= 1 } }
                    if r >= m || norm == 0 || norm <= 1e-11 * colNorms[k] || colNorms[k] == 0 {
                        dependent.append(k)
                        continue
                    }
                    if ck[r] < 0 { norm = -norm }
                    var i = r
                    while i < m { ck[i] /= norm; i &+= 1 }
                    ck[r] += 1
                    let pivot = ck[r]
                    for j in (k + 1)..<max(n, k + 1) where j < n {
                        let cj = a0 + j &* m
                        var s = 0.0
                        i = r
                        while i < m { s += ck[i] * cj[i]; i &+= 1 }
                        s = -s / pivot
                        i = r
                        while i < m { cj[i] += s * ck[i]; i &+= 1 }
                    }
                    var s = 0.0
                    i = r
                    while i < m { s += ck[i] * b0[i]; i &+= 1 }
                    s = -s / pivot
                    i = r
                    while i < m { b0[i] += s * ck[i]; i &+= 1 }
                    rdiag.append(-norm)
                    active.append(k)
                }
            }
        }
        var x = [Double](repeating: 0, count: n)
        var r = active.count - 1
        while r >= 0 {
            var s = b[r]
            for t in (r + 1)..<max(active.count, r + 1) where t < active.count { s -= a[active[t] * m + r] * x[active[t]] }
            x[active[r]] = s / rdiag[r]
            r -= 1
        }
        return (x, dependent)
    }

    /// Solves the symmetric positive definite system `H·x = g` by Cholesky (H row-major n × n).
    /// Returns nil when H is not positive definite.
    static func choleskySolve(_ hIn: [Double], n: Int, _ g: [Double]) -> [Double]? {
        let (l, rejected) = choleskyFactor(hIn, n: n) { _, d in d > 0 && d.isFinite }
        guard rejected == nil else { return nil }
        return choleskySubstitute(l, n: n, g)
    }

    /// The lower Cholesky factor of H (row-major n × n), column by column. `accept(j, d)` judges
    /// each pivot d (column j's diagonal after the earlier columns are eliminated); the first
    /// pivot it rejects stops the factorisation and is returned as `rejected`.
    static func choleskyFactor(_ h: [Double], n: Int, accept: (Int, Double) -> Bool) -> (l: [Double], rejected: Int?) {
        var l = h
        for j in 0..<n {
            var d = l[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            if !accept(j, d) { return (l, j) }
            let djj = d.squareRoot()
            l[j * n + j] = djj
            for i in (j + 1)..<max(n, j + 1) where i < n {
                var s = l[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / djj
            }
        }
        return (l, nil)
    }

    /// Solves `L·Lᵀ·x = g` by forward and back substitution, L lower triangular row-major n × n.
    static func choleskySubstitute(_ l: [Double], n: Int, _ g: [Double]) -> [Double] {
        var y = g
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        var i = n - 1
        while i >= 0 {
            var s = y[i]
            for k in (i + 1)..<max(n, i + 1) where k < n { s -= l[k * n + i] * y[k] }
            y[i] = s / l[i * n + i]
            i -= 1
        }
        return y
    }

    /// Cholesky solve with increasing diagonal jitter when H is only semi-definite.
    static func robustSolve(_ h: [Double], n: Int, _ g: [Double]) -> [Double]? {
        if let x = choleskySolve(h, n: n, g) { return x }
        var maxDiag = 0.0
        for i in 0..<n { maxDiag = max(maxDiag, abs(h[i * n + i])) }
        var jitter = max(maxDiag, 1) * 1e-12
        for _ in 0..<12 {
            var hj = h
            for i in 0..<n { hj[i * n + i] += jitter }
            if let x = choleskySolve(hj, n: n, g) { return x }
            jitter *= 10
        }
        return nil
    }
}
