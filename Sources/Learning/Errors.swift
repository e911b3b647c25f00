import Tabular

/// Every error the Learning module throws.
public enum LearningError: Error, CustomStringConvertible, Sendable, Equatable {
    case preprocessing(PreprocessingError)
    case invalidSpec(String)
    case invalidOption(String)
    case unknownColumn(name: String, dataset: String)
    case schemaChanged(model: String, differences: [String])
    case specMismatch(model: String, differences: [String])
    case diverged(epoch: Int, batch: Int, loss: Double)
    case singular(String)
    case notEnoughData(String)
    case badWeights(String)
    case classMismatch(String)

    public var description: String {
        switch self {
        case .preprocessing(let e): return e.description
        case .invalidSpec(let m): return "invalid model specification: \(m)"
        case .invalidOption(let m): return m
        case .unknownColumn(let name, let dataset): return "column '\(name)' does not exist in dataset '\(dataset)'"
        case .schemaChanged(let model, let diffs):
            return "cannot fine-tune '\(model)': the input schema differs from the parent's (\(diffs.joined(separator: "; "))); retrain the model instead"
        case .specMismatch(let model, let diffs):
            return "model '\(model)' is defined differently: \(diffs.joined(separator: "; "))"
        case .diverged(let epoch, let batch, let loss):
            return "training diverged at epoch \(epoch), batch \(batch) (loss \(loss)); try a lower learning rate"
        case .singular(let m): return "singular system: \(m)"
        case .notEnoughData(let m): return m
        case .badWeights(let m): return "cannot read model weights: \(m)"
        case .classMismatch(let m): return m
        }
    }
}

@inline(__always)
func wrapPreprocessing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as PreprocessingError { throw LearningError.preprocessing(e) }
}
