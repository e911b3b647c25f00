import Foundation
import Synchronization
import Testing
import Tabular
@testable import Learning

@Suite struct TrainingTests {
    let mlpSpec = ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["x1", "x2"]),
                            hidden: [16, 8], activation: .tanh)

    @Test func sameSeedGivesBitIdenticalWeights() throws {
        let data = Synthetic.nonlinear(rows: 300, seed: 1)
        var spec = mlpSpec
        spec.dropout = 0.1
        let options = TrainOptions(epochs: 5, lr: 0.01, batch: 32, seed: 7, validFraction: 0.2)
        let a = try Trainer.train(spec: spec, data: data, options: options)
        let b = try Trainer.train(spec: spec, data: data, options: options)
        #expect(a.model.layers == b.model.layers)
        #expect(a.curve.map(\.trainLoss) == b.curve.map(\.trainLoss))
        #expect(a.validMetrics == b.validMetrics)
        let c = try Trainer.train(spec: spec, data: data, options: TrainOptions(epochs: 5, lr: 0.01, batch: 32, seed: 8, validFraction: 0.2))
        #expect(c.model.layers != a.model.layers)
        #expect(a.model.kernel == GEMM.kernelName)
    }

    @Test func hugeLearningRateDivergesWithEpochAndBatch() throws {
        let data = Synthetic.nonlinear(rows: 200, seed: 2)
        let result = try Trainer.train(spec: mlpSpec, data: data,
                                       options: TrainOptions(optimizer: .sgd, epochs: 5, lr: 1e12, batch: 20))
        guard case .diverged(let epoch, let batch) = result.status else {
            Issue.record("expected divergence, got \(result.status)")
            return
        }
        #expect(epoch >= 1 && batch >= 1)
        #expect(result.status.description.contains("lower learning rate"))
        #expect(result.model.layers.allSatisfy { $0.weights.allSatisfy(\.isFinite) && $0.bias.allSatisfy(\.isFinite) })
    }

    @Test func linearAnchorLimits() throws {
        let old = Synthetic.linear(rows: 200, seed: 3)
        let new = Synthetic.linear(rows: 80, seed: 4, shift: 5)
        let spec = ModelSpec(name: "lin", family: .linear, target: "y")
        let parent = try Trainer.train(spec: spec, data: old, options: TrainOptions()).model
        // λ → 0: a retrain on DATA (least-squares predictions do not depend on the scaling).
        let retrain = try Trainer.train(spec: spec, data: new, options: TrainOptions()).model
        let tiny = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 1e-10), parent: parent).model
        let pr = try retrain.predict(new).values, pt = try tiny.predict(new).values
        for i in pr.indices { #expect(abs(pr[i] - pt[i]) < 1e-8 * max(1, abs(pr[i]))) }
        #expect(tiny.preprocessor == parent.preprocessor)
        // λ → ∞: the parent.
        let huge = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 1e14), parent: parent).model
        let a = try #require(huge.layers.first), b = try #require(parent.layers.first)
        for j in a.weights.indices { #expect(abs(a.weights[j] - b.weights[j]) < 1e-8) }
        #expect(abs(a.bias[0] - b.bias[0]) < 1e-8)
        // In between: strictly between the two.
        let mid = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 50), parent: parent).model
        let bm = try #require(mid.layers.first?.bias.first)
        let lo = min(b.bias[0], try #require(tiny.layers.first?.bias.first)), hi = max(b.bias[0], try #require(tiny.layers.first?.bias.first))
        #expect(bm > lo && bm < hi)
    }

    @Test func logisticAnchorLimits() throws {
        let old = Synthetic.binary(rows: 300, seed: 5)
        let new = Synthetic.binary(rows: 120, seed: 6)
        let spec = ModelSpec(name: "lg", family: .logistic, target: "y")
        let parent = try Trainer.train(spec: spec, data: old, options: TrainOptions()).model
        let zero = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 0), parent: parent).model
        let tiny = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 1e-9), parent: parent).model
        // anchor 0 is exactly the retrain objective (Σ logloss + λ/2‖w‖²) on DATA with the parent's preprocessing.
        let direct = try ClosedForm.newton(try parent.preprocessor.transform(new), y: try #require(try parent.preprocessor.transform(new).y),
                                           classes: 2, binary: true, l2: 1, anchor: 0, parent: nil)
        for (x, y) in zip(zero.layers[0].weights + zero.layers[0].bias, direct.layer.weights + direct.layer.bias) {
            #expect(abs(x - y) < 1e-9)
        }
        for (x, y) in zip(tiny.layers[0].weights + tiny.layers[0].bias, zero.layers[0].weights + zero.layers[0].bias) {
            #expect(abs(x - y) < 1e-7)
        }
        let huge = try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 1e14), parent: parent).model
        for (x, y) in zip(huge.layers[0].weights + huge.layers[0].bias, parent.layers[0].weights + parent.layers[0].bias) {
            #expect(abs(x - y) < 1e-9)
        }
    }

    @Test func freezeKeepsLayerBits() throws {
        let data = Synthetic.nonlinear(rows: 200, seed: 9)
        let parent = try Trainer.train(spec: mlpSpec, data: data, options: TrainOptions(epochs: 3, seed: 1)).model
        let shifted = Synthetic.nonlinear(rows: 100, seed: 10)
        let tuned = try Trainer.train(spec: mlpSpec, data: shifted,
                                      options: TrainOptions(epochs: 3, lr: 0.01, freeze: 2, anchor: 0.01), parent: parent).model
        #expect(tuned.layers[0] == parent.layers[0])
        #expect(tuned.layers[1] == parent.layers[1])
        #expect(tuned.layers[2] != parent.layers[2])
        let unfrozen = try Trainer.train(spec: mlpSpec, data: shifted, options: TrainOptions(epochs: 1, lr: 0.01, freeze: 0), parent: parent).model
        #expect(unfrozen.layers[0] != parent.layers[0])
    }

    /// A category that only the validation data holds is in the version's vocabulary, so a
    /// later fine-tune or prediction does not treat it as unseen.
    @Test func vocabularyComesFromTrainAndValid() throws {
        let spec = ModelSpec(name: "lin", family: .linear, target: "y")
        let train = Synthetic.linear(rows: 100, seed: 4, levels: ["a", "b", "c"])
        let valid = Synthetic.linear(rows: 40, seed: 5, levels: ["a", "b", "c", "rare"])
        let r = try Trainer.train(spec: spec, data: train, options: TrainOptions(), valid: valid)
        guard case .categorical(let vocab)? = r.model.preprocessor.features.first(where: { $0.name == "g" })?.kind else {
            Issue.record("no categorical feature g"); return
        }
        #expect(vocab.contains("rare"), "\(vocab)")
        #expect(!r.warnings.contains { $0.contains("not in the training vocabulary") }, "\(r.warnings)")
        let tuned = try Trainer.train(spec: spec, data: valid, options: TrainOptions(), parent: r.model)
        #expect(!tuned.warnings.contains { $0.contains("'rare'") }, "\(tuned.warnings)")
    }

    @Test func schemaChangeOnFineTuneIsAnError() throws {
        let spec = ModelSpec(name: "lin", family: .linear, target: "y")
        let parent = try Trainer.train(spec: spec, data: Synthetic.linear(rows: 50, seed: 1), options: TrainOptions()).model
        // A new category is not a schema change for a fine-tune: it is encoded as all zeros, and
        // the warning names the column and the value.
        let newCategory = Synthetic.linear(rows: 50, seed: 2, levels: ["a", "b", "c", "d"])
        let tuned = try Trainer.train(spec: spec, data: newCategory, options: TrainOptions(), parent: parent)
        #expect(tuned.warnings.contains { $0.hasPrefix("g = 'd': not in the vocabulary of the parent, encoded as all zeros") }, "\(tuned.warnings)")
        var extra = Synthetic.linear(rows: 50, seed: 3)
        extra.columns.insert(.numeric("x3", [Double](repeating: 1, count: 50)), at: 0)
        extra.columns.removeAll { $0.name == "x2" }
        #expect {
            try Trainer.train(spec: spec, data: extra, options: TrainOptions(), parent: parent)
        } throws: { error in
            guard case LearningError.schemaChanged(_, let diffs) = error else { return false }
            return diffs.contains("missing column 'x2'") && diffs.contains("new column 'x3'")
        }
    }

    @Test func mlpBeatsLinearOnNonlinearData() throws {
        let train = Synthetic.nonlinear(rows: 600, seed: 11)
        let test = Synthetic.nonlinear(rows: 300, seed: 12)
        let linear = try Trainer.train(spec: ModelSpec(name: "l", family: .linear, target: "y"), data: train, options: TrainOptions())
        let mlp = try Trainer.train(spec: ModelSpec(name: "m", family: .mlp, target: "y", hidden: [32, 16], activation: .relu),
                                    data: train, options: TrainOptions(epochs: 60, lr: 0.01, batch: 32, seed: 3, schedule: .cosine))
        let lr = try #require(try Metrics.evaluate(linear.model, on: test)["rmse"])
        let mr = try #require(try Metrics.evaluate(mlp.model, on: test)["rmse"])
        #expect(mr < 0.5 * lr, "mlp rmse \(mr) vs linear \(lr)")
        #expect(mlp.curve.count == 60)
        #expect(mlp.curve.last.map { $0.trainLoss < mlp.curve[0].trainLoss } == true)
        #expect(mlp.cost.examplesProcessed == 60 * 600)
        #expect(mlp.cost.estimatedFLOPs > 0)
    }

    @Test func invalidOptionCombinationsAreErrors() throws {
        let data = Synthetic.linear(rows: 40, seed: 1)
        let lin = ModelSpec(name: "lin", family: .linear, target: "y")
        #expect(throws: LearningError.self) { try Trainer.train(spec: lin, data: data, options: TrainOptions(lr: 0.1)) }
        #expect(throws: LearningError.self) { try Trainer.train(spec: lin, data: data, options: TrainOptions(epochs: 3)) }
        let parent = try Trainer.train(spec: lin, data: data, options: TrainOptions()).model
        #expect {
            try Trainer.train(spec: lin, data: data, options: TrainOptions(freeze: 1), parent: parent)
        } throws: { "\($0)".contains("freeze") }
        #expect {
            try Trainer.train(spec: lin, data: data, options: TrainOptions(anchor: 1))
        } throws: { "\($0)".contains("finetune") }
        #expect(throws: LearningError.self) {
            try Trainer.train(spec: mlpSpec, data: Synthetic.nonlinear(rows: 20, seed: 1), options: TrainOptions(earlyStop: 2))
        }
        var bad = mlpSpec
        bad.hidden = []
        #expect(throws: LearningError.self) { try bad.validate() }
        let logistic = ModelSpec(name: "lg", family: .logistic, target: "species")
        #expect {
            try Trainer.train(spec: logistic, data: Synthetic.threeClass(rows: 60, seed: 1), options: TrainOptions())
        } throws: { "\($0)".contains("softmax") }
    }

    @Test func specDifferencesNameTheFields() {
        let a = ModelSpec(name: "p", family: .mlp, target: "y", hidden: [64, 32], activation: .relu)
        var b = a
        b.hidden = [64]
        b.activation = .tanh
        let d = b.differences(from: a)
        #expect(d == ["hidden: [64, 32] → [64]", "activation: relu → tanh"])
        #expect(a.differences(from: a).isEmpty)
    }

    @Test func softmaxNewtonAndIterative() throws {
        let train = Synthetic.threeClass(rows: 300, seed: 2), test = Synthetic.threeClass(rows: 200, seed: 3)
        let spec = ModelSpec(name: "s", family: .softmax, target: "species")
        let newton = try Trainer.train(spec: spec, data: train, options: TrainOptions())
        #expect(newton.model.classes == ["adelie", "gentoo", "chinstrap"])
        let m = try Metrics.evaluate(newton.model, on: test)
        #expect(try #require(m["accuracy"]) > 0.75)
        let pred = try newton.model.predict(test)
        let probs = try #require(pred.probabilities)
        for r in 0..<test.rowCount { #expect(abs(probs[3 * r] + probs[3 * r + 1] + probs[3 * r + 2] - 1) < 1e-12) }
        #expect(pred.labels?.first??.isEmpty == false)
        let adam = try Trainer.train(spec: spec, data: train, options: TrainOptions(optimizer: .adam, epochs: 60, lr: 0.05, batch: 32))
        let ma = try Metrics.evaluate(adam.model, on: test)
        #expect(abs(try #require(ma["log_loss"]) - (m["log_loss"] ?? 0)) < 0.05)
    }

    @Test func logisticAdamApproachesNewton() throws {
        let data = Synthetic.binary(rows: 400, seed: 4)
        let spec = ModelSpec(name: "lg", family: .logistic, target: "y")
        let newton = try Trainer.train(spec: spec, data: data, options: TrainOptions())
        let adam = try Trainer.train(spec: spec, data: data, options: TrainOptions(optimizer: .adam, epochs: 1500, lr: 0.05, batch: 400))
        for (a, b) in zip(adam.model.layers[0].weights, newton.model.layers[0].weights) { #expect(abs(a - b) < 0.02) }
        #expect(try #require(newton.trainMetrics["auc"]) > 0.85)
    }

    @Test func interruptionStopsCleanly() throws {
        let calls = Atomic<Int>(0)
        let control = TrainingControl(shouldStop: { calls.add(1, ordering: .relaxed).newValue > 7 })
        let result = try Trainer.train(spec: mlpSpec, data: Synthetic.nonlinear(rows: 100, seed: 1),
                                       options: TrainOptions(epochs: 10, batch: 10), control: control)
        #expect(result.status == .interrupted)
        #expect(result.cost.examplesProcessed == 70)
        #expect(result.curve.isEmpty)
    }

    @Test func curveCallbacksAndEarlyStopping() throws {
        var epochs: [EpochRecord] = []
        var progress = 0
        let control = TrainingControl(onEpoch: { epochs.append($0) }, onProgress: { _ in progress += 1 })
        let result = try Trainer.train(spec: mlpSpec, data: Synthetic.nonlinear(rows: 200, seed: 1),
                                       options: TrainOptions(epochs: 300, lr: 0.05, batch: 50, validFraction: 0.25, earlyStop: 3),
                                       control: control)
        #expect(epochs == result.curve)
        #expect(progress >= epochs.count)
        #expect(epochs.allSatisfy { $0.valid["valid_loss"] != nil && $0.valid["valid_rmse"] != nil })
        #expect(epochs.count < 300)
        #expect(result.validRows == 50 && result.trainRows == 150)
        let best = epochs.compactMap { $0.valid["valid_loss"] }.min() ?? .nan
        #expect(abs((result.validMetrics["rmse"] ?? .nan) * (result.validMetrics["rmse"] ?? .nan) - best) < 1e-9 * max(1, best))
    }

    @Test func replayMixesRowsIntoEveryEpoch() throws {
        let old = Synthetic.nonlinear(rows: 100, seed: 1), new = Synthetic.nonlinear(rows: 50, seed: 2)
        let parent = try Trainer.train(spec: mlpSpec, data: old, options: TrainOptions(epochs: 2)).model
        let result = try Trainer.train(spec: mlpSpec, data: new, options: TrainOptions(epochs: 3, replayFraction: 0.4),
                                       parent: parent, replay: old)
        #expect(result.cost.examplesProcessed == 3 * (50 + 20))
        #expect(result.model.targetMean == parent.targetMean)
        #expect(throws: LearningError.self) {
            try Trainer.train(spec: mlpSpec, data: new, options: TrainOptions(replayFraction: 0.4), parent: parent)
        }
    }

    @Test func crossValidation() throws {
        let data = Synthetic.linear(rows: 103, seed: 5)
        let spec = ModelSpec(name: "lin", family: .linear, target: "y")
        let cv = try CrossValidation.run(spec: spec, data: data, folds: 5, seed: 1)
        #expect(cv.folds.count == 5 && cv.foldSizes.reduce(0, +) == 103)
        #expect(cv.foldSizes.max()! - cv.foldSizes.min()! <= 1)
        #expect(try #require(cv.mean["r2"]) > 0.99)
        #expect(try #require(cv.std["rmse"]) >= 0)
        let again = try CrossValidation.run(spec: spec, data: data, folds: 5, seed: 1)
        #expect(again.folds == cv.folds)
        let cls = try CrossValidation.run(spec: ModelSpec(name: "s", family: .softmax, target: "species"),
                                          data: Synthetic.threeClass(rows: 90, seed: 1), folds: 3, seed: 2, stratify: true)
        #expect(cls.folds.count == 3 && cls.mean["accuracy"] != nil)
        #expect(throws: LearningError.self) { try CrossValidation.run(spec: spec, data: data, folds: 1) }
        #expect(throws: LearningError.self) { try CrossValidation.run(spec: spec, data: data, folds: 3, stratify: true) }
    }

    @Test func describeParameters() throws {
        let lin = try Trainer.train(spec: ModelSpec(name: "lin", family: .linear, target: "y"),
                                    data: Synthetic.linear(rows: 60, seed: 1), options: TrainOptions()).model
        let d = lin.describeParameters()
        #expect(d.map(\.name) == ["intercept", "x1", "x2", "g=a", "g=b", "g=c"] || d.count == 6)
        let mlp = try Trainer.train(spec: mlpSpec, data: Synthetic.nonlinear(rows: 30, seed: 1), options: TrainOptions(epochs: 1)).model
        #expect(mlp.describeParameters().map(\.shape) == ["2×16", "16", "16×8", "8", "8×1", "1"])
    }
}

