import Foundation
import Learning
import Tabular

/// The scenario suite that scores `health`'s verdict against what happens next: a version is
/// fully trained on a root batch, fine-tuned batch after batch (`FineTuneRule`, as advise and
/// duel fine-tune), and health judges the last version of the chain. The truth comes from a
/// later FINAL batch health never sees: the chain's last version against the retrain health
/// suggests (the same model retrained on the latest batch). `retrain` agrees when the retrain is
/// within noise of the better of the two on FINAL; `healthy` and `watch` (no action yet) agree
/// when the chain's version is.
///
/// Split as advise's suite: the first ten were written as scoring scenarios and run once
/// (2026-12-07, 8 of 10 agreed); the long-chain rule was then changed after looking at them, so
/// they moved to `tune`; the `score` ones were written after that change.
public struct HealthScenario: Sendable {
    public var name: String
    public var split: AdviseScenario.Split = .tune
    public var spec: ModelSpec
    public var options: TrainOptions
    public var root: Dataset
    /// Fine-tuned on in order; the last one is "the latest batch".
    public var batches: [Dataset]
    public var final: Dataset
}

public struct HealthScenarioOutcome: Sendable {
    public var scenario: String
    public var split: AdviseScenario.Split
    public var health: ChainHealth
    public var chainLoss: Double
    public var retrainLoss: Double
    /// Which of the two FINAL supports within noise (`chain`, `retrain`, or both).
    public var chainSupported: Bool
    public var retrainSupported: Bool
    public var agrees: Bool
    public var seconds: Double
}

public enum HealthScenarios {
    static func house(_ rows: Int, _ seed: UInt64, _ year: Int) -> Dataset {
        Generators.housing(rows: rows, seed: seed, year: year)
    }

