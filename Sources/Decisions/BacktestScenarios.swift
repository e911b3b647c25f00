import Foundation
import Learning
import Tabular

/// The scenario suite that scores backtest's verdict as a user acts on it: the policy it picks
/// from the first period A of a stream is judged on the later period B, which that backtest
/// never replayed. On B every policy is replayed again from a model trained on everything before
/// B; the pick agrees when its mean error on B is within noise of the best there (the verdict's
/// own paired test: mean per-batch difference ≤ 2 standard errors).
///
/// Every scenario scores: the verdict rule (`BacktestEngine.verdict`) dates from issue 15 and was
/// not changed after this suite was first run (2026-12-07).
public struct BacktestScenario: Sendable {
    public var name: String
    public var spec: ModelSpec
    public var options: TrainOptions
    /// Sorted by `orderedBy` (or in stream order when nil).
    public var data: Dataset
    public var orderedBy: String?
    public var batching: Batching
    /// Fraction of A used as A's start part.
    public var start: Double
    /// Fraction of the rows where period B starts.
    public var cut: Double
    public var metric: String
}

public struct BacktestScenarioOutcome: Sendable {
    public var scenario: String
    public var pickedOnA: String
    /// Mean error of every policy on B, in the order of `BacktestScenarios.policies`.
    public var meansOnB: [(policy: String, mean: Double)]
    public var bestOnB: String
    public var tiedOnB: [String]
    public var agrees: Bool
    public var batchesA: Int
    public var batchesB: Int
}

public enum BacktestScenarios {
    public static let policies = "keep, finetune each, retrain each, retrain every 3, retrain when psi > 0.2"

    static func sorted(_ d: Dataset, by column: String) -> Dataset {
        guard let v = d.column(named: column)?.doubles else { return d }
        let order = (0..<d.rowCount).sorted { v[$0] < v[$1] || (v[$0] == v[$1] && $0 < $1) }
        return d.gathering(rows: order, name: d.name, provenance: d.provenance)
    }

    static func chain(_ parts: [Dataset], name: String) throws -> Dataset {
        guard var out = parts.first else { throw BacktestError("no parts") }
        for p in parts.dropFirst() { out = try Dataset.concat(out, p, name: name) }
        return out
    }