@Suite struct DataHandlingTests {
    @Test func missingFeatureValuesNeedImpute() throws {
        var data = Synthetic.linear(rows: 40, seed: 1)
        var x1 = try #require(data.column(named: "x1")?.doubles)
        x1[3] = .nan; x1[7] = .nan
        data.columns[0] = .numeric("x1", x1)
        let spec = ModelSpec(name: "lin", family: .linear, target: "y", features: .columns(["x1", "x2"]))
        #expect(throws: LearningError.preprocessing(.missingValues(column: "x1", rows: 2))) {
            try Trainer.train(spec: spec, data: data, options: TrainOptions())
        }
        let dropped = try Trainer.train(spec: spec, data: data, options: TrainOptions(impute: .drop))
        #expect(dropped.trainRows == 38 && !dropped.warnings.isEmpty)
        let imputed = try Trainer.train(spec: spec, data: data, options: TrainOptions(impute: .median))
        #expect(imputed.trainRows == 40)
        let pred = try dropped.model.predict(data)
        #expect(pred.values[3].isNaN && !pred.values[4].isNaN && pred.droppedRows == 2)
    }

    @Test func allButTargetSkipsTimeColumnAndOneHotAliasingIsWarned() throws {
        var data = Synthetic.linear(rows: 60, seed: 1)
        data.columns.append(.numeric("when", (0..<60).map(Double.init)))
        data.time = "when"
        let result = try Trainer.train(spec: ModelSpec(name: "lin", family: .linear, target: "y"), data: data, options: TrainOptions())
        #expect(result.model.preprocessor.featureNames == ["x1", "x2", "g=a", "g=b", "g=c"])
        #expect(result.warnings.contains { $0.contains("'g=c'") })
        #expect(try #require(result.trainMetrics["r2"]) > 0.99)
    }

    @Test func effectiveOptionsAreRecorded() {
        let mlp = ModelSpec(name: "m", family: .mlp, target: "y", hidden: [4])
        let values = TrainOptions(epochs: 3).effectiveValues(for: mlp)
        let dict = Dictionary(uniqueKeysWithValues: values.map { ($0.key, $0.value) })
        #expect(dict["epochs"] == "3" && dict["optimizer"] == "adam" && dict["lr"] == "0.001" && dict["kernel"] == GEMM.kernelName)
        #expect(TrainOptions.defaults.map(\.key).contains("early_stop"))
        let exact = TrainOptions().effectiveValues(for: ModelSpec(name: "l", family: .linear, target: "y"))
        #expect(exact.first?.key == "solver" && !exact.contains { $0.key == "lr" })
    }
}

