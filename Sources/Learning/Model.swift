import Foundation
import Tabular

/// One dense layer: `out = in · weights + bias`, weights row-major `inputs × outputs`.
public struct DenseLayer: Codable, Hashable, Sendable {
    public var inputs: Int
    public var outputs: Int
    public var weights: [Double]
    public var bias: [Double]

    public init(inputs: Int, outputs: Int, weights: [Double], bias: [Double]) {
        self.inputs = inputs; self.outputs = outputs; self.weights = weights; self.bias = bias
    }
}

/// What the last layer's outputs mean.
public enum OutputKind: String, Codable, Sendable, Hashable {
    /// Regression: the prediction is `output · targetStd + targetMean`.
    case identity
    /// Binary classification: one logit; probability of class index 1.
    case sigmoid
    /// Multiclass: one logit per class.
    case softmax
}

/// The arithmetic used to train and to predict: closed-form models in Float64, iterative
/// ones in Float32 through `GEMM.sgemm`.
public enum Precision: String, Codable, Sendable, Hashable { case float64, float32 }

/// Predictions for every row of a dataset (rows left out by preprocessing hold NaN / nil).
public struct Predictions: Sendable, Hashable {
    /// Regression: the predicted value. Classification: the predicted class index.
    public var values: [Double]
    /// Classification: the predicted class label per row.
    public var labels: [String?]?
    /// Classification: class probabilities, row-major rows × classes.count.
    public var probabilities: [Double]?
    public var classes: [String]?
    public var unseenCategoryCount: Int
    public var droppedRows: Int
}

/// A trained model version: its specification, the preprocessing it was fitted with, and its
/// parameters.
public struct TrainedModel: Codable, Hashable, Sendable {
    public var spec: ModelSpec
    public var preprocessor: Preprocessor
    public var task: ModelSpec.Task
    public var layers: [DenseLayer]
    public var output: OutputKind
    /// Regression targets of iterative models are standardised for training; predictions are
    /// mapped back with these (0 and 1 for closed-form models).
    public var targetMean: Double
    public var targetStd: Double
    public var precision: Precision
    /// The matrix kernel the weights were trained with (`GEMM.kernelName`, or `float64-reference`).
    public var kernel: String
    /// A segment model's routing to per-segment versions (SegmentRouting.swift); nil otherwise.
    public var routing: SegmentRouting? = nil

    public var classes: [String]? { preprocessor.classes }

    /// Number of output columns of `rawOutputs` (1 for regression and sigmoid).
    var outputWidth: Int { layers.last?.outputs ?? 1 }

    /// Forward pass on a design matrix. Regression: predictions in target units. Sigmoid:
    /// P(class 1). Softmax: probabilities rows × K.
    func rawOutputs(_ x: [Double], rows: Int) -> [Double] {
        switch precision {
        case .float64:
            return forward64(x, rows: rows)
        case .float32:
            return forward32(x, rows: rows)
        }
    }

    private func forward64(_ x: [Double], rows: Int) -> [Double] {
        var input = x
        var width = preprocessor.designWidth
        for (l, layer) in layers.enumerated() {
            var out = [Double](repeating: 0, count: rows * layer.outputs)
            for r in 0..<rows {
                for o in 0..<layer.outputs {
                    var s = layer.bias[o]
                    for j in 0..<layer.inputs { s += input[r * width + j] * layer.weights[j * layer.outputs + o] }
                    out[r * layer.outputs + o] = s
                }
            }
            if l < layers.count - 1 {
                for i in out.indices { out[i] = Activations.apply64(spec.activation, out[i]) }
            }
            input = out
            width = layer.outputs
        }
        return OutputMath.finish(output, &input, rows: rows, width: width, mean: targetMean, std: targetStd)
    }

    /// Predicts every row of `data`; class probabilities for classifiers.
    public func predict(_ data: Dataset) throws -> Predictions {
        let design = try wrapPreprocessing { try preprocessor.transform(data) }
        if routing != nil {
            return predict(design: design, sourceRowCount: data.rowCount, outputs: try outputs(design: design, data: data))
        }
        return predict(design: design, sourceRowCount: data.rowCount)
    }

