import Foundation
import Language
import Synchronization
import Testing
import Tracking
@testable import Notebook

/// `sweep` end to end: parallel training gives the same children as serial, the children are
/// queryable under their parent, the printed next: line runs, Ctrl-C keeps finished children.
@Suite struct SweepCommandTests {
    static let setup = """
        load "\(DecisionFixture.dataDirectory.appendingPathComponent("diabetes.csv").path)" as dia target progression
        split dia into tr, va at 0.8 seed 1
        model m = mlp hidden [8] predicts progression
        """
    static let grid = "over lr in [0.001, 0.01, 0.1], hidden in [[4], [8, 8]], epochs 4, batch 32 valid va"

    /// The children of sweep run `id`, in run-id order: (params, final metrics, curve).
    func children(_ h: Harness, _ id: Int64) throws -> [RunDetail] {
        let s = try h.session.store()
        return try s.run(id).children.sorted().map { try s.run($0) }
    }

    func sweepRun(_ h: Harness) throws -> Int64 {
        guard case .runs(let ids)? = h.session.lastResult, let first = ids.first else { throw Diagnostic("no runs result") }
        return Int64(first)
    }

    @Test func parallelTwoGivesTheChildrenOfParallelOneToTheBit() throws {
        var results: [[RunDetail]] = []
        for workers in [1, 2] {
            let h = Harness()
            #expect(h.run(Self.setup) == 0, "\(h.err)")
            #expect(h.run("sweep m on tr \(Self.grid) parallel \(workers)") == 0, "\(h.err)")
            let id = try sweepRun(h)
            let parent = try h.session.store().run(id)
            #expect(parent.row.kind.rawValue == "sweep" && parent.row.status == .finished)
            #expect(parent.row.params["parallel"] == String(workers))
            results.append(try children(h, id))
        }
        #expect(results[0].count == 6 && results[1].count == 6)
        for (a, b) in zip(results[0], results[1]) {
            #expect(a.row.metrics == b.row.metrics)  // Double ==: identical bits
            #expect(a.row.params.filter { $0.key != "kernel" } == b.row.params.filter { $0.key != "kernel" })
            #expect(a.row.version == b.row.version)
            #expect(a.curves.mapValues { $0.map(\.value) } == b.curves.mapValues { $0.map(\.value) })
            #expect(a.row.tags["config"] == b.row.tags["config"])
        }
        // The metric varies with the settings (a sweep whose children all agree proves nothing).
        #expect(Set(results[0].compactMap { $0.row.metrics["valid_rmse"] }).count == 6)
    }

    @Test func childrenAreVersionsListedUnderTheirParentAndTheBestIsPromoted() throws {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        #expect(h.run("sweep m on tr \(Self.grid) parallel 2") == 0, "\(h.err)")
        let id = try sweepRun(h)
        let kids = try children(h, id)
        let ranked = kids.sorted { ($0.row.metrics["valid_rmse"] ?? .infinity) < ($1.row.metrics["valid_rmse"] ?? .infinity) }
        let best = try #require(ranked.first)
        // Children are train runs of m, versions 1…6 in configuration order.
        #expect(kids.map(\.row.version) == [1, 2, 3, 4, 5, 6])
        #expect(kids.allSatisfy { $0.row.kind.rawValue == "train" && $0.row.parentRun == id })
        #expect(kids.map { $0.row.tags["config"] ?? "" }.first == "lr 0.001, hidden [4]")
        #expect(kids[1].row.params["hidden"] == "[8, 8]")
        // The parent records the best configuration and the spread.
        let parent = try h.session.store().run(id)
        #expect(parent.row.tags["best_run"] == "#\(best.row.id)")
        #expect(parent.row.tags["best_version"] == "m@\(best.row.version ?? 0)")
        #expect(parent.row.metrics["best_valid_rmse"] == best.row.metrics["valid_rmse"])
        #expect(parent.row.metrics["valid_rmse_min"] == best.row.metrics["valid_rmse"])
        #expect(parent.row.metrics["valid_rmse_max"] == ranked.last?.row.metrics["valid_rmse"])
        // runs where parent = #N lists the best three, best first.
        #expect(h.run("runs where parent = #\(id) order by metric.valid_rmse limit 3") == 0, "\(h.err)")
        guard case .runs(let listed)? = h.session.lastResult else { Issue.record("no runs"); return }
        #expect(listed == ranked.prefix(3).map { Int($0.row.id) })
        // The next: line of the sweep runs as written and points candidate at the best version.
        #expect(h.run("sweep m on tr \(Self.grid) parallel 2") == 0, "\(h.err)")
        let next = try #require(h.out.split(separator: "\n").last { $0.hasPrefix("next: ") })
        let command = String(next.dropFirst("next: ".count))
        #expect(command.hasPrefix("promote m@"))
        #expect(h.run(command) == 0, "'\(command)' failed: \(h.err)")
        let aliases = try h.session.store().aliases("m")
        #expect(aliases["candidate"] == (best.row.version ?? 0) + 6)
        // promote best does it directly.
        #expect(h.run("sweep m on tr over lr in [0.01, 0.1], epochs 3 valid va promote best") == 0, "\(h.err)")
        #expect(h.out.contains("promoted: m@candidate @"))
    }

