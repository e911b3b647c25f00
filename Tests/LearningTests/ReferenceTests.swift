import Foundation
import Testing
import Tabular
@testable import Learning

/// The exact procedure of `sessions/data/README.md` (= `../shared/datasets/README.md`).
struct Scenario {
    var name: String
    var train: Dataset
    var test: Dataset
}

func referenceScenarios(_ dataset: String, file: String, target: String, features: [String]) throws -> [Scenario] {
    let raw = try TestCSV.load(file, target: target)
    // Drop rows with a missing target or feature.
    let keep = (0..<raw.rowCount).filter { r in
        ([target] + features).allSatisfy { name in raw.column(named: name).map { !$0.isMissing(r) } ?? false }
    }
    let data = raw.rows(keep)
    let n = data.rowCount
    let oldRows: [Int]
    if dataset == "penguins", let year = data.column(named: "year")?.doubles {
        oldRows = (0..<n).filter { year[$0] <= 2008 }
    } else {
        oldRows = Array(0..<(7 * n / 10))
    }
    let oldSet = Set(oldRows)
    let newRows = (0..<n).filter { !oldSet.contains($0) }
    let half = newRows.count / 2
    let old = data.rows(oldRows), new = data.rows(newRows)
    let newA = data.rows(Array(newRows[0..<half])), newB = data.rows(Array(newRows[half...]))
    return [
        Scenario(name: "old->new", train: old, test: new),
        Scenario(name: "old->new_b", train: old, test: newB),
        Scenario(name: "new_a->new_b", train: newA, test: newB),
        Scenario(name: "old+new_a->new_b", train: old.appending(newA), test: newB),
    ]
}

@Suite struct ReferenceTests {
    @Test(arguments: ["diabetes", "penguins", "macrodata", "bikeshare_2011"])
    func olsMatchesReference(_ dataset: String) throws {
        let ref = try TestCSV.reference()
        let entry = try #require((ref["datasets"] as? [String: Any])?[dataset] as? [String: Any])
        let target = try #require(entry["target"] as? String)
        let features = try #require(entry["features"] as? [String])
        let file = try #require(entry["file"] as? String)
        let ols = try #require((entry["models"] as? [String: Any])?["ols"] as? [String: Any])
        let spec = ModelSpec(name: dataset, family: .linear, target: target, features: .columns(features))
        for scenario in try referenceScenarios(dataset, file: file, target: target, features: features) {
            let r = try #require(ols[scenario.name] as? [String: Any])
            let result = try Trainer.train(spec: spec, data: scenario.train, options: TrainOptions())
            #expect(result.status == .finished)
            #expect(result.trainRows == (r["n_train"] as? Int))
            let layer = try #require(result.model.layers.first)
            let coef = try #require(r["coef_standardized"] as? [Double])
            #expect(layer.weights.count == coef.count)
            for (j, c) in coef.enumerated() {
                #expect(relClose(layer.weights[j], c, 1e-9), "\(dataset) \(scenario.name) coef \(features[j]): \(layer.weights[j]) vs \(c)")
            }
            let intercept = try #require(r["intercept"] as? Double)
            #expect(relClose(layer.bias[0], intercept, 1e-9), "\(dataset) \(scenario.name) intercept \(layer.bias[0]) vs \(intercept)")
            let test = try #require(r["test"] as? [String: Any])
            let metrics = try Metrics.evaluate(result.model, on: scenario.test)
            for key in ["rmse", "r2", "mae"] {
                let want = try #require(test[key] as? Double)
                let got = try #require(metrics[key])
                #expect(relClose(got, want, 1e-9), "\(dataset) \(scenario.name) test \(key): \(got) vs \(want)")
            }
            let train = try #require(r["train"] as? [String: Any])
            let trainRMSE = try #require(train["rmse"] as? Double)
            #expect(relClose(result.trainMetrics["rmse"] ?? .nan, trainRMSE, 1e-9))
        }
    }

    @Test func logisticMatchesReferenceOnBreastCancer() throws {
        let ref = try TestCSV.reference()
        let entry = try #require((ref["datasets"] as? [String: Any])?["breast_cancer"] as? [String: Any])
        let target = try #require(entry["target"] as? String)
        let features = try #require(entry["features"] as? [String])
        let models = try #require((entry["models"] as? [String: Any])?["logreg_C1"] as? [String: Any])
        let spec = ModelSpec(name: "bc", family: .logistic, target: target, features: .columns(features), l2: 1.0)
        for scenario in try referenceScenarios("breast_cancer", file: "breast_cancer.csv", target: target, features: features) {
            let r = try #require(models[scenario.name] as? [String: Any])
            let result = try Trainer.train(spec: spec, data: scenario.train, options: TrainOptions())
            #expect(result.status == .finished)
            #expect(result.warnings.isEmpty, "\(result.warnings)")
            let test = try #require(r["test"] as? [String: Any])
            let metrics = try Metrics.evaluate(result.model, on: scenario.test)
            for key in ["accuracy", "log_loss"] {
                let want = try #require(test[key] as? Double)
                let got = try #require(metrics[key])
                #expect(relClose(got, want, 1e-6), "\(scenario.name) test \(key): \(got) vs \(want)")
            }
            let train = try #require(r["train"] as? [String: Any])
            #expect(relClose(result.trainMetrics["log_loss"] ?? .nan, try #require(train["log_loss"] as? Double), 1e-6))
            let coef = try #require((r["coef_standardized"] as? [[Double]])?.first)
            let layer = try #require(result.model.layers.first)
            for (j, c) in coef.enumerated() {
                #expect(abs(layer.weights[j] - c) <= 1e-6 * max(1, abs(c)), "\(scenario.name) coef \(j): \(layer.weights[j]) vs \(c)")
            }
            let intercept = try #require((r["intercept"] as? [Double])?.first)
            #expect(abs(layer.bias[0] - intercept) <= 1e-6)
        }
    }
}
