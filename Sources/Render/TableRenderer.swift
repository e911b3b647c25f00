/// How a table is printed. `table` is the aligned text layout that switches to vertical
/// records when it would be wider than the terminal (psql's `\x auto`).
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    case table, vertical, csv, tsv, json, markdown, html

    /// Parses a format name as typed by a user (`set format md`): `table`/`text`/`aligned`,
    /// `vertical`/`records`, `csv`, `tsv`, `json`, `markdown`/`md`, `html`/`htm`.
    public init?(name: String) {
        switch name.lowercased() {
        case "table", "text", "aligned": self = .table
        case "vertical", "records", "expanded": self = .vertical
        case "csv": self = .csv
        case "tsv": self = .tsv
        case "json": self = .json
        case "markdown", "md": self = .markdown
        case "html", "htm": self = .html
        default: return nil
        }
    }

    /// The export format named by a file's extension (`runs.csv` → `.csv`; `.md` → markdown),
    /// or nil when the extension is missing or unknown. Text layouts have no extension.
    public init?(fileExtensionOf path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        let ext = String(path[path.index(after: dot)...])
        guard let f = OutputFormat(name: ext), f != .table, f != .vertical else { return nil }
        self = f
    }

    /// True for machine-readable formats, which never carry colour, title or footer text.
    public var isMachineReadable: Bool { self == .csv || self == .tsv || self == .json }
}

/// Renders `Table` values. Pure: returns the text, the caller prints it.
///
/// Conventions (fixed so transcripts compare textually):
/// - text layouts format `.number` cells to 6 significant digits (`NumberFormat.significant`),
///   `.int` as integers, booleans as `true`/`false`; NaN and `.missing` print as `—`;
///   lines carry no trailing spaces; every rendering ends with a newline.
/// - a column is right-aligned when declared `.right` or when all its non-missing cells are
///   numbers.
/// - CSV follows RFC 4180 with **LF** line endings (`\n`, also after the last record); a field
///   is quoted when it holds a comma, a double quote, CR or LF, and quotes are doubled.
///   Numbers are written with full round-trip precision; NaN and missing are empty fields.
/// - TSV escapes backslash, tab, LF and CR as `\\`, `\t`, `\n`, `\r`.
/// - JSON is an array of objects (one per line), keys in column order (duplicates suffixed
///   `_2`, `_3`…), numbers round-trip, NaN/infinity/missing → `null`.
/// - Markdown and HTML show numbers like the text table (6 significant digits).
public enum TableRenderer {

    public static func render(_ table: Table, format: OutputFormat, width: Int = 80, color: Bool = false) -> String {
        switch format {
        case .table:
            let text = aligned(table, color: false)
            if table.columns.isEmpty || table.rows.isEmpty { return color ? aligned(table, color: true) : text }
            let widest = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { TextWidth.of(String($0)) }.max() ?? 0
            if widest > width {
                // Wrap long text cells within the width first; records only when even that fails.
                if let wrapped = alignedText(table, color: color, fitting: width) { return wrapped }
                return vertical(table, width: width, color: color)
            }
            return color ? aligned(table, color: true) : text
        case .vertical: return vertical(table, width: width, color: color)
        case .csv: return csv(table)
        case .tsv: return tsv(table)
        case .json: return json(table)
        case .markdown: return markdown(table)
        case .html: return html(table)
        }
    }

    // MARK: display text of cells

    /// The text a cell shows in human-readable layouts (text, vertical, markdown, HTML).
    public static func displayText(_ cell: Cell) -> String {
        switch cell {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .number(let x): return x.isNaN ? "—" : NumberFormat.significant(x, digits: 6)
        case .bool(let b): return b ? "true" : "false"
        case .missing: return "—"
        }
    }