    func predict(design: DesignMatrix, sourceRowCount n: Int, outputs given: [Double]? = nil) -> Predictions {
        let out = given ?? rawOutputs(design.x, rows: design.rows)
        var values = [Double](repeating: .nan, count: n)
        switch task {
        case .regression:
            for (k, r) in design.sourceRows.enumerated() { values[r] = out[k] }
            return Predictions(values: values, labels: nil, probabilities: nil, classes: nil,
                               unseenCategoryCount: design.unseenCategoryCount, droppedRows: design.droppedRows)
        case .classification:
            let classes = preprocessor.classes ?? []
            let k = max(classes.count, 1)
            let probs = OutputMath.probabilities(output, out, rows: design.rows, classes: k)
            var p = [Double](repeating: .nan, count: n * k)
            var labels = [String?](repeating: nil, count: n)
            for (i, r) in design.sourceRows.enumerated() {
                var best = 0
                for c in 0..<k {
                    p[r * k + c] = probs[i * k + c]
                    if probs[i * k + c] > probs[i * k + best] { best = c }
                }
                values[r] = Double(best)
                labels[r] = best < classes.count ? classes[best] : nil
            }
            return Predictions(values: values, labels: labels, probabilities: p, classes: classes,
                               unseenCategoryCount: design.unseenCategoryCount, droppedRows: design.droppedRows)
        }
    }

    /// A readable summary of the parameters: coefficients (standardised space) for single-layer
    /// models, layer shapes and norms for an mlp.
    public func describeParameters() -> [ParameterSummary] {
        var out: [ParameterSummary] = []
        let names = preprocessor.featureNames
        if layers.count == 1, let layer = layers.first {
            let classes = preprocessor.classes ?? []
            for o in 0..<layer.outputs {
                let suffix = layer.outputs > 1 && o < classes.count ? "[\(classes[o])]" : ""
                out.append(ParameterSummary(name: "intercept\(suffix)", shape: "1", value: layer.bias[o], norm: abs(layer.bias[o])))
                for j in 0..<layer.inputs {
                    let v = layer.weights[j * layer.outputs + o]
                    out.append(ParameterSummary(name: "\(j < names.count ? names[j] : "x\(j)")\(suffix)", shape: "1", value: v, norm: abs(v)))
                }
            }
        } else {
            for (l, layer) in layers.enumerated() {
                var w = 0.0, b = 0.0
                for v in layer.weights { w += v * v }
                for v in layer.bias { b += v * v }
                out.append(ParameterSummary(name: "layer\(l + 1).weight", shape: "\(layer.inputs)×\(layer.outputs)", value: nil, norm: w.squareRoot()))
                out.append(ParameterSummary(name: "layer\(l + 1).bias", shape: "\(layer.outputs)", value: nil, norm: b.squareRoot()))
            }
        }
        return out
    }

    /// Total number of parameters.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weights.count + $1.bias.count } }
}

/// One line of `TrainedModel.describeParameters()`.
public struct ParameterSummary: Sendable, Hashable {
    public var name: String
    public var shape: String
    /// The coefficient itself for single-layer models.
    public var value: Double?
    /// Euclidean norm (absolute value for a coefficient).
    public var norm: Double
}

enum Activations {
    static let geluC = 0.7978845608028654  // sqrt(2/pi)

    static func apply64(_ a: ModelSpec.Activation, _ x: Double) -> Double {
        switch a {
        case .relu: return x > 0 ? x : 0
        case .tanh: return tanh(x)
        case .gelu: return 0.5 * x * (1 + tanh(geluC * (x + 0.044715 * x * x * x)))
        }
    }
}

enum OutputMath {
    /// Applies the output transform in place and returns the outputs.
    static func finish(_ kind: OutputKind, _ z: inout [Double], rows: Int, width: Int, mean: Double, std: Double) -> [Double] {
        switch kind {
        case .identity:
            for i in z.indices { z[i] = z[i] * std + mean }
        case .sigmoid:
            for i in z.indices { z[i] = sigmoid(z[i]) }
        case .softmax:
            for r in 0..<rows { softmaxRow(&z, offset: r * width, width: width) }
        }
        return z
    }

    static func sigmoid(_ z: Double) -> Double {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }

    static func softmaxRow(_ z: inout [Double], offset: Int, width: Int) {
        var m = -Double.infinity
        for k in 0..<width { m = max(m, z[offset + k]) }
        var s = 0.0
        for k in 0..<width { let e = exp(z[offset + k] - m); z[offset + k] = e; s += e }
        for k in 0..<width { z[offset + k] /= s }
    }

    /// Probabilities rows × classes from the finished outputs.
    static func probabilities(_ kind: OutputKind, _ out: [Double], rows: Int, classes: Int) -> [Double] {
        switch kind {
        case .sigmoid:
            var p = [Double](repeating: 0, count: rows * 2)
            for r in 0..<rows { p[r * 2] = 1 - out[r]; p[r * 2 + 1] = out[r] }
            return p
        case .softmax, .identity:
            return out
        }
    }
}
