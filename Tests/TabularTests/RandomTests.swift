import Testing
@testable import Tabular

@Suite struct RandomTests {
    @Test func splitMix64ReferenceValues() {
        // Published reference outputs of SplitMix64 for seed 1234567 (also checked with a Python port).
        var s = SplitMix64(seed: 1_234_567)
        #expect(s.next() == 6_457_827_717_110_365_317)
        #expect(s.next() == 3_203_168_211_198_807_973)
    }

    @Test func xoshiroReferenceValues() {
        // SplitMix64-seeded xoshiro256** for seed 42, checked against an independent Python port:
        // these values pin the generator so splits and generators stay reproducible everywhere.
        var r = SeededRandom(seed: 42)
        #expect(r.next() == 1_546_998_764_402_558_742)
        #expect(r.next() == 6_990_951_692_964_543_102)
        #expect(r.nextDouble() == 0.6800434110281394)
    }

    @Test func deterministicPerSeed() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func doublesAndGaussiansHaveSensibleMoments() {
        var r = SeededRandom(seed: 7)
        let u = (0..<20_000).map { _ in r.nextDouble() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / 20_000 - 0.5) < 0.01)
        let g = (0..<20_000).map { _ in r.nextGaussian() }
        let mean = g.reduce(0, +) / 20_000
        let variance = g.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20_000
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func boundedIntsAndShuffle() {
        var r = SeededRandom(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[r.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
        let p = r.permutation(100)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }
}
