/// The lexer: turns source text into tokens, each with its SourceSpan.
///
/// Lexical rules (see docs/LANGUAGE.md):
/// - identifiers `[A-Za-z_][A-Za-z0-9_]*`; `and or not in like` are reserved keywords;
/// - `name.name(.name)*` written without spaces is one dotted token (`param.lr`);
/// - numbers `42`, `0.8`, `.5`, `1e-6`, `2.5E+3`; a `-` directly followed by a digit (or `.digit`)
///   is part of the number when it follows whitespace, the start of a line, `[ ( , : ;` or an
///   operator (`seed -1` is two items, `a - 1` and `a-1` are subtractions);
/// - strings `"…"` or `'…'` with escapes `\" \' \\ \n \t` (a raw newline is allowed inside);
/// - `#` followed by a digit is a run id (`#12`); any other `#` starts a comment to end of line;
/// - versions `name@3`, `name@alias`, `@2`; cell refs `_` and `_3` (`_foo` is an identifier);
/// - a `\` at the end of a line joins the next line (whitespace may follow it);
/// - punctuation `[ ] ( ) , : ; = != < <= > >= + - * / .`.
///
/// The lexer never fails: a malformed token becomes an `.invalid` token (after which only
/// `.eof` follows), an unterminated string an `.openString` token and a `\` at the very end a
/// `.trailingBackslash` token. The parser turns those into diagnostics or incomplete results in
/// source order.

public enum Keyword: String, Sendable, Hashable, CaseIterable {
    case and, or, not, `in`, like
}

public enum Punct: String, Sendable, Hashable, CaseIterable {
    case leftBracket = "[", rightBracket = "]", leftParen = "(", rightParen = ")"
    case comma = ",", colon = ":", semicolon = ";"
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case plus = "+", minus = "-", star = "*", slash = "/", dot = "."
}

public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case identifier(String)
        case keyword(Keyword)
        case dotted([String])
        case number(Double, text: String)
        case string(String)
        case runID(Int)
        case version(model: String?, ref: VersionRef)
        case cellRef(Int?)
        case punct(Punct)
        /// End of a physical line (not produced for a `\` continuation).
        case newline
        /// A string whose closing quote never came; the span runs from the opening quote.
        case openString
        /// A `\` followed only by whitespace up to the end of the input.
        case trailingBackslash
        /// A malformed token, with the message to report.
        case invalid(String)
        case eof
    }

    public var kind: Kind
    public var span: SourceSpan
    /// Whether whitespace (or the start of the input/line, or a comment) comes right before.
    public var spaceBefore: Bool

    public init(kind: Kind, span: SourceSpan, spaceBefore: Bool) {
        self.kind = kind
        self.span = span
        self.spaceBefore = spaceBefore
    }
}

public struct Lexer {
    private let chars: [Character]
    private var index = 0
    private var line: Int
    private var column = 1
    private var offset = 0
    private var tokens: [Token] = []
    private var spaceBefore = true

    /// Verbs whose unquoted rest of line is one string token (see `tokenize`).
    private let rawTail: Set<String>

    private init(_ source: String, firstLine: Int, rawTail: Set<String>) {
        chars = Array(source)
        line = firstLine
        self.rawTail = rawTail
    }

    /// All tokens of `source`, always ending with exactly one `.eof` token.
    ///
    /// `rawTail` names verbs (such as `sql`) whose argument is foreign text: when such a word
    /// starts a command (first on a line or after `;`) and the rest of its line begins with a
    /// letter or `(` rather than a quote, that rest of the line — up to the newline, a `\` at a
    /// line's end joining the next one, trailing blanks and one trailing `;` dropped — becomes a
    /// single `.string` token. The quoted form is lexed as usual.
    public static func tokenize(_ source: String, firstLine: Int = 1, rawTail: Set<String> = []) -> [Token] {
        var lexer = Lexer(source, firstLine: firstLine, rawTail: rawTail)
        lexer.run()
        return lexer.tokens
    }

    // MARK: - Character classes

