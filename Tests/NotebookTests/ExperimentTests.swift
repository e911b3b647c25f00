import Foundation
import Language
import Render
import Testing
import Tabular
import Tracking
@testable import Notebook

@Suite struct ExperimentQueryTests {
    func ids(_ h: Harness, _ command: String) -> [Int]? {
        let code = h.run(command)
        #expect(code == 0, "\(command): \(h.err)")
        return h.lastRunIDs
    }

    @Test func whereWithEachOperandKind() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(ids(h, "runs") == [1, 2, 3, 4, 5, 6, 7])
        #expect(ids(h, "runs where kind = finetune") == [2, 7])
        #expect(ids(h, "runs where model = price order by rmse") == [2, 3, 1])
        #expect(ids(h, "runs where model = price order by metric.rmse desc") == [1, 3, 2])
        #expect(ids(h, "runs where param.lr = 0.01 and metric.rmse < 2.95") == [3, 6])
        #expect(ids(h, "runs where lr = 0.001") == [2, 7])  // bare name → parameter
        #expect(ids(h, "runs where mae < 1.95") == [2, 3])  // bare name → metric
        #expect(ids(h, "runs where min(valid_loss) < 1.5") == [2])
        #expect(ids(h, "runs where last(train_loss) >= 1.7 order by id desc limit 2") == [3, 1])
        #expect(ids(h, "runs where count(train_loss) = 5") == [1, 2, 3])
        #expect(ids(h, "runs where kind in [retrain, finetune] and model = price") == [2, 3])
        #expect(ids(h, "runs where not kind = train and model like \"pr%\"") == [2, 3])
        #expect(ids(h, "runs where dataset = valid") == [1])
        #expect(ids(h, "runs where tag.arm = \"retrain\"") == [6])
        // Tags and parameters are text: a bare word on the other side is a value, as for kind.
        #expect(ids(h, "runs where tag.arm = retrain") == [6])
        #expect(ids(h, "runs where tag.arm != retrain and tag.arm = finetune") == [7])
        #expect(ids(h, "runs where model = price order by rmse limit 1") == [2])
        #expect(ids(h, "runs where started > \"2000-01-01\" and kind = drift") == [4])
        #expect(h.out.contains("price@2"))
    }

    @Test func ambiguousNameListsTheChoicesAtTheName() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("runs where kind = drift and score > 1") != 0)
        #expect(h.err.contains("test.retune:1:29:"), "\(h.err)")
        #expect(h.err.contains("metric.score"))
        #expect(h.err.contains("param.score"))
        #expect(h.run("runs where metric.score > 1") == 0)
        #expect(h.lastRunIDs == [4])
    }

    @Test func unknownNamesAndBadComparisonsPointAtTheSubExpression() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("runs where rmes < 3") != 0)
        #expect(h.err.contains("1:12:"))
        #expect(h.err.contains("rmse"))  // a near miss is suggested
        let h2 = Harness()
        try ExperimentFixture.populate(h2)
        #expect(h2.run("runs where kind = train and frob(rmse) < 3") != 0)
        #expect(h2.err.contains("unknown function 'frob'"))
        #expect(h2.err.contains("1:29:"))
        let h3 = Harness()
        try ExperimentFixture.populate(h3)
        #expect(h3.run("runs where kind < 3") != 0)
        #expect(h3.err.contains("kind holds names"))
    }
}