@Suite struct FineTuneGuards {
    @Test func newClassOnFineTuneIsASchemaError() throws {
        let spec = ModelSpec(name: "s", family: .softmax, target: "species")
        let data = Synthetic.threeClass(rows: 90, seed: 1)
        guard case .categorical(let codes, _) = try #require(data.column(named: "species")).storage else {
            Issue.record("species should be categorical"); return
        }
        let two = data.learningSubset((0..<90).filter { codes[$0] != 2 }, name: "")
        let parent = try Trainer.train(spec: spec, data: two, options: TrainOptions()).model
        #expect(parent.classes == ["adelie", "gentoo"])
        #expect {
            try Trainer.train(spec: spec, data: data, options: TrainOptions(optimizer: .adam, epochs: 1), parent: parent)
        } throws: { "\($0)".contains("'chinstrap'") && "\($0)".contains("retrain") }
    }

    @Test func infiniteTargetIsAnError() throws {
        var data = Synthetic.linear(rows: 20, seed: 1)
        var y = try #require(data.column(named: "y")?.doubles)
        y[4] = .infinity
        data.columns[3] = .numeric("y", y)
        #expect { try Trainer.train(spec: ModelSpec(name: "l", family: .linear, target: "y"), data: data, options: TrainOptions()) }
            throws: { "\($0)".contains("row 5") }
    }
}

