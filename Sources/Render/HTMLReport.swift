/// Builds one self-contained static HTML page: inline CSS, no scripts, no external resources.
/// Text is escaped; SVG added with `addSVG` is inserted as given (it should come from `SVG`).
public struct HTMLReport: Sendable, Hashable {
    enum Block: Sendable, Hashable {
        case heading(String, level: Int)
        case paragraph(String)
        case table(Table)
        case svg(String)
        case preformatted(String)
    }

    public var title: String
    var blocks: [Block] = []

    public init(title: String) { self.title = title }

    /// A section heading; `level` 2…6 (the page title is the only `<h1>`).
    public mutating func addHeading(_ text: String, level: Int = 2) {
        blocks.append(.heading(text, level: min(6, max(2, level))))
    }

    public mutating func addParagraph(_ text: String) { blocks.append(.paragraph(text)) }

    public mutating func addTable(_ table: Table) { blocks.append(.table(table)) }

    /// Inline SVG markup (e.g. from `SVG.lineChart`), wrapped in a `<figure>`.
    public mutating func addSVG(_ svg: String) { blocks.append(.svg(svg)) }

    /// Monospaced text (e.g. a command or a terminal plot), escaped.
    public mutating func addPreformatted(_ text: String) { blocks.append(.preformatted(text)) }

    static let css = """
    body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; color: #222; background: #fff; }
    h1 { font-size: 1.6rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
    h2 { font-size: 1.25rem; margin-top: 2rem; }
    table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
    caption { text-align: left; font-weight: bold; padding: .3rem 0; }
    th, td { border: 1px solid #ddd; padding: .25rem .6rem; }
    th { background: #f5f5f5; text-align: left; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    tfoot td { color: #666; border: none; }
    figure { margin: 1rem 0; }
    pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; }
    """

    /// The whole page, newline-terminated.
    public func render() -> String {
        let e = TableRenderer.htmlEscape
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(e(title))</title>\n<style>\n\(Self.css)\n</style>\n</head>\n<body>\n"
        out += "<h1>\(e(title))</h1>\n"
        for block in blocks {
            switch block {
            case .heading(let text, let level): out += "<h\(level)>\(e(text))</h\(level)>\n"
            case .paragraph(let text): out += "<p>\(e(text).replacingNewlines())</p>\n"
            case .table(let table): out += TableRenderer.render(table, format: .html)
            case .svg(let svg): out += "<figure>\n" + svg + (svg.hasSuffix("\n") ? "" : "\n") + "</figure>\n"
            case .preformatted(let text): out += "<pre>\(e(ANSI.strip(text)))</pre>\n"
            }
        }
        return out + "</body>\n</html>\n"
    }
}
