/// Reads lines from a non-terminal stdin (piped scripts) without libedit, which would add piped
/// lines to the interactive history and mangle some input.
///
/// Lines are returned without their line terminator (`\n` or `\r\n`); invalid UTF-8 is
/// repaired with U+FFFD rather than rejected.
public struct ScriptReader {
    private var source: () -> String?
    /// Number of lines returned so far (the 1-based number of the last line).
    public private(set) var lineNumber = 0

    /// Reads standard input.
    public init() {
        self.source = { Swift.readLine(strippingNewline: true) }
    }

    /// Reads the lines of `text` (for tests and for `-c` strings).
    public init(text: String) {
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { bytes in
            var bytes = Array(bytes)
            if bytes.last == 0x0D { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        }
        if text.isEmpty || text.utf8.last == 0x0A { lines.removeLast() }
        var index = 0
        self.source = {
            guard index < lines.count else { return nil }
            defer { index += 1 }
            return lines[index]
        }
    }

    /// The next line, or nil at end of input.
    public mutating func nextLine() -> String? {
        guard let line = source() else { return nil }
        lineNumber += 1
        return line
    }

    /// Reads all remaining lines.
    public mutating func readAll() -> [String] {
        var result: [String] = []
        while let line = nextLine() { result.append(line) }
        return result
    }
}
