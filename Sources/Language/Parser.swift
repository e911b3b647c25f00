/// The recursive-descent parser. It knows no command: every command is a verb followed by
/// items, and every item is an expression of the one shared expression grammar. Each grammar
/// rule is written above the function that parses it (docs/LANGUAGE.md has the whole grammar).

/// Input that ended before it was finished: it drives the continuation prompt.
public struct Incomplete: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// An opening `[` or `(` (with its span) was not closed.
        case openBracket(Character, SourceSpan)
        /// A string starting at this span was not closed.
        case openString(SourceSpan)
        /// The input ended with `\`.
        case trailingBackslash
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }
}

public enum ParseResult: Sendable {
    case commands([CommandNode])
    case incomplete(Incomplete)
    case failure(Diagnostic)
}

/// A logical chunk of a script: one or more physical lines that parse (or fail) together.
public struct ScriptChunk: Sendable, Hashable {
    public var text: String
    /// The line number of the chunk's first line in the script (1-based).
    public var firstLine: Int

    public init(text: String, firstLine: Int) {
        self.text = text
        self.firstLine = firstLine
    }
}

public enum Parser {
    /// Deepest nesting of brackets, parentheses, `not` and unary minus accepted; deeper input
    /// is a syntax error rather than a stack overflow.
    public static let maxDepth = 200

    /// Parses one or more commands separated by `;` or newlines. `firstLine` is the line number
    /// of the first line of `source` (spans are absolute).
    public static func parse(_ source: String, firstLine: Int = 1) -> ParseResult {
        var state = ParserState(source: source, firstLine: firstLine)
        do {
            return .commands(try state.parseSource())
        } catch {
            switch error {
            case .incomplete(let inc): return .incomplete(inc)
            case .failure(let d): return .failure(d)
            }
        }
    }

    /// Groups the physical lines of a script into logical chunks: lines are joined while the
    /// chunk is incomplete (open bracket or string, trailing `\`); blank and comment-only lines
    /// between chunks are skipped. A chunk still incomplete at the end of the script is returned
    /// as is, so that parsing it reports the error.
    public static func splitScript(_ source: String) -> [ScriptChunk] {
        let lines = source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var chunks: [ScriptChunk] = []
        var pending: [Substring] = []
        var pendingFirst = 0
        for (i, line) in lines.enumerated() {
            if pending.isEmpty {
                if isBlankOrComment(line) { continue }
                pendingFirst = i + 1
            }
            pending.append(line)
            let text = pending.joined(separator: "\n")
            if case .incomplete = parse(text, firstLine: pendingFirst) { continue }
            chunks.append(ScriptChunk(text: text, firstLine: pendingFirst))
            pending = []
        }
        if !pending.isEmpty {
            chunks.append(ScriptChunk(text: pending.joined(separator: "\n"), firstLine: pendingFirst))
        }
        return chunks
    }

    static func isBlankOrComment(_ line: Substring) -> Bool {
        guard let first = line.firstIndex(where: { !$0.isWhitespace }) else { return true }
        guard line[first] == "#" else { return false }
        let next = line.index(after: first)
        return next == line.endIndex || !Lexer.isDigit(line[next])
    }

    /// A diagnostic for input that ended incomplete where no more input will come (the end of
    /// a script or of `-c`). `source`/`firstLine` must be what was parsed.
    public static func diagnostic(for incomplete: Incomplete, source: String, firstLine: Int = 1) -> Diagnostic {
        switch incomplete.reason {
        case .openBracket(let c, let span):
            let close = c == "[" ? "]" : ")"
            return .syntax("'\(c)' opened at \(span.start) is never closed (expected '\(close)')", at: span)
        case .openString(let span):
            return .syntax("unterminated string starting at \(span.start)", at: span)
        case .trailingBackslash:
            let tokens = Lexer.tokenize(source, firstLine: firstLine)
            let span = tokens.last(where: { $0.kind == .trailingBackslash })?.span ?? tokens.last?.span ?? .none
            return .syntax("the input ends with '\\' but no line follows", at: span)
        }
    }
}

/// Why parsing stopped early.
enum ParseStop: Error {
    case incomplete(Incomplete)
    case failure(Diagnostic)
}

struct ParserState {
    let tokens: [Token]
    let utf8: [UInt8]
    var position = 0
    /// Open brackets and parentheses, innermost last; newlines are skipped while non-empty.
    var open: [(Character, SourceSpan)] = []
    var depth = 0

    init(source: String, firstLine: Int) {
        tokens = Lexer.tokenize(source, firstLine: firstLine)
        utf8 = Array(source.utf8)
    }

