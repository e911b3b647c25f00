import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

@Suite struct AdviseEngineTests {
    let spec = ModelSpec(name: "p", family: .linear, target: "price",
                         features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))

    func current(_ old: Dataset) throws -> TrainingResult {
        try Trainer.train(spec: spec, data: old, options: TrainOptions(seed: 1))
    }

    func advise(old: Dataset, new: Dataset, budget: Double? = nil) throws -> Evidence {
        let c = try current(old)
        return try AdviseEngine.advise(AdviseInput(current: c.model, currentRows: c.trainRows, base: TrainOptions(seed: 1),
                                                   old: old, new: new, seed: 7, budget: budget))
    }

    @Test func aMovedMarketIsNotKept() throws {
        let e = try advise(old: Generators.housing(rows: 1500, seed: 1, year: 2019),
                           new: Generators.housing(rows: 600, seed: 2, year: 2024))
        #expect(e.verdict != .keep && e.verdict != .noSignal, "\(e.reasons)")
        #expect(e.protocolText.hasPrefix("held-out tail: the latest 180 of 600 rows"))
        let keep = try #require(e.candidates.first { $0.action == .keep })
        #expect(!keep.tied)
        // Every candidate ran, each with an interval around its estimate.
        for c in e.candidates {
            let l = try #require(c.loss), lo = try #require(c.low), hi = try #require(c.high)
            #expect(lo <= l && l <= hi)
        }
    }

    @Test func aStationaryStreamIsKeptBecauseTiesGoToTheCheapest() throws {
        let e = try advise(old: Generators.housing(rows: 1500, seed: 3, year: 2019),
                           new: Generators.housing(rows: 600, seed: 4, year: 2019))
        #expect(e.verdict == .keep, "\(e.reasons)")
        #expect(e.candidates.filter(\.tied).count >= 2)
    }

    @Test func aTargetWithoutSignalSaysNoSignal() throws {
        func permuted(_ d: Dataset, _ seed: UInt64) -> Dataset { AdviseScenarios.permutingTarget(d, seed: seed) }
        let e = try advise(old: permuted(Generators.housing(rows: 1500, seed: 5, year: 2019), 1),
                           new: permuted(Generators.housing(rows: 600, seed: 6, year: 2019), 2))
        #expect(e.verdict == .noSignal, "\(e.reasons)")
    }

    @Test func smallNewUsesFoldsAndATinyBudgetRunsNoFit() throws {
        let old = Generators.housing(rows: 800, seed: 7, year: 2019)
        let small = try advise(old: old, new: Generators.housing(rows: 60, seed: 8, year: 2023))
        #expect(small.protocolText.hasPrefix("forward chaining"), "housing has a time column: \(small.protocolText)")
        #expect(small.heldOutRows == 30)
        let capped = try advise(old: old, new: Generators.housing(rows: 600, seed: 8, year: 2023), budget: 1e-9)
        #expect(capped.insufficient)
        #expect(capped.candidates.filter { $0.action != .keep }.allSatisfy { $0.skipped?.hasPrefix("over budget") == true })
    }

    @Test func withoutOldTheOldPlusNewCandidateSaysWhy() throws {
        let old = Generators.housing(rows: 800, seed: 9, year: 2019)
        let c = try current(old)
        let e = try AdviseEngine.advise(AdviseInput(current: c.model, currentRows: c.trainRows, base: TrainOptions(seed: 1),
                                                    old: nil, oldMissing: "not loaded", new: Generators.housing(rows: 300, seed: 10, year: 2019), seed: 1))
        #expect(e.candidates.first { $0.action == .retrainAll }?.skipped == "not loaded")
    }

    /// A regression candidate with these per-row squared errors.
    static func candidate(_ a: Action, _ losses: [Double]) -> CandidateEstimate {
        var c = CandidateEstimate(action: a, loss: RowLosses.loss(losses.reduce(0, +) / Double(losses.count), classification: false),
                                  low: nil, high: nil, cost: TrainingCost(wallSeconds: 0, examplesProcessed: 0, estimatedFLOPs: 0),
                                  skipped: nil)
        c.rowLosses = losses
        return c
    }

    /// `AdviseEngine.decide` on these candidates and the trivial predictor's per-row losses.
    static func decided(_ cs: [CandidateEstimate], trivial: [Double]) -> Evidence {
        var e = Evidence(protocolText: "test", heldOutRows: trivial.count, candidates: cs, baselineLoss: 0, classification: false,
                         verdict: .keep, best: nil, pick: nil, reasons: [], insufficient: false, costRatio: nil)
        AdviseEngine.decide(&e, baseline: trivial, seed: 1)
        return e
    }

    /// `AdviseRules.partialTieToOldPlusNew`: keep and old + NEW within noise of the best while
    /// another candidate is worse beyond noise → old + NEW; every candidate tied → keep; old + NEW
    /// not tied → keep.
    @Test func aPartialTieBetweenKeepAndOldPlusNewGoesToOldPlusNew() {
        var rng = SeededRandom(seed: 21)
        let n = 400
        let base = (0..<n).map { _ in abs(rng.nextGaussian()) * 10 + 5 }
        let trivial = base.map { $0 * 4 + 20 }
        func decided(_ cs: [CandidateEstimate]) -> Evidence { Self.decided(cs, trivial: trivial) }
        let near = base.map { $0 * 0.998 }, worse = base.map { $0 * 1.5 + 3 }
        let partial = decided([Self.candidate(.keep, base), Self.candidate(.finetune, base.map { $0 * 1.001 }),
                               Self.candidate(.retrainNew, worse), Self.candidate(.retrainAll, near)])
        #expect(partial.verdict == .retrainAll, "\(partial.reasons)")
        #expect(partial.reasons.contains { $0.contains("not every candidate is") })
        let allTie = decided([Self.candidate(.keep, base), Self.candidate(.retrainNew, base.map { $0 * 1.002 }), Self.candidate(.retrainAll, near)])
        #expect(allTie.verdict == .keep, "\(allTie.reasons)")
        let oldPlusNewWorse = decided([Self.candidate(.keep, base), Self.candidate(.finetune, near), Self.candidate(.retrainAll, worse)])
        #expect(oldPlusNewWorse.verdict == .keep, "\(oldPlusNewWorse.reasons)")
    }

    /// `AdviseRules.noSignalNeedsKeepTied`: the trivial predictor within noise of the best gives
    /// "no signal" (keep) only while keep is within noise of the best too; with keep worse
    /// beyond noise the usual pick applies and the verdict says the signal is weak.
    @Test func noSignalNeedsKeepWithinNoise() {
        var rng = SeededRandom(seed: 22)
        let n = 400
        let base = (0..<n).map { _ in abs(rng.nextGaussian()) * 10 + 5 }
        let worse = base.map { $0 * 3 + 10 }
        // The trivial predictor as good as the best, keep far worse: an update, marked weak.
        let broken = Self.decided([Self.candidate(.keep, worse), Self.candidate(.finetune, base.map { $0 * 1.3 + 2 }),
                                  Self.candidate(.retrainNew, base)], trivial: base.map { $0 * 0.995 })
        #expect(broken.verdict == .retrainNew, "\(broken.reasons)")
        #expect(broken.reasons.contains { $0.hasPrefix("weak signal:") }, "\(broken.reasons)")
        // The trivial predictor as good as the best and keep tied with it: no signal.
        let none = Self.decided([Self.candidate(.keep, base.map { $0 * 1.002 }), Self.candidate(.retrainNew, base)], trivial: base.map { $0 * 0.995 })
        #expect(none.verdict == .noSignal, "\(none.reasons)")
        // The trivial predictor worse beyond noise: neither no signal nor a weak-signal note.
        let signal = Self.decided([Self.candidate(.keep, worse), Self.candidate(.retrainNew, base)], trivial: worse.map { $0 * 1.2 })
        #expect(signal.verdict == .retrainNew && !signal.reasons.contains { $0.hasPrefix("weak signal:") }, "\(signal.reasons)")
    }

    /// Classifiers are compared by the Brier score of their probabilities: each row's score is
    /// Σ_c (p_c − [y = c])² of the model's own probabilities, the error rate rides along, and
    /// the trivial predictor is the fit rows' class frequencies.
    @Test func classifiersAreComparedByTheirBrierScore() throws {
        let churnSpec = ModelSpec(name: "churn", family: .logistic, target: "churned")
        let old = Generators.churn(rows: 3000, seed: 180), new = Generators.churn(rows: 600, seed: 181, shift: 0.8)
        let c = try Trainer.train(spec: churnSpec, data: old, options: TrainOptions(seed: 1))
        let rows = try RowLosses.of(c.model, on: new)
        let p = try c.model.predict(new)
        let probabilities = try #require(p.probabilities)
        let y = try #require(try c.model.preprocessor.transform(new, requireTarget: true).y)
        #expect(rows.brier.count == y.count && y.count == 600)
        for i in [0, 1, 17, 599] {
            let hit1: Double = y[i] == 1 ? 1 : 0
            let expected = (probabilities[2 * i] - (1 - hit1)) * (probabilities[2 * i] - (1 - hit1))
                + (probabilities[2 * i + 1] - hit1) * (probabilities[2 * i + 1] - hit1)
            #expect(abs(rows.brier[i] - expected) < 1e-12)
            #expect(rows.losses[i] == (p.values[i] == y[i] ? 0 : 1))
        }
        // The trivial predictor: the fit rows' class frequencies f, scored Σ_c (f_c − [y = c])².
        let fit = Generators.churn(rows: 400, seed: 5)
        let fy = try #require(try c.model.preprocessor.transform(fit, requireTarget: true).y)
        let f1 = Double(fy.filter { $0 == 1 }.count) / Double(fy.count)
        #expect(f1 > 0.05 && f1 < 0.95)
        let base = AdviseEngine.baseline(fit: fit, test: new, model: c.model, scored: rows, brier: true)
        let zeroOne = AdviseEngine.baseline(fit: fit, test: new, model: c.model, scored: rows)
        let majority: Double = f1 > 0.5 ? 1 : 0
        for i in [0, 3, 599] {
            let hit1: Double = y[i] == 1 ? 1 : 0
            let expected = ((1 - f1) - (1 - hit1)) * ((1 - f1) - (1 - hit1)) + (f1 - hit1) * (f1 - hit1)
            #expect(abs(base[i] - expected) < 1e-12)
            #expect(zeroOne[i] == (y[i] == majority ? 0 : 1))
        }
        let e = try AdviseEngine.advise(AdviseInput(current: c.model, currentRows: c.trainRows, base: TrainOptions(seed: 1),
                                                    old: old, new: new, seed: 7))
        #expect(e.scoreName == "Brier score")
        #expect(e.reasons.first?.contains("Brier score") == true, "\(e.reasons)")
        for cand in e.candidates where cand.loss != nil {
            let r = try #require(cand.errorRate)
            #expect(r >= 0 && r <= 1)
            #expect(cand.loss != r, "the estimate is the Brier score, not the error rate")
        }
        #expect(e.verdict == .retrainNew, "\(e.reasons)")
    }
}