    public static func suite(dataDirectory: String) throws -> [BacktestScenario] {
        let house = ModelSpec(name: "price", family: .linear, target: "price",
                              features: .columns(["sqft", "rooms", "age", "distance_km", "neighbourhood"]))
        let sensors = ModelSpec(name: "output", family: .linear, target: "output")
        let churn = ModelSpec(name: "churn", family: .logistic, target: "churned")
        let exact = TrainOptions(seed: 1)
        var s: [BacktestScenario] = []
        var o = CSVOptions()
        o.target = "bikers"
        o.time = "datetime"
        let bikes = try CSVLoader.load(path: dataDirectory + "/bikeshare_2011.csv", name: "bikes", options: o)
        s.append(BacktestScenario(name: "real: bikeshare 2011 by month, linear", spec: ModelSpec(name: "riders", family: .linear, target: "bikers",
                                  features: .columns(["season", "hr", "holiday", "workingday", "weathersit", "temp", "hum", "windspeed"])),
                                  options: exact, data: sorted(bikes, by: "datetime"), orderedBy: "datetime",
                                  batching: .period(1, .month), start: 0.4, cut: 0.6, metric: "rmse"))
        var m = CSVOptions()
        m.target = "realcons"
        m.time = "date"
        let macro = try CSVLoader.load(path: dataDirectory + "/macrodata.csv", name: "macro", options: m)
        s.append(BacktestScenario(name: "real: macrodata by 3 years", spec: ModelSpec(name: "cons", family: .linear, target: "realcons",
                                  features: .columns(["realdpi", "unemp", "tbilrate", "infl", "cpi"])),
                                  options: exact, data: sorted(macro, by: "date"), orderedBy: "date",
                                  batching: .rows(12), start: 0.4, cut: 0.6, metric: "rmse"))
        let years = try chain((2019...2024).map { Generators.housing(rows: 400, seed: UInt64(300 + $0 - 2019), year: $0) }, name: "sales")
        s.append(BacktestScenario(name: "housing 2019 → 2024, yearly inflation", spec: house, options: exact,
                                  data: sorted(years, by: "sold_at"), orderedBy: "sold_at", batching: .period(3, .month),
                                  start: 0.3, cut: 0.5, metric: "rmse"))
        let stable = try chain((0..<6).map { Generators.housing(rows: 400, seed: UInt64(310 + $0), year: 2019) }, name: "sales")
        s.append(BacktestScenario(name: "housing stable, rows in batches of 200", spec: house, options: exact,
                                  data: stable, orderedBy: nil, batching: .rows(200), start: 0.3, cut: 0.5, metric: "rmse"))
        let drifting = try chain((0..<12).map { Generators.sensors(rows: 250, seed: UInt64(320 + $0), drift: 0.15 * Double($0)) }, name: "sensors")
        s.append(BacktestScenario(name: "sensors drifting 0.15 per 250 rows", spec: sensors, options: exact,
                                  data: drifting, orderedBy: nil, batching: .rows(250), start: 0.25, cut: 0.5, metric: "rmse"))
        let calm = try chain((0..<12).map { Generators.sensors(rows: 250, seed: UInt64(340 + $0)) }, name: "sensors")
        s.append(BacktestScenario(name: "sensors stable", spec: sensors, options: exact,
                                  data: calm, orderedBy: nil, batching: .rows(250), start: 0.25, cut: 0.5, metric: "rmse"))
        let shifting = try chain((0..<10).map { Generators.churn(rows: 500, seed: UInt64(360 + $0), shift: 0.15 * Double($0)) }, name: "churn")
        s.append(BacktestScenario(name: "churn odds shifting 0.15 per 500 rows", spec: churn, options: exact,
                                  data: shifting, orderedBy: nil, batching: .rows(500), start: 0.2, cut: 0.5, metric: "accuracy"))
        let late = try chain((0..<3).map { Generators.housing(rows: 400, seed: UInt64(380 + $0), year: 2019) }
                             + (0..<3).map { Generators.housing(rows: 400, seed: UInt64(383 + $0), year: 2024) }, name: "sales")
        s.append(BacktestScenario(name: "housing change only in period B (2019 → 2024)", spec: house, options: exact,
                                  data: late, orderedBy: nil, batching: .rows(200), start: 0.3, cut: 0.5, metric: "rmse"))
        let net = ModelSpec(name: "net", family: .mlp, target: "output", hidden: [16])
        s.append(BacktestScenario(name: "mlp sensors drifting 0.15 per 250 rows", spec: net, options: TrainOptions(epochs: 10, seed: 1),
                                  data: drifting, orderedBy: nil, batching: .rows(250), start: 0.25, cut: 0.5, metric: "rmse"))
        return s
    }

    /// Backtest on A, pick; replay every policy on B; judge the pick there.
    public static func run(_ sc: BacktestScenario) throws -> BacktestScenarioOutcome {
        let policies = try PolicyParser.parse(policies)
        let n = sc.data.rowCount
        let cutRow = Int(Double(n) * sc.cut)
        let a = sc.data.gathering(rows: Array(0..<cutRow), name: sc.data.name, provenance: sc.data.provenance)
        func setup(startRows: Int) -> BacktestSetup {
            BacktestSetup(spec: sc.spec, train: sc.options,
                          finetune: FineTuneRule.options(spec: sc.spec, base: sc.options, parentRows: startRows), metric: sc.metric)
        }
        let streamA = try Backtest.stream(a, orderedBy: sc.orderedBy, batching: sc.batching, start: sc.start)
        let onA = try BacktestEngine.run(data: a, stream: streamA, policies: policies, setup: setup(startRows: streamA.initial.count))
        guard let verdictA = onA.verdict else { throw BacktestError("\(sc.name): no verdict on A") }
        let streamB = try Backtest.stream(sc.data, orderedBy: sc.orderedBy, batching: sc.batching, start: sc.cut)
        let onB = try BacktestEngine.run(data: sc.data, stream: streamB, policies: policies, setup: setup(startRows: streamB.initial.count))
        guard let verdictB = onB.verdict else { throw BacktestError("\(sc.name): no verdict on B") }
        let picked = onA.outcomes[verdictA.pick].policy.name
        let tied = verdictB.tied.map { onB.outcomes[$0].policy.name }
        return BacktestScenarioOutcome(scenario: sc.name, pickedOnA: picked,
                                       meansOnB: onB.outcomes.map { ($0.policy.name, $0.mean) },
                                       bestOnB: onB.outcomes[verdictB.best].policy.name, tiedOnB: tied,
                                       agrees: tied.contains(picked), batchesA: streamA.batches.count, batchesB: streamB.batches.count)
    }
}