    // MARK: - Token access

    /// The current token. Newlines are skipped inside brackets; malformed tokens, unterminated
    /// strings, a trailing `\` and the end of input inside brackets stop the parse.
    mutating func peek() throws(ParseStop) -> Token {
        if !open.isEmpty {
            while tokens[position].kind == .newline, position + 1 < tokens.count { position += 1 }
        }
        let token = tokens[position]
        switch token.kind {
        case .invalid(let message):
            throw .failure(.syntax(message, at: token.span))
        case .openString:
            throw .incomplete(Incomplete(reason: .openString(token.span)))
        case .trailingBackslash:
            throw .incomplete(Incomplete(reason: .trailingBackslash))
        case .eof:
            if let (c, span) = open.last {
                throw .incomplete(Incomplete(reason: .openBracket(c, span)))
            }
        default:
            break
        }
        return token
    }

    /// The token after the current one (no newline skipping; used for one-token lookahead).
    func peekSecond() -> Token {
        tokens[min(position + 1, tokens.count - 1)]
    }

    mutating func advance() {
        if position + 1 < tokens.count { position += 1 }
    }

    func isPunct(_ token: Token, _ p: Punct) -> Bool { token.kind == .punct(p) }

    func text(_ span: SourceSpan) -> String {
        let lo = max(0, min(span.start.offset, utf8.count))
        let hi = max(lo, min(span.end.offset, utf8.count))
        return String(decoding: utf8[lo..<hi], as: UTF8.self)
    }

    /// How a token is named in messages.
    func describe(_ token: Token) -> String {
        switch token.kind {
        case .eof: return "end of input"
        case .newline: return "end of line"
        default: return "'" + Lexer.clip(text(token.span)) + "'"
        }
    }

    func fail(_ message: String, at span: SourceSpan, notes: [String] = []) -> ParseStop {
        .failure(.syntax(message, at: span, notes: notes))
    }

    mutating func enter(_ span: SourceSpan) throws(ParseStop) {
        depth += 1
        if depth > Parser.maxDepth {
            throw fail("expression nested too deeply (more than \(Parser.maxDepth) levels)", at: span)
        }
    }

    // MARK: - Commands

    // source  = { sep } [ command { sep { sep } command } { sep } ] EOF
    // sep     = ';' | NEWLINE
    mutating func parseSource() throws(ParseStop) -> [CommandNode] {
        var commands: [CommandNode] = []
        while true {
            let token = try peek()
            switch token.kind {
            case .eof:
                return commands
            case .newline, .punct(.semicolon):
                advance()
            default:
                commands.append(try parseCommand())
            }
        }
    }

    // command = IDENT { item }
    mutating func parseCommand() throws(ParseStop) -> CommandNode {
        let verbToken = try peek()
        guard case .identifier(let verb) = verbToken.kind else {
            let notes: [String]
            switch verbToken.kind {
            case .keyword(let k): notes = ["'\(k.rawValue)' is a reserved word of expressions"]
            case .runID, .version, .cellRef: notes = ["a line starts with a command name, e.g. 'show \(text(verbToken.span))'"]
            default: notes = []
            }
            throw fail("expected a command name, found \(describe(verbToken))", at: verbToken.span, notes: notes)
        }
        advance()
        var items: [Expr] = []
        while true {
            let token = try peek()
            switch token.kind {
            case .eof, .newline, .punct(.semicolon):
                let end = items.last?.span ?? verbToken.span
                let span = verbToken.span.union(end)
                return CommandNode(verb: verb, verbSpan: verbToken.span, items: items, span: span, text: text(span))
            default:
                items.append(try parseItem())
            }
        }
    }

    // item = expr { ',' expr }            -- two or more form a sequence
    mutating func parseItem() throws(ParseStop) -> Expr {
        let first = try parseExpr()
        guard isPunct(try peek(), .comma) else { return first }
        var elements = [first]
        while isPunct(try peek(), .comma) {
            advance()
            elements.append(try parseExpr())
        }
        let span = first.span.union(elements[elements.count - 1].span)
        return Expr(.sequence(elements), span: span)
    }

    // MARK: - Expressions

    // expr = orExpr
    mutating func parseExpr() throws(ParseStop) -> Expr {
        try parseOr()
    }

    // orExpr = andExpr { 'or' andExpr }
    mutating func parseOr() throws(ParseStop) -> Expr {
        var left = try parseAnd()
        while try peek().kind == .keyword(.or) {
            advance()
            let right = try parseAnd()
            left = Expr(.binary(.or, left, right), span: left.span.union(right.span))
        }
        return left
    }