    /// Text for terminal layouts: control characters made visible on one line.
    static func terminalText(_ cell: Cell) -> String {
        let s = displayText(cell)
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case "\n", "\r\n": out += "↵"
            case "\r": continue
            case "\t": out += " "
            default:
                if let u = ch.unicodeScalars.first, ch.unicodeScalars.count == 1, u.value < 0x20 || u.value == 0x7F {
                    out += "�"
                } else { out.append(ch) }
            }
        }
        return out
    }

    static func isNumeric(_ cell: Cell) -> Bool {
        switch cell {
        case .int, .number: return true
        default: return false
        }
    }

    /// Effective right alignment per column.
    static func rightAligned(_ table: Table) -> [Bool] {
        table.columns.enumerated().map { (i, col) in
            if col.alignment == .right { return true }
            var sawNumber = false
            for row in table.rows where i < row.count {
                switch row[i] {
                case .missing: continue
                case .int, .number: sawNumber = true
                default: return false
                }
            }
            return sawNumber
        }
    }

    static func cell(_ row: [Cell], _ i: Int) -> Cell { i < row.count ? row[i] : .missing }

    // MARK: aligned text

    /// The narrowest a wrapped text column becomes (or its header, if wider).
    static let minimumWrappedWidth = 12

    /// The aligned layout. With `fitting`, text columns (left-aligned) are narrowed, widest
    /// first, and their cells word-wrapped onto continuation lines until the table fits; nil
    /// when it cannot fit even so.
    static func aligned(_ table: Table, color: Bool) -> String { alignedText(table, color: color, fitting: nil) ?? "" }

    static func alignedText(_ table: Table, color: Bool, fitting maxWidth: Int?) -> String? {
        var lines: [String] = []
        if let t = table.title { lines.append(ANSI.style(t, ANSI.bold, on: color)) }
        let n = table.columns.count
        if n > 0 {
            let right = rightAligned(table)
            let headers = table.columns.map { terminalText(.text($0.name)) }
            var body = table.rows.map { row in (0..<n).map { terminalText(cell(row, $0)) } }
            var widths = headers.map { TextWidth.of($0) }
            for r in body { for i in 0..<n { widths[i] = max(widths[i], TextWidth.of(r[i])) } }
            if let maxWidth {
                var excess = widths.reduce(0, +) + 3 * (n - 1) - maxWidth
                let floor = headers.map { max(minimumWrappedWidth, TextWidth.of($0)) }
                while excess > 0 {
                    guard let i = (0..<n).filter({ !right[$0] && widths[$0] > floor[$0] }).max(by: { widths[$0] < widths[$1] }) else {
                        return nil
                    }
                    widths[i] -= 1
                    excess -= 1
                }
                // Rows become one line per wrapped line of their tallest cell.
                var physical: [[String]] = []
                for r in body {
                    let parts = (0..<n).map { i in TextWidth.of(r[i]) > widths[i] ? TextWidth.wrap(r[i], width: widths[i]) : [r[i]] }
                    let height = parts.map(\.count).max() ?? 1
                    for k in 0..<height { physical.append((0..<n).map { k < parts[$0].count ? parts[$0][k] : "" }) }
                }
                body = physical
            }
            let bar = ANSI.style("│", ANSI.dim, on: color)
            func line(_ cells: [String], bold: Bool) -> String {
                let padded = (0..<n).map { i -> String in
                    let isLastLeft = i == n - 1 && !right[i]
                    let p = isLastLeft ? cells[i] : TextWidth.pad(cells[i], to: widths[i], rightAlign: right[i])
                    return bold ? ANSI.style(p, ANSI.bold, on: color) : p
                }
                return TextWidth.rstrip(padded.joined(separator: " " + bar + " "))
            }
            lines.append(line(headers, bold: true))
            let sep = widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─")
            lines.append(ANSI.style(sep, ANSI.dim, on: color))
            for r in body { lines.append(line(r, bold: false)) }
            if table.rows.isEmpty { lines.append("(no rows)") }
        }
        lines.append(contentsOf: table.footer)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: vertical records

    static func vertical(_ table: Table, width: Int, color: Bool) -> String {
        var lines: [String] = []
        if let t = table.title { lines.append(ANSI.style(t, ANSI.bold, on: color)) }
        let n = table.columns.count
        if n > 0 {
            let keys = table.columns.map { terminalText(.text($0.name)) }
            let keyWidth = keys.map { TextWidth.of($0) }.max() ?? 0
            var valueWidth = 0
            let body = table.rows.map { row in (0..<n).map { terminalText(cell(row, $0)) } }
            for r in body { for v in r { valueWidth = max(valueWidth, TextWidth.of(v)) } }
            let ruleWidth = min(max(keyWidth + 3 + valueWidth, 0), max(width, 1))
            let bar = ANSI.style("|", ANSI.dim, on: color)
            for (k, r) in body.enumerated() {
                let head = "-[ RECORD \(k + 1) ]"
                let fill = String(repeating: "-", count: max(0, ruleWidth - TextWidth.of(head)))
                lines.append(ANSI.style(head + fill, ANSI.dim, on: color))
                for i in 0..<n {
                    let key = ANSI.style(TextWidth.pad(keys[i], to: keyWidth), ANSI.bold, on: color)
                    lines.append(TextWidth.rstrip(key + " " + bar + " " + r[i]))
                }
            }
            if table.rows.isEmpty { lines.append("(no rows)") }
        }
        lines.append(contentsOf: table.footer)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: CSV / TSV

    /// Field text for machine-readable exports: full precision, empty for missing/NaN.
    static func exportText(_ cell: Cell) -> String {
        switch cell {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .number(let x): return x.isNaN ? "" : NumberFormat.roundTrip(x)
        case .bool(let b): return b ? "true" : "false"
        case .missing: return ""
        }
    }

    /// One CSV field per RFC 4180.
    public static func csvField(_ s: String) -> String {
        let needsQuotes = s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return s }
        var out = "\""
        for u in s.unicodeScalars {
            if u == "\"" { out += "\"\"" } else { out.unicodeScalars.append(u) }
        }
        return out + "\""
    }

    static func csv(_ table: Table) -> String { delimited(table, separator: ",", field: csvField) }

    /// Header and rows, each field escaped by `field`, joined by `separator`, one line each.
    static func delimited(_ table: Table, separator: String, field: (String) -> String) -> String {
        let n = table.columns.count
        guard n > 0 else { return "" }
        var out = table.columns.map { field($0.name) }.joined(separator: separator) + "\n"
        for row in table.rows {
            out += (0..<n).map { field(exportText(cell(row, $0))) }.joined(separator: separator) + "\n"
        }
        return out
    }

    /// One TSV field: backslash, tab, LF and CR escaped.
    public static func tsvField(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func tsv(_ table: Table) -> String { delimited(table, separator: "\t", field: tsvField) }

    // MARK: JSON

    /// A JSON string literal (quotes included).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029 {
                    let hex = String(u.value, radix: 16, uppercase: false)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A JSON value for a cell: numbers round-trip, non-finite and missing are `null`.
    public static func jsonValue(_ cell: Cell) -> String {
        switch cell {
        case .text(let s): return jsonString(s)
        case .int(let i): return String(i)
        case .number(let x): return x.isFinite ? NumberFormat.roundTrip(x) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .missing: return "null"
        }
    }

    /// Column names made unique for use as JSON keys (`a`, `a_2`, `a_3`).
    static func uniqueKeys(_ names: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for name in names {
            var key = name
            var k = 2
            while seen.contains(key) { key = "\(name)_\(k)"; k += 1 }
            seen.insert(key)
            out.append(key)
        }
        return out
    }

    static func json(_ table: Table) -> String {
        let n = table.columns.count
        if table.rows.isEmpty || n == 0 { return "[]\n" }
        let keys = uniqueKeys(table.columns.map(\.name)).map(jsonString)
        let objects = table.rows.map { row in
            "  {" + (0..<n).map { keys[$0] + ": " + jsonValue(cell(row, $0)) }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    // MARK: Markdown

    /// Markdown table cell text: `|` and `\` escaped, newlines as `<br>`.
    public static func markdownCell(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            case "\n", "\r\n": out += "<br>"
            case "\r": continue
            case "\t": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    static func markdown(_ table: Table) -> String {
        var lines: [String] = []
        if let t = table.title { lines.append("**" + markdownCell(t) + "**"); lines.append("") }
        let n = table.columns.count
        if n > 0 {
            let right = rightAligned(table)
            let headers = table.columns.map { markdownCell($0.name) }
            let body = table.rows.map { row in (0..<n).map { markdownCell(displayText(cell(row, $0))) } }
            var widths = headers.map { max(3, TextWidth.of($0)) }
            for r in body { for i in 0..<n { widths[i] = max(widths[i], TextWidth.of(r[i])) } }
            func line(_ cells: [String]) -> String {
                "| " + (0..<n).map { TextWidth.pad(cells[$0], to: widths[$0], rightAlign: right[$0]) }
                    .joined(separator: " | ") + " |"
            }
            lines.append(line(headers))
            lines.append("| " + (0..<n).map { i in
                right[i] ? String(repeating: "-", count: widths[i] - 1) + ":" : String(repeating: "-", count: widths[i])
            }.joined(separator: " | ") + " |")
            for r in body { lines.append(line(r)) }
        }
        if !table.footer.isEmpty {
            lines.append("")
            lines.append(contentsOf: table.footer.map(markdownCell))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: HTML

    /// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
    public static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func html(_ table: Table) -> String {
        let n = table.columns.count
        let right = rightAligned(table)
        var out = "<table>\n"
        if let t = table.title { out += "<caption>" + htmlEscape(t) + "</caption>\n" }
        out += "<thead><tr>"
        for (i, c) in table.columns.enumerated() {
            out += (right[i] ? "<th class=\"num\">" : "<th>") + htmlEscape(c.name) + "</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for i in 0..<n {
                let text = htmlEscape(displayText(cell(row, i))).replacingNewlines()
                out += (right[i] ? "<td class=\"num\">" : "<td>") + text + "</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n"
        if !table.footer.isEmpty {
            out += "<tfoot>\n"
            for f in table.footer {
                out += "<tr><td colspan=\"\(max(n, 1))\">" + htmlEscape(f) + "</td></tr>\n"
            }
            out += "</tfoot>\n"
        }
        return out + "</table>\n"
    }
}

extension String {
    /// LF (and CRLF) replaced by `<br>` for HTML cells.
    func replacingNewlines() -> String {
        guard unicodeScalars.contains("\n") else { return self }
        var out = ""
        for ch in self {
            if ch == "\n" || ch == "\r\n" { out += "<br>" } else { out.append(ch) }
        }
        return out
    }
}