    /// Ten chains: drifting and stable streams, short and long chains, exact and iterative models.
    public static func suite() -> [HealthScenario] {
        let houseSpec = ModelSpec(name: "price", family: .linear, target: "price",
                                  features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))
        let sensorsSpec = ModelSpec(name: "output", family: .linear, target: "output")
        let churn = ModelSpec(name: "churn", family: .logistic, target: "churned")
        let net = ModelSpec(name: "net", family: .mlp, target: "output", hidden: [16])
        let exact = TrainOptions(seed: 1)
        let iterative = TrainOptions(epochs: 20, seed: 1)
        var s: [HealthScenario] = []
        s.append(HealthScenario(name: "housing yearly 2019 → 2025, 6 fine-tunes", spec: houseSpec, options: exact,
                                root: house(1500, 101, 2019), batches: (2020...2025).map { house(600, UInt64(82 + $0 - 2000), $0) },
                                final: house(600, 130, 2026)))
        s.append(HealthScenario(name: "housing yearly 2019 → 2021, 2 fine-tunes", spec: houseSpec, options: exact,
                                root: house(1500, 131, 2019), batches: (2020...2021).map { house(600, UInt64(112 + $0 - 2000), $0) },
                                final: house(600, 134, 2022)))
        s.append(HealthScenario(name: "housing stable 2019, 7 fine-tunes", spec: houseSpec, options: exact,
                                root: house(1500, 135, 2019), batches: (0..<7).map { house(600, UInt64(136 + $0), 2019) },
                                final: house(600, 143, 2019)))
        s.append(HealthScenario(name: "housing stable 2019, 2 fine-tunes", spec: houseSpec, options: exact,
                                root: house(1500, 144, 2019), batches: (0..<2).map { house(600, UInt64(145 + $0), 2019) },
                                final: house(600, 147, 2019)))
        s.append(HealthScenario(name: "sensors drift 0 → 1.5 in 5 steps, linear", spec: sensorsSpec, options: exact,
                                root: Generators.sensors(rows: 1500, seed: 148),
                                batches: (1...5).map { Generators.sensors(rows: 600, seed: UInt64(148 + $0), drift: 0.3 * Double($0)) },
                                final: Generators.sensors(rows: 600, seed: 154, drift: 1.8)))
        s.append(HealthScenario(name: "sensors stable, 4 fine-tunes, linear", spec: sensorsSpec, options: exact,
                                root: Generators.sensors(rows: 1500, seed: 155),
                                batches: (1...4).map { Generators.sensors(rows: 600, seed: UInt64(155 + $0)) },
                                final: Generators.sensors(rows: 600, seed: 160)))
        s.append(HealthScenario(name: "mlp sensors drift 0 → 1.2 in 4 steps", spec: net, options: iterative,
                                root: Generators.sensors(rows: 1500, seed: 161),
                                batches: (1...4).map { Generators.sensors(rows: 600, seed: UInt64(161 + $0), drift: 0.3 * Double($0)) },
                                final: Generators.sensors(rows: 600, seed: 166, drift: 1.5)))
        s.append(HealthScenario(name: "mlp sensors stable, 6 fine-tunes", spec: net, options: iterative,
                                root: Generators.sensors(rows: 1500, seed: 167),
                                batches: (1...6).map { Generators.sensors(rows: 600, seed: UInt64(167 + $0)) },
                                final: Generators.sensors(rows: 600, seed: 174)))
        s.append(HealthScenario(name: "churn label shift +0.3 per batch, 5 fine-tunes", spec: churn, options: exact,
                                root: Generators.churn(rows: 3000, seed: 175),
                                batches: (1...5).map { Generators.churn(rows: 1000, seed: UInt64(175 + $0), shift: 0.3 * Double($0)) },
                                final: Generators.churn(rows: 1500, seed: 181, shift: 1.8)))
        s.append(HealthScenario(name: "churn stable, 3 fine-tunes", spec: churn, options: exact,
                                root: Generators.churn(rows: 3000, seed: 182),
                                batches: (1...3).map { Generators.churn(rows: 1000, seed: UInt64(182 + $0)) },
                                final: Generators.churn(rows: 1500, seed: 186)))
        return s + scoring(houseSpec: houseSpec, sensorsSpec: sensorsSpec, churn: churn, net: net, exact: exact, iterative: iterative)
    }

    /// Written after the long-chain change, run once with it.
    static func scoring(houseSpec: ModelSpec, sensorsSpec: ModelSpec, churn: ModelSpec, net: ModelSpec,
                        exact: TrainOptions, iterative: TrainOptions) -> [HealthScenario] {
        var s: [HealthScenario] = []
        var houseNet = ModelSpec(name: "price", family: .mlp, target: "price", features: houseSpec.features, hidden: [16])
        houseNet.task = .regression
        s.append(HealthScenario(name: "housing yearly 2019 → 2023, 4 fine-tunes", split: .score, spec: houseSpec, options: exact,
                                root: house(1500, 201, 2019), batches: (2020...2023).map { house(600, UInt64(182 + $0 - 2000), $0) },
                                final: house(600, 206, 2024)))
        s.append(HealthScenario(name: "housing stable 2019, 9 fine-tunes", split: .score, spec: houseSpec, options: exact,
                                root: house(1500, 207, 2019), batches: (0..<9).map { house(600, UInt64(208 + $0), 2019) },
                                final: house(600, 217, 2019)))
        s.append(HealthScenario(name: "sensors slow drift 0 → 0.6 in 6 steps, linear", split: .score, spec: sensorsSpec, options: exact,
                                root: Generators.sensors(rows: 1500, seed: 218),
                                batches: (1...6).map { Generators.sensors(rows: 600, seed: UInt64(218 + $0), drift: 0.1 * Double($0)) },
                                final: Generators.sensors(rows: 600, seed: 225, drift: 0.7)))
        s.append(HealthScenario(name: "mlp sensors drift 0 → 2 in 5 steps", split: .score, spec: net, options: iterative,
                                root: Generators.sensors(rows: 1500, seed: 226),
                                batches: (1...5).map { Generators.sensors(rows: 600, seed: UInt64(226 + $0), drift: 0.4 * Double($0)) },
                                final: Generators.sensors(rows: 600, seed: 232, drift: 2.4)))
        s.append(HealthScenario(name: "churn label shift +0.5 per batch, 3 fine-tunes", split: .score, spec: churn, options: exact,
                                root: Generators.churn(rows: 3000, seed: 233),
                                batches: (1...3).map { Generators.churn(rows: 1000, seed: UInt64(233 + $0), shift: 0.5 * Double($0)) },
                                final: Generators.churn(rows: 1500, seed: 237, shift: 2)))
        s.append(HealthScenario(name: "churn stable, 8 fine-tunes", split: .score, spec: churn, options: exact,
                                root: Generators.churn(rows: 3000, seed: 238),
                                batches: (1...8).map { Generators.churn(rows: 1000, seed: UInt64(238 + $0)) },
                                final: Generators.churn(rows: 1500, seed: 247)))
        s.append(HealthScenario(name: "mlp housing yearly 2019 → 2022, 3 fine-tunes", split: .score, spec: houseNet, options: iterative,
                                root: house(1500, 248, 2019), batches: (2020...2022).map { house(600, UInt64(229 + $0 - 2000), $0) },
                                final: house(600, 252, 2023)))
        s.append(HealthScenario(name: "sensors stable, 10 fine-tunes of 200 rows, linear", split: .score, spec: sensorsSpec, options: exact,
                                root: Generators.sensors(rows: 1500, seed: 253),
                                batches: (1...10).map { Generators.sensors(rows: 200, seed: UInt64(253 + $0)) },
                                final: Generators.sensors(rows: 600, seed: 264)))
        return s
    }

    /// Builds the chain, reads its health as the `health` command does (drift of the latest
    /// batch from the root data over the model's features, forgetting on the root data), and
    /// scores the chain's last version and a retrain on the latest batch on FINAL.
    public static func run(_ sc: HealthScenario, seed: UInt64 = 7) throws -> HealthScenarioOutcome {
        let started = Date()
        let root = try Trainer.train(spec: sc.spec, data: sc.root, options: sc.options)
        var current = root.model
        var fittedRows = root.trainRows
        var links = [ChainLink(version: 1, kind: .fullTrain)]
        for (i, batch) in sc.batches.enumerated() {
            let o = FineTuneRule.options(spec: sc.spec, base: sc.options, parentRows: fittedRows)
            let r = try Trainer.train(spec: sc.spec, data: batch, options: o, parent: current)
            current = r.model
            fittedRows = r.trainRows
            links.insert(ChainLink(version: i + 2, kind: .fineTune), at: 0)
        }
        let latest = sc.batches.last ?? sc.root
        var readings = ChainReadings(classification: current.task == .classification)
        let d = ChainHealthAssessment.drift(rootSummary: nil, rootData: sc.root, latest: latest,
                                            features: current.preprocessor.features.map(\.name))
        (readings.psi, readings.psiColumn, readings.ks, readings.noiseFloor) = (d.psi, d.column, d.ks, d.floor)
        readings.rootLossAtRoot = try ChainHealthAssessment.loss(root.model, on: sc.root)
        readings.rootLossNow = try ChainHealthAssessment.loss(current, on: sc.root)
        let health = ChainHealthAssessment.assess(chain: links, readings: readings)
        let seconds = Date().timeIntervalSince(started)
        // The truth on FINAL.
        let retrained = try Trainer.train(spec: sc.spec, data: latest, options: sc.options).model
        let chainRows = try RowLosses.of(current, on: sc.final)
        let retrainRows = try RowLosses.of(retrained, on: sc.final)
        let cls = chainRows.classification
        let chainLoss = RowLosses.loss(AdviseEngine.mean(chainRows.losses), classification: cls)
        let retrainLoss = RowLosses.loss(AdviseEngine.mean(retrainRows.losses), classification: cls)
        let boot = PairedBootstrap(rows: chainRows.losses.count, seed: seed ^ 0xF1A1, classification: cls)
        let chainSupported = chainLoss <= retrainLoss
            || boot.within(chainRows.losses, chainLoss, of: retrainRows.losses, retrainLoss)
        let retrainSupported = retrainLoss <= chainLoss
            || boot.within(retrainRows.losses, retrainLoss, of: chainRows.losses, chainLoss)
        let agrees = health.verdict == .retrain ? retrainSupported : chainSupported
        return HealthScenarioOutcome(scenario: sc.name, split: sc.split, health: health, chainLoss: chainLoss, retrainLoss: retrainLoss,
                                     chainSupported: chainSupported, retrainSupported: retrainSupported,
                                     agrees: agrees, seconds: seconds)
    }
}
