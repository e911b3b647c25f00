/// Plain tabular values handed to the renderer. Commands build these; Render formats them
/// as aligned text, vertical records, CSV, TSV, JSON, Markdown or HTML.
public struct Table: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public enum Alignment: Sendable, Hashable { case left, right }
        public var name: String
        public var alignment: Alignment
        public init(_ name: String, alignment: Alignment = .left) {
            self.name = name
            self.alignment = alignment
        }
    }

    public var title: String?
    public var columns: [Column]
    public var rows: [[Cell]]
    /// Lines printed under the table in text mode (not part of csv/json output).
    public var footer: [String]

    public init(title: String? = nil, columns: [Column], rows: [[Cell]] = [], footer: [String] = []) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.footer = footer
    }

    public init(title: String? = nil, headers: [String], rows: [[Cell]] = [], footer: [String] = []) {
        self.init(title: title, columns: headers.map { Column($0) }, rows: rows, footer: footer)
    }
}

/// One value in a table. Numbers keep full precision; formatting happens at render time.
public enum Cell: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case text(String)
    case int(Int)
    case number(Double)
    case bool(Bool)
    case missing

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
}
