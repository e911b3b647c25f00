import Foundation
import Tabular

/// Metrics, accumulated in Float64. Key vocabulary: `rmse`, `mae`, `r2` (regression);
/// `accuracy`, `log_loss`, `auc` (binary only), `f1` (binary: positive class = the second
/// class label, e.g. `1`; multiclass: macro), `f1_macro` (classification). Training curves use
/// `train_loss`, `valid_loss` and `valid_<metric>`.
public enum Metrics {
    public static let regressionKeys = ["rmse", "mae", "r2"]
    public static let classificationKeys = ["accuracy", "log_loss", "auc", "f1", "f1_macro"]

    public static func rmse(_ y: [Double], _ yhat: [Double]) -> Double {
        var s = 0.0
        for i in y.indices { let e = y[i] - yhat[i]; s += e * e }
        return (s / Double(max(y.count, 1))).squareRoot()
    }

    public static func mae(_ y: [Double], _ yhat: [Double]) -> Double {
        var s = 0.0
        for i in y.indices { s += abs(y[i] - yhat[i]) }
        return s / Double(max(y.count, 1))
    }

    /// 1 − Σe²/Σ(y − ȳ)², ȳ the mean of `y` (NaN when y is constant).
    public static func r2(_ y: [Double], _ yhat: [Double]) -> Double {
        var mean = 0.0
        for v in y { mean += v }
        mean /= Double(max(y.count, 1))
        var sse = 0.0, sst = 0.0
        for i in y.indices {
            sse += (y[i] - yhat[i]) * (y[i] - yhat[i])
            sst += (y[i] - mean) * (y[i] - mean)
        }
        return sst > 0 ? 1 - sse / sst : .nan
    }

    public static func accuracy(_ y: [Int], _ predicted: [Int]) -> Double {
        var ok = 0
        for i in y.indices where y[i] == predicted[i] { ok += 1 }
        return Double(ok) / Double(max(y.count, 1))
    }

    /// −mean ln(max(p_true, 1e-15)); a true class outside 0..<K (unseen in training) has p = 0.
    public static func logLoss(_ y: [Int], probabilities p: [Double], classes k: Int) -> Double {
        var s = 0.0
        for i in y.indices {
            let pt = (y[i] >= 0 && y[i] < k) ? p[i * k + y[i]] : 0
            s -= log(max(pt, 1e-15))
        }
        return s / Double(max(y.count, 1))
    }

    /// Area under the ROC curve, exact by average ranks (ties get the mean rank): the
    /// Mann–Whitney U of the positive scores divided by n₊·n₋. NaN with one class only.
    public static func auc(positive: [Bool], scores: [Double]) -> Double {
        let n = scores.count
        let order = (0..<n).sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = r }
            i = j + 1
        }
        var nPos = 0.0, sumPos = 0.0
        for t in 0..<n where positive[t] { nPos += 1; sumPos += ranks[t] }
        let nNeg = Double(n) - nPos
        if nPos == 0 || nNeg == 0 { return .nan }
        return (sumPos - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }

    /// F1 of one class (0 when it is never predicted nor present).
    public static func f1(_ y: [Int], _ predicted: [Int], positive: Int) -> Double {
        var tp = 0.0, fp = 0.0, fn = 0.0
        for i in y.indices {
            let a = y[i] == positive, b = predicted[i] == positive
            if a && b { tp += 1 } else if b { fp += 1 } else if a { fn += 1 }
        }
        let d = 2 * tp + fp + fn
        return d > 0 ? 2 * tp / d : 0
    }

    /// Unweighted mean of the per-class F1 over `classes` classes.
    public static func f1Macro(_ y: [Int], _ predicted: [Int], classes: Int) -> Double {
        guard classes > 0 else { return .nan }
        var s = 0.0
        for c in 0..<classes { s += f1(y, predicted, positive: c) }
        return s / Double(classes)
    }

    /// Regression metrics of predictions against the truth.
    public static func regression(y: [Double], predicted: [Double]) -> [String: Double] {
        ["rmse": rmse(y, predicted), "mae": mae(y, predicted), "r2": r2(y, predicted)]
    }

    /// Classification metrics from probabilities (rows × K) and class indices.
    public static func classification(y: [Int], probabilities p: [Double], classes k: Int) -> [String: Double] {
        let rows = y.count
        var predicted = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = 0
            for c in 1..<max(k, 1) where p[r * k + c] > p[r * k + best] { best = c }
            predicted[r] = best
        }
        var out: [String: Double] = [
            "accuracy": accuracy(y, predicted),
            "log_loss": logLoss(y, probabilities: p, classes: k),
            "f1_macro": f1Macro(y, predicted, classes: k),
        ]
        if k == 2 {
            out["auc"] = auc(positive: y.map { $0 == 1 }, scores: (0..<rows).map { p[$0 * 2 + 1] })
            out["f1"] = f1(y, predicted, positive: 1)
        } else {
            out["f1"] = out["f1_macro"]
        }
        return out
    }

    /// Metrics of a model on a design matrix that carries a target.
    static func evaluate(_ model: TrainedModel, design: DesignMatrix, outputs: [Double]? = nil) -> [String: Double] {
        guard let y = design.y, design.rows > 0 else { return [:] }
        return evaluate(model, y: y, outputs: outputs ?? model.rawOutputs(design.x, rows: design.rows))
    }

    /// Metrics of a model's outputs (`rawOutputs`, one row per target value) against the target.
    static func evaluate(_ model: TrainedModel, y: [Double], outputs out: [Double]) -> [String: Double] {
        guard !y.isEmpty else { return [:] }
        switch model.task {
        case .regression:
            return regression(y: y, predicted: out)
        case .classification:
            let k = max(model.classes?.count ?? 1, 1)
            let p = OutputMath.probabilities(model.output, out, rows: y.count, classes: k)
            return classification(y: y.map { Int($0) }, probabilities: p, classes: k)
        }
    }

    /// Evaluates `model` on `data` (which must hold the target column). Rows with a missing
    /// target are left out.
    public static func evaluate(_ model: TrainedModel, on data: Dataset) throws -> [String: Double] {
        let design = try wrapPreprocessing { try model.preprocessor.transform(data, requireTarget: true) }
        if design.rows == 0 { throw LearningError.notEnoughData("dataset '\(data.name)' has no rows with a target to evaluate on") }
        if model.routing != nil { return evaluate(model, design: design, outputs: try model.outputs(design: design, data: data)) }
        return evaluate(model, design: design)
    }

    /// The loss the trainer minimises, on a design matrix: MSE (target units) or log loss.
    static func loss(_ metrics: [String: Double], task: ModelSpec.Task) -> Double {
        switch task {
        case .regression: let r = metrics["rmse"] ?? .nan; return r * r
        case .classification: return metrics["log_loss"] ?? .nan
        }
    }
}
