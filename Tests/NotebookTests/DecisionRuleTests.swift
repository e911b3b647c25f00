import Decisions
import Testing
@testable import Notebook

/// The rules of docs/ADVICE.md on hand-made measurements (no data, no training).
@Suite struct DecisionRuleTests {
    func base() -> Advice.Measurements {
        Advice.Measurements(maxPSI: 0.05, maxPSIColumn: "x", noiseFloor: 0.01, metricName: "rmse",
                            recorded: 10, measured: 10.2, measuredNoise: 0.3, newRows: 500, trainRows: 1000)
    }

    @Test func levels() {
        #expect(Advice.level(psi: 0.09, noiseFloor: 0.01) == .none)
        #expect(Advice.level(psi: 0.1, noiseFloor: 0.01) == .moderate)
        #expect(Advice.level(psi: 0.25, noiseFloor: 0.01) == .major)
        // At or under the no-drift level, even a "major" PSI is none.
        #expect(Advice.level(psi: 0.3, noiseFloor: 0.3) == .none)
        #expect(Advice.level(psi: nil, noiseFloor: 0.01) == .none)
    }

    @Test func driftAloneKeeps() {
        var m = base()
        m.maxPSI = 2.0
        let d = Advice.decide(m)
        #expect(d.verdict == .keep)
        #expect(d.reasons.contains { $0.contains("drift alone does not decide") })
    }

    @Test func schemaChangeForcesRetrain() {
        var m = base()
        m.newFeatures = ["pressure"]
        #expect(Advice.decide(m).verdict == .retrainNew)
        m = base()
        m.missingFeatures = ["load"]
        m.measured = nil
        #expect(Advice.decide(m).verdict == .retrainNew)
    }

    @Test func noSignalWarnsInsteadOfRetraining() {
        var m = base()
        m.measured = 30
        m.maxPSI = 1
        m.noSignal = true
        let d = Advice.decide(m)
        #expect(d.verdict == .keep)
        #expect(d.warnings.contains { $0.hasPrefix("no signal") })
    }

    @Test func largeDriftWithDegradationRetrains() {
        var m = base()
        m.maxPSI = 0.8
        m.measured = 16  // +60 %
        m.newRows = 300
        #expect(Advice.decide(m).verdict == .retrainAll)  // few new rows: old + new
        m.newRows = 1500
        #expect(Advice.decide(m).verdict == .retrainNew)
    }

    @Test func modestDegradationFineTunesEvenUnderMajorDrift() {
        var m = base()
        m.maxPSI = 1.8
        m.measured = 11.5  // +15 %, beyond the noise (±0.3)
        let d = Advice.decide(m)
        #expect(d.verdict == .fineTune)
        #expect(d.reasons.contains { $0.contains("input drift is major") })
    }

    @Test func moderateDegradationWithLimitedDataFineTunes() {
        var m = base()
        m.maxPSI = 0.15
        m.measured = 12
        m.newRows = 100
        let d = Advice.decide(m)
        #expect(d.verdict == .fineTune)
        #expect(d.reasons.contains { $0.contains("limited new data") })
    }

    @Test func degradationInsideTheNoiseKeeps() {
        var m = base()
        m.measured = 11.5  // +15 %, but the interval's lower end (11.5 − 2) is under the recorded 10
        m.measuredNoise = 2
        #expect(Advice.decide(m).verdict == .keep)
    }

    @Test func budgetTurnsARetrainIntoAFineTune() {
        var m = base()
        m.maxPSI = 0.8
        m.measured = 20
        m.retrainSeconds = 100
        m.fineTuneSeconds = 25
        m.budget = 30
        let d = Advice.decide(m)
        #expect(d.verdict == .fineTune)
        #expect(d.reasons.contains { $0.contains("exceeds the budget") })
    }

    @Test func confidenceIsBoundedAndHalvedForTinySamples() {
        var m = base()
        m.maxPSI = 0.8
        m.measured = 40
        let big = Advice.decide(m).confidence
        m.newRows = 20
        let small = Advice.decide(m)
        #expect(big > 0.5 && big <= 0.95)
        #expect(small.confidence <= 0.5 && small.confidence < big)
        #expect(small.warnings.contains { $0.contains("only 20 rows") })
    }

    @Test func classificationDegradationUsesTheErrorFloor() {
        // error 0.5 % → 1.5 %: +1 point over a floor of 2 % = +50 %, not +200 %.
        let m = Advice.Measurements(recorded: 0.005, measured: 0.015, newRows: 1000, trainRows: 1000, isClassification: true)
        #expect(abs((m.degradation ?? 0) - 0.5) < 1e-12)
    }

    @Test func winnerTiesGoToTheCheaperArm() {
        let arms = [Advice.ArmScore(arm: "keep", loss: 10.0, oldLoss: nil, cost: 0),
                    Advice.ArmScore(arm: "finetune", loss: 9.9, oldLoss: nil, cost: 100),
                    Advice.ArmScore(arm: "retrain_new", loss: 8.0, oldLoss: nil, cost: 400)]
        // keep and finetune tie; retrain_new is clearly better.
        let clear = Advice.winner(arms) { a, b in Set([a, b]) == ["keep", "finetune"] }
        #expect(clear?.winner == "retrain_new")
        // Everything tied: keep (cheapest) wins.
        let tied = Advice.winner(arms) { _, _ in true }
        #expect(tied?.winner == "keep")
        #expect(Set(tied?.tiedWith ?? []) == ["finetune", "retrain_new"])
    }

    @Test func nearlyEqualCostsPreferTheSmallerChange() {
        let arms = [Advice.ArmScore(arm: "finetune", loss: 10.0, oldLoss: nil, cost: 212),
                    Advice.ArmScore(arm: "retrain_new", loss: 10.1, oldLoss: nil, cost: 210),
                    Advice.ArmScore(arm: "retrain_all", loss: 9.9, oldLoss: nil, cost: 1190)]
        #expect(Advice.winner(arms) { _, _ in true }?.winner == "finetune")
    }

    @Test func forgettingExcludesAnArm() {
        let arms = [Advice.ArmScore(arm: "keep", loss: 10, oldLoss: 5, cost: 0),
                    Advice.ArmScore(arm: "retrain_new", loss: 6, oldLoss: 9, cost: 400),
                    Advice.ArmScore(arm: "retrain_all", loss: 7, oldLoss: 5.2, cost: 800)]
        let r = Advice.winner(arms) { _, _ in false }
        #expect(r?.winner == "retrain_all")
        #expect(r?.excluded == ["retrain_new"])
    }
}