@Suite struct ExperimentRunTests {
    @Test func showRunPrintsEverything() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("show #1") == 0, "\(h.err)")
        let out = h.out
        for piece in ["train", "finished", "price@1", "train price on train valid valid epochs 40 lr 0.01",
                      "aaaaaaaaaaaa", "bbbbbbbbbbbb", "lr", "0.01", "rmse", "3", "examples", "4000", "naive 1x1",
                      "test cpu", "train_loss", "valid_loss"] {
            #expect(out.contains(piece), "missing \(piece)")
        }
        #expect(!out.contains("aaaaaaaaaaaaa"))  // fingerprint prefix only
        #expect(out.contains(where: { Sparkline.levels.contains($0) }))
        #expect(h.session.lastResult == .run(1))
        #expect(h.run("show #99") != 0)
        #expect(h.err.contains("99"))
    }

    @Test func compareShowsOnlyDifferingRowsUnlessAll() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("compare #1, #3") == 0, "\(h.err)")
        let t = try #require(h.lastTable)
        let keys = t.rows.map { TableRenderer.displayText($0[1]) }
        #expect(keys.contains("epochs"))
        #expect(keys.contains("rmse"))
        #expect(!keys.contains("lr"))       // same in both
        #expect(!keys.contains("family"))
        #expect(t.columns.map(\.name) == ["section", "key", "#1", "#3"])
        #expect(t.footer.first?.contains("hidden") == true)
        #expect(h.run("compare #1, #3 all") == 0)
        let all = try #require(h.lastTable)
        #expect(all.rows.map { TableRenderer.displayText($0[1]) }.contains("lr"))
        #expect(h.run("compare #1") != 0)
        #expect(h.err.contains("at least two runs"))
    }

    @Test func tagNoteDeleteRestore() throws {
        let h = Harness()
        let store = try ExperimentFixture.populate(h)
        #expect(h.run("tag #1 reviewed yes\nnote #1 \"baseline\"") == 0, "\(h.err)")
        #expect(try store.run(1).row.tags["reviewed"] == "yes")
        #expect(try store.run(1).row.note == "baseline")
        #expect(h.run("runs where tag.reviewed = \"yes\"") == 0)
        #expect(h.lastRunIDs == [1])
        #expect(h.run("delete #1\nruns where model = price") == 0)
        #expect(h.lastRunIDs == [2, 3])
        #expect(h.run("runs where model = price all") == 0)
        #expect(h.lastRunIDs == [1, 2, 3])
        #expect(h.run("restore #1\nruns where model = price") == 0)
        #expect(h.lastRunIDs == [1, 2, 3])
        #expect(h.run("delete price@3") == 0)
        #expect(try store.versions("price").map(\.version) == [1, 2])
        #expect(h.run("history price") == 0)
        let listed = try #require(h.lastTable).rows.map { TableRenderer.displayText($0[0]) }
        #expect(listed == ["price@1", "price@2"])
        #expect(h.run("restore price@3") == 0)
        #expect(try store.versions("price").map(\.version) == [1, 2, 3])
        #expect(h.run("tag #42 a b") != 0)
        #expect(h.err.contains("42"))
    }

    @Test func purgeNeedsConfirmationInScripts() throws {
        let h = Harness()
        let store = try ExperimentFixture.populate(h)
        #expect(h.run("delete #4\npurge") != 0)
        #expect(h.err.contains("purge confirm"))
        #expect(try store.run(4).row.deleted)
        #expect(h.run("purge confirm") == 0)
        #expect(h.out.contains("purged 1 run and 0 versions"))
        #expect(throws: StoreError.self) { try store.run(4) }
    }

    @Test func sqlIsReadOnly() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("sql \"SELECT kind, count(*) AS n FROM runs GROUP BY kind ORDER BY kind\"") == 0, "\(h.err)")
        let t = try #require(h.lastTable)
        #expect(t.columns.map(\.name) == ["kind", "n"])
        #expect(t.rows.first == [.text("drift"), .int(1)])
        for bad in ["DELETE FROM runs", "UPDATE runs SET note = 'x'", "ATTACH DATABASE 'x.db' AS x", "PRAGMA journal_mode = DELETE"] {
            let h2 = Harness()
            let store = try ExperimentFixture.populate(h2)
            #expect(h2.run("sql \"\(bad)\"") != 0, "\(bad) was allowed")
            #expect(h2.err.contains("test.retune:1:5:"), "\(bad): \(h2.err)")
            #expect(try store.runs().count == 7)
        }
    }

    @Test func rerunChecksDataAndComparesBitForBit() throws {
        let h = Harness()
        let store = try ExperimentFixture.populate(h)
        // The data the run used is not loaded: an error naming the dataset.
        #expect(h.run("rerun #1") != 0)
        #expect(h.err.contains("dataset 'train'"))
        #expect(h.err.contains("not loaded"))
        let old = try store.run(1)
        var new = old
        new.row.id = 9
        #expect(Experiments.rerunVerdict(old: old, new: new).first?.hasPrefix("identical") == true)
        new.row.metrics["rmse"] = 3.0.nextUp
        new.environment.kernel = "openblas"
        let lines = Experiments.rerunVerdict(old: old, new: new)
        #expect(lines.first?.hasPrefix("different: 1 of 3") == true)
        #expect(lines.contains { $0.contains("rmse") })
        #expect(lines.contains { $0.contains("kernel: naive 1x1 → openblas") })
    }
}

