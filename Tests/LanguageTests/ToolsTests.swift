import Testing
@testable import Language

@Suite struct LexerTests {
    func kinds(_ s: String) -> [Token.Kind] { Lexer.tokenize(s).map(\.kind) }

    @Test func tokenKinds() {
        #expect(kinds("a and b.c #1 _ _2 x@3 @y") == [
            .identifier("a"), .keyword(.and), .dotted(["b", "c"]), .runID(1), .cellRef(nil), .cellRef(2),
            .version(model: "x", ref: .number(3)), .version(model: nil, ref: .alias("y")), .eof,
        ])
        #expect(kinds("[](),:;= != < <= > >= + - * / .") == [
            .punct(.leftBracket), .punct(.rightBracket), .punct(.leftParen), .punct(.rightParen),
            .punct(.comma), .punct(.colon), .punct(.semicolon), .punct(.equal), .punct(.notEqual),
            .punct(.less), .punct(.lessEqual), .punct(.greater), .punct(.greaterEqual),
            .punct(.plus), .punct(.minus), .punct(.star), .punct(.slash), .punct(.dot), .eof,
        ])
        #expect(kinds("a # c\nb") == [.identifier("a"), .newline, .identifier("b"), .eof])
        #expect(kinds("a \\\nb") == [.identifier("a"), .identifier("b"), .eof])
        #expect(kinds("seed -1") == [.identifier("seed"), .number(-1, text: "-1"), .eof])
        #expect(kinds("a-1") == [.identifier("a"), .punct(.minus), .number(1, text: "1"), .eof])
        #expect(kinds("in like not or") == [.keyword(.in), .keyword(.like), .keyword(.not), .keyword(.or), .eof])
    }

    @Test func invalidTokenStopsLexing() {
        #expect(kinds("a $ b") == [.identifier("a"), .invalid("unexpected character '$'"), .eof])
    }

    @Test func eofSpanIsAtTheEnd() {
        let t = Lexer.tokenize("ab\ncd")
        #expect(t.last?.span == span(2, 3, 5, 2, 3, 5))
    }
}

@Suite struct SplitScriptTests {
    @Test func chunksKeepLineNumbers() {
        let script = """
        # a session
        load "a.csv" as old

        model m = mlp hidden [
          64,   # wide
          32
        ] predicts y
        train m on old \\
          epochs 3
          # trailing comment
        show #1; show #2
        """
        let chunks = Parser.splitScript(script)
        #expect(chunks == [
            ScriptChunk(text: "load \"a.csv\" as old", firstLine: 2),
            ScriptChunk(text: "model m = mlp hidden [\n  64,   # wide\n  32\n] predicts y", firstLine: 4),
            ScriptChunk(text: "train m on old \\\n  epochs 3", firstLine: 8),
            ScriptChunk(text: "show #1; show #2", firstLine: 11),
        ])
    }

    @Test func chunksParseWithTheirLineNumbers() throws {
        let script = "a 1\n\nb [1,\n2 3]\nc"
        let chunks = Parser.splitScript(script)
        #expect(chunks.map(\.firstLine) == [1, 3, 5])
        guard case .failure(let d) = Parser.parse(chunks[1].text, firstLine: chunks[1].firstLine) else {
            Issue.record("expected failure")
            return
        }
        #expect(d.span.start.line == 4)
        #expect(d.span.start.column == 3)
    }

    @Test func incompleteChunkAtEndIsReturned() {
        let chunks = Parser.splitScript("a 1\nb \"open\nstill open")
        #expect(chunks == [
            ScriptChunk(text: "a 1", firstLine: 1),
            ScriptChunk(text: "b \"open\nstill open", firstLine: 2),
        ])
        if case .incomplete(let i) = Parser.parse(chunks[1].text, firstLine: 2) {
            #expect(i.reason == .openString(span(2, 3, 2, 3, 11, 18)))
        } else {
            Issue.record("expected incomplete")
        }
    }

    @Test func runIDLineIsNotAComment() {
        #expect(Parser.splitScript("#3\n# c\n  #x").map(\.text) == ["#3"])
    }

    @Test func emptyScript() {
        #expect(Parser.splitScript("").isEmpty)
        #expect(Parser.splitScript("\n\n  \n# only\n").isEmpty)
    }
}

