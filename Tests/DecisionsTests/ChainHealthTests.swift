import Foundation
import Learning
import Tabular
import Testing
@testable import Decisions

/// Chain health: counting fine-tunes since the last full fit, the thresholds, the verdict, and
/// advise's preference for a retrain on an unhealthy chain.
@Suite struct ChainHealthTests {
    /// Generation k of a stream whose input `x1` drifts by `step` standard deviations per
    /// generation (`x2` and the relationship stay put).
    static func generation(_ k: Int, rows: Int = 400, step: Double = 0.12) -> Dataset {
        var rng = SeededRandom(seed: 1000 + UInt64(k))
        var x1: [Double] = [], x2: [Double] = [], y: [Double] = []
        for _ in 0..<rows {
            let a = rng.nextGaussian(mean: step * Double(k), std: 1), b = rng.nextGaussian()
            x1.append(a); x2.append(b); y.append(3 * a + b + rng.nextGaussian(mean: 0, std: 0.5))
        }
        return Dataset(name: "g\(k)", columns: [.numeric("x1", x1), .numeric("x2", x2), .numeric("y", y)], target: "y")
    }

    /// PSI as the shared datasets' README defines it, written out again here: deciles of the
    /// reference `s[ceil(k·m/10) − 1]`, duplicates removed, right-closed bins, proportions floored
    /// at 1e-4, `Σ (p_new − p_ref)·ln(p_new / p_ref)`.
    static func referencePSI(_ ref: [Double], _ new: [Double]) -> Double {
        let s = ref.sorted(), m = s.count
        var edges: [Double] = []
        for k in 1...9 {
            let e = s[Int((Double(k * m) / 10).rounded(.up)) - 1]
            if edges.last != e { edges.append(e) }
        }
        func shares(_ xs: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: edges.count + 1)
            for x in xs { c[edges.firstIndex { x <= $0 } ?? edges.count] += 1 }
            return c.map { max($0 / Double(xs.count), 1e-4) }
        }
        return zip(shares(ref), shares(new)).reduce(0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
    }

    static func column(_ d: Dataset, _ name: String) -> [Double] { d.column(named: name)?.presentValues ?? [] }

    @Test func rootIsTheLastFullFitAndFineTunesAreCounted() {
        let chain: [ChainLink] = [.init(version: 9, kind: .fineTune), .init(version: 8, kind: .fineTune),
                                  .init(version: 5, kind: .fullTrain), .init(version: 4, kind: .fineTune),
                                  .init(version: 1, kind: .fullTrain)]
        #expect(ChainHealthAssessment.root(of: chain) == (5, 2))
        #expect(ChainHealthAssessment.root(of: Array(chain.dropFirst(2))) == (5, 0))
        // A chain whose full fit was purged roots at its oldest link.
        #expect(ChainHealthAssessment.root(of: Array(chain.prefix(2))) == (8, 1))
        let root = ChainHealthAssessment.assess(chain: Array(chain.dropFirst(2)), readings: ChainReadings())
        #expect(root.verdict == .fullTrain)
    }

    @Test func chainLengthThresholds() {
        func verdict(_ n: Int) -> ChainHealth.Verdict {
            let chain = (0..<n).map { ChainLink(version: 100 - $0, kind: .fineTune) } + [ChainLink(version: 1, kind: .fullTrain)]
            return ChainHealthAssessment.assess(chain: chain, readings: ChainReadings()).verdict
        }
        #expect(verdict(1) == .healthy)
        #expect(verdict(ChainHealthRules.watchChain - 1) == .healthy)
        #expect(verdict(ChainHealthRules.watchChain) == .watch)
        #expect(verdict(ChainHealthRules.longChain - 1) == .watch)
        #expect(verdict(ChainHealthRules.longChain) == .retrain)
        // With forgetting measured (and small), the length alone only asks to watch.
        let chain = (0..<ChainHealthRules.longChain + 3).map { ChainLink(version: 100 - $0, kind: .fineTune) } + [ChainLink(version: 1, kind: .fullTrain)]
        let measured = ChainHealthAssessment.assess(chain: chain, readings: ChainReadings(rootLossAtRoot: 10, rootLossNow: 10.1))
        #expect(measured.verdict == .watch)
        let forgot = ChainHealthAssessment.assess(chain: chain, readings: ChainReadings(rootLossAtRoot: 10, rootLossNow: 12))
        #expect(forgot.verdict == .retrain)
    }

