import Dispatch
import Foundation
import Learning
import Synchronization
import Tabular

/// How a sweep scores each configuration.
public enum SweepEvaluation: Sendable {
    /// On a validation dataset (every epoch, as `train … valid DATA` does).
    case dataset(Dataset)
    /// On a seeded fraction of the data held out (`valid F`; the same rows for every configuration).
    case fraction(Double)
    /// K-fold cross-validation on the data (the same folds for every configuration), then one
    /// more fit on all of it: the version the child stores.
    case crossValidation(Int)
}

/// What one configuration gave.
public struct SweepTrial: Sendable {
    public var config: Int
    /// The fit on all the data (with `cv`) or on the training part: the child's version.
    public var result: TrainingResult?
    /// Per-fold metrics with `cv`.
    public var cv: CrossValidationResult?
    /// The error, when training failed.
    public var failure: String?
    /// Wall time of the configuration (folds included).
    public var seconds: Double
    /// The score of the sweep's metric (NaN when there is none: failed, diverged).
    public var score: Double
    /// The score's standard deviation over folds (cv only).
    public var spread: Double?
}

/// The sweep's metric: a key of the validation metrics (`rmse` for `valid_rmse`) and its direction.
public struct SweepMetric: Sendable, Hashable {
    public var key: String
    public var higherIsBetter: Bool
    public var name: String { "valid_" + key }

    public init(_ name: String) {
        key = name.hasPrefix("valid_") ? String(name.dropFirst("valid_".count)) : name
        higherIsBetter = ["accuracy", "r2", "auc", "f1", "f1_macro"].contains(key)
    }

    /// The task's main validation metric: valid_rmse (lower is better) or valid_accuracy (higher).
    public static func main(for task: ModelSpec.Task) -> SweepMetric {
        SweepMetric(task == .regression ? "rmse" : "accuracy")
    }

    /// Whether a is better than b (NaN is worst).
    public func better(_ a: Double, than b: Double) -> Bool {
        if a.isNaN { return false }
        if b.isNaN { return true }
        return higherIsBetter ? a > b : a < b
    }
}

public enum SweepEngine {
    /// Trains every configuration, `workers` at a time (threads of this process), and returns
    /// one trial per finished configuration in configuration order; configurations not started
    /// or stopped by `shouldStop` are absent. Every configuration trains with its own options
    /// (its seed included) and the process's single-threaded matrix kernel, so results do not
    /// depend on `workers` or on which thread ran what. `progress(done, total)` is called after
    /// each configuration, from the thread that trained it.
    public static func run(_ configs: [SweepPlan.Config], data: Dataset, evaluation: SweepEvaluation, metric: SweepMetric,
                           parent: TrainedModel?, replay: Dataset?, workers: Int,
                           shouldStop: @escaping @Sendable () -> Bool,
                           progress: @escaping @Sendable (Int, Int) -> Void) -> [SweepTrial] {
        let next = Mutex(0)
        let done = Mutex<[Int: SweepTrial]>([:])
        let total = configs.count
        let work: @Sendable (Int) -> Void = { _ in
            while !shouldStop() {
                let i: Int = next.withLock { n in
                    let i = n
                    n += 1
                    return i
                }
                guard i < total else { return }
                guard let trial = trial(configs[i], data: data, evaluation: evaluation, metric: metric, parent: parent,
                                        replay: replay, shouldStop: shouldStop) else { return }
                let count = done.withLock { d in
                    d[i] = trial
                    return d.count
                }
                progress(count, total)
            }
        }
        let n = max(1, min(workers, total))
        if n == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: n, execute: work) }
        return done.withLock { d in d.keys.sorted().compactMap { d[$0] } }
    }

    /// One configuration; nil when it was interrupted.
    static func trial(_ c: SweepPlan.Config, data: Dataset, evaluation: SweepEvaluation, metric: SweepMetric,
                      parent: TrainedModel?, replay: Dataset?, shouldStop: @escaping @Sendable () -> Bool) -> SweepTrial? {
        let started = DispatchTime.now().uptimeNanoseconds
        let control = TrainingControl(shouldStop: shouldStop)
        var options = c.options
        var valid: Dataset?
        var cv: CrossValidationResult?
        var trial = SweepTrial(config: c.index, seconds: 0, score: .nan)
        do {
            switch evaluation {
            case .dataset(let d): valid = d
            case .fraction(let f): options.validFraction = f
            case .crossValidation(let k):
                cv = try CrossValidation.run(spec: c.spec, data: data, folds: k, seed: options.resolvedSeed,
                                             options: options, control: control)
            }
            let r = try Trainer.train(spec: c.spec, data: data, options: options, valid: valid, parent: parent,
                                      replay: replay, control: control)
            if r.status == .interrupted { return nil }
            trial.result = r
            if let cv {
                trial.score = cv.mean[metric.key] ?? .nan
                trial.spread = cv.std[metric.key]
            } else if r.status == .finished {
                trial.score = r.validMetrics[metric.key] ?? .nan
            }
        } catch {
            if shouldStop() { return nil }
            trial.failure = "\(error)"
        }
        trial.cv = cv
        trial.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return trial
    }

    /// Indices of `trials` ordered best first by score (failed and diverged last, in order).
    public static func ranking(_ trials: [SweepTrial], metric: SweepMetric) -> [Int] {
        trials.indices.sorted { a, b in
            let x = trials[a].score, y = trials[b].score
            if metric.better(x, than: y) { return true }
            if metric.better(y, than: x) { return false }
            return trials[a].config < trials[b].config
        }
    }

    /// min, median and max of the finite scores.
    public static func spread(_ trials: [SweepTrial]) -> (min: Double, median: Double, max: Double)? {
        let s = trials.map(\.score).filter(\.isFinite).sorted()
        guard let lo = s.first, let hi = s.last else { return nil }
        let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        return (lo, m, hi)
    }
}
