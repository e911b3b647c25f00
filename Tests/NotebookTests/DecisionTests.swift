import Decisions
import Foundation
import Language
import Learning
import Tabular
import Testing
import Tracking
@testable import Notebook

/// Shared setup: real datasets from sessions/data, models defined and trained through the store
/// and `session.train` (the path `train` uses).
enum DecisionFixture {
    static var dataDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sessions/data")
    }

    /// Loads a real dataset and splits it ordered 70/30 into `old` and `new` (README procedure).
    static func loadReal(_ h: Harness, file: String, target: String, time: String? = nil) throws {
        let d = try CSVLoader.load(path: dataDirectory.appendingPathComponent(file).path, name: "all",
                                   options: CSVOptions(target: target, time: time))
        let (old, new) = try d.split(at: 0.7, ordered: true, names: ("old", "new"))
        h.session.datasets["all"] = d
        h.session.datasets["old"] = old
        h.session.datasets["new"] = new
    }

    /// Defines a model in the store and trains version 1 on `data`.
    @discardableResult
    static func train(_ h: Harness, _ spec: ModelSpec, on data: String, options: TrainOptions = TrainOptions()) throws -> TrainOutcome {
        let s = try h.session.store()
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        _ = try s.upsertModel(name: spec.name, specJSON: json)
        return try h.session.train(TrainRequest(kind: "train", model: spec.name, spec: spec, data: data, options: options),
                                   invocation: nil, span: .none)
    }

    static func run(_ h: Harness, _ id: Int64) throws -> RunDetail { try h.session.store().run(id) }

    /// The run a command returned (`_`).
    static func lastRun(_ h: Harness) throws -> RunDetail {
        guard case .run(let id)? = h.session.lastResult else { throw Diagnostic("no run result") }
        return try run(h, Int64(id))
    }

    static let diabetes = ModelSpec(name: "dia", family: .linear, target: "progression")
    static let macro = ModelSpec(name: "macro", family: .linear, target: "realcons",
                                 features: .columns(["realgdp", "realdpi", "tbilrate", "unemp", "infl"]))
    static let bikes = ModelSpec(name: "bikes", family: .linear, target: "bikers",
                                 features: .columns(["hr", "holiday", "weekday", "workingday", "temp", "atemp", "hum", "windspeed"]))
}