    /// health's verdict against what a later FINAL batch supports (HealthScenarios; the
    /// scoring ones were written after the rule's last change). Measured 2026-12-07: 8 of 8.
    @Test func healthAgreesWithLaterDataOnTheScoringScenarios() throws {
        let suite = HealthScenarios.suite()
        #expect(suite.contains { $0.split == .tune } && suite.contains { $0.split == .score })
        let outcomes = try suite.filter { $0.split == .score }.map { try HealthScenarios.run($0) }
        let misses = outcomes.filter { !$0.agrees }.map { "\($0.scenario): \($0.health.verdict.rawValue), chain \($0.chainLoss) vs retrain \($0.retrainLoss)" }
        #expect(outcomes.filter(\.agrees).count >= 8, "\(misses)")
        // Both verdicts occur: the suite can tell a rule that always says one thing.
        #expect(outcomes.contains { $0.health.verdict == .retrain } && outcomes.contains { $0.health.verdict != .retrain })
    }

    @Test func forgettingThresholdsAndTheErrorRateFloor() {
        let chain = [ChainLink(version: 2, kind: .fineTune), ChainLink(version: 1, kind: .fullTrain)]
        func health(_ atRoot: Double, _ now: Double, classification: Bool = false) -> ChainHealth {
            ChainHealthAssessment.assess(chain: chain, readings: ChainReadings(rootLossAtRoot: atRoot, rootLossNow: now,
                                                                               classification: classification))
        }
        #expect(health(10, 11.2).verdict == .retrain)
        #expect(abs((health(10, 11.2).forgetting ?? 0) - 0.12) < 1e-12)
        #expect(health(10, 10.6).verdict == .watch)
        #expect(health(10, 10.2).verdict == .healthy)
        #expect(health(10, 9).verdict == .healthy)
        // 0.5 % → 1 % error is +25 % of the 2 % floor, not +100 %.
        #expect(abs((health(0.005, 0.01, classification: true).forgetting ?? 0) - 0.25) < 1e-12)
        #expect(health(10, 11.8).line == "fine-tune chain of 1 since @1: forgetting +18 % on the root data: retrain")
        let unmeasured = ChainHealthAssessment.assess(
            chain: chain, readings: ChainReadings(notes: ["root data not loaded: forgetting not measured"]))
        #expect(unmeasured.forgetting == nil)
        #expect(unmeasured.line == "fine-tune chain of 1 since @1: root data not loaded: forgetting not measured: healthy")
    }