@Suite struct ExperimentModelTests {
    @Test func historyAndLineage() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("history price") == 0, "\(h.err)")
        let t = try #require(h.lastTable)
        #expect(t.rows.count == 3)
        #expect(t.rows[1][0] == .text("price@2"))
        #expect(t.rows[1][1] == .text("@1"))
        #expect(t.rows[1][3] == .text("finetune"))
        #expect(t.rows[1][4] == .text("rmse"))
        #expect(t.rows[1][5] == .number(2.5))
        #expect(h.run("lineage price@2") == 0)
        let lines = h.out.split(separator: "\n").map(String.init)
        let root = try #require(lines.firstIndex { $0.hasPrefix("price@1") })
        #expect(lines[root + 1].hasPrefix("├─ price@2"))
        #expect(lines[root + 1].hasSuffix("◀"))
        #expect(lines[root + 2].hasPrefix("└─ price@3"))
        #expect(h.session.lastResult == .version(model: "price", version: 2))
    }

    @Test func promoteRollbackAndUndo() throws {
        let h = Harness()
        let store = try ExperimentFixture.populate(h)
        #expect(h.run("promote price@1 as production\npromote price@2 as production") == 0, "\(h.err)")
        #expect(try store.aliases("price")["production"] == 2)
        #expect(h.run("rollback price") == 0)
        #expect(try store.aliases("price")["production"] == 1)
        #expect(h.run("rollback price") == 0)  // undoes the rollback
        #expect(try store.aliases("price")["production"] == 2)
        #expect(h.run("rollback price production to @3") == 0, "\(h.err)")
        #expect(try store.aliases("price")["production"] == 3)
        #expect(h.run("promote price@latest as staging\nrollback price staging") == 0, "\(h.err)")
        #expect(try store.aliases("price")["staging"] == nil)
        #expect(h.run("aliases price") == 0)
        let t = try #require(h.lastTable)
        #expect(t.rows.count == 7)
        #expect(t.rows[2][2] == .text("rollback"))
        #expect(t.footer == ["current: price@production = @3"])
        #expect(h.run("rollback price to @9") != 0)
        #expect(h.err.contains("1:19:"))
        #expect(h.run("promote price@2 as \"bad alias\"") != 0)
    }

    @Test func plotRunsAndVersions() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("plot #1, #2 train_loss") == 0, "\(h.err)")
        #expect(h.out.contains("#1"))
        #expect(h.out.contains("#2"))
        #expect(h.out.contains("epoch"))
        #expect(h.session.lastResult == .runs([1, 2]))
        #expect(h.run("plot price rmse") == 0, "\(h.err)")
        #expect(h.out.contains("version"))
        #expect(h.run("plot #1 nope") != 0)
        #expect(h.err.contains("curves: train_loss, valid_loss"))
    }

    @Test func reportHasOnePathPerCurveDuelsAndDrift() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("report to \"r.html\"") == 0, "\(h.err)")
        let html = try String(contentsOf: h.directory.appendingPathComponent("r.html"), encoding: .utf8)
        // 3 runs × (train_loss, valid_loss).
        #expect(html.components(separatedBy: "<path class=\"series\"").count - 1 == 6)
        #expect(html.contains("duel #5: rmse"))
        #expect(html.contains("drift #4: PSI per feature"))
        #expect(html.contains(">x2<"))
        #expect(!html.contains("<script"))
        #expect(h.run("report \"r.html\"") != 0)
        #expect(h.err.contains("overwrite"))
        #expect(h.run("report to \"r.html\" runs where kind = finetune overwrite") == 0, "\(h.err)")
        let small = try String(contentsOf: h.directory.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(small.components(separatedBy: "<path class=\"series\"").count - 1 == 2)
    }
    /// `to "F"` is the one spelling for the file a command writes; the bare form still works
    /// for report, transcript and save session, with a hint showing the `to` form.
    @Test func writingCommandsTakeToAndHintTheBareForm() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        for (command, file, hint) in [("report \"a.html\"", "a.html", "report to \"a.html\""),
                                      ("transcript \"a.md\"", "a.md", "transcript to \"a.md\""),
                                      ("save session \"a.retune\"", "a.retune", "save session to \"a.retune\"")] {
            #expect(h.run(command) == 0, "\(h.err)")
            #expect(h.err.contains("hint: did you mean '\(hint)'?"), "\(command): \(h.err)")
            #expect(FileManager.default.fileExists(atPath: h.directory.appendingPathComponent(file).path))
        }
        #expect(h.run("transcript to \"b.md\"") == 0, "\(h.err)")
        #expect(h.err.components(separatedBy: "hint:").count - 1 == 3, "the 'to' form gives no hint")
        #expect(h.run("report \"c.html\" to \"d.html\"") != 0)
        #expect(h.err.contains("the file is given twice"))
        #expect(h.run("transcript") != 0)
        #expect(h.err.contains("transcript needs the file to write: to \"FILE\""))
    }
}

