/// A position in a source: 1-based line and column (columns count Characters on the line).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    /// Offset in UTF-8 bytes from the start of the source text.
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool { a.offset < b.offset }
    public var description: String { "\(line):\(column)" }
}

/// A half-open range of source text: `start` inclusive, `end` exclusive.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// A span covering both `self` and `other`.
    public func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(start: min(start, other.start), end: max(end, other.end))
    }

    /// A zero-width span for values that do not come from source text.
    public static let none = SourceSpan(start: SourceLocation(line: 0, column: 0, offset: 0),
                                        end: SourceLocation(line: 0, column: 0, offset: 0))

    public var description: String { "\(start)-\(end)" }
}

/// Where a piece of source text came from, for diagnostics: a file, a REPL cell or `-c`.
public struct SourceName: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// Lines of the source before this chunk (a script fed cell by cell keeps real line numbers).
    public var lineOffset: Int

    public init(_ name: String, lineOffset: Int = 0) {
        self.name = name
        self.lineOffset = lineOffset
    }

    public var description: String { name }
}
