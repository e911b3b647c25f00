/// Prints diagnostics in one place:
///
///     NAME:LINE:COL: error: message
///     <the source line>
///     <spaces>^~~~~
///     note: …
///
/// Interactive input uses a source name such as `[3]`. The result has no trailing newline.
public enum DiagnosticFormatter {
    /// - Parameters:
    ///   - sourceName: file name, `[n]` for a cell, `-c` for a command-line argument.
    ///   - sourceText: the text the span points into.
    ///   - firstLine: the line number of the first line of `sourceText` (spans are absolute).
    ///   - color: wrap parts in ANSI colour codes.
    public static func format(_ d: Diagnostic, sourceName: String, sourceText: String,
                              firstLine: Int = 1, color: Bool = false) -> String {
        let bold = color ? "\u{1B}[1m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        let severityColor: String
        switch d.severity {
        case .error: severityColor = color ? "\u{1B}[1;31m" : ""
        case .warning: severityColor = color ? "\u{1B}[1;35m" : ""
        case .note: severityColor = color ? "\u{1B}[1;36m" : ""
        }
        let caretColor = color ? "\u{1B}[1;32m" : ""
        let noteColor = color ? "\u{1B}[1;36m" : ""

        var out: [String] = []
        let span = d.span
        let lines = sourceText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let lineIndex = span.start.line - firstLine
        let hasLocation = span.start.line > 0

        let location = hasLocation ? "\(sourceName):\(span.start.line):\(span.start.column):" : "\(sourceName):"
        out.append("\(bold)\(location)\(reset) \(severityColor)\(d.severity.rawValue):\(reset) \(bold)\(d.message)\(reset)")

        if hasLocation, lineIndex >= 0, lineIndex < lines.count {
            let line = Array(lines[lineIndex])
            out.append(String(line))
            let startColumn = max(1, min(span.start.column, line.count + 1))
            let endColumn: Int
            if span.end.line == span.start.line {
                endColumn = max(startColumn + 1, min(span.end.column, line.count + 1))
            } else {
                endColumn = max(startColumn + 1, line.count + 1)
            }
            var caret = ""
            for i in 0..<(startColumn - 1) {
                caret.append(line[i] == "\t" ? "\t" : " ")
            }
            caret += caretColor + "^" + String(repeating: "~", count: endColumn - startColumn - 1) + reset
            out.append(caret)
        }
        for note in d.notes {
            out.append("\(noteColor)note:\(reset) \(note)")
        }
        return out.joined(separator: "\n")
    }
}
