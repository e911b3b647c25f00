/// Locale-independent, deterministic number formatting.
///
/// Every function here derives its digits from Swift's shortest round-trip representation
/// (`Double.description`, which is locale-free and identical on every platform), then rounds
/// that decimal string **half away from zero** on its decimal digits. The output therefore
/// depends only on the `Double` value, never on the locale, the C library or the machine, so
/// transcripts can be compared textually.
public enum NumberFormat {

    /// A finite, non-zero double as decimal digits and a scientific exponent:
    /// value = ±0.d1d2d3… × 10^(exponent + 1), i.e. d1.d2d3… × 10^exponent.
    struct Decimal: Equatable {
        var negative: Bool
        /// Significant digits, no leading zeros, no trailing zeros (empty means zero).
        var digits: [UInt8]
        /// Scientific exponent of the first digit.
        var exponent: Int
    }

    /// Shortest round-trip digits of a finite double.
    static func decompose(_ x: Double) -> Decimal {
        var text = Substring(x.magnitude.description)
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var intPart = Substring(text)
        var fracPart = Substring("")
        if let dot = text.firstIndex(of: ".") {
            intPart = text[..<dot]
            fracPart = text[text.index(after: dot)...]
        }
        var all: [UInt8] = []
        for ch in intPart { if let v = ch.wholeNumberValue { all.append(UInt8(v)) } }
        let intCount = all.count
        for ch in fracPart { if let v = ch.wholeNumberValue { all.append(UInt8(v)) } }
        // value = 0.all × 10^(intCount + exp); find first non-zero digit.
        guard let first = all.firstIndex(where: { $0 != 0 }) else {
            return Decimal(negative: x.sign == .minus, digits: [], exponent: 0)
        }
        var digits = Array(all[first...])
        while let last = digits.last, last == 0 { digits.removeLast() }
        let sciExp = intCount + exp - first - 1
        return Decimal(negative: x.sign == .minus, digits: digits, exponent: sciExp)
    }

    /// Rounds decimal digits to `count` significant digits, half away from zero.
    static func round(_ d: Decimal, significant count: Int) -> Decimal {
        var d = d
        guard count > 0, d.digits.count > count else { return d }
        let roundUp = d.digits[count] >= 5
        var digits = Array(d.digits[..<count])
        if roundUp {
            var i = count - 1
            var carry = true
            while carry && i >= 0 {
                if digits[i] == 9 { digits[i] = 0; i -= 1 } else { digits[i] += 1; carry = false }
            }
            if carry { digits.insert(1, at: 0); digits.removeLast(); d.exponent += 1 }
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        d.digits = digits
        return d
    }

    /// Rounds to `places` digits after the decimal point, half away from zero.
    static func round(_ d: Decimal, decimalPlaces places: Int) -> Decimal {
        // Number of significant digits kept = exponent + 1 + places.
        let keep = d.exponent + 1 + places
        if keep >= d.digits.count { return d }
        if keep < 0 { return Decimal(negative: d.negative, digits: [], exponent: 0) }
        if keep == 0 {
            // Only the rounding digit is left: 0.5… rounds up to one unit in the last place.
            if let first = d.digits.first, first >= 5 {
                return Decimal(negative: d.negative, digits: [1], exponent: d.exponent + 1)
            }
            return Decimal(negative: d.negative, digits: [], exponent: 0)
        }
        return round(d, significant: keep)
    }

    static func digitString(_ digits: ArraySlice<UInt8>) -> String {
        String(digits.map { Character(Unicode.Scalar($0 + 48)) })
    }

    /// Positional notation of a decimal (no exponent), at least `minFraction` fraction digits.
    static func positional(_ d: Decimal, minFraction: Int = 0) -> String {
        if d.digits.isEmpty {
            return minFraction > 0 ? "0." + String(repeating: "0", count: minFraction) : "0"
        }
        var intPart: String
        var frac: String
        if d.exponent >= 0 {
            let n = d.exponent + 1
            if d.digits.count <= n {
                intPart = digitString(d.digits[...]) + String(repeating: "0", count: n - d.digits.count)
                frac = ""
            } else {
                intPart = digitString(d.digits[..<n])
                frac = digitString(d.digits[n...])
            }
        } else {
            intPart = "0"
            frac = String(repeating: "0", count: -d.exponent - 1) + digitString(d.digits[...])
        }
        if frac.count < minFraction { frac += String(repeating: "0", count: minFraction - frac.count) }
        let body = frac.isEmpty ? intPart : intPart + "." + frac
        return (d.negative ? "-" : "") + body
    }

    /// Exponent notation `d.ddde±XX` (at least two exponent digits, like C's `%g`).
    static func exponential(_ d: Decimal) -> String {
        guard let first = d.digits.first else { return "0" }
        var mantissa = String(Character(Unicode.Scalar(first + 48)))
        if d.digits.count > 1 { mantissa += "." + digitString(d.digits[1...]) }
        let e = d.exponent
        let mag = e < 0 ? -e : e
        let expDigits = mag < 10 ? "0\(mag)" : "\(mag)"
        return (d.negative ? "-" : "") + mantissa + "e" + (e < 0 ? "-" : "+") + expDigits
    }

    static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return nil
    }