@Suite struct ExperimentRerunTests {
    @Test func rerunReplaysWithTheRecordedSeedAfterCheckingFingerprints() throws {
        let h = Harness()
        let store = try h.session.store()
        h.session.datasets["train"] = Generators.housing(rows: 50, seed: 1)
        let fp = try #require(h.session.fingerprint(of: "train"))
        let env = ExperimentFixture.env
        // A recorded command that records no run: the replay runs, then says so.
        let id = try store.beginRun(NewRun(kind: .train, seed: 7, command: "set seed 99",
                                           datasets: [RunDataset(role: "train", name: "train", fingerprint: fp, rows: 50)],
                                           environment: env))
        try store.finishRun(id, status: .finished, finalMetrics: ["rmse": 1])
        #expect(h.run("rerun #\(id)") != 0)
        #expect(h.out.contains("rerun #\(id): set seed 99"))
        #expect(h.err.contains("recorded no new train run"), "\(h.err)")
        #expect(h.session.settings.seed == 42)  // the recorded seed applied only during the replay
        // A recorded command that fails is reported at this cell's operand, naming the recorded text.
        let bad = try store.beginRun(NewRun(kind: .evaluate, command: "set seed x", environment: env))
        try store.finishRun(bad, status: .failed)
        #expect(h.run("rerun #\(bad)") != 0)
        #expect(h.err.contains("test.retune:1:7: error: replaying run #\(bad) failed: seed expects an integer"), "\(h.err)")
        #expect(h.err.contains("in the recorded command \"set seed x\" at column 10"))
        // The data changed: refused before anything runs.
        h.session.datasets["train"] = Generators.housing(rows: 50, seed: 2)
        #expect(h.run("rerun #\(id)") != 0)
        #expect(h.err.contains("dataset 'train' has changed since run #\(id)"))
        #expect(h.err.contains("recorded fingerprint \(fp.prefix(12))"))
    }
}