    /// rerun of a child replays the sweep and compares the child of the same configuration.
    @Test func rerunOfAChildComparesTheSameConfiguration() throws {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        #expect(h.run("sweep m on tr over lr in [0.001, 0.1], epochs 3 valid va parallel 2") == 0, "\(h.err)")
        let kids = try children(h, try sweepRun(h))
        let second = try #require(kids.last)
        #expect(h.run("rerun #\(second.row.id)") == 0, "\(h.err)")
        guard case .run(let fresh)? = h.session.lastResult else { Issue.record("no run"); return }
        #expect(try h.session.store().run(Int64(fresh)).row.tags["config"] == "lr 0.1")
        #expect(h.out.contains("identical: run #\(fresh) reproduces the"), "\(h.out)")
    }

    @Test func crossValidationRecordsTheFoldMeanAndSpread() throws {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        #expect(h.run("sweep m on tr over lr in log 1e-3..1e-1 count 3, epochs 3 cv 3 parallel 2") == 0, "\(h.err)")
        let kids = try children(h, try sweepRun(h))
        #expect(kids.count == 3)
        #expect(kids.compactMap { $0.row.params["lr"] } == ["0.001", "0.01", "0.1"])
        for k in kids {
            let mean = try #require(k.row.metrics["valid_rmse"])
            let std = try #require(k.row.metrics["valid_rmse_std"])
            #expect(mean > 0 && std > 0 && mean != k.row.metrics["train_rmse"])
        }
        #expect(h.out.contains("± (folds)"))
        #expect(h.run("sweep m on tr over lr in [0.1] cv 3 early_stop 2") != 0)
        #expect(h.err.contains("early_stop needs validation data"))
    }

    @Test func ctrlCKeepsFinishedChildrenAndMarksTheSweepInterrupted() throws {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        // Stop after a number of polls: the first configurations finish, the rest do not start.
        let polls = Mutex(0)
        h.session.shouldStop = { polls.withLock { n in n += 1; return n > 60 } }
        let code = h.run("sweep m on tr \(Self.grid)")
        #expect(code == 130, "\(h.err)")
        let s = try h.session.store()
        let sweep = try #require(try s.runs(RunQuery(filter: .compare(.field(.kind), .eq, .string("sweep")))).first)
        #expect(sweep.status == .interrupted)
        let kids = try s.run(sweep.id).children
        #expect(kids.count >= 1 && kids.count < 6)
        #expect(try kids.allSatisfy { try s.run($0).row.status == .finished })
        #expect(h.err.contains("sweep interrupted after \(kids.count) of 6 configurations"))
    }

    /// A diverging configuration is a diverged child without a version; the sweep goes on.
    @Test func aDivergedConfigurationIsRecordedAndTheSweepFinishes() throws {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        #expect(h.run("sweep m on tr over lr in [1e6, 0.01], epochs 3 valid va") == 0, "\(h.err)")
        let id = try sweepRun(h)
        let kids = try children(h, id)
        #expect(kids.map(\.row.status) == [.diverged, .finished])
        #expect(kids.map(\.row.version) == [nil, 1])
        #expect(try h.session.store().run(id).row.tags["best_version"] == "m@1")
        #expect(h.err.contains("configuration 1 (lr 1e6) diverged"))
        // replay and from go together in a fine-tune sweep.
        #expect(h.run("sweep finetune m@1 on tr over lr in [0.01], epochs 2 from va") != 0)
        #expect(h.err.contains("from names the replay dataset"))
        #expect(h.run("sweep finetune m@1 on tr over replay in [0.1, 0.2], epochs 2 from va valid va") == 0, "\(h.err)")
    }

    @Test func badOverClausesPointAtTheSetting() {
        let h = Harness()
        #expect(h.run(Self.setup) == 0, "\(h.err)")
        #expect(h.run("sweep m on tr over lr in log 0..1 count 3") == 65)
        #expect(h.err.contains("test.retune:1:26: error: a log range needs a positive low end, got 0"), "\(h.err)")
        #expect(h.run("sweep m on tr over lr in [0.1] parallel 2 metric valid_rsme") != 0)
        #expect(h.err.contains("did you mean 'valid_rmse'?"))
        #expect(h.run("sweep m@1 on tr over lr in [0.1]") == 65)
        #expect(h.err.contains("sweep finetune m@1"))
    }
}
