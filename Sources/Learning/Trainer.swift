import Foundation
import Tabular

/// One point of a training curve: written to the store by the caller as it happens.
public struct EpochRecord: Sendable, Hashable, Codable {
    public var epoch: Int
    /// Optimiser steps (batches) so far; Newton iterations for closed-form models.
    public var step: Int
    public var trainLoss: Double
    /// `valid_loss`, `valid_rmse`, `valid_accuracy`, … (empty without validation data).
    public var valid: [String: Double]
    public var timestamp: Date
    public var learningRate: Double?
}

/// Progress of the current epoch, for progress bars.
public struct TrainingProgress: Sendable, Hashable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    public var loss: Double
    public var rowsPerSecond: Double
}

/// Callbacks and cancellation for one training run.
public struct TrainingControl {
    /// Checked before every batch: returning true stops the run (status `interrupted`).
    public var shouldStop: @Sendable () -> Bool
    public var onEpoch: (EpochRecord) -> Void
    public var onProgress: (TrainingProgress) -> Void

    public init(shouldStop: @escaping @Sendable () -> Bool = { false },
                onEpoch: @escaping (EpochRecord) -> Void = { _ in },
                onProgress: @escaping (TrainingProgress) -> Void = { _ in }) {
        self.shouldStop = shouldStop
        self.onEpoch = onEpoch
        self.onProgress = onProgress
    }
}

public enum TrainingStatus: Sendable, Hashable, CustomStringConvertible {
    case finished
    case interrupted
    case diverged(epoch: Int, batch: Int)

    public var description: String {
        switch self {
        case .finished: return "finished"
        case .interrupted: return "interrupted"
        case .diverged(let e, let b): return "diverged at epoch \(e), batch \(b): try a lower learning rate"
        }
    }

    /// `finished`, `interrupted` or `diverged` (for a status column).
    public var name: String {
        switch self {
        case .finished: return "finished"
        case .interrupted: return "interrupted"
        case .diverged: return "diverged"
        }
    }
}

public struct TrainingCost: Sendable, Hashable, Codable {
    public var wallSeconds: Double
    /// Rows pushed through the model (epochs × rows incl. replay) or rows × iterations.
    public var examplesProcessed: Int
    /// Estimated floating-point operations (forward + backward ≈ 6 · weights per example for
    /// iterative training; 2·m·q² for QR; n·d² + d³/3 per Newton iteration).
    public var estimatedFLOPs: Double

    public init(wallSeconds: Double, examplesProcessed: Int, estimatedFLOPs: Double) {
        self.wallSeconds = wallSeconds
        self.examplesProcessed = examplesProcessed
        self.estimatedFLOPs = estimatedFLOPs
    }
}

public struct TrainingResult: Sendable {
    public var model: TrainedModel
    public var curve: [EpochRecord]
    /// Metrics on the training rows at the end (with the returned weights).
    public var trainMetrics: [String: Double]
    /// Metrics on the validation rows at the end (empty without validation data).
    public var validMetrics: [String: Double]
    public var status: TrainingStatus
    public var cost: TrainingCost
    public var warnings: [String]
    /// Number of training rows (after preprocessing drops, before replay).
    public var trainRows: Int
    public var validRows: Int
    /// Every effective option value, for recording with the run.
    public var parameters: [(key: String, value: String)]
}

extension Dataset {
    /// The given rows of every column (keeps target, time and provenance).
    func learningSubset(_ rows: [Int], name suffix: String) -> Dataset {
        let cols = columns.map { c -> Column in
            switch c.storage {
            case .numeric(let v): return Column(name: c.name, type: c.type, storage: .numeric(rows.map { v[$0] }))
            case .decimal(let d): return Column(name: c.name, type: c.type, storage: .decimal(d.selecting(rows)))
            case .categorical(let codes, let levels):
                return Column(name: c.name, type: c.type, storage: .categorical(codes: rows.map { codes[$0] }, levels: levels))
            }
        }
        return Dataset(name: name + suffix, columns: cols, target: target, time: time, provenance: provenance)
    }
}

