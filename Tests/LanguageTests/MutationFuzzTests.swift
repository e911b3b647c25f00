import Foundation
import Testing
@testable import Language

/// The seeded mutation fuzzer (`retune-fuzz` runs ≥ 1M of these; the suite a small count).
@Suite struct MutationFuzzTests {
    @Test func mutatedCommandLinesKeepEveryInvariant() {
        var fuzzer = ParserFuzzer(seed: 17)
        let seeds = ["runs where kind = finetune and min(valid_rmse) < 3 order by rmse limit 10",
                     "model price = mlp hidden [64, 32] activation relu predicts price",
                     "sql select count(*) from runs where note like '%;%';"]
        let report = fuzzer.run(count: 20_000, seeds: seeds, clock: { DispatchTime.now().uptimeNanoseconds })
        #expect(report.inputs == 20_000)
        #expect(report.invariantFailures.isEmpty, "\(report.invariantFailures)")
    }

    @Test func theMutatorIsDeterministicAndMutates() {
        var a = ParserFuzzer(seed: 5), b = ParserFuzzer(seed: 5)
        let seed = "train price on train epochs 40"
        let xs = (0..<50).map { _ in a.mutate(seed, with: [seed]) }
        #expect(xs == (0..<50).map { _ in b.mutate(seed, with: [seed]) })
        #expect(xs.filter { $0 != seed }.count > 40)
    }

    @Test func aWellFormedInputPasses() {
        #expect(ParserFuzzer.check("train m on d") == nil)
    }
}
