import Foundation
import Tabular

public struct CrossValidationResult: Sendable {
    /// Metrics of every fold on its held-out rows.
    public var folds: [[String: Double]]
    /// Mean over folds per metric.
    public var mean: [String: Double]
    /// Population standard deviation over folds per metric (NumPy's `std`, ddof = 0).
    public var std: [String: Double]
    /// Held-out row count per fold.
    public var foldSizes: [Int]
    public var cost: TrainingCost
}

public enum CrossValidation {
    /// K-fold cross-validation: rows are shuffled with `seed` and dealt into `folds` parts of
    /// near-equal size (with `stratify`, class by class so every fold keeps the class mix);
    /// each fold is evaluated by a model trained (fresh, preprocessing fitted on the other
    /// folds) on the remaining rows.
    public static func run(spec: ModelSpec, data: Dataset, folds: Int, seed: UInt64 = 0, stratify: Bool = false,
                           options: TrainOptions = TrainOptions(),
                           control: TrainingControl = TrainingControl()) throws -> CrossValidationResult {
        let n = data.rowCount
        if folds < 2 { throw LearningError.invalidOption("folds must be at least 2, got \(folds)") }
        if folds > n { throw LearningError.invalidOption("folds \(folds) exceeds the \(n) rows of '\(data.name)'") }
        var rng = LearningRandom(seed: seed)
        var assignment = [Int](repeating: 0, count: n)
        if stratify {
            // A decimal target decoded once (the keys are read per row).
            guard try spec.resolvedTask(in: data) == .classification, let t = data.column(named: spec.target)?.float64 else {
                throw LearningError.invalidOption("stratify needs a classification target; '\(spec.target)' is a regression target")
            }
            var groups: [String: [Int]] = [:]
            for r in 0..<n {
                let key: String
                switch t.storage {
                case .numeric(let v): key = v[r].isNaN ? "" : Preprocessor.classLabel(v[r])
                case .decimal(let d): key = d.value(r).isNaN ? "" : Preprocessor.classLabel(d.value(r))   // not reached
                case .categorical(let c, let levels): key = c[r] < 0 ? "" : levels[Int(c[r])]
                }
                groups[key, default: []].append(r)
            }
            var dealt = 0
            for key in groups.keys.sorted() {
                var g = groups[key] ?? []
                rng.shuffle(&g)
                for r in g { assignment[r] = dealt % folds; dealt += 1 }
            }
        } else {
            var idx = Array(0..<n)
            rng.shuffle(&idx)
            for (i, r) in idx.enumerated() { assignment[r] = i % folds }
        }
        var results: [[String: Double]] = []
        var sizes: [Int] = []
        var wall = 0.0, examples = 0, flops = 0.0
        for f in 0..<folds {
            let testRows = (0..<n).filter { assignment[$0] == f }
            let trainRows = (0..<n).filter { assignment[$0] != f }
            let train = data.learningSubset(trainRows, name: "[cv\(f + 1) train]")
            let test = data.learningSubset(testRows, name: "[cv\(f + 1) test]")
            let result = try Trainer.train(spec: spec, data: train, options: options, control: control)
            if result.status == .interrupted { throw LearningError.invalidOption("cross-validation interrupted in fold \(f + 1)") }
            results.append(try Metrics.evaluate(result.model, on: test))
            sizes.append(testRows.count)
            wall += result.cost.wallSeconds
            examples += result.cost.examplesProcessed
            flops += result.cost.estimatedFLOPs
        }
        var mean: [String: Double] = [:], std: [String: Double] = [:]
        let keys = Set(results.flatMap(\.keys))
        for k in keys {
            let v = results.compactMap { $0[k] }
            let m = v.reduce(0, +) / Double(v.count)
            mean[k] = m
            std[k] = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
        }
        return CrossValidationResult(folds: results, mean: mean, std: std, foldSizes: sizes,
                                     cost: TrainingCost(wallSeconds: wall, examplesProcessed: examples, estimatedFLOPs: flops))
    }
}
