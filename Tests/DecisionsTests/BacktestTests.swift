import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

/// A stream with a known abrupt change: 2019 house sales, then 2024 ones (prices up 34 %,
/// houses further out, distance cheaper), in that order.
func changingStream(rowsPerYear: Int = 1200) throws -> Dataset {
    let before = Generators.housing(rows: rowsPerYear, seed: 5, year: 2019)
    let after = Generators.housing(rows: rowsPerYear, seed: 6, year: 2024)
    return try Dataset.concat(before, after, name: "stream")
}

func linearSetup(_ data: Dataset) -> BacktestSetup {
    let spec = ModelSpec(name: "p", family: .linear, target: "price", features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))
    return BacktestSetup(spec: spec, train: TrainOptions(seed: 1), finetune: TrainOptions(seed: 1), metric: "rmse")
}

@Suite struct BacktestStreamTests {
    @Test func batchesByRowsAndCount() throws {
        let data = try changingStream(rowsPerYear: 100)
        let s = try Backtest.stream(data, orderedBy: nil, batching: .count(4), start: 0.5)
        #expect(s.initial.count == 100)
        #expect(s.batches.map(\.rows.count) == [25, 25, 25, 25])
        #expect(s.batches[0].rows.first == 100)
        let r = try Backtest.stream(data, orderedBy: nil, batching: .rows(30), start: 0.5)
        #expect(r.batches.map(\.rows.count) == [30, 30, 30, 10])
        #expect(throws: BacktestError.self) { try Backtest.stream(data, orderedBy: nil, batching: .count(4), start: 1.2) }
        #expect(throws: BacktestError.self) { try Backtest.stream(data, orderedBy: "nope", batching: .count(4), start: 0.5) }
    }

    @Test func calendarPeriodsOnADateColumn() throws {
        let data = try changingStream(rowsPerYear: 600)
        // Two years of monthly sales: the start part is whole months covering ≥ 30 % of rows.
        let s = try Backtest.stream(data, orderedBy: "sold_at", batching: .period(1, .month), start: 0.3)
        #expect(s.batches.count + Int((Double(s.initial.count) / 50).rounded()) >= 20)
        #expect(s.initial.count >= 360)
        #expect(s.batches.first?.label.hasPrefix("2019-") == true)
        #expect(s.batches.last?.label.hasPrefix("2024-12") == true)
        let q = try Backtest.stream(data, orderedBy: "sold_at", batching: .period(1, .quarter), start: 0.3)
        #expect(q.batches.count == 5)  // 2019 Q1–Q3 are the start part (450 ≥ 360 rows), then 2019 Q4 and 2024 Q1–Q4
        #expect(throws: BacktestError.self) { try Backtest.stream(data, orderedBy: "sqft", batching: .period(1, .month), start: 0.3) }
    }
}

@Suite struct PolicyParserTests {
    @Test func theIssuesPolicies() throws {
        let ps = try PolicyParser.parse("keep, finetune each, retrain each window 6, retrain every 3, retrain when psi > 0.2, finetune each retrain every 4")
        #expect(ps.count == 6)
        #expect(ps[0].retrain == .never && ps[0].finetune == .never)
        #expect(ps[1].finetune == .each)
        #expect(ps[2].retrain == .each && ps[2].window == 6)
        #expect(ps[3].retrain == .every(3))
        #expect(ps[4].retrain == .psi(0.2))
        #expect(ps[5].retrain == .every(4) && ps[5].finetune == .each)
        #expect(ps[4].name == "retrain when psi > 0.2")
        #expect(try PolicyParser.parse("retrain when error > 0.25")[0].retrain == .degradation(0.25))
        #expect(try PolicyParser.parse("retrain when ks>0.1")[0].retrain == .ks(0.1))
    }

    @Test func mistakesAreLocatedWithSuggestions() {
        func error(_ s: String) -> PolicyParseError? {
            do { _ = try PolicyParser.parse(s); return nil } catch let e as PolicyParseError { return e } catch { return nil }
        }
        let e = error("keep, retrian each")
        #expect(e?.message == "unknown policy word 'retrian'")
        #expect(e?.suggestion == "retrain")
        #expect(e?.range == 6..<13)
        #expect(error("retrain evry 3")?.suggestion == "every")
        #expect(error("retrain every 0")?.message.contains("≥ 1") == true)
        #expect(error("retrain when psi 0.2")?.message.contains("'>'") == true)
        #expect(error("finetune each window 3")?.message.contains("never retrains") == true)
        #expect(error("keep, keep")?.message.contains("twice") == true)
        #expect(error("retrain every 3 month")?.message.contains("batching") == true)
        #expect(error("")?.message.contains("at least one") == true)
    }
}