/// Issue 17: a loss that grows far beyond its best is a divergence even while it stays finite.
@Suite struct DivergenceGrowthTests {
    @Test func lossGrowingOverItsBestStopsTheRun() throws {
        let data = Synthetic.nonlinear(rows: 200, seed: 2)
        let spec = ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["x1", "x2"]), hidden: [16])
        let result = try Trainer.train(spec: spec, data: data, options: TrainOptions(epochs: 20, lr: 1e6, batch: 32))
        guard case .diverged(let epoch, _) = result.status else {
            Issue.record("expected divergence, got \(result.status); curve \(result.curve.map(\.trainLoss))")
            return
        }
        #expect(epoch < 20)
        #expect(result.curve.count == epoch)
        #expect(result.warnings.contains { $0.contains("more than 100×") && $0.contains("lower learning rate") }, "\(result.warnings)")
    }

    @Test func anOrdinaryRunDoesNotTrip() throws {
        let data = Synthetic.nonlinear(rows: 200, seed: 2)
        let spec = ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["x1", "x2"]), hidden: [16])
        let result = try Trainer.train(spec: spec, data: data, options: TrainOptions(epochs: 20, lr: 0.01, batch: 32))
        #expect(result.status == .finished)
    }

    @Test func theRule() {
        #expect(Divergence.grew(101, over: 1))
        #expect(!Divergence.grew(99, over: 1))
        // The lowest loss is floored: from a perfect start a small loss is not a divergence.
        #expect(!Divergence.grew(0.05, over: 0))
        #expect(Divergence.grew(0.2, over: 0))
    }
}
