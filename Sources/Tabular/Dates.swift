/// ISO-8601 dates and datetimes as seconds since 1970-01-01T00:00:00Z (proleptic Gregorian).
public enum ISODate {
    /// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date for days since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The kind of a parsed value.
    public enum Kind: Sendable { case date, datetime }

    /// Parses `YYYY-MM-DD` (date) or `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]` (datetime) from
    /// raw bytes; nil when the bytes are not such a value or name an impossible date.
    public static func parse(_ p: UnsafeRawBufferPointer) -> (seconds: Double, kind: Kind)? {
        let n = p.count
        guard n >= 10, p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-") else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                let c = p[i] &- 48
                if c > 9 { return nil }
                v = v * 10 + Int(c)
            }
            return v
        }
        guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return nil }
        let days = Double(daysFromCivil(year: year, month: month, day: day))
        if n == 10 { return (days * 86_400, .date) }
        guard n >= 16, p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: " "),
              p[13] == UInt8(ascii: ":"),
              let hour = digits(11, 2), let minute = digits(14, 2), hour < 24, minute < 60
        else { return nil }
        var seconds = Double(hour * 3600 + minute * 60)
        var i = 16
        if i < n, p[i] == UInt8(ascii: ":") {
            guard i + 3 <= n, let s = digits(i + 1, 2), s < 61 else { return nil }
            seconds += Double(s)
            i += 3
            if i < n, p[i] == UInt8(ascii: ".") {
                i += 1
                var scale = 0.1
                let start = i
                while i < n, p[i] &- 48 <= 9 {
                    seconds += Double(p[i] &- 48) * scale
                    scale /= 10
                    i += 1
                }
                if i == start { return nil }
            }
        }
        if i < n {
            if p[i] == UInt8(ascii: "Z"), i + 1 == n {
                i += 1
            } else if p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-"), i + 6 == n,
                      p[i + 3] == UInt8(ascii: ":"), let oh = digits(i + 1, 2), let om = digits(i + 4, 2) {
                let offset = Double(oh * 3600 + om * 60)
                seconds += p[i] == UInt8(ascii: "+") ? -offset : offset
                i = n
            } else {
                return nil
            }
        }
        return (days * 86_400 + seconds, .datetime)
    }

    /// Parses a Swift string (for literals in filters and split values).
    public static func parse(_ text: String) -> (seconds: Double, kind: Kind)? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { parse(UnsafeRawBufferPointer($0)) }
    }

    /// `YYYY-MM-DD`.
    public static func formatDate(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e14 else { return String(seconds) }
        let days = Int((seconds / 86_400).rounded(.down))
        let (y, m, d) = civilFromDays(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `YYYY-MM-DDTHH:MM:SS` (fractional seconds kept when present).
    public static func formatDateTime(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e14 else { return String(seconds) }
        let days = Int((seconds / 86_400).rounded(.down))
        let rest = seconds - Double(days) * 86_400
        let whole = Int(rest.rounded(.down))
        let frac = rest - Double(whole)
        var text = formatDate(seconds) + "T" + pad(whole / 3600, 2) + ":" + pad(whole / 60 % 60, 2)
            + ":" + pad(whole % 60, 2)
        if frac > 1e-9 {
            let ms = Int((frac * 1000).rounded())
            text += "." + pad(ms, 3)
        }
        return text
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(abs(v))
        let padded = s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        return v < 0 ? "-" + padded : padded
    }
}
