import Foundation
import Render

/// Verified replay: masks what legitimately changes between runs (times, dates, durations,
/// rates, session ids, paths) and compares numbers with a relative tolerance.
public enum Transcript {
    static let rules: [(NSRegularExpression, String)] = {
        let patterns: [(String, String)] = [
            // Checksums (`store copy`): they cover run times.
            (#"sha256:[0-9a-f]{64}"#, "sha256:<checksum>"),
            // The file a diagnostic names, however the script was given (relative or absolute).
            (#"^\S+?(?=:\d+:\d+: (?:error|warning|note):)"#, "<path>"),
            // ISO 8601 date-times and dates.
            (#"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"#, "<time>"),
            // The kernel release (`show environment`): machines of one kind run different builds.
            (#"\b(Linux|Darwin) [0-9][\w.+-]*"#, "$1 <release>"),
            // Clock times.
            (#"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b"#, "<time>"),
            // UUIDs (session ids).
            (#"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"#, "<id>"),
            // Rates: 1.2M rows/s, 350 runs/s.
            (#"[0-9][0-9.,]*\s*[kMG]?\s*(?:rows|runs|points|examples|MB)?/s\b"#, "<rate>"),
            // Durations: 0.123 s, 12 ms, 3.4s, 1m20s.
            (#"\b[0-9][0-9.]*\s*(?:ms|µs|us|ns|s|sec|min|h)\b"#, "<duration>"),
            // Absolute paths.
            (#"(?<![\w.])/(?:[\w.+-]+/)*[\w.+-]+"#, "<path>"),
        ]
        return patterns.compactMap { p in
            (try? NSRegularExpression(pattern: p.0)).map { ($0, p.1) }
        }
    }()

    /// A line with the volatile parts replaced by placeholders.
    public static func mask(_ line: String) -> String {
        var s = line
        for (re, replacement) in rules {
            let range = NSRange(s.startIndex..<s.endIndex, in: s)
            s = re.stringByReplacingMatches(in: s, range: range, withTemplate: replacement)
        }
        // Trailing spaces never matter.
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    /// Lines of a transcript that take part in the comparison (header comments are skipped).
    public static func comparableLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
            .filter { !$0.hasPrefix("#!") }
            .map(mask)
            .reversed().drop { $0.isEmpty }.reversed()
    }

    /// Whether two masked lines agree, numbers within `tolerance` relative.
    public static func linesMatch(_ a: String, _ b: String, tolerance: Double) -> Bool {
        if a == b { return true }
        let ta = tokens(a), tb = tokens(b)
        guard ta.count == tb.count else { return false }
        for (x, y) in zip(ta, tb) {
            switch (x, y) {
            case (.text(let p), .text(let q)): if p != q { return false }
            case (.number(let p, _), .number(let q, _)):
                if p == q || (p.isNaN && q.isNaN) { continue }
                let scale = max(abs(p), abs(q))
                if abs(p - q) > tolerance * scale { return false }
            default: return false
            }
        }
        return true
    }

    enum Token { case text(String), number(Double, String) }

    static func tokens(_ s: String) -> [Token] {
        var out: [Token] = []
        var text = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            let startsNumber = c.isASCII && (c.isNumber || ((c == "-" || c == ".") && s.index(after: i) < s.endIndex
                && s[s.index(after: i)].isASCII && s[s.index(after: i)].isNumber))
            if startsNumber {
                var j = s.index(after: i)
                while j < s.endIndex, s[j].isASCII, s[j].isNumber || s[j] == "." || s[j] == "e" || s[j] == "E"
                    || ((s[j] == "-" || s[j] == "+") && (s[s.index(before: j)] == "e" || s[s.index(before: j)] == "E")) {
                    j = s.index(after: j)
                }
                let lexeme = String(s[i..<j])
                if let v = Double(lexeme) {
                    if !text.isEmpty { out.append(.text(text)); text = "" }
                    out.append(.number(v, lexeme))
                    i = j
                    continue
                }
            }
            text.append(c)
            i = s.index(after: i)
        }
        if !text.isEmpty { out.append(.text(text)) }
        return out
    }

    /// Compares an expected transcript with an actual one; nil when they agree, else a unified diff.
    public static func compare(expected: String, actual: String, tolerance: Double,
                               expectedName: String, actualName: String) -> String? {
        let e = comparableLines(expected), a = comparableLines(actual)
        if e.count == a.count && zip(e, a).allSatisfy({ linesMatch($0, $1, tolerance: tolerance) }) {
            return nil
        }
        return UnifiedDiff.diff(expected: e, actual: a, expectedName: expectedName,
                                actualName: actualName, context: 3)
    }

    /// The first lines of a recorded transcript; skipped by the comparison.
    public static func header(script: String, kernel: String, version: String) -> String {
        "#! retune \(version) transcript of \(script)\n#! matrix kernel: \(kernel)\n"
    }
}
