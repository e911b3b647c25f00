import Foundation
import Testing
import Tracking
@testable import Notebook

/// Issue 17 at the command level: bounded queries, located CSV errors, divergence.
@Suite struct ReliabilityTests {
    @Test func sqlTimeoutSettingBoundsARunawayQuery() throws {
        let h = Harness()
        #expect(h.run("set sql_timeout 0.5") == 0)
        #expect(h.session.settings.sqlTimeout == 0.5)
        let start = Date()
        let code = h.run("sql with recursive r(x) as (select 1 union all select x+1 from r) select count(*) from r")
        #expect(code != 0)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(h.err.contains("query stopped after 0.5 s"), "\(h.err)")
        #expect(h.err.contains("set sql_timeout"))
    }

    @Test func sqlTimeoutValues() {
        let h = Harness()
        #expect(h.session.settings.sqlTimeout == 5)
        #expect(h.run("set sql_timeout off") == 0)
        #expect(h.session.settings.sqlTimeout == nil)
        #expect(h.run("set sql_timeout -1") != 0)
        #expect(h.err.contains("sql_timeout expects a positive number of seconds or off"))
        #expect(h.run("show settings") == 0)
        #expect(h.out.contains("sql_timeout"))
    }

    @Test func ctrlCStopsAQueryAsAnInterruption() {
        let h = Harness()
        h.session.shouldStop = { true }
        let code = h.run("sql with recursive r(x) as (select 1 union all select x+1 from r) select count(*) from r")
        #expect(code == ExitCode.interrupted, "\(h.err)")
        #expect(h.err.contains("interrupted by Ctrl-C"))
    }

    @Test func divergingFineTuneIsRecordedAndQueryable() throws {
        let h = Harness()
        try Fixtures.diabetes(into: h.session)
        #expect(h.run("model m = mlp hidden [16] predicts progression from *") == 0)
        #expect(h.run("train m on old epochs 5 lr 0.01") == 0, "\(h.err)")
        #expect(h.run("finetune m@1 on new epochs 10 lr 1e6") != 0)
        #expect(h.err.contains("diverged"), "\(h.err)")
        #expect(h.err.contains("try a smaller learning rate, e.g. lr 100000"), "\(h.err)")
        #expect(try h.session.store().run(2).row.status == .diverged)
        let before = h.out.count
        #expect(h.run("runs where status = diverged") == 0)
        let listed = String(h.out.dropFirst(before))
        #expect(listed.contains("#2") && !listed.contains("#1 "), "\(listed)")
    }

    @Test func aFailedLoadLeavesNothingHalfLoaded() throws {
        let h = Harness()
        let good = h.directory.appendingPathComponent("good.csv")
        let bad = h.directory.appendingPathComponent("bad.csv")
        try Data("a,b\n1,2\n".utf8).write(to: good)
        try Data("a,b\n1,2\n3,".utf8 + [0] + "\n".utf8).write(to: bad)
        #expect(h.run("load \"good.csv\" as d") == 0)
        #expect(h.run("load \"bad.csv\" as d") != 0)
        #expect(h.err.contains("bad.csv:3:3: NUL byte"), "\(h.err)")
        #expect(h.session.datasets["d"]?.rowCount == 1)
        #expect(h.run("load \"bad.csv\" as e") != 0)
        #expect(h.session.datasets["e"] == nil)
    }

    @Test func loadNamesADetectedSeparator() throws {
        let h = Harness()
        try Data("a\tb\tc\n1\t2\t3\n".utf8).write(to: h.directory.appendingPathComponent("t.tsv"))
        #expect(h.run("load \"t.tsv\" as t") == 0, "\(h.err)")
        #expect(h.out.contains("3 columns, separator tab (detected)"), "\(h.out)")
        #expect(h.run("load \"t.tsv\" as u sep \"\\t\"") == 0, "\(h.err)")
        #expect(h.out.contains("separator tab,"), "\(h.out)")
    }
}
