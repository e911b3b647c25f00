import Foundation
import Testing
@testable import Notebook

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
