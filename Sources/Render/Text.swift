/// ANSI styling and terminal display-width helpers shared by the renderers.
public enum ANSI {
    public static let reset = "\u{1B}[0m"
    public static let bold = "\u{1B}[1m"
    public static let dim = "\u{1B}[2m"

    /// Foreground colours used for series, in order (blue, red, green, yellow, magenta, cyan,
    /// then the bright variants).
    public static let seriesColors: [String] = [
        "\u{1B}[34m", "\u{1B}[31m", "\u{1B}[32m", "\u{1B}[33m", "\u{1B}[35m", "\u{1B}[36m",
        "\u{1B}[94m", "\u{1B}[91m", "\u{1B}[92m", "\u{1B}[93m", "\u{1B}[95m", "\u{1B}[96m",
    ]

    /// `text` wrapped in `code` … reset when `on`, unchanged otherwise (and when empty).
    public static func style(_ text: String, _ code: String, on: Bool) -> String {
        on && !text.isEmpty ? code + text + reset : text
    }

    /// Removes ANSI CSI escape sequences (`ESC [ … letter`).
    public static func strip(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var inEscape = false
        var sawBracket = false
        for u in text.unicodeScalars {
            if inEscape {
                if !sawBracket { sawBracket = (u == "["); if !sawBracket { inEscape = false }; continue }
                if (0x40...0x7E).contains(u.value) { inEscape = false }
                continue
            }
            if u.value == 0x1B { inEscape = true; sawBracket = false; continue }
            out.append(u)
        }
        return String(out)
    }
}

public enum TextWidth {
    /// `text` word-wrapped into lines of at most `width` columns; a word longer than a line is
    /// cut. Used by tables that wrap long cells and by help text.
    public static func wrap(_ text: String, width: Int) -> [String] {
        let width = max(1, width)
        var lines: [String] = []
        var current = ""
        func flush() { if !current.isEmpty { lines.append(current); current = "" } }
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            var w = word
            while of(w) > width {
                flush()
                var head = ""
                for c in w {
                    if of(head + String(c)) > width { break }
                    head.append(c)
                }
                if head.isEmpty, let first = w.first { head = String(first) }
                lines.append(head)
                w = String(w.dropFirst(head.count))
            }
            if w.isEmpty { continue }
            if current.isEmpty {
                current = w
            } else if of(current) + 1 + of(w) <= width {
                current += " " + w
            } else {
                flush()
                current = w
            }
        }
        flush()
        return lines.isEmpty ? [""] : lines
    }

    /// Columns a string occupies in a terminal: combining marks and zero-width characters
    /// count 0, East Asian wide/fullwidth characters and emoji 2, everything else 1.
    /// ANSI escape sequences are ignored.
    public static func of(_ text: String) -> Int {
        var w = 0
        var inEscape = false
        for u in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(u.value) && u != "[" { inEscape = false }
                continue
            }
            if u.value == 0x1B { inEscape = true; continue }
            w += scalarWidth(u)
        }
        return w
    }

    static func scalarWidth(_ u: Unicode.Scalar) -> Int {
        let v = u.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v == 0x200B || v == 0x200C || v == 0x200D || v == 0xFEFF || (0xFE00...0xFE0F).contains(v) { return 0 }
        switch u.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return 0
        default: break
        }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    /// `text` padded with spaces to `width` columns, on the right (left-aligned) or the left.
    public static func pad(_ text: String, to width: Int, rightAlign: Bool = false) -> String {
        let w = of(text)
        if w >= width { return text }
        let fill = String(repeating: " ", count: width - w)
        return rightAlign ? fill + text : text + fill
    }

    /// `text` cut to at most `width` columns, ending in `…` when cut. Escape-free text only.
    public static func truncate(_ text: String, to width: Int) -> String {
        if of(text) <= width { return text }
        if width <= 0 { return "" }
        var out = ""
        var w = 0
        for ch in text {
            let cw = of(String(ch))
            if w + cw > width - 1 { break }
            out.append(ch)
            w += cw
        }
        return out + "…"
    }

    /// Removes trailing spaces.
    static func rstrip(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