@Suite struct FormatterTests {
    @Test func errorWithCaretAndNote() throws {
        let source = "load x\nmodel m hidden [64, 32)\nshow m"
        guard case .failure(let d0) = Parser.parse(source) else {
            Issue.record("expected failure")
            return
        }
        var d = d0
        d.notes = ["a list is written [a, b]"]
        let out = DiagnosticFormatter.format(d, sourceName: "s.retune", sourceText: source, color: false)
        #expect(out == """
        s.retune:2:23: error: expected ']' to close '[' at 2:16, found ')'
        model m hidden [64, 32)
                              ^
        note: a list is written [a, b]
        """)
    }

    @Test func tildesUnderWholeSpanAndFirstLineOffset() {
        let text = "train price on trian epochs 4"
        let d = Diagnostic.syntax("unknown dataset 'trian'", at: span(12, 16, 15, 12, 21, 20), notes: ["did you mean 'train'?"])
        let out = DiagnosticFormatter.format(d, sourceName: "[3]", sourceText: "# header\n" + text, firstLine: 11, color: false)
        #expect(out == """
        [3]:12:16: error: unknown dataset 'trian'
        train price on trian epochs 4
                       ^~~~~
        note: did you mean 'train'?
        """)
    }

    @Test func tabsAreKeptForAlignment() {
        let d = Diagnostic.syntax("bad", at: span(1, 3, 2, 1, 4, 3))
        let out = DiagnosticFormatter.format(d, sourceName: "f", sourceText: "\ta x", color: false)
        #expect(out == "f:1:3: error: bad\n\ta x\n\t ^")
    }

    @Test func multiLineSpanUnderlinesToEndOfFirstLine() {
        let d = Diagnostic.syntax("bad", at: span(1, 3, 2, 2, 2, 7))
        let out = DiagnosticFormatter.format(d, sourceName: "f", sourceText: "f [1,\n2]", color: false)
        #expect(out == "f:1:3: error: bad\nf [1,\n  ^~~")
    }

    @Test func errorAtEndOfLinePointsPastIt() throws {
        let source = "runs where a and"
        guard case .failure(let d) = Parser.parse(source) else {
            Issue.record("expected failure")
            return
        }
        let out = DiagnosticFormatter.format(d, sourceName: "-c", sourceText: source, color: false)
        #expect(out == "-c:1:17: error: expected a value, found end of input\nruns where a and\n                ^")
    }

    @Test func noSpanMeansNoSourceLine() {
        let d = Diagnostic("store is locked", kind: .io, notes: ["retry later"])
        #expect(DiagnosticFormatter.format(d, sourceName: "retune", sourceText: "", color: false)
            == "retune: error: store is locked\nnote: retry later")
    }

    @Test func warningAndColor() {
        let d = Diagnostic("careful", at: span(1, 1, 0, 1, 2, 1), kind: .runtime, severity: .warning)
        let plain = DiagnosticFormatter.format(d, sourceName: "f", sourceText: "x", color: false)
        #expect(plain == "f:1:1: warning: careful\nx\n^")
        let colored = DiagnosticFormatter.format(d, sourceName: "f", sourceText: "x", color: true)
        #expect(colored.contains("\u{1B}["))
        #expect(colored.replacingEscapes() == plain)
    }
}

extension String {
    /// Removes ANSI CSI sequences.
    func replacingEscapes() -> String {
        var out = ""
        var inEscape = false
        for c in self {
            if inEscape {
                if c.isLetter { inEscape = false }
            } else if c == "\u{1B}" {
                inEscape = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

@Suite struct SuggestTests {
    @Test func distances() {
        #expect(Suggest.distance("kitten", "sitting") == 3)
        #expect(Suggest.distance("fientune", "finetune") == 1)  // transposition
        #expect(Suggest.distance("", "abc") == 3)
        #expect(Suggest.distance("Train", "train") == 0)
    }

    @Test func closest() {
        let verbs = ["train", "retrain", "finetune", "evaluate", "runs", "show"]
        #expect(Suggest.closest("trian", among: verbs) == "train")
        #expect(Suggest.closest("fientune", among: verbs) == "finetune")
        #expect(Suggest.closest("evalute", among: verbs) == "evaluate")
        #expect(Suggest.closest("rus", among: verbs) == "runs")
        #expect(Suggest.closest("xyz", among: verbs) == nil)
        #expect(Suggest.closest("plot", among: verbs) == nil)
        #expect(Suggest.closest("", among: verbs) == nil)
        #expect(Suggest.didYouMean("shw", among: verbs) == "did you mean 'show'?")
    }
}
