import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

/// The duel, drift, monitor and advise-measurement engines, without a store or a terminal.
@Suite struct DuelEngineTests {
    let spec = ModelSpec(name: "p", family: .linear, target: "price",
                         features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))

    struct Duel {
        var result: DuelResult
        var fitted: [String]
    }

    /// A duel of a 2019 version against NEW, fitting every arm with the Trainer directly.
    func duel(new: Dataset, old: Dataset, withOld: Bool = true, refuse: Set<String> = []) throws -> Duel {
        let current = try Trainer.train(spec: spec, data: old, options: TrainOptions(seed: 1))
        let (fit, hold) = try new.split(at: 0.7, seed: 3, ordered: true, names: ("fit", "hold"))
        let all = try Dataset.concat(old, fit, name: "all")
        let setup = DuelSetup(spec: spec, base: TrainOptions(seed: 3), parentRows: old.rowCount, seed: 3, hasOldTrain: withOld)
        var fitted: [String] = []
        var nextRun: Int64 = 10
        let result = try DuelEngine.run(
            version: 1, model: current.model, setup: setup, holdout: hold, oldTest: nil,
            keep: { _ in fitted.append("keep"); return 1 },
            fit: { arm in
                if refuse.contains(arm.name) { return .refused("not this time") }
                fitted.append(arm.name)
                let data = arm.data == .oldPlusNew ? all : fit
                let r = try Trainer.train(spec: spec, data: data, options: arm.options,
                                          parent: arm.fromParent ? current.model : nil)
                nextRun += 1
                return .fitted(model: r.model, version: Int(nextRun), runID: nextRun, cost: r.cost)
            })
        return Duel(result: result, fitted: fitted)
    }

    @Test func everyArmRunsInOrderAndAMovedMarketIsNotKept() throws {
        let d = try duel(new: Generators.housing(rows: 800, seed: 2, year: 2024),
                         old: Generators.housing(rows: 1500, seed: 1, year: 2019))
        #expect(d.fitted == ["keep", "finetune", "retrain_new", "retrain_all"])
        #expect(d.result.arms.map(\.arm) == d.fitted)
        let w = try #require(d.result.winner)
        #expect(w.arm != "keep", "\(d.result.arms.map { ($0.arm, $0.holdout.value) })")
        for a in d.result.arms {
            #expect(a.interval.low <= a.holdout.value && a.holdout.value <= a.interval.high, "\(a.arm)")
        }
        // The closed-form fine-tune's anchor is the parent's rows (FineTuneRule).
        #expect(DuelEngine.fineTuneOptions(DuelSetup(spec: spec, base: TrainOptions(seed: 3), parentRows: 1500,
                                                     seed: 3, hasOldTrain: true)).0.anchor == 1500)
    }

    @Test func aStationaryStreamKeepsBecauseTiesGoToTheCheapest() throws {
        let d = try duel(new: Generators.housing(rows: 800, seed: 4, year: 2019),
                         old: Generators.housing(rows: 1500, seed: 3, year: 2019))
        #expect(d.result.winner?.arm == "keep", "\(d.result.arms.map { ($0.arm, $0.holdout.value) })")
        #expect(d.result.why.hasPrefix("tied within the holdout noise"))
        #expect(d.result.costNote == nil)
    }

    @Test func theSameSeedGivesTheSameDuel() throws {
        let new = Generators.housing(rows: 500, seed: 6, year: 2023), old = Generators.housing(rows: 900, seed: 5, year: 2019)
        let a = try duel(new: new, old: old), b = try duel(new: new, old: old)
        #expect(a.result.arms.map(\.holdout.value) == b.result.arms.map(\.holdout.value))
        #expect(a.result.arms.map(\.interval.low) == b.result.arms.map(\.interval.low))
        #expect(a.result.winner?.arm == b.result.winner?.arm)
    }

    @Test func refusedArmsAreNotesAndWithoutOldDataThereIsNoRetrainAll() throws {
        let d = try duel(new: Generators.housing(rows: 500, seed: 8, year: 2023),
                         old: Generators.housing(rows: 900, seed: 7, year: 2019), withOld: false, refuse: ["finetune"])
        #expect(d.result.arms.map(\.arm) == ["keep", "retrain_new"])
        #expect(d.result.notes == ["finetune refused: not this time"])
    }

    @Test func anMLPFineTuneTakesTheOverridesAndAClosedFormOneSaysTheyAreIgnored() {
        let mlp = ModelSpec(name: "m", family: .mlp, target: "price", features: .allButTarget)
        var base = TrainOptions(seed: 1)
        base.epochs = 40
        base.lr = 0.01
        let given = DuelEngine.fineTuneOptions(DuelSetup(spec: mlp, base: base, parentRows: 100, epochs: 3, lr: 1e-4,
                                                         seed: 1, hasOldTrain: false))
        #expect(given.0.epochs == 3 && given.0.lr == 1e-4 && given.note == nil)
        let rule = DuelEngine.fineTuneOptions(DuelSetup(spec: mlp, base: base, parentRows: 100, seed: 1, hasOldTrain: false))
        #expect(rule.0.epochs == 10 && rule.0.lr == 0.001)
        let closed = DuelEngine.fineTuneOptions(DuelSetup(spec: spec, base: TrainOptions(seed: 1), parentRows: 100,
                                                          epochs: 3, seed: 1, hasOldTrain: false))
        #expect(closed.note?.hasPrefix("epochs/lr ignored") == true)
    }
}

