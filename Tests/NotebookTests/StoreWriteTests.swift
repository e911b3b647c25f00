import Foundation
import Testing
@testable import Notebook
import Render

/// A store write that fails is a warning naming what was not recorded, never silent.
@Suite struct StoreWriteTests {
    struct Full: Error, CustomStringConvertible { var description: String { "database or disk is full" } }

    @Test func failedWritesWarn() {
        let h = Harness()
        var ran = false
        h.session.recording("the tag arm of run #3") { ran = true; throw Full() }
        #expect(ran)
        #expect(h.err.contains("warning: could not record the tag arm of run #3 in the store: database or disk is full"))
        h.session.recording("nothing") {}
        #expect(!h.err.contains("nothing"))
    }
}

@Suite struct FirstUserMessageTests {
    /// Early stopping is reported as a rounded note, not a warning.
    @Test func earlyStoppingIsARoundedNote() {
        let h = Harness()
        #expect(h.run("""
        generate housing rows 300 seed 1 as h
        model n = mlp hidden [8] predicts price from sqft, rooms
        train n on h valid 0.2 epochs 4 early_stop 2 seed 1
        """) == 0, "\(h.err)")
        #expect(h.err.contains("note: early stopping kept the weights of epoch"), "\(h.err)")
        #expect(!h.err.contains("warning: early stopping"))
        let line = h.err.split(separator: "\n").first { $0.contains("early stopping") } ?? ""
        let loss = line.split(separator: " ").last.map { $0.dropLast() } ?? ""
        #expect(loss.count <= 10, "rounded: \(line)")
    }

    /// A misspelt column gets a did-you-mean at `model` (when a dataset is loaded) and at `train`.
    @Test func misspeltColumnsAreSuggested() {
        let h = Harness()
        h.run("generate housing rows 100 seed 1 as h\nmodel m = linear predicts prise from sqft, rooms", keepGoing: true)
        #expect(h.err.contains("warning: no loaded dataset has a column 'prise'; did you mean 'price'?"), "\(h.err)")
        #expect(h.run("train m on h") != 0)
        #expect(h.err.contains("column 'prise' does not exist in dataset 'h'"))
        #expect(h.err.contains("did you mean 'price'?"))
    }

    @Test func nearNamesForTablesAndFiles() throws {
        let h = Harness()
        #expect(h.run("sql \"select * from run\"") != 0)
        #expect(h.err.contains("no such table: run"))
        #expect(h.err.contains("did you mean 'runs'?"))
        try "a,b\n1,2\n".write(to: h.directory.appendingPathComponent("prices.csv"), atomically: true, encoding: .utf8)
        #expect(h.run("load \"price.csv\" as p") != 0)
        #expect(h.err.contains("did you mean \"prices.csv\"?"), "\(h.err)")
    }

    /// duel shows the old-data column only with `old OLD_TEST`; advise counts the rows a version
    /// was fitted on, without its validation part.
    @Test func duelAndAdviseDescribeWhatTheyMeasured() {
        let h = Harness()
        h.session.tableWidth = 400  // one line per row, so the texts below are not wrapped
        #expect(h.run("""
        generate housing rows 500 seed 1 as a
        generate housing rows 200 seed 2 year 2023 as b
        model p = linear predicts price from sqft, rooms
        train p on a valid 0.2
        advise p on b
        duel p on b
        """) == 0, "\(h.err)")
        #expect(h.out.contains("200 rows = 0.5× the 400 training rows"), "\(h.out)")
        #expect(!h.out.contains("rmse (old)"))
        #expect(h.run("duel p@1 on b old a") == 0, "\(h.err)")
        #expect(h.out.contains("rmse (old)"))
    }
}

@Suite struct HelpWrapTests {
    /// `help CMD` wraps its prose to the terminal width; usage and examples stay as written.
    @Test func helpWrapsToTheWidth() throws {
        let spec = try #require(Registry.standard.spec(named: "advise"))
        let text = HelpText.command(spec, width: 60)
        let lines = text.split(separator: "\n").map(String.init)
        let prose = lines.filter { !$0.hasPrefix("usage:") && !$0.hasPrefix("  advise ") }
        #expect(prose.allSatisfy { TextWidth.of($0) <= 60 }, "\(prose.filter { TextWidth.of($0) > 60 })")
        #expect(text.contains("Decides from evidence"))
        // Nothing is lost: the same words as the unwrapped help.
        let words = { (s: String) in s.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }
        #expect(words(text) == words(HelpText.command(spec, width: 10_000)))
    }
}