    /// `x` to `digits` significant digits (default 6), trailing zeros removed, like C's `%g`:
    /// exponent form when the decimal exponent is below -4 or at least `digits`
    /// (`1.23457e+06`, `1.5e-05`), positional otherwise (`0.000123`, `3`, `-2.5`).
    /// `-0` prints as `0`; NaN as `NaN`; infinities as `inf` / `-inf`.
    public static func significant(_ x: Double, digits: Int = 6) -> String {
        if let s = nonFinite(x) { return s }
        let n = max(1, digits)
        let d = round(decompose(x), significant: n)
        if d.digits.isEmpty { return "0" }
        if d.exponent < -4 || d.exponent >= n {
            return exponential(d)
        }
        return positional(d)
    }

    /// `x` with exactly `decimals` digits after the point (`fixed(2.5, decimals: 2)` = `2.50`),
    /// rounded half away from zero; `-0.00` prints as `0.00`.
    public static func fixed(_ x: Double, decimals: Int) -> String {
        if let s = nonFinite(x) { return s }
        let places = max(0, decimals)
        var d = round(decompose(x), decimalPlaces: places)
        if d.digits.isEmpty { d.negative = false }
        return positional(d, minFraction: places)
    }

    /// Shortest text that reads back as exactly `x` (for CSV/JSON exports). Integral values
    /// below 2^53 in magnitude print without a fraction (`3`, not `3.0`); others use Swift's
    /// shortest representation (`0.1`, `1e-05`, `1.2345e+20`). Non-finite: `NaN`, `inf`, `-inf`.
    public static func roundTrip(_ x: Double) -> String {
        if let s = nonFinite(x) { return s }
        if x == x.rounded(), x.magnitude < 9_007_199_254_740_992 {
            if x == 0 { return x.sign == .minus ? "-0" : "0" }
            return String(Int64(x))
        }
        return x.description
    }

    /// An integer with thousands separators: `1234567` → `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out: [Character] = []
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + String(out)
    }

    /// Compact form with an SI suffix and 3 significant digits: `950`, `12.3k`, `4.56M`, `1.2G`.
    public static func compact(_ x: Double) -> String {
        if let s = nonFinite(x) { return s }
        let mag = x.magnitude
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where mag >= scale * 0.9995 {
            return significant(x / scale, digits: 3) + suffix
        }
        return significant(x, digits: 3)
    }

    /// A duration in seconds as `0.42s`, `12.3s`, `4:05` (m:ss) or `1:02:03` (h:mm:ss).
    public static func duration(_ seconds: Double) -> String {
        if seconds.isNaN { return "?" }
        if seconds.isInfinite { return "∞" }
        let s = max(0, seconds)
        if s < 10 { return fixed(s, decimals: 2) + "s" }
        if s < 60 { return fixed(s, decimals: 1) + "s" }
        let total = s < 9e15 ? Int(s.rounded()) : Int.max / 2
        let h = total / 3600, m = (total % 3600) / 60, sec = total % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if h > 0 { return "\(h):\(two(m)):\(two(sec))" }
        return "\(m):\(two(sec))"
    }
}