    // andExpr = notExpr { 'and' notExpr }
    mutating func parseAnd() throws(ParseStop) -> Expr {
        var left = try parseNot()
        while try peek().kind == .keyword(.and) {
            advance()
            let right = try parseNot()
            left = Expr(.binary(.and, left, right), span: left.span.union(right.span))
        }
        return left
    }

    // notExpr = 'not' notExpr | comparison
    mutating func parseNot() throws(ParseStop) -> Expr {
        let token = try peek()
        guard token.kind == .keyword(.not) else { return try parseComparison() }
        try enter(token.span)
        defer { depth -= 1 }
        advance()
        let operand = try parseNot()
        return Expr(.unary(.not, operand), span: token.span.union(operand.span))
    }

    static func comparisonOperator(_ token: Token) -> BinaryOperator? {
        switch token.kind {
        case .punct(.equal): return .equal
        case .punct(.notEqual): return .notEqual
        case .punct(.less): return .less
        case .punct(.lessEqual): return .lessEqual
        case .punct(.greater): return .greater
        case .punct(.greaterEqual): return .greaterEqual
        case .keyword(.in): return .in
        case .keyword(.like): return .like
        default: return nil
        }
    }

    // comparison = additive [ compOp additive ]      -- not chained; `in` needs a list
    // compOp     = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'like'
    mutating func parseComparison() throws(ParseStop) -> Expr {
        let left = try parseAdditive()
        let opToken = try peek()
        guard let op = ParserState.comparisonOperator(opToken) else { return left }
        advance()
        let right = try parseAdditive()
        if op == .in {
            switch right.kind {
            case .list: break
            default:
                throw fail("expected a list after 'in', found '\(Lexer.clip(text(right.span)))'", at: right.span,
                           notes: ["write e.g. 'kind in [retrain, finetune]'"])
            }
        }
        let next = try peek()
        if ParserState.comparisonOperator(next) != nil {
            throw fail("comparisons cannot be chained: unexpected \(describe(next))", at: next.span,
                       notes: ["join comparisons with 'and'"])
        }
        return Expr(.binary(op, left, right), span: left.span.union(right.span))
    }

    // additive = multiplicative { ('+' | '-') multiplicative }
    mutating func parseAdditive() throws(ParseStop) -> Expr {
        var left = try parseMultiplicative()
        while true {
            let token = try peek()
            let op: BinaryOperator
            switch token.kind {
            case .punct(.plus): op = .add
            case .punct(.minus): op = .subtract
            default: return left
            }
            advance()
            let right = try parseMultiplicative()
            left = Expr(.binary(op, left, right), span: left.span.union(right.span))
        }
    }

    /// Whether a token can begin an operand (used to tell `a * b` from `a *` followed by
    /// something else, where `*` is a star item of its own).
    static func startsOperand(_ token: Token) -> Bool {
        switch token.kind {
        case .identifier, .dotted, .number, .string, .runID, .version, .cellRef: return true
        case .punct(.leftBracket), .punct(.leftParen), .punct(.minus), .punct(.star): return true
        case .openString, .trailingBackslash, .invalid: return true
        default: return false
        }
    }

    // multiplicative = unary { ('*' | '/') unary }
    mutating func parseMultiplicative() throws(ParseStop) -> Expr {
        var left = try parseUnary()
        while true {
            let token = try peek()
            let op: BinaryOperator
            switch token.kind {
            case .punct(.star):
                guard ParserState.startsOperand(peekSecond()) else { return left }
                op = .multiply
            case .punct(.slash): op = .divide
            default: return left
            }
            advance()
            let right = try parseUnary()
            left = Expr(.binary(op, left, right), span: left.span.union(right.span))
        }
    }

    // unary = '-' unary | primary
    mutating func parseUnary() throws(ParseStop) -> Expr {
        let token = try peek()
        guard token.kind == .punct(.minus) else { return try parsePrimary() }
        try enter(token.span)
        defer { depth -= 1 }
        advance()
        let operand = try parseUnary()
        return Expr(.unary(.negate, operand), span: token.span.union(operand.span))
    }

