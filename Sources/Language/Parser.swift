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
    /// is a syntax error rather than a stack overflow. Measured: a debug build uses up to ~10 KB
    /// of stack per level of `[` nesting (release far less), so the limit costs ~1.3 MB at most,
    /// well inside the 8 MB stacks of the main thread and of the threads tests run on here.
    public static let maxDepth = 128

    /// The most physical lines `splitScript` joins into one chunk.
    public static let maxChunkLines = 1000

    /// Parses one or more commands separated by `;` or newlines. `firstLine` is the line number
    /// of the first line of `source` (spans are absolute). `rawTail` names the verbs whose
    /// unquoted rest of line is one string item (`sql select 1`, see `Lexer.tokenize`).
    public static func parse(_ source: String, firstLine: Int = 1, rawTail: Set<String> = []) -> ParseResult {
        var state = ParserState(source: source, firstLine: firstLine, rawTail: rawTail)
        do {
            return .commands(try state.parseSource())
        } catch ParseStop.incomplete(let inc) {
            return .incomplete(inc)
        } catch ParseStop.failure(let d) {
            return .failure(d)
        } catch {
            return .failure(.syntax("internal parser error: \(error)", at: .none))
        }
    }

    /// Groups the physical lines of a script into logical chunks: lines are joined while the
    /// chunk is incomplete (open bracket or string, trailing `\`); blank and comment-only lines
    /// between chunks are skipped. A chunk still incomplete at the end of the script is returned
    /// as is, so that parsing it reports the error.
    ///
    /// A chunk is cut after `maxChunkLines` physical lines even if still incomplete (parsing it
    /// then reports what was left open), which keeps the cost of a script with an early
    /// unclosed quote linear rather than quadratic.
    public static func splitScript(_ source: String, rawTail: Set<String> = []) -> [ScriptChunk] {
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
            if pending.count < maxChunkLines, case .incomplete = parse(text, firstLine: pendingFirst, rawTail: rawTail) { continue }
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

    init(source: String, firstLine: Int, rawTail: Set<String> = []) {
        tokens = Lexer.tokenize(source, firstLine: firstLine, rawTail: rawTail)
        utf8 = Array(source.utf8)
    }

    // MARK: - Token access

    /// The current token. Newlines are skipped inside brackets; malformed tokens, unterminated
    /// strings, a trailing `\` and the end of input inside brackets stop the parse.
    mutating func peek() throws -> Token {
        if !open.isEmpty {
            while tokens[position].kind == .newline, position + 1 < tokens.count { position += 1 }
        }
        let token = tokens[position]
        switch token.kind {
        case .invalid(let message):
            throw ParseStop.failure(.syntax(message, at: token.span))
        case .openString:
            throw ParseStop.incomplete(Incomplete(reason: .openString(token.span)))
        case .trailingBackslash:
            throw ParseStop.incomplete(Incomplete(reason: .trailingBackslash))
        case .eof:
            if let (c, span) = open.last {
                throw ParseStop.incomplete(Incomplete(reason: .openBracket(c, span)))
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

    mutating func enter(_ span: SourceSpan) throws {
        depth += 1
        if depth > Parser.maxDepth {
            throw fail("expression nested too deeply (more than \(Parser.maxDepth) levels)", at: span)
        }
    }

    // MARK: - Commands

    // source  = { sep } [ command { sep { sep } command } { sep } ] EOF
    // sep     = ';' | NEWLINE
    mutating func parseSource() throws -> [CommandNode] {
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
    mutating func parseCommand() throws -> CommandNode {
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
    mutating func parseItem() throws -> Expr {
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
    //
    // Binary operators are parsed by precedence climbing, as Lua's lparser.c `subexpr` does;
    // the table below is the grammar:
    //
    //   expr           = orExpr
    //   orExpr         = andExpr { 'or' andExpr }                           -- priority 1
    //   andExpr        = notExpr { 'and' notExpr }                          -- priority 2
    //   notExpr        = 'not' notExpr | comparison                         -- priority 3
    //   comparison     = additive [ compOp additive ]   -- not chained      -- priority 4
    //   compOp         = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'like'   ('in' takes a list or a range)
    //   range          = [ 'log' ] additive '..' additive [ 'count' additive ]   -- right of 'in' only
    //   additive       = multiplicative { ('+' | '-') multiplicative }      -- priority 5
    //   multiplicative = unary { ('*' | '/') unary }                        -- priority 6
    //
    // One function handles every level so that each level of bracket nesting costs few stack
    // frames.

    static let notPriority = 3
    static let comparisonPriority = 4
    static let unaryPriority = 7

    /// The binary operator a token stands for, with its priority.
    static func binaryOperator(_ token: Token) -> (BinaryOperator, Int)? {
        switch token.kind {
        case .keyword(.or): return (.or, 1)
        case .keyword(.and): return (.and, 2)
        case .punct(.equal): return (.equal, 4)
        case .punct(.notEqual): return (.notEqual, 4)
        case .punct(.less): return (.less, 4)
        case .punct(.lessEqual): return (.lessEqual, 4)
        case .punct(.greater): return (.greater, 4)
        case .punct(.greaterEqual): return (.greaterEqual, 4)
        case .keyword(.in): return (.in, 4)
        case .keyword(.like): return (.like, 4)
        case .punct(.plus): return (.add, 5)
        case .punct(.minus): return (.subtract, 5)
        case .punct(.star): return (.multiply, 6)
        case .punct(.slash): return (.divide, 6)
        default: return nil
        }
    }

    // expr = orExpr
    mutating func parseExpr() throws -> Expr {
        try parseSubexpression(limit: 0)
    }

    // subexpression(limit) = ( 'not' subexpression(3) | '-' subexpression(7) | operand )
    //                        { binop subexpression(priority(binop)) }
    //   -- only operators whose priority is greater than `limit` are taken; `not` only where a
    //   -- notExpr may stand (limit <= 3); unary minus binds tighter than every binary operator.
    mutating func parseSubexpression(limit: Int) throws -> Expr {
        var left: Expr
        let first = try peek()
        if first.kind == .keyword(.not) && limit <= ParserState.notPriority {
            try enter(first.span)
            advance()
            let operand = try parseSubexpression(limit: ParserState.notPriority)
            depth -= 1
            left = Expr(.unary(.not, operand), span: first.span.union(operand.span))
        } else if first.kind == .punct(.minus) {
            try enter(first.span)
            advance()
            let operand = try parseSubexpression(limit: ParserState.unaryPriority)
            depth -= 1
            left = Expr(.unary(.negate, operand), span: first.span.union(operand.span))
        } else {
            left = try parseOperand()
        }
        var comparisons = 0
        while true {
            let token = try peek()
            guard let (op, priority) = ParserState.binaryOperator(token), priority > limit else { return left }
            // `a *` followed by something that cannot start an operand: the `*` is a star item.
            if op == .multiply && !ParserState.startsOperand(peekSecond()) { return left }
            if priority == ParserState.comparisonPriority {
                comparisons += 1
                if comparisons > 1 { throw chainedComparison(token) }
            }
            advance()
            let right = op == .in ? try parseListOrRange(limit: priority) : try parseSubexpression(limit: priority)
            left = Expr(.binary(op, left, right), span: left.span.union(right.span))
        }
    }

    // inRight = list | range   (see `range` above; `..` is two adjacent '.' tokens)
    mutating func parseListOrRange(limit: Int) throws -> Expr {
        let first = try peek()
        var log = false
        if first.identifierName == "log", !Self.endsItem(peekSecond()) {
            log = true
            advance()
        }
        let low = try parseSubexpression(limit: limit)
        let dot = try peek()
        guard isPunct(dot, .dot), isPunct(peekSecond(), .dot), !peekSecond().spaceBefore else {
            if log { throw expectedRange(low) }
            if !low.isList { throw expectedList(low) }
            return low
        }
        advance()
        advance()
        let high = try parseSubexpression(limit: limit)
        var count: Expr?
        if try peek().identifierName == "count", Self.startsNumber(peekSecond()) {
            advance()
            count = try parseSubexpression(limit: limit)
        }
        let end = count?.span ?? high.span
        return Expr(.range(low: low, high: high, log: log, count: count), span: first.span.union(end))
    }

    /// Whether a token ends the operand after `in log` (so `log` stands alone).
    static func endsItem(_ token: Token) -> Bool {
        switch token.kind {
        case .eof, .newline, .punct(.semicolon), .punct(.comma), .punct(.rightBracket), .punct(.rightParen): return true
        default: return false
        }
    }

    static func startsNumber(_ token: Token) -> Bool {
        switch token.kind {
        case .number, .punct(.minus): return true
        default: return false
        }
    }

    @inline(never)
    func expectedRange(_ low: Expr) -> ParseStop {
        fail("expected a range after 'log', found '\(Lexer.clip(text(low.span)))'", at: low.span,
             notes: ["write e.g. 'lr in log 1e-4..1e-1 count 4'"])
    }

    @inline(never)
    func chainedComparison(_ token: Token) -> ParseStop {
        fail("comparisons cannot be chained: unexpected \(describe(token))", at: token.span,
             notes: ["join comparisons with 'and'"])
    }

    @inline(never)
    func expectedList(_ right: Expr) -> ParseStop {
        fail("expected a list after 'in', found '\(Lexer.clip(text(right.span)))'", at: right.span,
             notes: ["write e.g. 'kind in [retrain, finetune]' (or a range: 'lr in 0.001..0.1 count 3')"])
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

    // operand = atom | list | call | '(' expr ')'
    // atom    = NUMBER | STRING | IDENT | DOTTED | RUNID | VERSION | CELLREF | '*'
    mutating func parseOperand() throws -> Expr {
        let token = try peek()
        switch token.kind {
        case .punct(.leftBracket):
            return try parseList()
        case .punct(.leftParen):
            return try parseParenthesised()
        case .identifier:
            let next = peekSecond()
            if next.kind == .punct(.leftParen) && !next.spaceBefore {
                return try parseCall()
            }
        default:
            break
        }
        let atom = try ParserState.atom(token, self)
        advance()
        return atom
    }

    /// A single-token operand, or the error for a token that cannot start one.
    @inline(never)
    static func atom(_ token: Token, _ state: ParserState) throws -> Expr {
        switch token.kind {
        case .number(let value, let text): return Expr(.number(value, text: text), span: token.span)
        case .string(let s): return Expr(.string(s), span: token.span)
        case .identifier(let name): return Expr(.identifier(name), span: token.span)
        case .dotted(let parts): return Expr(.dotted(parts), span: token.span)
        case .runID(let id): return Expr(.runID(id), span: token.span)
        case .version(let model, let ref): return Expr(.version(model: model, ref: ref), span: token.span)
        case .cellRef(let n): return Expr(.cellRef(n), span: token.span)
        case .punct(.star): return Expr(.star, span: token.span)
        case .keyword(let k): throw state.fail("expected a value, found the keyword '\(k.rawValue)'", at: token.span)
        default: throw state.fail("expected a value, found \(state.describe(token))", at: token.span)
        }
    }

    /// Consumes the closing bracket of the innermost open bracket or reports a mismatch.
    mutating func close(_ punct: Punct) throws -> SourceSpan {
        let token = try peek()
        guard token.kind == .punct(punct), !open.isEmpty else { throw mismatch(punct, token) }
        open.removeLast()
        depth -= 1
        advance()
        return token.span
    }

    @inline(never)
    func mismatch(_ punct: Punct, _ token: Token) -> ParseStop {
        guard let (c, openSpan) = open.last else { return fail("unexpected \(describe(token))", at: token.span) }
        return fail("expected '\(punct.rawValue)' to close '\(c)' at \(openSpan.start), found \(describe(token))",
                    at: token.span)
    }

    /// Consumes an opening bracket or parenthesis and returns its span.
    mutating func openBracket(_ c: Character) throws -> SourceSpan {
        let span = tokens[position].span
        try enter(span)
        open.append((c, span))
        advance()
        return span
    }

    /// Parses `expr { ',' expr }` up to (not including) the closing token.
    mutating func parseExpressionList(into list: inout [Expr]) throws {
        list.append(try parseExpr())
        while try peek().kind == .punct(.comma) {
            advance()
            list.append(try parseExpr())
        }
    }

    // call = IDENT '(' [ expr { ',' expr } ] ')'       -- no space between IDENT and '('
    mutating func parseCall() throws -> Expr {
        let nameToken = tokens[position]
        advance()
        _ = try openBracket("(")
        var arguments: [Expr] = []
        if try peek().kind != .punct(.rightParen) {
            try parseExpressionList(into: &arguments)
        }
        let end = try close(.rightParen)
        return Expr(.call(name: nameToken.identifierName, arguments: arguments), span: nameToken.span.union(end))
    }

    // parenthesised = '(' expr ')'
    mutating func parseParenthesised() throws -> Expr {
        let start = try openBracket("(")
        var inner = try parseExpr()
        let end = try close(.rightParen)
        inner.span = start.union(end)
        return inner
    }

    // list = '[' ']'
    //      | '[' expr { ',' expr } [ ',' ] ']'
    //      | '[' expr ':' expr { ',' expr ':' expr } [ ',' ] ']'     -- a map
    mutating func parseList() throws -> Expr {
        let start = try openBracket("[")
        if try peek().kind == .punct(.rightBracket) {
            let end = try close(.rightBracket)
            return Expr(.list([]), span: start.union(end))
        }
        let first = try parseExpr()
        if try peek().kind == .punct(.colon) {
            advance()
            var pairs = [Pair(key: first, value: try parseExpr())]
            while try peek().kind == .punct(.comma) {
                advance()
                if try peek().kind == .punct(.rightBracket) { break }
                let key = try parseExpr()
                let colon = try peek()
                guard colon.kind == .punct(.colon) else { throw expectedColon(colon) }
                advance()
                pairs.append(Pair(key: key, value: try parseExpr()))
            }
            let end = try close(.rightBracket)
            return Expr(.map(pairs), span: start.union(end))
        }
        var elements = [first]
        while try peek().kind == .punct(.comma) {
            advance()
            if try peek().kind == .punct(.rightBracket) { break }
            elements.append(try parseExpr())
            let next = try peek()
            if next.kind == .punct(.colon) { throw colonInList(next) }
        }
        let end = try close(.rightBracket)
        return Expr(.list(elements), span: start.union(end))
    }

    @inline(never)
    func expectedColon(_ token: Token) -> ParseStop {
        fail("expected ':' after a map key, found \(describe(token))", at: token.span,
             notes: ["a map is written [key: value, …]"])
    }

    @inline(never)
    func colonInList(_ token: Token) -> ParseStop {
        fail("unexpected ':' in a list", at: token.span, notes: ["a map needs 'key: value' in every entry"])
    }
}

extension Token {
    var identifierName: String {
        if case .identifier(let name) = kind { return name }
        return ""
    }
}

extension Expr {
    var isList: Bool {
        if case .list = kind { return true }
        return false
    }
}

extension ParseResult {
    /// True when the input ended unfinished (the REPL then asks for a continuation line).
    public var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }
}