    /// A generated chain whose drift grows each generation: health flags it at the first
    /// generation where the drift, computed independently with the README's PSI, reaches the
    /// documented threshold above the no-drift level (or where the chain becomes long).
    @Test func growingDriftIsFlaggedAtTheExpectedGeneration() throws {
        let spec = ModelSpec(name: "m", family: .linear, target: "y", features: .columns(["x1", "x2"]))
        let gens = (0...7).map { Self.generation($0) }
        let root = try Trainer.train(spec: spec, data: gens[0], options: TrainOptions(seed: 1)).model
        var current = root
        var chain = [ChainLink(version: 1, kind: .fullTrain)]
        var flagged: Int?
        var expected: Int?
        var psis: [Double] = []
        for k in 1..<gens.count {
            current = try Trainer.train(spec: spec, data: gens[k], options: TrainOptions(seed: 1, anchor: Double(gens[k - 1].rowCount)),
                                        parent: current).model
            chain.insert(ChainLink(version: k + 1, kind: .fineTune), at: 0)
            let d = ChainHealthAssessment.drift(rootSummary: nil, rootData: gens[0], latest: gens[k], features: ["x1", "x2"])
            let readings = ChainReadings(psi: d.psi, psiColumn: d.column, ks: d.ks, noiseFloor: d.floor)
            let health = ChainHealthAssessment.assess(chain: chain, readings: readings)
            if health.unhealthy, flagged == nil { flagged = k }
            // Independently: the largest README PSI over the features, against the same levels.
            let psi = max(Self.referencePSI(Self.column(gens[0], "x1"), Self.column(gens[k], "x1")),
                          Self.referencePSI(Self.column(gens[0], "x2"), Self.column(gens[k], "x2")))
            psis.append(psi)
            #expect(abs(psi - (d.psi ?? .nan)) < 1e-12)
            let floor = DriftNoise.psiFloor(nRef: Double(gens[0].rowCount), nNew: Double(gens[k].rowCount), features: 2)
            #expect(floor < ChainHealthRules.driftPSI)
            if expected == nil, (psi >= 0.25 && psi > floor) || k >= ChainHealthRules.longChain { expected = k }
            if k == 1 { #expect(health.verdict == .healthy) }
        }
        // Drift grows generation after generation, and the crossing is not the first or last one.
        #expect(zip(psis, psis.dropFirst()).filter { $0.0 < $0.1 }.count >= psis.count - 2)
        #expect(flagged == expected)
        #expect((2..<ChainHealthRules.longChain).contains(expected ?? -1))
        // The retrain reason names the drift.
        let k = try #require(expected)
        let d = ChainHealthAssessment.drift(rootSummary: gens[0].summary(), rootData: nil, latest: gens[k], features: ["x1", "x2"])
        #expect(d.column == "x1")
        #expect(d.ks == nil)
    }

    @Test func forgettingIsMeasuredOnTheRootData() throws {
        // The relationship flips sign over the chain: fine-tunes forget the root's data.
        let spec = ModelSpec(name: "m", family: .linear, target: "y", features: .columns(["x1", "x2"]))
        func data(_ k: Int, slope: Double) -> Dataset {
            var rng = SeededRandom(seed: 77 + UInt64(k))
            var x1: [Double] = [], x2: [Double] = [], y: [Double] = []
            for _ in 0..<300 {
                let a = rng.nextGaussian(), b = rng.nextGaussian()
                x1.append(a); x2.append(b); y.append(slope * a + b + rng.nextGaussian(mean: 0, std: 0.5))
            }
            return Dataset(name: "d\(k)", columns: [.numeric("x1", x1), .numeric("x2", x2), .numeric("y", y)], target: "y")
        }
        let root = data(0, slope: 3)
        let r = try Trainer.train(spec: spec, data: root, options: TrainOptions(seed: 1)).model
        let later = try Trainer.train(spec: spec, data: data(1, slope: 1), options: TrainOptions(seed: 1, anchor: 10), parent: r).model
        let atRoot = try ChainHealthAssessment.loss(r, on: root), now = try ChainHealthAssessment.loss(later, on: root)
        #expect(now > atRoot * 1.5)
        let h = ChainHealthAssessment.assess(chain: [.init(version: 2, kind: .fineTune), .init(version: 1, kind: .fullTrain)],
                                             readings: ChainReadings(rootLossAtRoot: atRoot, rootLossNow: now))
        #expect(h.verdict == .retrain)
        #expect(h.reasons.first?.hasPrefix("forgetting +") == true)
    }

    @Test func anUnhealthyChainPrefersATiedRetrain() {
        func candidate(_ a: Action, _ loss: Double, tied: Bool) -> CandidateEstimate {
            CandidateEstimate(action: a, loss: loss, low: nil, high: nil,
                              cost: TrainingCost(wallSeconds: 0, examplesProcessed: 0, estimatedFLOPs: 0), skipped: nil, tied: tied)
        }
        let base = Evidence(protocolText: "t", heldOutRows: 10,
                            candidates: [candidate(.keep, 1.00, tied: true), candidate(.finetune, 0.99, tied: true),
                                         candidate(.retrainNew, 0.98, tied: true), candidate(.retrainAll, 1.5, tied: false)],
                            baselineLoss: 3, classification: false, verdict: .keep, best: 2, pick: 0, reasons: [],
                            insufficient: false)
        let chain = (0..<ChainHealthRules.longChain).map { ChainLink(version: 10 - $0, kind: .fineTune) } + [ChainLink(version: 1, kind: .fullTrain)]
        let sick = ChainHealthAssessment.assess(chain: chain, readings: ChainReadings())
        var e = base
        #expect(ChainHealthAssessment.preferRetrain(&e, health: sick))
        #expect(e.verdict == .retrainNew)
        #expect(e.pick == 2)
        // A healthy chain changes nothing; neither does a retrain that is worse beyond noise.
        var f = base
        let fine = ChainHealthAssessment.assess(chain: Array(chain.suffix(2)), readings: ChainReadings())
        #expect(!ChainHealthAssessment.preferRetrain(&f, health: fine))
        #expect(f.verdict == .keep)
        var g = base
        g.candidates[2].tied = false
        #expect(!ChainHealthAssessment.preferRetrain(&g, health: sick))
        #expect(g.pick == 0)
        // A retrain already picked stays, and the reasons say the chain agrees.
        var r = base
        r.pick = 3
        r.verdict = .retrainAll
        #expect(!ChainHealthAssessment.preferRetrain(&r, health: sick))
        #expect(r.pick == 3 && r.reasons.last?.hasSuffix("a retrain is due, and retrain on old + NEW is one") == true)
    }
}