    // primary = NUMBER | STRING | DOTTED | RUNID | VERSION | CELLREF | '*'
    //         | IDENT [ '(' [ expr { ',' expr } ] ')' ]      -- no space before '(' in a call
    //         | list | '(' expr ')'
    mutating func parsePrimary() throws(ParseStop) -> Expr {
        let token = try peek()
        switch token.kind {
        case .number(let value, let text):
            advance()
            return Expr(.number(value, text: text), span: token.span)
        case .string(let s):
            advance()
            return Expr(.string(s), span: token.span)
        case .dotted(let parts):
            advance()
            return Expr(.dotted(parts), span: token.span)
        case .runID(let id):
            advance()
            return Expr(.runID(id), span: token.span)
        case .version(let model, let ref):
            advance()
            return Expr(.version(model: model, ref: ref), span: token.span)
        case .cellRef(let n):
            advance()
            return Expr(.cellRef(n), span: token.span)
        case .punct(.star):
            advance()
            return Expr(.star, span: token.span)
        case .identifier(let name):
            advance()
            let next = tokens[position]
            if next.kind == .punct(.leftParen) && !next.spaceBefore {
                return try parseCall(name: name, nameSpan: token.span)
            }
            return Expr(.identifier(name), span: token.span)
        case .punct(.leftBracket):
            return try parseList()
        case .punct(.leftParen):
            return try parseParenthesised()
        case .keyword(let k):
            throw fail("expected a value, found the keyword '\(k.rawValue)'", at: token.span)
        default:
            throw fail("expected a value, found \(describe(token))", at: token.span)
        }
    }

    /// Consumes the closing bracket of the innermost open bracket or reports a mismatch.
    mutating func close(_ punct: Punct) throws(ParseStop) -> SourceSpan {
        let token = try peek()
        guard let (c, openSpan) = open.last else { return token.span }
        guard token.kind == .punct(punct) else {
            throw fail("expected '\(punct.rawValue)' to close '\(c)' at \(openSpan.start), found \(describe(token))",
                       at: token.span)
        }
        open.removeLast()
        depth -= 1
        advance()
        return token.span
    }

    mutating func openBracket(_ c: Character, _ token: Token) throws(ParseStop) {
        try enter(token.span)
        open.append((c, token.span))
        advance()
    }

    // call = IDENT '(' [ expr { ',' expr } ] ')'
    mutating func parseCall(name: String, nameSpan: SourceSpan) throws(ParseStop) -> Expr {
        try openBracket("(", tokens[position])
        var arguments: [Expr] = []
        if !isPunct(try peek(), .rightParen) {
            arguments.append(try parseExpr())
            while isPunct(try peek(), .comma) {
                advance()
                arguments.append(try parseExpr())
            }
        }
        let end = try close(.rightParen)
        return Expr(.call(name: name, arguments: arguments), span: nameSpan.union(end))
    }

    // parenthesised = '(' expr ')'
    mutating func parseParenthesised() throws(ParseStop) -> Expr {
        let openToken = try peek()
        try openBracket("(", openToken)
        var inner = try parseExpr()
        let end = try close(.rightParen)
        inner.span = openToken.span.union(end)
        return inner
    }

    // list = '[' ']'
    //      | '[' expr { ',' expr } [ ',' ] ']'
    //      | '[' expr ':' expr { ',' expr ':' expr } [ ',' ] ']'     -- a map
    mutating func parseList() throws(ParseStop) -> Expr {
        let openToken = try peek()
        try openBracket("[", openToken)
        if isPunct(try peek(), .rightBracket) {
            let end = try close(.rightBracket)
            return Expr(.list([]), span: openToken.span.union(end))
        }
        let first = try parseExpr()
        if isPunct(try peek(), .colon) {
            advance()
            var pairs = [Pair(key: first, value: try parseExpr())]
            while isPunct(try peek(), .comma) {
                advance()
                if isPunct(try peek(), .rightBracket) { break }
                let key = try parseExpr()
                let colon = try peek()
                guard colon.kind == .punct(.colon) else {
                    throw fail("expected ':' after a map key, found \(describe(colon))", at: colon.span,
                               notes: ["a map is written [key: value, …]"])
                }
                advance()
                pairs.append(Pair(key: key, value: try parseExpr()))
            }
            let end = try close(.rightBracket)
            return Expr(.map(pairs), span: openToken.span.union(end))
        }
        var elements = [first]
        while isPunct(try peek(), .comma) {
            advance()
            if isPunct(try peek(), .rightBracket) { break }
            elements.append(try parseExpr())
            let next = try peek()
            if next.kind == .punct(.colon) {
                throw fail("unexpected ':' in a list", at: next.span,
                           notes: ["a map needs 'key: value' in every entry"])
            }
        }
        let end = try close(.rightBracket)
        return Expr(.list(elements), span: openToken.span.union(end))
    }
}