@Suite struct BacktestEngineTests {
    /// The issue's bar: with a change at batch k, the drift-triggered policy retrains at batch k
    /// or k + 1 and its error after the change is below keep's.
    @Test func driftPolicyRetrainsRightAfterTheChange() throws {
        let data = try changingStream()
        // 2400 rows; start 0.25 = 600 rows of 2019; then 12 batches of 150: batches 1–4 are
        // 2019, the change is at batch 5 (index 4).
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(12), start: 0.25)
        let changeAt = 4
        #expect(stream.batches[changeAt].rows.first == 1200)
        let policies = try PolicyParser.parse("keep, retrain when psi > 0.1, retrain every 3, finetune each")
        let result = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        let keep = result.outcomes[0], drift = result.outcomes[1]
        // The change is scored on batch k; the drift policy reacts after it (k) or one later.
        let firstRetrain = try #require(drift.retrainedAfter.first)
        #expect(firstRetrain == changeAt || firstRetrain == changeAt + 1, "retrained after \(drift.retrainedAfter)")
        #expect(!drift.retrainedAfter.contains { $0 < changeAt }, "no retrain before the change: \(drift.retrainedAfter)")
        let after = (changeAt + 2)..<stream.batches.count
        let keepAfter = after.map { keep.errors[$0] }.reduce(0, +), driftAfter = after.map { drift.errors[$0] }.reduce(0, +)
        #expect(driftAfter < keepAfter, "after the change: drift \(driftAfter / Double(after.count)) vs keep \(keepAfter / Double(after.count))")
        // keep never trains; the every-3 policy retrains after batches 3, 6, 9, 12.
        #expect(keep.flops == 0 && keep.retrainedAfter.isEmpty && keep.finetunedAfter.isEmpty)
        #expect(result.outcomes[2].retrainedAfter == [2, 5, 8, 11])
        #expect(result.outcomes[3].finetunedAfter.count == 12)
        let verdict = try #require(result.verdict)
        #expect(verdict.pick != 0, "keep must not win on a stream that changes")
    }

    @Test func withoutDriftKeepIsPicked() throws {
        let data = Generators.housing(rows: 2400, seed: 8, year: 2019)
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(8), start: 0.3)
        let policies = try PolicyParser.parse("keep, retrain each, finetune each")
        let result = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        let verdict = try #require(result.verdict)
        #expect(verdict.tied.contains(0), "keep ties on a stationary stream: \(result.outcomes.map(\.mean))")
        #expect(verdict.pick == 0)
    }

    @Test func deterministicAndCancellable() throws {
        let data = try changingStream(rowsPerYear: 400)
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .count(6), start: 0.3)
        let policies = Policy.defaults
        let a = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        let b = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        #expect(a.outcomes.map(\.errors) == b.outcomes.map(\.errors))
        // Stop during the third policy: the first two stay complete, no verdict.
        let calls = Counter()
        let c = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data),
                                       progress: { p, _, _, _ in if p == 2 { calls.stop = true } },
                                       shouldStop: { calls.stop })
        #expect(c.outcomes.count == 3)
        #expect(c.outcomes[0].errors.count == 6 && c.outcomes[1].errors.count == 6)
        #expect(c.outcomes[2].interrupted)
        #expect(c.verdict == nil)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var _stop = false
    var stop: Bool {
        get { lock.lock(); defer { lock.unlock() }; return _stop }
        set { lock.lock(); _stop = newValue; lock.unlock() }
    }
}

@Suite struct DriftNoiseTests {
    @Test func quantilesMatchTables() {
        // Standard normal and χ²(9) tables (scipy.stats.norm.isf, chi2.isf).
        #expect(abs(DriftNoise.normalQuantile(upperTail: 0.025) - 1.959964) < 1e-5)
        #expect(abs(DriftNoise.normalQuantile(upperTail: 0.001) - 3.090232) < 1e-5)
        #expect(abs(DriftNoise.chiSquareQuantile(df: 9, upperTail: 0.01) - 21.666) / 21.666 < 0.01)
        #expect(abs(DriftNoise.chiSquareQuantile(df: 9, upperTail: 0.002) - 26.056) / 26.056 < 0.01)
        // KS at α = 0.01 with one feature: c(0.01) = 1.628.
        #expect(abs(DriftNoise.ksFloor(nRef: 100, nNew: 100, features: 1) / (0.02).squareRoot() - 1.628) < 0.01)
    }

    /// On a stationary stream the floor holds: PSI of same-distribution batches stays under it
    /// in (nearly) every batch, so a drift trigger does not retrain on noise.
    @Test func stationaryBatchesStayUnderTheFloor() throws {
        let data = Generators.housing(rows: 3000, seed: 11, year: 2019)
        let stream = try Backtest.stream(data, orderedBy: nil, batching: .rows(100), start: 0.2)
        let policies = try PolicyParser.parse("retrain when psi > 0.01")
        let r = try BacktestEngine.run(data: data, stream: stream, policies: policies, setup: linearSetup(data))
        #expect(r.outcomes[0].retrainedAfter.count <= 1, "retrained on noise after \(r.outcomes[0].retrainedAfter)")
    }
}