    static func isDigit(_ c: Character) -> Bool { c.isASCII && c >= "0" && c <= "9" }
    static func isIdentStart(_ c: Character) -> Bool {
        c == "_" || (c.isASCII && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")))
    }
    static func isIdentChar(_ c: Character) -> Bool { isIdentStart(c) || isDigit(c) }

    private func char(at i: Int) -> Character? { i < chars.count ? chars[i] : nil }
    private var location: SourceLocation { SourceLocation(line: line, column: column, offset: offset) }

    // MARK: - Positions
    //
    // Convention: a position (an index into `chars`) is captured *before* the character at it
    // is consumed, never read back from `index` right after a mutating `advance()`. Swift 6.3.1
    // at -O miscompiled `advance(); let first = index` in this struct (the load of `index` was
    // hoisted above the inlined call, so `first` pointed at the `#` and `show #1` lexed as
    // `##1`), see docs/ARCHITECTURE.md. Callers compute `index + 1` before skipping a one-
    // character prefix (`#`, `@`, `.`) and pass it down.

    private mutating func advance() {
        let c = chars[index]
        index += 1
        offset += c.utf8.count
        if c.isNewline {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    private mutating func emit(_ kind: Token.Kind, from start: SourceLocation) {
        tokens.append(Token(kind: kind, span: SourceSpan(start: start, end: location), spaceBefore: spaceBefore))
        spaceBefore = false
    }

    /// Emits an invalid token covering `start` up to the current position and stops lexing.
    private mutating func fail(_ message: String, from start: SourceLocation) {
        emit(.invalid(message), from: start)
        index = chars.count
    }

    /// The characters from `start` up to the current position.
    private func text(from start: Int) -> String { String(chars[start..<max(start, index)]) }

    // MARK: - Main loop

    private mutating func run() {
        while index < chars.count {
            let c = chars[index]
            // The token's start, as a location and as an index, captured before anything is
            // consumed (see "Positions" below).
            let start = location
            let mark = index
            if c.isNewline {
                advance()
                emit(.newline, from: start)
                spaceBefore = true
            } else if c.isWhitespace {
                advance()
                spaceBefore = true
            } else if c == "\\" {
                lexBackslash(start)
            } else if c == "#" {
                if let next = char(at: index + 1), Lexer.isDigit(next) {
                    lexRunID(digitsAt: mark + 1, start)
                } else {
                    while index < chars.count, !chars[index].isNewline { advance() }
                    spaceBefore = true
                }
            } else if c == "\"" || c == "'" {
                lexString(quote: c, start)
            } else if Lexer.isDigit(c) {
                lexNumber(from: mark, start)
            } else if c == ".", let next = char(at: index + 1), Lexer.isDigit(next), numberMayStartHere(negative: false) {
                lexNumber(from: mark, start)
            } else if c == "-", numberFollowsMinus(), numberMayStartHere(negative: true) {
                lexNumber(from: mark, start)
            } else if Lexer.isIdentStart(c) {
                lexWord(from: mark, start)
            } else if c == "@" {
                advance()
                lexVersionRef(model: nil, refAt: mark + 1, start)
            } else {
                lexPunct(c, start)
            }
        }
        tokens.append(Token(kind: .eof, span: SourceSpan(start: location, end: location), spaceBefore: spaceBefore))
    }

    // MARK: - Pieces

    private mutating func lexBackslash(_ start: SourceLocation) {
        var j = index + 1
        while let c = char(at: j), c.isWhitespace, !c.isNewline { j += 1 }
        guard let after = char(at: j) else {
            advance()
            emit(.trailingBackslash, from: start)
            index = chars.count
            return
        }
        if after.isNewline {
            while index <= j { advance() }
            spaceBefore = true
            return
        }
        advance()
        fail("unexpected '\\' (a '\\' continues a command only at the end of a line)", from: start)
    }

    private func numberFollowsMinus() -> Bool {
        guard let next = char(at: index + 1) else { return false }
        if Lexer.isDigit(next) { return true }
        if next == ".", let after = char(at: index + 2), Lexer.isDigit(after) { return true }
        return false
    }

    /// Whether a number literal (a leading `-` or `.` included) may start here rather than the
    /// `-`/`.` being an operator: after whitespace, the start, an opening bracket, a separator
    /// or an operator.
    private func numberMayStartHere(negative: Bool) -> Bool {
        if spaceBefore { return true }
        guard let last = tokens.last else { return true }
        switch last.kind {
        case .newline, .keyword: return true
        case .punct(let p):
            switch p {
            case .rightBracket, .rightParen, .dot: return false
            default: return true
            }
        default: return false
        }
    }

    private mutating func lexNumber(from first: Int, _ start: SourceLocation) {
        if chars[index] == "-" { advance() }
        while let c = char(at: index), Lexer.isDigit(c) { advance() }
        if char(at: index) == ".", let d = char(at: index + 1), Lexer.isDigit(d) {
            advance()
            while let c = char(at: index), Lexer.isDigit(c) { advance() }
        }
        if let e = char(at: index), e == "e" || e == "E" {
            if let d = char(at: index + 1), Lexer.isDigit(d) {
                advance()
            } else if let s = char(at: index + 1), s == "+" || s == "-", let d = char(at: index + 2), Lexer.isDigit(d) {
                advance()
                advance()
            }
            while let c = char(at: index), Lexer.isDigit(c) { advance() }
        }
        if let c = char(at: index), Lexer.isIdentChar(c) {
            while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
            fail("malformed number '\(Lexer.clip(text(from: first)))'", from: start)
            return
        }
        let text = text(from: first)
        guard let value = Double(text), value.isFinite else {
            fail("number '\(Lexer.clip(text))' is out of range", from: start)
            return
        }
        emit(.number(value, text: text), from: start)
    }

    /// `#` followed by digits; `first` is the index of the first digit, computed by the caller
    /// before the `#` is consumed.
    private mutating func lexRunID(digitsAt first: Int, _ start: SourceLocation) {
        advance()  // '#'
        while let c = char(at: index), Lexer.isDigit(c) { advance() }
        let digits = text(from: first)
        if let c = char(at: index), Lexer.isIdentChar(c) {
            while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
            fail("malformed run id '#\(Lexer.clip(text(from: first)))'", from: start)
            return
        }
        guard let id = Int(digits) else {
            fail("run id '#\(Lexer.clip(digits))' is too large", from: start)
            return
        }
        emit(.runID(id), from: start)
    }

    private mutating func lexString(quote: Character, _ start: SourceLocation) {
        advance()
        var value = ""
        while true {
            guard let c = char(at: index) else {
                emit(.openString, from: start)
                return
            }
            if c == quote {
                advance()
                emit(.string(value), from: start)
                return
            }
            if c == "\\" {
                let escapeStart = location
                advance()
                guard let e = char(at: index) else {
                    emit(.openString, from: start)
                    return
                }
                advance()
                switch e {
                case "\"": value.append("\"")
                case "'": value.append("'")
                case "\\": value.append("\\")
                case "n": value.append("\n")
                case "t": value.append("\t")
                default:
                    if e.isNewline { continue }  // `\` + newline inside a string joins the lines
                    fail("unknown escape '\\\(e)' in string (use \\\" \\' \\\\ \\n or \\t)", from: escapeStart)
                    return
                }
                continue
            }
            advance()
            value.append(c)
        }
    }

    private mutating func lexWord(from first: Int, _ start: SourceLocation) {
        while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
        let word = text(from: first)
        // Cell references: `_` and `_3`.
        if word == "_" || (word.first == "_" && word.dropFirst().allSatisfy(Lexer.isDigit)) {
            if word == "_" {
                emit(.cellRef(nil), from: start)
            } else if let n = Int(word.dropFirst()) {
                emit(.cellRef(n), from: start)
            } else {
                fail("cell number in '\(Lexer.clip(word))' is too large", from: start)
            }
            return
        }
        var parts = [word]
        while char(at: index) == ".", let c = char(at: index + 1), Lexer.isIdentStart(c) {
            let partStart = index + 1
            advance()  // '.'
            while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
            parts.append(text(from: partStart))
        }
        if char(at: index) == "@" {
            if parts.count > 1 {
                advance()
                fail("a version needs a plain model name, not '\(Lexer.clip(parts.joined(separator: ".")))'", from: start)
                return
            }
            let refStart = index + 1
            advance()  // '@'
            lexVersionRef(model: word, refAt: refStart, start)
            return
        }
        if parts.count == 1, rawTail.contains(word), atCommandStart {
            emit(.identifier(word), from: start)
            lexRawTail()
            return
        }
        if parts.count > 1 {
            emit(.dotted(parts), from: start)
        } else if let keyword = Keyword(rawValue: word) {
            emit(.keyword(keyword), from: start)
        } else {
            emit(.identifier(word), from: start)
        }
    }

    /// Whether the token about to be emitted starts a command: nothing before it on its line
    /// but blanks, or a `;` right before.
    private var atCommandStart: Bool {
        guard let last = tokens.last else { return true }
        switch last.kind {
        case .newline, .punct(.semicolon): return true
        default: return false
        }
    }

    /// After a raw-tail verb: the unquoted rest of the line as one `.string` token, or nothing
    /// (normal lexing resumes) when the line goes on with a quote, a `#`, or nothing.
    private mutating func lexRawTail() {
        var j = index
        while let c = char(at: j), c == " " || c == "\t" { j += 1 }
        guard let c = char(at: j), Lexer.isIdentStart(c) || c == "(" else { return }
        while index < j { advance() }
        spaceBefore = true
        let start = location
        var text: [Character] = []
        // The location after each character of `text`, for the span of what is kept.
        var ends: [SourceLocation] = []
        while let c = char(at: index), !c.isNewline {
            if c == "\\" {
                var k = index + 1
                while let w = char(at: k), w == " " || w == "\t" { k += 1 }
                guard let after = char(at: k) else {
                    // `\` and blanks at the very end: more input is to come (REPL, scripts).
                    let backslash = location
                    index = chars.count
                    tokens.append(Token(kind: .trailingBackslash, span: SourceSpan(start: backslash, end: backslash),
                                        spaceBefore: true))
                    return
                }
                if after.isNewline {
                    while index <= k { advance() }
                    text.append(" ")
                    ends.append(location)
                    continue
                }
            }
            advance()
            text.append(c)
            ends.append(location)
        }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        if text.last == ";" { text.removeLast() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        let end = text.isEmpty ? start : ends[text.count - 1]
        tokens.append(Token(kind: .string(String(text)), span: SourceSpan(start: start, end: end), spaceBefore: true))
        spaceBefore = false
    }

    /// After `@` (already consumed): a version number or an alias name starting at `first`,
    /// an index the caller computed before consuming the `@`.
    private mutating func lexVersionRef(model: String?, refAt first: Int, _ start: SourceLocation) {
        guard let c = char(at: first), Lexer.isIdentChar(c) else {
            fail("expected a version number or alias after '@'", from: start)
            return
        }
        if Lexer.isDigit(c) {
            while let c = char(at: index), Lexer.isDigit(c) { advance() }
            let digits = text(from: first)
            if let c = char(at: index), Lexer.isIdentChar(c) {
                while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
                fail("malformed version '@\(Lexer.clip(text(from: first)))'", from: start)
                return
            }
            guard let n = Int(digits) else {
                fail("version number '\(Lexer.clip(digits))' is too large", from: start)
                return
            }
            emit(.version(model: model, ref: .number(n)), from: start)
        } else {
            while let c = char(at: index), Lexer.isIdentChar(c) { advance() }
            emit(.version(model: model, ref: .alias(text(from: first))), from: start)
        }
    }

    private mutating func lexPunct(_ c: Character, _ start: SourceLocation) {
        let next = char(at: index + 1)
        let two: Punct? = switch (c, next) {
        case ("!", "="): .notEqual
        case ("<", "="): .lessEqual
        case (">", "="): .greaterEqual
        default: nil
        }
        if let two {
            advance()
            advance()
            emit(.punct(two), from: start)
            return
        }
        if c == "=" && next == "=" {
            advance()
            advance()
            fail("unexpected '=='; equality is written '='", from: start)
            return
        }
        if c == "!" {
            advance()
            fail("unexpected '!'; 'not equal' is written '!=' and negation 'not'", from: start)
            return
        }
        advance()
        if let p = Punct(rawValue: String(c)) {
            emit(.punct(p), from: start)
        } else {
            fail("unexpected character '\(Lexer.describe(c))'", from: start)
        }
    }

    static func describe(_ c: Character) -> String {
        if c.isASCII, let v = c.asciiValue, v < 32 || v == 127 {
            return "\\u{" + String(v, radix: 16) + "}"
        }
        return String(c)
    }

    static func clip(_ s: String, _ limit: Int = 24) -> String {
        s.count <= limit ? s : String(s.prefix(limit)) + "…"
    }
}
