import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

/// The policies from the literature on generated streams whose behaviour is known.
@Suite struct LiteraturePolicyTests {
    @Test func parsesTheNewPolicies() throws {
        let p = try PolicyParser.parse("retrain when cost, background, background threshold 30 delta 0.2, nearest version, nearest version window 2")
        #expect(p[0].retrain == .cost && p[0].needsCostRatio)
        #expect(p[1].background == PageHinkley())
        #expect(p[2].background?.threshold == 30 && p[2].background?.delta == 0.2)
        #expect(p[3].nearest && p[3].window == 1 && p[3].retrain == .each)
        #expect(p[4].window == 2)
        #expect(p.map(\.name) == ["retrain when cost", "background", "background threshold 30 delta 0.2", "nearest version",
                                  "nearest version window 2"])
        func failure(_ text: String) -> PolicyParseError? {
            do { _ = try PolicyParser.parse(text); return nil } catch let e as PolicyParseError { return e } catch { return nil }
        }
        #expect(failure("finetune when cost")?.message.contains("retrain when cost") == true)
        #expect(failure("nearest")?.message.contains("nearest version") == true)
        #expect(failure("background thresold 3")?.suggestion == "threshold")
        #expect(failure("background threshold -1")?.message.contains("positive") == true)
        #expect(failure("retrain each background")?.message.contains("of its own") == true)
    }

    @Test func costPolicyNeedsARatio() throws {
        let data = try changingStream(rowsPerYear: 400)
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(6), start: 0.3)
        #expect(throws: BacktestError.self) {
            try BacktestEngine.run(data: data, stream: stream, policies: PolicyParser.parse("retrain when cost"), setup: linearSetup(data))
        }
    }

    /// The rent-or-buy rule: a high ratio (compute dear) retrains less often than `retrain each`,
    /// a low one more often than the high one.
    @Test func costPolicyRetrainsLessWhenComputeIsDear() throws {
        let data = try changingStream()
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(12), start: 0.25)
        let policies = try PolicyParser.parse("retrain each, retrain when cost")
        func run(_ ratio: Double) throws -> BacktestResult {
            var setup = linearSetup(data)
            setup.costRatio = CostRatio(ratio, per: .gflop)
            return try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: setup)
        }
        // A retrain costs about 136 FLOPs per row here (1–3·10⁻⁴ GFLOP); before the change a
        // batch's error exceeds the training error by a few 10³ of rmse, after it by about 10⁵.
        // 10¹² per GFLOP prices a retrain above the whole stream's excess, 3·10⁸ (≈ 3·10⁴ per
        // retrain) between the two regimes, 10³ below any batch's excess.
        let dear = try run(1e12), moderate = try run(3e8), cheap = try run(1e3)
        let each = dear.outcomes[0].retrainedAfter.count
        let counts = [dear, moderate, cheap].map { $0.outcomes[1].retrainedAfter.count }
        #expect(each == 12)
        #expect(counts[0] < each, "dear compute: \(counts[0]) retrains")
        #expect(counts[2] > counts[0], "cheap compute \(counts[2]) vs dear \(counts[0])")
        #expect(counts[2] >= counts[1] && counts[1] >= counts[0], "retrains by ratio 1e12, 3e8, 1e3: \(counts)")
        // Between the regimes: the first retrain comes at the change (batch index 4) or one after.
        let first = try #require(moderate.outcomes[1].retrainedAfter.first)
        #expect(first == 4 || first == 5, "retrained after \(moderate.outcomes[1].retrainedAfter)")
        // The priced verdict: at a dear ratio the cheap policy wins.
        let v = try #require(dear.verdict)
        #expect(v.pick == 1)
        #expect(v.reasons.last?.contains("priced at") == true)
        #expect(dear.priced(dear.outcomes[0]).map { $0 > dear.outcomes[0].mean } == true)
    }

    /// An abrupt change of the relation (2019 → 2024 houses): the background model, trained on
    /// the rows since the detector's warning, recovers sooner than a retrain on everything at a
    /// drift alarm, which mixes the old regime into the new fit.
    @Test func backgroundRecoversSoonerThanADriftAlarm() throws {
        let data = try changingStream()
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(12), start: 0.25)
        let changeAt = 4
        let policies = try PolicyParser.parse("retrain when psi > 0.1, background")
        let result = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        let psi = result.outcomes[0], background = result.outcomes[1]
        #expect(!background.retrainedAfter.contains { $0 < changeAt }, "no false alarm before the change: \(background.retrainedAfter)")
        let firstSwap = try #require(background.retrainedAfter.first)
        #expect(firstSwap == changeAt || firstSwap == changeAt + 1, "swapped after \(background.retrainedAfter)")
        let after = (changeAt + 1)...(changeAt + 3)
        let sum = { (o: PolicyOutcome) in after.map { o.errors[$0] }.reduce(0, +) }
        #expect(sum(background) < sum(psi), "3 batches after the change: background \(after.map { background.errors[$0] }) vs psi \(after.map { psi.errors[$0] })")
    }

    /// Recurring regimes A B A B …: always serving the latest version serves the wrong regime;
    /// the nearest version by PSI serves a version trained on the same regime.
    @Test func nearestVersionServesTheMatchingRegime() throws {
        var parts: [Dataset] = []
        for k in 0..<8 {
            parts.append(Generators.housing(rows: 300, seed: UInt64(40 + k), year: k % 2 == 0 ? 2019 : 2024))
        }
        var data = parts[0]
        for p in parts.dropFirst() { data = try Dataset.concat(data, p, name: "regimes") }
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .rows(300), start: 300.0 / 2400)
        #expect(stream.initial.count == 300 && stream.batches.count == 7)
        let policies = try PolicyParser.parse("retrain each window 1, nearest version")
        let result = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        let latest = result.outcomes[0], nearest = result.outcomes[1]
        // Batch b (0-based) is regime (b + 1) % 2; versions: 0 = start part (2019), v = batch v − 1.
        for b in 1..<stream.batches.count {
            let served = nearest.served[b]
            let regime = served == 0 ? 0 : served % 2
            #expect(regime == (b + 1) % 2, "batch \(b + 1) served by version \(served)")
        }
        #expect(nearest.mean < latest.mean, "nearest \(nearest.mean) vs latest \(latest.mean)")
        #expect(nearest.flops == latest.flops, "the same trainings, only the serving differs")
    }

    @Test func pageHinkleyDetectsAShiftAndNotNoise() {
        var rng = SeededRandom(seed: 3)
        var quiet = PageHinkley()
        var alarms = 0
        for _ in 0..<20_000 where quiet.add(rng.nextGaussian()) == .drift { alarms += 1; quiet.reset() }
        #expect(alarms == 0, "\(alarms) false alarms in 20,000 stationary losses")
        var shifted = PageHinkley()
        for _ in 0..<1_000 { shifted.add(rng.nextGaussian()) }
        var delay: Int?
        for t in 0..<1_000 where delay == nil {
            if shifted.add(rng.nextGaussian() + 1) == .drift { delay = t }
        }
        // λ / (Δ − δ) = 50 / 0.9 ≈ 56 rows for a one-standard-deviation shift.
        let d = delay ?? .max
        #expect(d < 150, "detected after \(d) rows")
    }

    /// With a cost ratio advise ranks by error + priced compute: a prohibitive price keeps the
    /// version (no fit), a zero price picks the lowest estimate outright.
    @Test func adviseWithACostRatio() throws {
        let old = Generators.housing(rows: 1500, seed: 1, year: 2019), new = Generators.housing(rows: 600, seed: 2, year: 2024)
        let spec = ModelSpec(name: "price", family: .linear, target: "price", features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))
        let current = try Trainer.train(spec: spec, data: old, options: TrainOptions(seed: 1))
        func advise(_ ratio: CostRatio?) throws -> Evidence {
            try AdviseEngine.advise(AdviseInput(current: current.model, currentRows: current.trainRows, base: TrainOptions(seed: 1),
                                                old: old, new: new, seed: 7, costRatio: ratio))
        }
        let plain = try advise(nil)
        #expect(plain.verdict != .keep, "a 2019 → 2024 shift needs an update")
        let dear = try advise(CostRatio(1e12, per: .gflop))
        #expect(dear.verdict == .keep)
        #expect(dear.reasons.last?.contains("priced at") == true)
        let free = try advise(CostRatio(0, per: .gflop))
        #expect(free.pick == free.best)
    }
}
