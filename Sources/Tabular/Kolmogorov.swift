#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one-sample two-sided Kolmogorov–Smirnov distribution of D_n, as scipy's `kstwo`
/// (Simard & L'Ecuyer 2011 choice of methods): the survival function used by the asymptotic
/// two-sample test, `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
enum KolmogorovN {
    static let piSquared = Double.pi * Double.pi

    /// P(D_n ≥ x).
    static func sf(n: Int, x: Double) -> Double {
        guard n > 0, !x.isNaN else { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let logp: Double
            if n <= 140 {
                var p = 1.0
                for i in 1...n { p *= Double(i) / nd * (2 * t - 1) }
                return clip(1 - p)
            }
            logp = logGamma(nd + 1) - nd * log(nd) + nd * log(2 * t - 1)
            return clip(1 - exp(logp))
        }
        if t >= nd - 1 { return clip(2 * pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnov(n: n, d: x)) }
        let nxSquared = t * x
        if n <= 140 {
            // scipy uses Durbin (≤ 0.754693) and Pomeranz (≤ 4); both are exact, Durbin serves both.
            if nxSquared <= 4 { return clip(1 - durbinCDF(n: n, d: x)) }
            return clip(2 * smirnov(n: n, d: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnov(n: n, d: x)) }
        let cdf: Double
        if n <= 100_000 && nd * pow(x, 1.5) <= 1.4 {
            cdf = durbinCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    static func logGamma(_ x: Double) -> Double {
        let r: Double = lgamma(x)
        return r
    }

    static func clip(_ p: Double) -> Double { Swift.min(1, Swift.max(0, p)) }

    /// One-sided Smirnov P(D_n⁺ ≥ d) by the Birnbaum–Tingey sum (all terms positive), in logs.
    static func smirnov(n: Int, d: Double) -> Double {
        if d <= 0 { return 1 }
        if d >= 1 { return 0 }
        let nd = Double(n)
        let last = Int((nd * (1 - d)).rounded(.down))
        let logFactN = logGamma(nd + 1)
        var total = 0.0
        for j in 0...Swift.max(0, last) {
            let jd = Double(j)
            let a = d + jd / nd
            let b = 1 - d - jd / nd
            if b <= 0 && j < n { continue }
            var logTerm = logFactN - logGamma(jd + 1) - logGamma(nd - jd + 1) + (jd - 1) * log(a)
            if n - j > 0 { logTerm += (nd - jd) * log(b) }
            total += exp(logTerm)
        }
        return d * total
    }

    /// Durbin's matrix method (Marsaglia, Tsang & Wang 2003): P(D_n < d).
    static func durbinCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var H = [Double](repeating: 0, count: m * m)
        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        var fac = 1.0
        for j in 1...m {
            v[j - 1] = 1 - pow(h, Double(j))
            w[j - 1] = fac
            fac /= Double(j)
            v[j - 1] *= fac
        }
        let tt = pow(Swift.max(2 * h - 1, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1 + tt) * fac
        for i in 1..<m {
            for r in (i - 1)..<m { H[r * m + i] = w[r - (i - 1)] }
        }
        for r in 0..<m { H[r * m] = v[r] }
        for c in 0..<m { H[(m - 1) * m + c] = v[m - 1 - c] }

        func matmul(_ a: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: m * m)
            for i in 0..<m {
                for l in 0..<m {
                    let x = a[i * m + l]
                    if x == 0 { continue }
                    for j in 0..<m { out[i * m + j] += x * b[l * m + j] }
                }
            }
            return out
        }
        var power = [Double](repeating: 0, count: m * m)
        for i in 0..<m { power[i * m + i] = 1 }
        var nn = n
        var exponent = 0
        var hExponent = 0
        let big = 0x1p128, small = 0x1p-128
        while nn > 0 {
            if nn % 2 == 1 {
                power = matmul(power, H)
                exponent += hExponent
            }
            H = matmul(H, H)
            hExponent *= 2
            if abs(H[(k - 1) * m + (k - 1)]) > big {
                for i in H.indices { H[i] /= big }
                hExponent += 128
            }
            nn /= 2
        }
        var p = power[(k - 1) * m + (k - 1)]
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < small {
                p *= big
                exponent -= 128
            }
        }
        if exponent != 0 { p = scalbn(p, Int32(exponent)) }
        return clip(p)
    }

    /// Pelz–Good asymptotic expansion of P(D_n ≤ x).
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qlog = -piSquared / 8 / z2
        if qlog < -708 { return 0 }
        var q = exp(qlog)
        let pi4 = piSquared * piSquared, pi6 = pi4 * piSquared
        let k1a = -z2, k1b = piSquared / 4
        let k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * piSquared / 4, k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = piSquared * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * pow(z, 8)
        var K = [0.0, 0.0, 0.0, 0.0]
        let maxk = Int((16 * z / Double.pi).rounded(.up))
        if maxk >= 1 {
            for k in stride(from: maxk, through: 1, by: -1) {
                let m = Double(2 * k - 1)
                let m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
                let qpower = pow(q, Double(8 * k))
                let coeffs = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
                for i in 0..<4 { K[i] = K[i] * qpower + coeffs[i] }
            }
        }
        let sqrt2pi = (2 * Double.pi).squareRoot()
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for i in 0..<4 { K[i] = K[i] * q * sqrt2pi / divisors[i] }
        q = exp(-piSquared / 2 / z2)
        var k2extra = 0.0, k3extra = 0.0
        let sqrt3z = 3.0.squareRoot() * z
        if maxk >= 1 {
            for k in stride(from: maxk, through: 1, by: -1) {
                let ks = Double(k), ks2 = ks * ks
                let qp = pow(q, ks2)
                k2extra += ks2 * qp
                let kspi = Double.pi * ks
                k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp
            }
        }
        K[2] += k2extra * piSquared * sqrt2pi / (-36 * z3)
        K[3] += k3extra * piSquared * sqrt2pi / (216 * z6)
        let nd = Double(n)
        for i in 0..<4 { K[i] /= pow(nd, Double(i) / 2) }
        return K.reduce(0, +)
    }
}