@Suite struct DriftAssessmentTests {
    @Test func sameYearIsNoDriftAndAMovedYearRanksTheMovedColumnsFirst() throws {
        let a = Generators.housing(rows: 2000, seed: 1, year: 2019)
        let same = DriftAssessment.assess(reference: a, new: Generators.housing(rows: 2000, seed: 2, year: 2019))
        #expect(same.level == .none, "\(same.line)")
        let moved = DriftAssessment.assess(reference: a, new: Generators.housing(rows: 2000, seed: 2, year: 2029))
        #expect(moved.level != .none, "\(moved.line)")
        // Ranked by PSI, the target is never the worst feature, and the run metrics agree.
        let psis = moved.columns.compactMap(\.drift.psi)
        #expect(psis == psis.sorted(by: >))
        let worst = try #require(moved.worst)
        #expect(worst.name != moved.target)
        #expect(moved.metrics["max_psi"] == worst.psi)
        #expect(moved.line.hasPrefix("drift: \(moved.level.rawValue) (max feature PSI"))
        // The sale-time column drifts by definition: left out unless asked for.
        if let t = a.time {
            #expect(moved.timeColumnsLeftOut == [t])
            #expect(!moved.columns.contains { $0.drift.name == t })
            let asked = DriftAssessment.assess(reference: a, new: a, columns: [t])
            #expect(asked.columns.map(\.drift.name) == [t] && asked.timeColumnsLeftOut.isEmpty)
        }
    }
}

@Suite struct MonitorAlertTests {
    @Test func thresholdsCompareAsWritten() {
        let gt = MonitorAlert.threshold("rmse", .greater, 60, text: "rmse > 60")
        #expect(gt.isPast(60.5) && !gt.isPast(60))
        let ge = MonitorAlert.threshold("rmse", .greaterEqual, 60, text: "rmse >= 60")
        #expect(ge.isPast(60))
        let lt = MonitorAlert.threshold("accuracy", .less, 0.9, text: "accuracy < 0.9")
        #expect(lt.isPast(0.89) && !lt.isPast(0.9))
    }

    @Test func theDefaultIsTwentyPercentOverTheRecordedLoss() {
        let r = MonitorAlert.default(metric: PrimaryMetric(classification: false), recorded: ("valid_rmse", 50))
        #expect(r.key == "rmse" && !r.isPast(59.9) && r.isPast(60.1))
        #expect(r.text == "rmse > 60 (+20 % vs valid_rmse)")
        // Accuracy 0.99 recorded (error 0.01): the floor keeps one extra error in a hundred from alerting.
        let c = MonitorAlert.default(metric: PrimaryMetric(classification: true), recorded: ("valid_accuracy", 0.01))
        #expect(!c.isPast(0.988))
        #expect(c.isPast(0.5))
        let none = MonitorAlert.default(metric: PrimaryMetric(classification: false), recorded: nil)
        #expect(!none.isPast(1e300) && none.text.hasPrefix("none"))
    }
}

@Suite struct AdviceMeasureTests {
    let spec = ModelSpec(name: "p", family: .linear, target: "price",
                         features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))

    @Test func aMovedMarketIsDegradedAndDriftedAndASchemaChangeIsNotScored() throws {
        let old = Generators.housing(rows: 1500, seed: 1, year: 2019)
        let r = try Trainer.train(spec: spec, data: old, options: TrainOptions(seed: 1))
        let train = try DecisionMath.rowScores(r.model, on: old)
        let context = AdviceContext(trainingSummary: old.summary(fingerprint: false), fittedRows: old.rowCount,
                                    recorded: ("train_rmse", train.loss), producingCost: (0.01, 1e6),
                                    closedForm: true, budget: nil, seed: 7)
        let moved = try Advice.measure(r.model, on: Generators.housing(rows: 800, seed: 2, year: 2025), context: context)
        #expect(moved.measurements.degraded, "\(moved.performance)")
        #expect(moved.measurements.driftLevel != .none, "\(moved.drift)")
        #expect(moved.measurements.sizeRatio == 800.0 / 1500)
        #expect(moved.measurements.fineTuneSeconds == moved.measurements.retrainSeconds, "closed form: same cost")
        #expect(moved.cost.hasPrefix("retrain on NEW ≈ 0.01 s"))
        let same = try Advice.measure(r.model, on: Generators.housing(rows: 800, seed: 3, year: 2019), context: context)
        #expect(!same.measurements.degraded, "\(same.performance)")

        let dropped = try Advice.measure(r.model, on: old.drop(columns: ["rooms"], name: "d"), context: context)
        #expect(dropped.measurements.missingFeatures == ["rooms"])
        #expect(dropped.scores == nil && dropped.performance == "not measurable (schema change)")
    }
}
