import Foundation
import Testing
import Tracking
@testable import Notebook

/// `by COLUMN` on drift, evaluate, advise and duel and `where …` on the training verbs, through
/// the commands on the real penguins data (sessions/data).
@Suite struct SegmentCommandTests {
    func penguins() -> Harness {
        let h = Harness()
        let path = DecisionFixture.dataDirectory.appendingPathComponent("penguins.csv").path
        h.run("""
        load "\(path)" as penguins time date_egg
        split penguins into early, late by date_egg at "2009-01-01"
        model mass = linear predicts body_mass_g from species, island, bill_length_mm, bill_depth_mm, flipper_length_mm
        train mass on early impute mean
        """)
        return h
    }

    func lastRun(_ h: Harness) throws -> RunDetail { try DecisionFixture.lastRun(h) }

    @Test func whereFineTunesOnTheMatchingRowsAndRecordsTheFilter() throws {
        let h = penguins()
        #expect(h.run(#"finetune mass@1 on late where island = "Biscoe" and not missing(body_mass_g)"#) == 0, "\(h.err)")
        guard case .version(_, let v)? = h.session.lastResult else { Issue.record("no version"); return }
        let stored = try h.session.store().loadVersion("mass", .number(v))
        #expect(stored.info.parentVersion == 1)
        let run = try h.session.store().run(try #require(stored.info.run))
        #expect(run.row.params["where"] == #"island = "Biscoe" and not missing(body_mass_g)"#)
        // The rows fitted are the matching ones: Biscoe rows of late with a target.
        let late = try #require(h.session.datasets["late"])
        let island = try #require(late.column(named: "island")), mass = try #require(late.column(named: "body_mass_g"))
        let expected = (0..<late.rowCount).filter { r in
            if case .categorical(let codes, let levels) = island.storage { return levels[Int(codes[r])] == "Biscoe" && !mass.isMissing(r) }
            return false
        }.count
        #expect(run.cost?.examples == expected)
        #expect(expected > 0 && expected < late.rowCount)
    }

    @Test func whereErrorsPointAtTheFilterWithDidYouMean() {
        let h = penguins()
        #expect(h.run(#"finetune mass@1 on late where island = "Bisco""#) != 0)
        #expect(h.err.contains(#"no row of 'late' has island = "Bisco" (0 of 120 rows)"#), "\(h.err)")
        #expect(h.err.contains(#"did you mean "Biscoe"?"#), "\(h.err)")
        #expect(h.run(#"train mass on early where islnd = "Biscoe""#) != 0)
        #expect(h.err.contains("did you mean 'island'?"), "\(h.err)")
        #expect(h.err.contains("test.retune:1:"), "\(h.err)")
    }

    @Test func driftByMarksSmallSegmentsAndTagsTheFlaggedOnes() throws {
        let h = penguins()
        #expect(h.run("drift early late by island columns [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]") == 0, "\(h.err)")
        let run = try lastRun(h)
        #expect(h.out.contains("too few rows: n=36 / 16; at least 20 a side needed"), "\(h.out)")
        #expect(run.row.tags["flagged_segments"] != nil)
        #expect(run.row.params["by"] == "by island")
        #expect(run.row.metrics["max_psi.island=Biscoe"] != nil)
        #expect(run.row.metrics["max_psi.island=Torgersen"] == nil)
        // A numeric column with many values needs bins; with bins it is segmented by quantiles.
        #expect(h.run("drift early late by bill_length_mm") != 0)
        #expect(h.err.contains("add bins N"), "\(h.err)")
        #expect(h.run("drift early late by bill_length_mm bins 3") == 0, "\(h.err)")
        #expect(h.run("drift early late by islnd") != 0)
        #expect(h.err.contains("did you mean 'island'?"), "\(h.err)")
    }

    @Test func evaluateAdviseAndDuelBySegment() throws {
        let h = penguins()
        #expect(h.run("evaluate mass on late by island") == 0, "\(h.err)")
        let eval = try lastRun(h)
        let biscoe = try #require(eval.row.metrics["rmse.island=Biscoe"])
        #expect(biscoe > 0 && eval.row.metrics["rmse.island=Torgersen"] == nil)
        #expect(h.out.contains("too few rows: n=16"))
        #expect(h.run("advise mass on late by species") == 0, "\(h.err)")
        let advise = try lastRun(h)
        #expect(advise.row.kind.rawValue == "advise")
        #expect(["keep", "finetune_segments", "finetune", "retrain_new", "retrain_all"].contains(advise.row.tags["verdict"] ?? ""))
        #expect(advise.row.metrics["estimated_rmse.keep"] != nil)
        #expect(h.run("advise mass on late by species budget 3") != 0)
        #expect(h.run("duel mass on late by island holdout 0.5") == 0, "\(h.err)")
        #expect(h.out.contains("duel by island: rmse on the holdout"))
    }

    @Test func aSegmentModelRoutesFallsBackAndIsStoredLikeAnyVersion() throws {
        let h = penguins()
        #expect(h.run(#"finetune mass@1 on late where island = "Biscoe""#) == 0, "\(h.err)")
        #expect(h.run("segment mass@1 by island use [Biscoe: mass@2]") == 0, "\(h.err)")
        guard case .version(_, let v)? = h.session.lastResult else { Issue.record("no version"); return }
        #expect(v == 3)
        let store = try h.session.store()
        let stored = try store.loadVersion("mass", .number(3))
        #expect(stored.info.parentVersion == 1)
        let run = try store.run(try #require(stored.info.run))
        #expect(run.row.kind.rawValue == "segment")
        #expect(run.row.params["routes"] == "Biscoe=@2")
        // Routed: Biscoe rows are predicted by @2, the others by @1 (the base).
        let seg = try h.session.loadVersion("mass", ref: .number(3), at: .none).model
        let base = try h.session.loadVersion("mass", ref: .number(1), at: .none).model
        let tuned = try h.session.loadVersion("mass", ref: .number(2), at: .none).model
        let late = try #require(h.session.datasets["late"])
        let p = try seg.predict(late).values, pb = try base.predict(late).values, pt = try tuned.predict(late).values
        guard case .categorical(let codes, let levels)? = late.column(named: "island")?.storage else { Issue.record("island"); return }
        var routed = 0, fellBack = 0
        for r in 0..<late.rowCount where p[r].isFinite {
            if levels[Int(codes[r])] == "Biscoe" { #expect(p[r] == pt[r]); routed += 1 } else { #expect(p[r] == pb[r]); fellBack += 1 }
        }
        #expect(routed > 0 && fellBack > 0)
        #expect(h.run("evaluate mass@3 on late") == 0, "\(h.err)")
        #expect(h.out.contains("routed by island: Biscoe → @2 60 rows; 60 rows fell back to the base @1"), "\(h.out)")
        // Aliases, rollback, show, health and audit take it like any version.
        #expect(h.run("promote mass@3 as production; rollback mass to @1; show mass@3; health mass; audit mass@3") == 0, "\(h.err)")
        // It cannot be fine-tuned or advised on; bad routes are errors at the route.
        #expect(h.run("finetune mass@3 on late") != 0)
        #expect(h.err.contains("mass@3 is a segment model (by island) and cannot be fine-tuned"), "\(h.err)")
        #expect(h.run("advise mass@3 on late") != 0)
        #expect(h.run("segment mass@1 by island use [Biscoe: other@2]") != 0)
        #expect(h.err.contains("other is another model"), "\(h.err)")
        #expect(h.run("segment mass@1 by island use [Biscoe: @9]") != 0)
    }
}