public enum Trainer {
    /// Trains a model version.
    ///
    /// - `parent == nil`: train / retrain — preprocessing fitted on DATA (minus the validation
    ///   fraction) and a fresh seeded initialisation.
    /// - `parent != nil`: fine-tune — the parent's preprocessing unchanged and its weights as
    ///   the starting point; a schema change is an error telling the user to retrain.
    public static func train(spec: ModelSpec, data: Dataset, options: TrainOptions, valid: Dataset? = nil,
                             parent: TrainedModel? = nil, replay: Dataset? = nil,
                             control: TrainingControl = TrainingControl()) throws -> TrainingResult {
        let started = Date()
        if let r = parent?.routing {
            throw LearningError.invalidOption("a segment model (routing by \(r.column)) cannot be fine-tuned: fine-tune its base @\(r.baseVersion) or a segment's version")
        }
        try spec.validate()
        try options.validate(for: spec, fineTune: parent != nil, hasValidSet: valid != nil, hasReplaySet: replay != nil)
        var warnings: [String] = []
        guard data.column(named: spec.target) != nil else {
            throw LearningError.unknownColumn(name: spec.target, dataset: data.name)
        }
        let task = try spec.resolvedTask(in: data)

        // Validation split (seeded shuffle) when a fraction is given.
        var trainData = data
        var validData = valid
        if let f = options.validFraction {
            var idx = Array(0..<data.rowCount)
            var rng = LearningRandom(seed: options.resolvedSeed ^ 0x5EED_0F_7A11D)
            rng.shuffle(&idx)
            let nValid = Int((Double(idx.count) * f).rounded())
            if nValid < 1 || nValid >= idx.count {
                throw LearningError.notEnoughData("valid \(f) of \(idx.count) rows leaves no training or no validation rows")
            }
            validData = data.learningSubset(idx[0..<nValid].sorted(), name: "[valid]")
            trainData = data.learningSubset(idx[nValid...].sorted(), name: "[train]")
        }

        // Preprocessing.
        let preprocessor: Preprocessor
        if let parent {
            let diffs = spec.differences(from: parent.spec)
            if !diffs.isEmpty { throw LearningError.specMismatch(model: spec.name, differences: diffs) }
            // New categories do not block a fine-tune: they are encoded as all zeros (the
            // parent's one-hot columns are fixed), with a warning naming column and values.
            // Every other schema change does: retrain.
            var schema: [String] = []
            for (label, set) in [("", data), ("replay data: ", replay)] {
                guard let set else { continue }
                for d in parent.preprocessor.schemaDifferences(with: set) {
                    if case .newCategories(let column, let levels) = d {
                        warnings.append("\(label)\(column) = \(levels.map { "'\($0)'" }.joined(separator: ", ")): not in the vocabulary of the parent, encoded as all zeros (retrain to learn \(levels.count == 1 ? "it" : "them"))")
                    } else {
                        schema.append(label + d.description)
                    }
                }
            }
            for (label, set) in [("", data), ("replay data: ", replay)] {
                guard let set else { continue }
                let newClasses = parent.preprocessor.unseenClasses(in: set)
                if !newClasses.isEmpty {
                    schema.append("\(label)target '\(spec.target)' has new class\(newClasses.count == 1 ? "" : "es") \(newClasses.map { "'\($0)'" }.joined(separator: ", "))")
                }
            }
            if !schema.isEmpty { throw LearningError.schemaChanged(model: spec.name, differences: schema) }
            if let imp = options.impute, imp != parent.preprocessor.impute {
                throw LearningError.invalidOption("impute \(imp.rawValue) differs from the parent's impute \(parent.preprocessor.impute.rawValue): fine-tuning reuses the parent's preprocessing; retrain instead")
            }
            preprocessor = parent.preprocessor
        } else {
            let features = try spec.featureColumns(in: data)
            let allColumns: Bool = { if case .allButTarget = spec.features { return true } else { return false } }()
            preprocessor = try wrapPreprocessing {
                try Preprocessor.fit(trainData, features: features, target: spec.target,
                                     classification: task == .classification, impute: options.resolvedImpute,
                                     allColumns: allColumns, vocabularyFrom: validData.map { [$0] } ?? [])
            }
        }
        // The exact linear fit reads its training design block by block (ClosedForm.LinearDesign):
        // the matrix is not written unless the QR fallback needs it. Replay rows (appended to
        // the design) and every other model take the written-out matrix.
        let replaying = replay != nil && options.resolvedReplay > 0
        let streamed = spec.family == .linear && spec.isClosedForm(options: options) && task == .regression && !replaying
        let trainPrepared = try wrapPreprocessing {
            try preprocessor.prepare(trainData, requireTarget: true, fittedOn: parent == nil)
        }
        let trainDesign: DesignMatrix? = streamed ? nil : trainPrepared.materialised()
        let validDesign: DesignMatrix? = try validData.map { v in try wrapPreprocessing { try preprocessor.transform(v, requireTarget: true) } }
        var replayDesign: DesignMatrix? = nil
        if let replay, options.resolvedReplay > 0 {
            replayDesign = try wrapPreprocessing { try preprocessor.transform(replay, requireTarget: true) }
            if replayDesign?.rows == 0 { throw LearningError.notEnoughData("replay dataset '\(replay.name)' has no usable rows") }
        }
        if trainPrepared.cols == 0 { throw LearningError.preprocessing(.noFeatures) }
        if trainPrepared.rows == 0 { throw LearningError.notEnoughData("dataset '\(data.name)' has no usable training rows") }
        if trainPrepared.droppedRows > 0 {
            warnings.append("\(trainPrepared.droppedRows) training row\(trainPrepared.droppedRows == 1 ? "" : "s") left out (missing target\(preprocessor.impute == .drop ? " or feature" : ""))")
        }
        let unseen = trainPrepared.unseenCategoryCount + (validDesign?.unseenCategoryCount ?? 0) + (replayDesign?.unseenCategoryCount ?? 0)
        if unseen > 0, parent == nil {
            // Name them (a fine-tune has said so above, per column).
            let named = [validData].compactMap { $0 }.flatMap { preprocessor.schemaDifferences(with: $0) }.compactMap { d -> String? in
                if case .newCategories(let column, let levels) = d { return "\(column) = " + levels.map { "'\($0)'" }.joined(separator: ", ") }
                return nil
            }
            warnings.append("\(unseen) categorical value\(unseen == 1 ? "" : "s") not in the training vocabulary encoded as all zeros" + (named.isEmpty ? "" : ": " + named.joined(separator: "; ")))
        }
        guard let yTrain = trainPrepared.y else { throw LearningError.unknownColumn(name: spec.target, dataset: data.name) }

        // Output layer.
        var output = OutputKind.identity
        var outputs = 1
        if task == .classification {
            let k = preprocessor.classes?.count ?? 0
            if k < 2 { throw LearningError.notEnoughData("the target '\(spec.target)' has \(k) class\(k == 1 ? "" : "es") in the training data; classification needs at least 2") }
            if spec.family == .logistic && k > 2 {
                throw LearningError.invalidSpec("logistic is binary but '\(spec.target)' has \(k) classes; use softmax")
            }
            if spec.family == .softmax || (spec.family == .mlp && k > 2) { output = .softmax; outputs = k } else { output = .sigmoid }
        }
        if let parent, parent.output != output || parent.outputWidth != outputs {
            throw LearningError.classMismatch("the parent predicts \(parent.outputWidth) output(s) but the data needs \(outputs); retrain instead")
        }

        var model: TrainedModel
        var curve: [EpochRecord] = []
        var status = TrainingStatus.finished
        var examples = 0
        var flops = 0.0
        // The closed-form path evaluates the training metrics for its one curve point: reused below.
        var closedFormTrainMetrics: [String: Double]?

        if spec.isClosedForm(options: options) {
            var design = ClosedForm.LinearDesign.prepared(trainPrepared)
            var y = yTrain
            if var matrix = trainDesign {
                if let rd = replayDesign, let ry = rd.y {
                    // Closed form: replay rows are appended once (F × |DATA| rows, seeded sample).
                    let count = Int((Double(matrix.rows) * options.resolvedReplay).rounded())
                    var rng = LearningRandom(seed: options.resolvedSeed ^ 0x2E_97A4)
                    for _ in 0..<count {
                        let r = rng.nextInt(below: rd.rows)
                        matrix.x.append(contentsOf: rd.x[(r * rd.cols)..<((r + 1) * rd.cols)])
                        y.append(ry[r])
                    }
                    matrix.rows += count
                }
                design = .matrix(matrix)
            }
            // Closed form with shrink and perturb: the anchor's target is the shrunk, perturbed
            // parent (validation requires anchor > 0).
            let parentTheta = parent.flatMap { $0.layers.first }.map { layer in
                options.shrinkPerturb.map { ClosedForm.shrunk(layer, $0, seed: options.resolvedSeed) } ?? ClosedForm.theta(of: layer)
            }
            let fit: ClosedForm.Fit
            switch spec.family {
            case .linear:
                fit = try ClosedForm.linear(design, y: y, l2: spec.l2, anchor: options.resolvedAnchor, parent: parentTheta)
            default:
                fit = try ClosedForm.newton(design.matrix, y: y, classes: outputs == 1 ? 2 : outputs, binary: output == .sigmoid,
                                            l2: spec.l2, anchor: options.resolvedAnchor, parent: parentTheta,
                                            shouldStop: control.shouldStop)
                if fit.interrupted { status = .interrupted } else if !fit.converged {
                    warnings.append("Newton did not converge in \(fit.iterations) iterations")
                }
            }
            warnings += fit.warnings
            model = TrainedModel(spec: spec, preprocessor: preprocessor, task: task, layers: [fit.layer], output: output,
                                 targetMean: 0, targetStd: 1, precision: .float64, kernel: "float64-reference")
            examples = design.rows * fit.iterations
            flops = fit.flops
            let trainM: [String: Double]
            if let trainDesign {
                trainM = Metrics.evaluate(model, design: trainDesign)
            } else {
                // The streamed linear fit: outputs block by block, mapped as the forward pass maps them.
                var out = ClosedForm.outputs(fit.layer, .prepared(trainPrepared))
                trainM = Metrics.evaluate(model, y: yTrain, outputs: OutputMath.finish(
                    output, &out, rows: trainPrepared.rows, width: 1, mean: model.targetMean, std: model.targetStd))
            }
            closedFormTrainMetrics = trainM
            var validM: [String: Double] = [:]
            if let vd = validDesign, vd.rows > 0 {
                let m = Metrics.evaluate(model, design: vd)
                validM["valid_loss"] = Metrics.loss(m, task: task)
                for (k, v) in m { validM["valid_\(k)"] = v }
            }
            let record = EpochRecord(epoch: 1, step: fit.iterations, trainLoss: Metrics.loss(trainM, task: task),
                                     valid: validM, timestamp: Date(), learningRate: nil)
            curve.append(record)
            control.onEpoch(record)
        } else {
            let run = try Iterative.run(spec: spec, task: task, output: output, outputs: outputs,
                                        preprocessor: preprocessor, train: trainDesign ?? trainPrepared.materialised(), y: yTrain,
                                        valid: validDesign, replay: replayDesign, parent: parent,
                                        options: options, control: control)
            model = run.model
            curve = run.curve
            status = run.status
            examples = run.examples
            flops = run.flops
            warnings += run.warnings
        }

        let trainMetrics = closedFormTrainMetrics ?? Metrics.evaluate(model, design: trainDesign ?? trainPrepared.materialised())
        var validMetrics: [String: Double] = [:]
        if let vd = validDesign, vd.rows > 0 { validMetrics = Metrics.evaluate(model, design: vd) }
        let wall = Date().timeIntervalSince(started)
        return TrainingResult(model: model, curve: curve, trainMetrics: trainMetrics, validMetrics: validMetrics,
                              status: status, cost: TrainingCost(wallSeconds: wall, examplesProcessed: examples, estimatedFLOPs: flops),
                              warnings: warnings, trainRows: trainPrepared.rows, validRows: validDesign?.rows ?? 0,
                              parameters: options.effectiveValues(for: spec))
    }
}
