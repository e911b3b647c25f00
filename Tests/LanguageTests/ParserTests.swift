import Testing
@testable import Language

@Suite struct DesignExampleTests {
    // Every example line of DESIGN.md §3, with the shape it must parse into.
    static let cases: [(String, String)] = [
        (#"load "data/housing_2019.csv" as old target price time sold_at"#,
         #"load | "data/housing_2019.csv" | as | old | target | price | time | sold_at"#),
        ("generate housing rows 5000 year 2019 seed 1 as old       # built-in drifting generators",
         "generate | housing | rows | 5000 | year | 2019 | seed | 1 | as | old"),
        ("split old into train, test at 0.8 seed 7                 # shuffled; `ordered` keeps file order",
         "split | old | into | seq(train, test) | at | 0.8 | seed | 7"),
        ("describe old", "describe | old"),
        ("drift old new                                            # PSI / KS / schema diff per feature",
         "drift | old | new"),
        ("model price = mlp hidden [64, 32] activation relu predicts price",
         "model | (= price mlp) | hidden | [64, 32] | activation | relu | predicts | price"),
        ("train price on train epochs 40 lr 0.01 batch 128 seed 42   # → price@1, run #1",
         "train | price | on | train | epochs | 40 | lr | 0.01 | batch | 128 | seed | 42"),
        ("evaluate price on test", "evaluate | price | on | test"),
        ("retrain price on new_train epochs 40                     # from scratch → price@2",
         "retrain | price | on | new_train | epochs | 40"),
        ("finetune price@1 on new_train epochs 5 lr 0.001 freeze 1 anchor 0.1 replay 0.2 from train",
         "finetune | ver(price@1) | on | new_train | epochs | 5 | lr | 0.001 | freeze | 1 | anchor | 0.1 | replay | 0.2 | from | train"),
        ("cv price on old folds 5", "cv | price | on | old | folds | 5"),
        ("duel price on new holdout 0.2         # runs keep / retrain / fine-tune side by side",
         "duel | price | on | new | holdout | 0.2"),
        ("advise price on new                   # recommends retrain or fine-tune, with the evidence",
         "advise | price | on | new"),
        ("runs where kind = finetune and min(valid_rmse) < 3 order by rmse limit 10",
         "runs | where | (and (= kind finetune) (< min(valid_rmse) 3)) | order | by | rmse | limit | 10"),
        ("show #7                                # one run: params, metrics, curve, lineage",
         "show | #7"),
        ("compare #3, #4                         # only what differs, plus cost",
         "compare | seq(#3, #4)"),
        ("history price                          # versions, parents, metrics, aliases",
         "history | price"),
        ("promote price@3 as production", "promote | ver(price@3) | as | production"),
        ("rollback price to @2", "rollback | price | to | ver(@2)"),
        ("plot #3, #4 valid_loss", "plot | seq(#3, #4) | valid_loss"),
        (#"sql "select kind, count(*) from runs group by kind"        # read-only"#,
         #"sql | "select kind, count(*) from runs group by kind""#),
        (#"export runs where model = price to "runs.csv"              # csv/tsv/json/md/html by extension"#,
         #"export | runs | where | (= model price) | to | "runs.csv""#),
        (#"save session "sessions/mine.retune""#, #"save | session | "sessions/mine.retune""#),
        ("help finetune", "help | finetune"),
    ]

    @Test(arguments: cases)
    func parsesDesignLine(_ example: (String, String)) throws {
        #expect(try one(example.0) == example.1)
    }

    @Test func wholeDesignBlockParsesAsOneSource() throws {
        let source = DesignExampleTests.cases.map(\.0).joined(separator: "\n")
        let parsed = try commands(source)
        #expect(parsed.map(shape) == DesignExampleTests.cases.map(\.1))
        // Each command sits on its own line.
        #expect(parsed.map(\.span.start.line) == Array(1...DesignExampleTests.cases.count))
    }
}

@Suite struct ExpressionTests {
    @Test func precedence() throws {
        #expect(try one("f a or b and c") == "f | (or a (and b c))")
        #expect(try one("f not a = 1 and b") == "f | (and (not (= a 1)) b)")
        #expect(try one("f a + b * c - d / e") == "f | (- (+ a (* b c)) (/ d e))")
        #expect(try one("f -a * b") == "f | (* (neg a) b)")
        #expect(try one("f a + 1 < b * 2") == "f | (< (+ a 1) (* b 2))")
        #expect(try one("f (a or b) and c") == "f | (and (or a b) c)")
        #expect(try one("f not not x") == "f | (not (not x))")
    }

    @Test func comparisonsAndMembership() throws {
        #expect(try one("f a != 1") == "f | (!= a 1)")
        #expect(try one("f a <= 1 and b >= 2 and c > 3") == "f | (and (and (<= a 1) (>= b 2)) (> c 3))")
        #expect(try one("runs where kind in [retrain, finetune]") == "runs | where | (in kind [retrain, finetune])")
        #expect(try one(#"runs where model like "pri%""#) == #"runs | where | (like model "pri%")"#)
        #expect(try one("runs where param.lr < 0.01") == "runs | where | (< dot(param.lr) 0.01)")
        #expect(try one("f kind in []") == "f | (in kind [])")
    }

    /// Ranges stand only on the right of `in` (sweep's over clause); `..` is two adjacent dots.
    @Test func ranges() throws {
        #expect(try one("f lr in 0.001..0.1 count 3") == "f | (in lr range(0.001..0.1 count 3))")
        #expect(try one("f lr in log 1e-4..1e-1 count 6, batch in [16, 32]")
                == "f | seq((in lr range(log 1e-4..1e-1 count 6)), (in batch [16, 32]))")
        #expect(try one("f x in 1..10 y") == "f | (in x range(1..10)) | y")
        #expect(try one("f x in -1..1") == "f | (in x range(-1..1))")
        #expect(failure("f lr in log [1, 2]")?.message == "expected a range after 'log', found '[1, 2]'")
        #expect(try one("f lr in log x..1") == "f | (in lr range(log x..1))")  // the command checks the ends
        #expect(failure("f lr in log")?.message == "expected a list after 'in', found 'log'")
        #expect(failure("f x in 1. .2") != nil)
        #expect(failure("f x in 1") != nil)
    }

    @Test func primaries() throws {
        #expect(try one("f 42 0.8 .5 1e-6 2.5E+3") == "f | 42 | 0.8 | .5 | 1e-6 | 2.5E+3")
        #expect(try one("f _ _3 _foo __ _3x") == "f | _ | _3 | _foo | __ | _3x")
        #expect(try one("f price@latest @2 m@production") == "f | ver(price@latest) | ver(@2) | ver(m@production)")
        #expect(try one("f a.b.c") == "f | dot(a.b.c)")
        #expect(try one("f [a: 1, b: [2, 3]]") == "f | {a: 1, b: [2, 3]}")
        #expect(try one("f []") == "f | []")
        #expect(try one("f [1, 2,]") == "f | [1, 2]")
        #expect(try one("f count(*) g() h(a, b + 1)") == "f | count(*) | g() | h(a, (+ b 1))")
        #expect(try one("select from *") == "select | from | *")
        #expect(try one("select a, * from t") == "select | seq(a, *) | from | t")
        #expect(try one("f a * b") == "f | (* a b)")
        #expect(try one("f [[1], [[2]]]") == "f | [[1], [[2]]]")
    }

    @Test func docsExamples() throws {
        #expect(try one("runs where kind in [retrain, finetune] and not param.lr > 0.01")
            == "runs | where | (and (in kind [retrain, finetune]) (not (> dot(param.lr) 0.01)))")
        #expect(try one("f a and not b or c") == "f | (or (and a (not b)) c)")
        #expect(try one("show _3") == "show | _3")
        #expect(try one("f -a.b * -2") == "f | (* (neg dot(a.b)) -2)")
        #expect(try one("f - - x") == "f | (neg (neg x))")
        #expect(failure("f a = not b")?.message == "expected a value, found the keyword 'not'")
        #expect(failure("f - not b")?.message == "expected a value, found the keyword 'not'")
    }

    @Test func callNeedsNoSpaceBeforeParenthesis() throws {
        #expect(try one("runs where (a > 1) and b") == "runs | where | (and (> a 1) b)")
        #expect(try one("f min (x)") == "f | min | x")
    }

    @Test func numberValues() throws {
        let c = try commands("f -2.5e1 .25 7")
        let values: [Double] = c[0].items.compactMap {
            if case .number(let v, _) = $0.kind { return v }
            return nil
        }
        #expect(values == [-25, 0.25, 7])
    }

    @Test func negativeNumberRule() throws {
        #expect(try one("train m seed -1") == "train | m | seed | -1")
        #expect(try one("f a - 1") == "f | (- a 1)")
        #expect(try one("f a-1") == "f | (- a 1)")
        #expect(try one("f a -1") == "f | a | -1")
        #expect(try one("f [-1, -.5]") == "f | [-1, -.5]")
        #expect(try one("f x = -3") == "f | (= x -3)")
        #expect(try one("f x=-3") == "f | (= x -3)")
        #expect(try one("f 2*-3") == "f | (* 2 -3)")
        #expect(try one("f (1)-2") == "f | (- 1 2)")
        #expect(try one("f [k:-1]") == "f | {k: -1}")
        #expect(try one("f - 1") == "f | (neg 1)")
        #expect(try one("f -x") == "f | (neg x)")
        #expect(try one("f a - -1") == "f | (- a -1)")
    }

    @Test func strings() throws {
        let c = try commands(#"f "a\"b\\c\nd\te" 'it\'s' "q'q" 'd"d'"#)
        let values: [String] = c[0].items.compactMap {
            if case .string(let s) = $0.kind { return s }
            return nil
        }
        #expect(values == ["a\"b\\c\nd\te", "it's", "q'q", "d\"d"])
        #expect(try one(##"f "# not a comment""##) == ##"f | "# not a comment""##)
    }

    @Test func rawNewlineInsideString() throws {
        let c = try commands("f \"a\nb\" c")
        #expect(c.count == 1)
        #expect(shape(c[0]) == "f | \"a\nb\" | c")
    }
}

@Suite struct CommandStructureTests {
    @Test func semicolonsAndNewlines() throws {
        let c = try commands("a 1; b 2 ;; c\n\n d;")
        #expect(c.map(shape) == ["a | 1", "b | 2", "c", "d"])
        #expect(c.map(\.text) == ["a 1", "b 2", "c", "d"])
        #expect(c[3].span.start.line == 3)
    }

    @Test func emptySourcesParseToNoCommands() throws {
        #expect(try commands("").isEmpty)
        #expect(try commands("   # just a comment").isEmpty)
        #expect(try commands("\n;\n  ;").isEmpty)
    }

    @Test func commentsAndRunIDs() throws {
        #expect(try one("show #12 # the best one #3") == "show | #12")
        #expect(try one("show #0") == "show | #0")
        #expect(try one("f a#comment") == "f | a")
    }

    @Test func continuationLines() throws {
        let source = "train price on train \\\n   epochs 40 \\  \n lr 0.01"
        let c = try commands(source)
        #expect(c.count == 1)
        #expect(shape(c[0]) == "train | price | on | train | epochs | 40 | lr | 0.01")
        #expect(c[0].text == source)
        #expect(c[0].items.last?.span == span(3, 5, 44, 3, 9, 48))
    }

    @Test func newlinesInsideBracketsContinue() throws {
        let source = "model m = mlp hidden [\n  64,\n  32\n] predicts y\nshow m"
        let c = try commands(source)
        #expect(c.map(shape) == ["model | (= m mlp) | hidden | [64, 32] | predicts | y", "show | m"])
        #expect(c[0].text == "model m = mlp hidden [\n  64,\n  32\n] predicts y")
        #expect(c[1].span.start.line == 5)
    }

    @Test func spansOfItems() throws {
        let c = try commands("runs where kind = finetune and min(valid_rmse) < 3 limit 10")
        let items = c[0].items
        #expect(c[0].verbSpan == span(1, 1, 0, 1, 5, 4))
        #expect(items[0].span == span(1, 6, 5, 1, 11, 10))
        // kind = finetune and min(valid_rmse) < 3
        #expect(items[1].span == span(1, 12, 11, 1, 51, 50))
        guard case .binary(.and, let left, let right) = items[1].kind else {
            Issue.record("expected and")
            return
        }
        #expect(left.span == span(1, 12, 11, 1, 27, 26))
        #expect(right.span == span(1, 32, 31, 1, 51, 50))
        guard case .binary(.less, let call, _) = right.kind else {
            Issue.record("expected <")
            return
        }
        #expect(call.span == span(1, 32, 31, 1, 47, 46))
        #expect(c[0].span == span(1, 1, 0, 1, 60, 59))
        #expect(c[0].text == "runs where kind = finetune and min(valid_rmse) < 3 limit 10")
    }

    @Test func spansIncludeBracketsAndParentheses() throws {
        let c = try commands("f [1, 2] (a)")
        #expect(c[0].items[0].span == span(1, 3, 2, 1, 9, 8))
        #expect(c[0].items[1].span == span(1, 10, 9, 1, 13, 12))
    }

    @Test func columnsCountCharactersOffsetsCountBytes() throws {
        // "é" is 2 UTF-8 bytes, the flag 8 bytes but one Character.
        let c = try commands("f \"é🇫🇷\" x", firstLine: 7)
        #expect(c[0].items[0].span == span(7, 3, 2, 7, 7, 14))
        #expect(c[0].items[1].span == span(7, 8, 15, 7, 9, 16))
        #expect(c[0].text == "f \"é🇫🇷\" x")
    }

    @Test func firstLineShiftsAllSpans() throws {
        let c = try commands("a\nb c", firstLine: 10)
        #expect(c[0].span.start.line == 10)
        #expect(c[1].items[0].span == span(11, 3, 4, 11, 4, 5))
    }

    @Test func crlfLineEndings() throws {
        let c = try commands("a 1\r\nb 2\r\n")
        #expect(c.map(shape) == ["a | 1", "b | 2"])
        #expect(c[1].span.start.line == 2)
    }
}

@Suite struct IncompleteTests {
    @Test func openBracketReportsTheBracket() throws {
        let reason = try #require(incomplete("model m hidden [64, 32"))
        #expect(reason == .openBracket("[", span(1, 16, 15, 1, 17, 16)))
        #expect(incomplete("f min(a") == .openBracket("(", span(1, 6, 5, 1, 7, 6)))
        #expect(incomplete("f (a +") == .openBracket("(", span(1, 3, 2, 1, 4, 3)))
        #expect(incomplete("f [a: [1,\n") == .openBracket("[", span(1, 7, 6, 1, 8, 7)))
    }

    @Test func openString() {
        #expect(incomplete("load \"data/x") == .openString(span(1, 6, 5, 1, 13, 12)))
        #expect(incomplete("load 'x\\") == .openString(span(1, 6, 5, 1, 9, 8)))
        #expect(incomplete("f [\"a") == .openString(span(1, 4, 3, 1, 6, 5)))
    }

    @Test func trailingBackslash() {
        #expect(Parser.parse("a \\").isIncomplete)
        #expect(!Parser.parse("a b").isIncomplete)
        #expect(incomplete("train m \\") == .trailingBackslash)
        #expect(incomplete("train m \\   ") == .trailingBackslash)
        #expect(incomplete("a 1 \\\n b \\") == .trailingBackslash)
    }

    @Test func earlierErrorWinsOverLaterIncomplete() {
        #expect(failure("f ) [") != nil)
        #expect(failure("f [1 2] \"abc") != nil)
    }

    @Test func incompleteBecomesADiagnosticAtEndOfScript() throws {
        guard case .incomplete(let inc) = Parser.parse("f [1,\n2", firstLine: 4) else {
            Issue.record("expected incomplete")
            return
        }
        let d = Parser.diagnostic(for: inc, source: "f [1,\n2", firstLine: 4)
        #expect(d.kind == .syntax)
        #expect(d.message == "'[' opened at 4:3 is never closed (expected ']')")
        #expect(d.span.start == loc(4, 3, 2))
        guard case .incomplete(let inc2) = Parser.parse("a \\") else {
            Issue.record("expected incomplete")
            return
        }
        let d2 = Parser.diagnostic(for: inc2, source: "a \\")
        #expect(d2.span == span(1, 3, 2, 1, 4, 3))
    }
}

@Suite struct ErrorTests {
    @Test func mismatchedClosingBracket() throws {
        let d = try #require(failure("model m hidden [64, 32)"))
        #expect(d.kind == .syntax)
        #expect(d.message == "expected ']' to close '[' at 1:16, found ')'")
        #expect(d.span == span(1, 23, 22, 1, 24, 23))
    }

    @Test func missingCommaInList() throws {
        let d = try #require(failure("f [1 2]"))
        #expect(d.message == "expected ']' to close '[' at 1:3, found '2'")
        #expect(d.span.start == loc(1, 6, 5))
    }

    @Test func commandMustStartWithIdentifier() throws {
        let d = try #require(failure("#3 x"))
        #expect(d.message == "expected a command name, found '#3'")
        #expect(d.span == span(1, 1, 0, 1, 3, 2))
        #expect(d.notes == ["a line starts with a command name, e.g. 'show #3'"])
        let d2 = try #require(failure("ok; and x"))
        #expect(d2.message == "expected a command name, found 'and'")
        #expect(d2.span.start == loc(1, 5, 4))
        #expect(failure("42") != nil)
        #expect(failure("\"s\"") != nil)
        #expect(failure("a.b x") != nil)
    }

    @Test func unexpectedTokens() throws {
        let d = try #require(failure("f a = = b"))
        #expect(d.message == "expected a value, found '='")
        #expect(d.span.start == loc(1, 7, 6))
        let d2 = try #require(failure("f )"))
        #expect(d2.message == "expected a value, found ')'")
        let d3 = try #require(failure("runs where a and"))
        #expect(d3.message == "expected a value, found end of input")
        #expect(d3.span.start == loc(1, 17, 16))
        let d4 = try #require(failure("compare #3,\nshow x"))
        #expect(d4.message == "expected a value, found end of line")
        #expect(d4.span.start == loc(1, 12, 11))
        let d5 = try #require(failure("f x and"))
        #expect(d5.message == "expected a value, found end of input")
    }

    @Test func comparisonRules() throws {
        let d = try #require(failure("f a = b = c"))
        #expect(d.message == "comparisons cannot be chained: unexpected '='")
        #expect(d.span.start == loc(1, 9, 8))
        let d2 = try #require(failure("f kind in finetune"))
        #expect(d2.message == "expected a list after 'in', found 'finetune'")
        #expect(d2.span == span(1, 11, 10, 1, 19, 18))
    }

    @Test func lexicalErrors() throws {
        let cases: [(String, String, Language.SourceLocation)] = [
            ("f $x", "unexpected character '$'", loc(1, 3, 2)),
            ("f 40epochs", "malformed number '40epochs'", loc(1, 3, 2)),
            ("f price@", "expected a version number or alias after '@'", loc(1, 3, 2)),
            ("f @", "expected a version number or alias after '@'", loc(1, 3, 2)),
            ("f p@3x", "malformed version '@3x'", loc(1, 3, 2)),
            ("f #3a", "malformed run id '#3a'", loc(1, 3, 2)),
            ("f a.b@1", "a version needs a plain model name, not 'a.b'", loc(1, 3, 2)),
            (#"f "a\qb""#, #"unknown escape '\q' in string (use \" \' \\ \n or \t)"#, loc(1, 5, 4)),
            ("f a == b", "unexpected '=='; equality is written '='", loc(1, 5, 4)),
            ("f !a", "unexpected '!'; 'not equal' is written '!=' and negation 'not'", loc(1, 3, 2)),
            ("f a \\ b", "unexpected '\\' (a '\\' continues a command only at the end of a line)", loc(1, 5, 4)),
            ("f 1e999", "number '1e999' is out of range", loc(1, 3, 2)),
            ("f #99999999999999999999999", "run id '#99999999999999999999999' is too large", loc(1, 3, 2)),
            ("f _99999999999999999999999", "cell number in '_99999999999999999999999' is too large", loc(1, 3, 2)),
            ("f a.5", "expected a value, found '.'", loc(1, 4, 3)),
            ("f é", "unexpected character 'é'", loc(1, 3, 2)),
            ("f \u{7}", "unexpected character '\\u{7}'", loc(1, 3, 2)),
        ]
        for (source, message, start) in cases {
            let d = try #require(failure(source), "\(source)")
            #expect(d.message == message, "\(source)")
            #expect(d.span.start == start, "\(source)")
            #expect(d.kind == .syntax)
        }
    }

    @Test func mapAndListMixups() throws {
        let d = try #require(failure("f [a: 1, b]"))
        #expect(d.message == "expected ':' after a map key, found ']'")
        let d2 = try #require(failure("f [a, b: 1]"))
        #expect(d2.message == "unexpected ':' in a list")
        #expect(d2.span.start == loc(1, 8, 7))
    }

    @Test func errorOnLaterLineHasAbsolutePosition() throws {
        guard case .failure(let d) = Parser.parse("a 1\nb [1 2]", firstLine: 20) else {
            Issue.record("expected failure")
            return
        }
        #expect(d.span.start == loc(21, 6, 9))
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let d = try #require(failure("f " + String(repeating: "[", count: 10_000)))
        #expect(d.message.contains("nested too deeply"))
        #expect(failure("f " + String(repeating: "(", count: 10_000)) != nil)
        #expect(failure("f " + String(repeating: "- ", count: 10_000) + "1") != nil)
        #expect(failure("f " + String(repeating: "not ", count: 10_000) + "x") != nil)
        #expect(failure("f " + String(repeating: "g(", count: 10_000)) != nil)
        // Nesting within the limit works.
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try commands("f " + ok).count == 1)
    }
}
