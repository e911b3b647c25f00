import Testing
@testable import Language

/// The forms whose text starts one character after the token (`#12`, `m@3`, `@alias`, the parts
/// of `a.b.c`), where an optimiser-only defect once read the start index stale (`##1`). These
/// run in the debug build; `SessionReplayTests` and `ReleaseBinaryTests` run the same forms
/// through the release binary.
@Suite struct LexerPositionTests {
    func kinds(_ s: String, rawTail: Set<String> = []) -> [Token.Kind] {
        Lexer.tokenize(s, rawTail: rawTail).map(\.kind)
    }

    @Test func prefixedTokensKeepTheirWholeText() {
        #expect(kinds("show #1") == [.identifier("show"), .runID(1), .eof])
        #expect(kinds("#12 #345,#6") == [.runID(12), .runID(345), .punct(.comma), .runID(6), .eof])
        #expect(kinds("m@2 m@production @7 @latest") == [
            .version(model: "m", ref: .number(2)), .version(model: "m", ref: .alias("production")),
            .version(model: nil, ref: .number(7)), .version(model: nil, ref: .alias("latest")), .eof,
        ])
        #expect(kinds("param.lr tag.stage.x") == [.dotted(["param", "lr"]), .dotted(["tag", "stage", "x"]), .eof])
        #expect(kinds("#99999999999999999999") == [.invalid("run id '#99999999999999999999' is too large"), .eof])
        #expect(kinds("#1x") == [.invalid("malformed run id '#1x'"), .eof])
        #expect(kinds("m@2b") == [.invalid("malformed version '@2b'"), .eof])
    }

    @Test func spansCoverThePrefix() {
        let t = Lexer.tokenize("compare #1 m@22")
        #expect(t[1].span == span(1, 9, 8, 1, 11, 10))
        #expect(t[2].span == span(1, 12, 11, 1, 16, 15))
    }

    @Test func rawTailIsOneStringToTheEndOfTheLine() {
        let sql: Set<String> = ["sql"]
        #expect(kinds("sql select count(*) from runs;", rawTail: sql) == [
            .identifier("sql"), .string("select count(*) from runs"), .eof,
        ])
        // `'`, `||`, `%`, `#` and `;` inside the statement are SQL, not retune.
        #expect(kinds("sql select 'a' || 'b' where x like '%#1;' ; \n runs", rawTail: sql) == [
            .identifier("sql"), .string("select 'a' || 'b' where x like '%#1;'"), .newline,
            .identifier("runs"), .eof,
        ])
        // A `\` at a line's end joins the next line; at the very end it asks for more input.
        #expect(kinds("sql select 1 \\\n + 2", rawTail: sql) == [.identifier("sql"), .string("select 1   + 2"), .eof])
        #expect(kinds("sql select 1 \\", rawTail: sql).contains(.trailingBackslash))
        // The quoted form, a later command on the line, and `sql` not at a command's start.
        #expect(kinds("sql \"select 1\"; runs", rawTail: sql) == [
            .identifier("sql"), .string("select 1"), .punct(.semicolon), .identifier("runs"), .eof,
        ])
        #expect(kinds("runs; sql select 2", rawTail: sql) == [
            .identifier("runs"), .punct(.semicolon), .identifier("sql"), .string("select 2"), .eof,
        ])
        #expect(kinds("help sql", rawTail: sql) == [.identifier("help"), .identifier("sql"), .eof])
        #expect(kinds("sql select 1") == [.identifier("sql"), .identifier("select"), .number(1, text: "1"), .eof])
    }

    @Test func rawTailSpanIsTheStatement() {
        let t = Lexer.tokenize("sql  select 1 ;", rawTail: ["sql"])
        #expect(t[1].span == span(1, 6, 5, 1, 14, 13))
    }
}