@Suite struct DecisionTests {
    @Test func driftOnDiabetesMatchesTheReference() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
        #expect(h.run("drift old new") == 0, "\(h.err)")
        let r = try DecisionFixture.lastRun(h)
        #expect(r.row.kind.rawValue == "drift")
        let maxPSI = try #require(r.row.metrics["max_psi"])
        #expect(abs(maxPSI - 0.1542508074) < 1e-6)
        #expect(abs((r.row.metrics["psi.age"] ?? 0) - 0.1542508074) < 1e-6)
        #expect(abs((r.row.metrics["ks.s4"] ?? 0) - 0.1177704169) < 1e-6)
        #expect(abs((r.row.metrics["psi.progression"] ?? 0) - 0.06011763) < 1e-6)
        #expect(r.row.tags["max_psi_column"] == "age")
        #expect(Set(r.datasets.map(\.role)) == ["ref", "new"])
        // Ranked by severity: age is the first data row; the verdict line shows the no-drift level.
        let age = try #require(h.out.range(of: "age"))
        for other in ["bmi", "s4", "sex"] {
            let r = try #require(h.out.range(of: other))
            #expect(age.lowerBound < r.lowerBound, "age must come first")
        }
        #expect(h.out.contains("drift: moderate (max feature PSI 0.154 on age; no-drift level 0.0968)"))
        #expect(h.out.contains("progression (target)"))
    }

    @Test func driftReportsSchemaAndCategories() throws {
        let h = Harness()
        h.session.datasets["a"] = Generators.sensors(rows: 300, seed: 1)
        h.session.datasets["b"] = Generators.sensors(rows: 300, seed: 2, drift: 1, extraFeature: true)
        #expect(h.run("drift a b columns [temperature, load]") == 0, "\(h.err)")
        #expect(h.out.contains("schema: new columns: pressure"))
        let r = try DecisionFixture.lastRun(h)
        #expect(r.row.metrics["psi.temperature"] != nil)
        #expect(r.row.metrics["psi.humidity"] == nil)
        // A typo in a column is an error on its span with a suggestion.
        #expect(h.run("drift a b columns [temprature]") != 0)
        #expect(h.err.contains("no column 'temprature'"))
        #expect(h.err.contains("did you mean 'temperature'?"))
    }

    /// keep and old + NEW tie on the diabetes tail while retrain on NEW and fine-tune are worse:
    /// the partial-tie rule (`AdviseRules.partialTieToOldPlusNew`) recommends old + NEW.
    @Test func adviseOnTheDiabetesTailRecommendsOldPlusNewFromAPartialTie() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
        try DecisionFixture.train(h, DecisionFixture.diabetes, on: "old")
        #expect(h.run("advise dia on new") == 0, "\(h.err)")
        let r = try DecisionFixture.lastRun(h)
        #expect(r.row.kind.rawValue == "advise")
        #expect(r.row.tags["verdict"] == "retrain_all")
        #expect(h.out.contains("verdict: retrain on old + NEW"))
        #expect(h.out.contains("within noise of it, but not every candidate is"))
        // The measured rmse on new is the reference old→new OLS rmse.
        #expect(abs((r.row.metrics["rmse"] ?? 0) - 52.17463586) < 1e-4)
        // The estimate is keep's rmse on the held-out tail of new, and every fit is a child run.
        #expect(r.row.metrics["estimated_rmse"] != nil)
        #expect(r.children.count == 3)
        #expect(h.out.contains("evidence: held-out tail: the latest 40 of 133 rows of new"))
    }

    @Test func macrodataRetrainsOnOldPlusNewAndTheDuelAgrees() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "macrodata.csv", target: "realcons", time: "date")
        try DecisionFixture.train(h, DecisionFixture.macro, on: "old")
        #expect(h.run("advise macro on new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        #expect(advice.row.tags["verdict"] != "keep", "\(h.out)")
        #expect(h.run("duel macro@1 on new holdout 0.5 seed 1") == 0, "\(h.err)")
        let duel = try DecisionFixture.lastRun(h)
        #expect(duel.row.kind.rawValue == "duel")
        #expect(duel.children.count == 4)
        let all = try #require(duel.row.metrics["retrain_all.rmse"])
        let newOnly = try #require(duel.row.metrics["retrain_new.rmse"])
        #expect(all < newOnly)
        // Holdout 0.5 of the 61 new rows = new_b of the README: old+new_a→new_b and new_a→new_b.
        #expect(abs(all - 207.3016) < 0.01)
        #expect(abs(newOnly - 340.3758) < 0.01)
        try expectNoContradiction(h, advice: advice, duel: duel)
    }

    @Test func bikeshareIsNotAConfidentRetrain() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "bikeshare_2011.csv", target: "bikers", time: "datetime")
        try DecisionFixture.train(h, DecisionFixture.bikes, on: "old")
        #expect(h.run("advise bikes on new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        #expect(h.run("duel bikes on new holdout 0.5 seed 2") == 0, "\(h.err)")
        try expectNoContradiction(h, advice: advice, duel: try DecisionFixture.lastRun(h))
    }

    @Test func diabetesDuelDoesNotContradictKeep() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
        try DecisionFixture.train(h, DecisionFixture.diabetes, on: "old")
        #expect(h.run("advise dia on new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        #expect(h.run("duel dia on new holdout 0.5 old old") == 0, "\(h.err)")
        let duel = try DecisionFixture.lastRun(h)
        // README: new_a→new_b (55.86) is worse than old→new_b (51.12).
        #expect(abs((duel.row.metrics["keep.rmse"] ?? 0) - 51.11643) < 1e-3)
        #expect(abs((duel.row.metrics["retrain_new.rmse"] ?? 0) - 55.85933) < 1e-3)
        #expect(duel.row.tags["winner"] == "keep")
        try expectNoContradiction(h, advice: advice, duel: duel)
    }

    /// A verdict contradicts a duel when the arm it recommends is worse than the duel's winner
    /// outside the holdout noise (paired bootstrap).
    func expectNoContradiction(_ h: Harness, advice: RunDetail, duel: RunDetail) throws {
        let verdict = try #require(advice.row.tags["verdict"])
        let winner = try #require(duel.row.tags["winner"])
        if verdict == winner { return }
        let s = try h.session.store()
        var versions: [String: Int] = [:]
        for id in duel.children {
            let c = try s.run(id)
            if let arm = c.row.tags["arm"] { versions[arm] = c.row.version ?? c.row.parentVersion }
        }
        let model = try #require(advice.row.model)
        let holdout = try #require(h.session.datasets.values.first { $0.name.hasSuffix("_duel_holdout") })
        func scores(_ arm: String) throws -> RowScores {
            let v = try #require(versions[arm], "arm \(arm) not run")
            let m = try TrainedModel.deserialize(try s.loadVersion(model, .number(v)).weights)
            return try DecisionMath.rowScores(m, on: holdout)
        }
        let a = try scores(verdict), w = try scores(winner)
        let samples = DecisionMath.resamples(n: a.losses.count, count: Advice.resamples, seed: 99)
        #expect(a.loss <= w.loss || DecisionMath.tied(a, w, samples: samples),
                "advise said \(verdict) (\(a.value)) but the duel's \(winner) is better (\(w.value)) outside the noise")
    }

    @Test func housingDriftRetrainsAndTheDuelAgrees() throws {
        let h = Harness()
        h.session.datasets["h2019"] = Generators.housing(rows: 1500, seed: 1, year: 2019)
        h.session.datasets["h2023"] = Generators.housing(rows: 1500, seed: 2, year: 2023)
        let spec = ModelSpec(name: "price", family: .linear, target: "price")
        try DecisionFixture.train(h, spec, on: "h2019")
        #expect(h.run("advise price on h2023") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        let verdict = advice.row.tags["verdict"] ?? ""
        #expect(verdict.hasPrefix("retrain"), "\(h.out)")
        #expect(h.run("duel price on h2023 promote") == 0, "\(h.err)")
        let duel = try DecisionFixture.lastRun(h)
        #expect(duel.row.tags["winner"] != "keep")
        try expectNoContradiction(h, advice: advice, duel: duel)
        // promote moved the production alias to the winner.
        let aliases = try h.session.store().aliases("price")
        #expect(aliases["production"] != nil && aliases["production"] != 1)
        #expect(h.out.contains("promoted price@"))
    }

    /// Every printed `next:` line runs as written, with the session's real names.
    @Test(arguments: ["diabetes", "housing", "macrodata", "budget"])
    func printedNextLinesRun(_ case_: String) throws {
        let h = Harness()
        switch case_ {
        case "diabetes", "budget":
            try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
            try DecisionFixture.train(h, DecisionFixture.diabetes, on: "old")
        case "macrodata":
            try DecisionFixture.loadReal(h, file: "macrodata.csv", target: "realcons", time: "date")
            try DecisionFixture.train(h, DecisionFixture.macro, on: "old")
        default:
            h.session.datasets["old"] = Generators.housing(rows: 1500, seed: 1, year: 2019)
            h.session.datasets["new"] = Generators.housing(rows: 800, seed: 2, year: 2023)
            try DecisionFixture.train(h, ModelSpec(name: "price", family: .linear, target: "price"), on: "old")
        }
        let model = case_ == "housing" ? "price" : (case_ == "macrodata" ? "macro" : "dia")
        let budget = case_ == "budget" ? " budget 0.000001" : ""
        #expect(h.run("advise \(model) on new\(budget)") == 0, "\(h.err)")
        if case_ == "budget" { #expect(h.out.contains("heuristic fallback"), "\(h.out)") }
        let next = try #require(h.out.split(separator: "\n").last { $0.hasPrefix("next: ") })
        let command = String(next.dropFirst("next: ".count))
        #expect(!command.contains("OLD") && !command.contains("ALL") && !command.contains("later batches"))
        #expect(h.run(command) == 0, "'\(command)' failed: \(h.err)")
    }

    /// A fine-tune verdict's `next:` line carries the options the candidate was estimated with
    /// (for an exact model: the anchor at its fitted rows), so running it fits that candidate:
    /// the new version's rmse on NEW's held-out tail equals advise's estimate.
    @Test func fineTuneNextLineRunsTheEstimatedCandidate() throws {
        let h = Harness()
        h.session.datasets["old"] = Generators.housing(rows: 300, seed: 36, year: 2019)
        // In time order, so that `split … ordered` cuts where advise's held-out tail starts.
        let unsorted = Generators.housing(rows: 6000, seed: 37, year: 2021)
        let t = try #require(unsorted.column(named: "sold_at")?.doubles)
        let order = t.indices.sorted { t[$0] < t[$1] }
        h.session.datasets["new"] = unsorted.gathering(rows: order, name: "new", provenance: unsorted.provenance)
        let spec = ModelSpec(name: "price", family: .linear, target: "price",
                             features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))
        try DecisionFixture.train(h, spec, on: "old")
        #expect(h.run("set format csv") == 0, "\(h.err)")
        #expect(h.run("advise price on new") == 0, "\(h.err)")
        #expect(try DecisionFixture.lastRun(h).row.tags["verdict"] == "finetune", "\(h.out)")
        let next = try #require(h.out.split(separator: "\n").last { $0.hasPrefix("next: ") })
        let command = String(next.dropFirst("next: ".count))
        #expect(command == "finetune price@1 on new anchor 300", "\(command)")
        // The estimate: the candidate fitted on the earliest 70 % of NEW, scored on the rest.
        let row = try #require(h.out.split(separator: "\n").first { $0.hasPrefix("fine-tune,") && $0.contains("◀") })
        let estimate = try #require(Double(row.split(separator: ",")[1]), "\(row)")
        #expect(h.run("split new into fit, tail at 0.7 ordered") == 0, "\(h.err)")
        #expect(h.run("finetune price@1 on fit anchor 300") == 0, "\(h.err)")
        #expect(h.run("evaluate price@2 on tail") == 0, "\(h.err)")
        let rmse = try #require(try DecisionFixture.lastRun(h).row.metrics["rmse"])
        #expect(abs(estimate - rmse) <= 1e-9 * rmse, "estimate \(estimate), refit rmse \(rmse)")
        #expect(h.run(command) == 0, "'\(command)' failed: \(h.err)")
    }

    /// Fine-tune with replay is a candidate for an iteratively trained model when OLD is
    /// loaded, and is listed as not run when it is not.
    @Test func replayCandidateNeedsTheOldData() throws {
        let h = Harness()
        h.session.datasets["s_old"] = Generators.sensors(rows: 300, seed: 1)
        h.session.datasets["s_new"] = Generators.sensors(rows: 200, seed: 2, drift: 1)
        let spec = ModelSpec(name: "net", family: .mlp, target: "output", hidden: [8])
        try DecisionFixture.train(h, spec, on: "s_old", options: TrainOptions(epochs: 8, lr: 0.01, seed: 1))
        #expect(h.run("set format csv") == 0, "\(h.err)")
        #expect(h.run("advise net on s_new") == 0, "\(h.err)")
        let replayRow = try #require(h.out.split(separator: "\n").first { $0.hasPrefix("fine-tune with replay,") })
        #expect(!replayRow.contains("not run"), "\(replayRow)")
        let advice = try DecisionFixture.lastRun(h)
        let arms = try advice.children.map { try DecisionFixture.run(h, $0).row.tags["candidate"] ?? "" }
        #expect(arms.contains("finetune_replay"), "\(arms)")
        h.session.datasets["s_old"] = nil
        #expect(h.run("advise net on s_new") == 0, "\(h.err)")
        let skipped = try #require(h.out.split(separator: "\n").last { $0.hasPrefix("fine-tune with replay,") })
        #expect(skipped.contains("not run"), "\(skipped)")
    }

    @Test func newFeatureForcesRetrainAndFineTuneIsRefused() throws {
        let h = Harness()
        h.session.datasets["s_old"] = Generators.sensors(rows: 400, seed: 1)
        h.session.datasets["s_new"] = Generators.sensors(rows: 400, seed: 2, drift: 1, extraFeature: true)
        let spec = ModelSpec(name: "sens", family: .linear, target: "output")
        try DecisionFixture.train(h, spec, on: "s_old")
        #expect(h.run("advise sens on s_new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        #expect(advice.row.tags["verdict"] == "retrain_new")
        #expect(h.out.contains("new pressure"))
        #expect(h.run("duel sens on s_new") == 0, "\(h.err)")
        #expect(h.out.contains("finetune refused:"))
        let duel = try DecisionFixture.lastRun(h)
        #expect(duel.row.tags["winner"] == "retrain_new")
    }

    @Test func missingFeatureMeansOnlyARetrainCanRun() throws {
        let h = Harness()
        h.session.datasets["s_old"] = Generators.sensors(rows: 300, seed: 1, extraFeature: true)
        let new = Generators.sensors(rows: 200, seed: 2)
        h.session.datasets["s_new"] = new
        try DecisionFixture.train(h, ModelSpec(name: "sens", family: .linear, target: "output"), on: "s_old")
        #expect(h.run("advise sens on s_new") == 0, "\(h.err)")
        #expect(try DecisionFixture.lastRun(h).row.tags["verdict"] == "retrain_new")
        #expect(h.out.contains("not measurable (schema"))
        #expect(h.run("duel sens on s_new") == 0, "\(h.err)")
        #expect(h.out.contains("keep cannot run:"))
        #expect(h.out.contains("finetune refused:"))
        #expect(try DecisionFixture.lastRun(h).row.tags["winner"] == "retrain_new")
    }

    @Test func monitorFlagsTheFirstBatchPastTheAlertAndShowsTheTimeline() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
        try DecisionFixture.train(h, DecisionFixture.diabetes, on: "old")
        let new = try #require(h.session.datasets["new"])
        let (a, b) = try new.split(at: 0.5, ordered: true, names: ("b1", "b2"))
        h.session.datasets["b1"] = a
        h.session.datasets["b2"] = b
        #expect(h.run("monitor dia on b2, b1, b2 alert rmse > 52") == 0, "\(h.err)")
        let r = try DecisionFixture.lastRun(h)
        #expect(r.row.kind.rawValue == "monitor")
        #expect(r.children.count == 3)
        // b2 = new_b: rmse 51.1; b1 = new_a: 53.2 > 52 → first alert is the second batch.
        #expect(r.row.metrics["first_alert_batch"] == 2)
        #expect(h.out.contains("alert: batch 'b1' is past rmse > 52 — next: advise dia@1 on b1"))
        #expect(h.run("monitor dia") == 0, "\(h.err)")
        #expect(h.out.contains("evaluations of dia@1"))
        guard case .runs(let ids)? = h.session.lastResult else { Issue.record("no runs result"); return }
        #expect(ids.count == 3)
        // A bad alert is an error on the alert's span.
        #expect(h.run("monitor dia on b1 alert rmse") != 0)
        #expect(h.err.contains("alert expects METRIC > X"))
    }

    @Test func duelValidatesItsOptions() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "diabetes.csv", target: "progression")
        try DecisionFixture.train(h, DecisionFixture.diabetes, on: "old")
        #expect(h.run("duel dia on new holdout 1.5") != 0)
        #expect(h.err.contains("holdout must be a fraction in (0, 1), got 1.5"))
        #expect(h.run("advise dia on nwe") != 0)
        #expect(h.err.contains("did you mean 'new'?"))
        #expect(h.run("advise nope on new") != 0)
        #expect(h.err.contains("no model named 'nope'"))
    }

    /// The verdict is judged by the duel (its arms fitted and scored on data advise did not
    /// see), not by a hand-set answer.
    @Test func breastCancerClassifierVerdictAgreesWithTheDuel() throws {
        let h = Harness()
        try DecisionFixture.loadReal(h, file: "breast_cancer.csv", target: "target")
        try DecisionFixture.train(h, ModelSpec(name: "cancer", family: .logistic, target: "target"), on: "old")
        #expect(h.run("advise cancer on new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        // Reference: logistic C = 1, old→new accuracy 0.9707602339 (train 0.9824120603).
        #expect(abs((advice.row.metrics["accuracy"] ?? 0) - 0.9707602339) < 1e-9)
        #expect(advice.row.tags["verdict"] != nil, "\(h.out)")
        #expect(h.run("duel cancer on new holdout 0.5 seed 4") == 0, "\(h.err)")
        let duel = try DecisionFixture.lastRun(h)
        #expect(duel.row.metrics["keep.accuracy"].map { abs($0 - 0.9651162791) < 1e-9 } == true)
        // The Newton fine-tune ran as the anchored exact fit (λ = n_train / 4).
        let ft = try duel.children.map { try DecisionFixture.run(h, $0) }.first { $0.row.tags["arm"] == "finetune" }
        #expect(ft?.row.params["anchor"] == "99.5")
        try expectNoContradiction(h, advice: advice, duel: duel)
    }

    @Test func penguinsMildDriftVerdictAgreesWithTheDuel() throws {
        // README: penguins drifts mildly and the old model transfers (old→new 404.75 vs
        // new_a→new_b 561.01). Old = year ≤ 2008, rows missing a used column dropped.
        let h = Harness()
        let cols = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
        let raw = try CSVLoader.load(path: DecisionFixture.dataDirectory.appendingPathComponent("penguins.csv").path,
                                     name: "raw", options: CSVOptions(target: "body_mass_g"))
        let d = try raw.droppingMissing(columns: cols, name: "penguins")
        let (old, new) = try d.split(by: "year", at: .number(2009), names: ("old", "new"))
        #expect(old.rowCount == 223 && new.rowCount == 119)
        h.session.datasets["old"] = old
        h.session.datasets["new"] = new
        try DecisionFixture.train(h, ModelSpec(name: "mass", family: .linear, target: "body_mass_g",
                                               features: .columns(Array(cols.prefix(3)))), on: "old")
        #expect(h.run("advise mass on new") == 0, "\(h.err)")
        let advice = try DecisionFixture.lastRun(h)
        #expect(abs((advice.row.metrics["rmse"] ?? 0) - 404.751) < 0.01)
        #expect(advice.row.tags["verdict"] != nil, "\(h.out)")
        #expect(h.run("duel mass on new holdout 0.5 seed 1") == 0, "\(h.err)")
        try expectNoContradiction(h, advice: advice, duel: try DecisionFixture.lastRun(h))
    }

    @Test func iterativeFineTuneUsesATenthOfTheLearningRateAndAQuarterOfTheEpochs() throws {
        let h = Harness()
        h.session.datasets["s_old"] = Generators.sensors(rows: 300, seed: 1)
        h.session.datasets["s_new"] = Generators.sensors(rows: 120, seed: 2, drift: 1)
        let spec = ModelSpec(name: "net", family: .mlp, target: "output", hidden: [8])
        try DecisionFixture.train(h, spec, on: "s_old", options: TrainOptions(epochs: 8, lr: 0.01, seed: 1))
        #expect(h.run("duel net on s_new seed 2") == 0, "\(h.err)")
        let duel = try DecisionFixture.lastRun(h)
        let children = try duel.children.map { try DecisionFixture.run(h, $0) }
        let ft = try #require(children.first { $0.row.tags["arm"] == "finetune" })
        #expect(ft.row.kind.rawValue == "finetune")
        #expect(ft.row.params["epochs"] == "2")
        #expect(ft.row.params["lr"] == "0.001")
        #expect(ft.row.parentVersion == 1)
        let rn = try #require(children.first { $0.row.tags["arm"] == "retrain_new" })
        #expect(rn.row.params["epochs"] == "8")
        #expect(rn.row.params["lr"] == "0.01")
        // The old training data (s_old) is loaded: the old + new arm ran on both.
        let all = try #require(children.first { $0.row.tags["arm"] == "retrain_all" })
        #expect(all.datasets.first?.rows == 300 + 84)
        // Given epochs/lr override the recipe.
        #expect(h.run("duel net@1 on s_new seed 2 epochs 3 lr 0.002") == 0, "\(h.err)")
        let again = try DecisionFixture.lastRun(h)
        let ft2 = try again.children.map { try DecisionFixture.run(h, $0) }.first { $0.row.tags["arm"] == "finetune" }
        #expect(ft2?.row.params["epochs"] == "3")
        #expect(ft2?.row.params["lr"] == "0.002")
    }

    @Test func expectedFailuresUnderErrorsContinueDoNotFailTheScript() {
        let h = Harness()
        #expect(h.run("set errors continue\nadvise nope on nothing\nset errors stop\nhelp drift") == 0)
        #expect(h.err.contains("no model named 'nope'"))
        #expect(h.out.contains("drift REF NEW"))
        let strict = Harness()
        #expect(strict.run("advise nope on nothing\nhelp drift") != 0)
        #expect(!strict.out.contains("drift REF NEW"))
    }

    @Test func everyDecisionCommandHasHelp() {
        let registry = Registry.standard
        for name in ["drift", "advise", "duel", "monitor"] {
            guard let spec = registry.spec(named: name) else { Issue.record("\(name) missing"); continue }
            #expect(spec.group == .decisions)
            #expect(!spec.summary.isEmpty && !spec.help.isEmpty && !spec.examples.isEmpty)
        }
    }
}
