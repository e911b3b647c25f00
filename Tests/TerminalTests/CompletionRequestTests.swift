import Testing
@testable import Terminal

@Suite struct CompletionRequestTests {
    @Test func emptyLine() {
        let r = CompletionRequest(lineUpToCursor: "")
        #expect(r.word == "")
        #expect(r.insideQuote == false)
        #expect(r.precedingWords == [])
    }

    @Test func commandName() {
        let r = CompletionRequest(lineUpToCursor: "tra")
        #expect(r.word == "tra")
        #expect(r.precedingText == "")
    }

    @Test func optionAfterWords() {
        let r = CompletionRequest(lineUpToCursor: "train price on train ep")
        #expect(r.word == "ep")
        #expect(r.precedingWords == ["train", "price", "on", "train"])
        #expect(r.insideQuote == false)
    }

    @Test func startOfANewWord() {
        let r = CompletionRequest(lineUpToCursor: "describe ")
        #expect(r.word == "")
        #expect(r.precedingWords == ["describe"])
    }

    @Test func listAndCallBreaks() {
        #expect(CompletionRequest(lineUpToCursor: "compare #3,#").word == "#")
        #expect(CompletionRequest(lineUpToCursor: "model m = mlp hidden [6").word == "6")
        #expect(CompletionRequest(lineUpToCursor: "runs where min(val").word == "val")
        #expect(CompletionRequest(lineUpToCursor: "filter d where (pri").word == "pri")
    }

    @Test func wordInsideAnOpenQuoteIsAPath() {
        let r = CompletionRequest(lineUpToCursor: "load \"data/hou")
        #expect(r.word == "data/hou")
        #expect(r.insideQuote)
        #expect(r.precedingWords == ["load"])
    }

    @Test func closedQuoteIsNotAPath() {
        let r = CompletionRequest(lineUpToCursor: "load \"data/a.csv\" as ol")
        #expect(r.word == "ol")
        #expect(r.insideQuote == false)
    }

    @Test func escapedQuoteKeepsTheStringOpen() {
        let r = CompletionRequest(lineUpToCursor: "sql \"select \\\"x")
        #expect(r.insideQuote)
    }

    @Test func commonPrefixOfMatches() {
        #expect(commonPrefix(["describe", "drift", "duel"]) == "d")
        #expect(commonPrefix(["finetune", "filter"]) == "fi")
        #expect(commonPrefix(["only"]) == "only")
        #expect(commonPrefix([]) == "")
        #expect(commonPrefix(["abc", "xyz"]) == "")
    }
}

@Suite struct PromptTests {
    @Test func nonPrintingWrapsInLibeditMarkers() {
        let prompt = LineEditor.nonPrinting("\u{1B}[1m") + "[1]>" + LineEditor.nonPrinting("\u{1B}[0m") + " "
        #expect(prompt == "\u{01}\u{1B}[1m\u{01}[1]>\u{01}\u{1B}[0m\u{01} ")
        #expect(prompt.unicodeScalars.filter { $0 == "\u{01}" }.count == 4)
    }
}
