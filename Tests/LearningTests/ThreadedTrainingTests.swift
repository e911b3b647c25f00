import Foundation
import Synchronization
import Testing
import Tabular
@testable import Learning

/// `threads N`: each mini-batch split over N threads, gradients summed in part order.
@Suite struct ThreadedTrainingTests {
    let mlp = ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["x1", "x2"]),
                        hidden: [16, 8], activation: .relu)

    func train(_ spec: ModelSpec, _ data: Dataset, _ o: TrainOptions, valid: Dataset? = nil,
               parent: TrainedModel? = nil, control: TrainingControl = TrainingControl()) throws -> TrainingResult {
        try Trainer.train(spec: spec, data: data, options: o, valid: valid, parent: parent, control: control)
    }

    func relativeGap(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(a), abs(b), 1e-12) }

    @Test func twoThreadsTwiceGiveIdenticalBits() throws {
        let data = Synthetic.nonlinear(rows: 500, seed: 1)
        for spec in [mlp, { var s = mlp; s.dropout = 0.1; s.activation = .tanh; return s }()] {
            let o = TrainOptions(epochs: 4, lr: 0.01, batch: 37, seed: 7, validFraction: 0.2, threads: 2)
            let a = try train(spec, data, o), b = try train(spec, data, o)
            #expect(a.model.layers == b.model.layers)
            #expect(a.curve.map(\.trainLoss) == b.curve.map(\.trainLoss))
            #expect(a.validMetrics == b.validMetrics)
            #expect(a.status == .finished)
        }
    }

    @Test func twoThreadsDifferInBitsButNotInQuality() throws {
        let data = Synthetic.nonlinear(rows: 3000, seed: 2)
        let heldOut = Synthetic.nonlinear(rows: 1000, seed: 3)
        let one = try train(mlp, data, TrainOptions(epochs: 15, lr: 0.01, batch: 64, seed: 5))
        let two = try train(mlp, data, TrainOptions(epochs: 15, lr: 0.01, batch: 64, seed: 5, threads: 2))
        #expect(one.model.layers != two.model.layers)
        let l1 = try #require(one.curve.last?.trainLoss), l2 = try #require(two.curve.last?.trainLoss)
        #expect(relativeGap(l1, l2) < 0.05)
        let e1 = try Metrics.evaluate(one.model, on: heldOut), e2 = try Metrics.evaluate(two.model, on: heldOut)
        let r1 = try #require(e1["rmse"]), r2 = try #require(e2["rmse"])
        #expect(relativeGap(r1, r2) < 0.05)
        #expect(r2 < 0.5)   // the target's standard deviation is ≈ 2: the model has learnt it
    }

    @Test func oneThreadIsTheSingleThreadedPath() throws {
        let data = Synthetic.nonlinear(rows: 300, seed: 4)
        var spec = mlp
        spec.dropout = 0.2
        let base = TrainOptions(epochs: 3, lr: 0.01, batch: 32, seed: 3, validFraction: 0.2)
        var explicit = base
        explicit.threads = 1
        let a = try train(spec, data, base), b = try train(spec, data, explicit)
        #expect(a.model.layers == b.model.layers && a.curve.map(\.trainLoss) == b.curve.map(\.trainLoss))
        // batch 1: one part per batch, so any thread count is the single-threaded computation.
        var single = base
        single.batch = 1
        single.epochs = 1
        var singleT = single
        singleT.threads = 3
        let c = try train(spec, data, single), d = try train(spec, data, singleT)
        #expect(c.model.layers == d.model.layers)
        // The parameter is recorded only above 1 (absent means 1).
        #expect(!a.parameters.contains { $0.key == "threads" })
        var two = base
        two.threads = 2
        #expect(try train(mlp, data, two).parameters.contains { $0.key == "threads" && $0.value == "2" })
    }

    @Test(arguments: [(rows: 101, batch: 7, threads: 3), (rows: 50, batch: 2, threads: 4),
                      (rows: 33, batch: 64, threads: 2), (rows: 20, batch: 5, threads: 8)])
    func oddBatchesAndShortLastBatches(rows: Int, batch: Int, threads: Int) throws {
        let data = Synthetic.nonlinear(rows: rows, seed: 6)
        let one = try train(mlp, data, TrainOptions(optimizer: .sgd, momentum: 0.9, epochs: 5, lr: 0.01, batch: batch,
                                                    seed: 1, weightDecay: 1e-3))
        let many = try train(mlp, data, TrainOptions(optimizer: .sgd, momentum: 0.9, epochs: 5, lr: 0.01, batch: batch,
                                                     seed: 1, weightDecay: 1e-3, threads: threads))
        let again = try train(mlp, data, TrainOptions(optimizer: .sgd, momentum: 0.9, epochs: 5, lr: 0.01, batch: batch,
                                                      seed: 1, weightDecay: 1e-3, threads: threads))
        #expect(many.model.layers == again.model.layers)
        #expect(many.status == .finished && many.cost.examplesProcessed == 5 * rows)
        let l1 = try #require(one.curve.last?.trainLoss), ln = try #require(many.curve.last?.trainLoss)
        #expect(relativeGap(l1, ln) < 0.02)
    }

    @Test func classificationOutputs() throws {
        let data = Synthetic.binary(rows: 400, seed: 8)
        let logistic = ModelSpec(name: "c", family: .mlp, target: "y", features: .columns(["x1", "x2"]), hidden: [8],
                                 task: .classification)
        let one = try train(logistic, data, TrainOptions(epochs: 5, lr: 0.01, batch: 30, seed: 2))
        let two = try train(logistic, data, TrainOptions(epochs: 5, lr: 0.01, batch: 30, seed: 2, threads: 2))
        let a1 = try #require(one.trainMetrics["accuracy"]), a2 = try #require(two.trainMetrics["accuracy"])
        #expect(abs(a1 - a2) < 0.03)
        #expect(relativeGap(try #require(one.curve.last?.trainLoss), try #require(two.curve.last?.trainLoss)) < 0.02)
    }

    @Test func fineTuneWithFreezeAndAnchor() throws {
        let data = Synthetic.nonlinear(rows: 300, seed: 9)
        let parent = try train(mlp, data, TrainOptions(epochs: 3, seed: 1)).model
        let shifted = Synthetic.nonlinear(rows: 200, seed: 10)
        let o = TrainOptions(epochs: 3, lr: 0.01, batch: 25, freeze: 1, anchor: 0.01, threads: 2)
        let tuned = try train(mlp, shifted, o, parent: parent).model
        #expect(tuned.layers[0] == parent.layers[0])
        #expect(tuned.layers[1] != parent.layers[1] && tuned.layers[2] != parent.layers[2])
        var one = o
        one.threads = 1
        let single = try train(mlp, shifted, one, parent: parent).model
        for l in 1...2 {
            for (x, y) in zip(tuned.layers[l].weights, single.layers[l].weights) { #expect(abs(x - y) < 1e-3) }
        }
    }

    @Test func earlyStoppingWithTwoThreads() throws {
        var epochs: [EpochRecord] = []
        let control = TrainingControl(onEpoch: { epochs.append($0) })
        let result = try train(mlp, Synthetic.nonlinear(rows: 200, seed: 1),
                               TrainOptions(epochs: 300, lr: 0.05, batch: 50, validFraction: 0.25, earlyStop: 3, threads: 2),
                               control: control)
        #expect(epochs == result.curve)
        #expect(epochs.count < 300)
        let best = epochs.compactMap { $0.valid["valid_loss"] }.min() ?? .nan
        #expect(abs((result.validMetrics["rmse"] ?? .nan) * (result.validMetrics["rmse"] ?? .nan) - best) < 1e-9 * max(1, best))
        #expect(result.warnings.contains { $0.contains("early stopping kept") })
    }

    @Test func divergenceWithTwoThreads() throws {
        let data = Synthetic.nonlinear(rows: 200, seed: 2)
        let result = try train(mlp, data, TrainOptions(optimizer: .sgd, epochs: 5, lr: 1e12, batch: 20, threads: 2))
        guard case .diverged(let epoch, let batch) = result.status else {
            Issue.record("expected divergence, got \(result.status)")
            return
        }
        #expect(epoch >= 1 && batch >= 1)
        #expect(result.model.layers.allSatisfy { $0.weights.allSatisfy(\.isFinite) && $0.bias.allSatisfy(\.isFinite) })
        // The same batch as one thread: the loss becomes non-finite at the same step.
        let one = try train(mlp, data, TrainOptions(optimizer: .sgd, epochs: 5, lr: 1e12, batch: 20))
        #expect(one.status == result.status)
    }

    @Test func interruptionWithTwoThreads() throws {
        let calls = Atomic<Int>(0)
        let control = TrainingControl(shouldStop: { calls.add(1, ordering: .relaxed).newValue > 7 })
        let result = try train(mlp, Synthetic.nonlinear(rows: 100, seed: 1), TrainOptions(epochs: 10, batch: 10, threads: 2),
                               control: control)
        #expect(result.status == .interrupted)
        #expect(result.cost.examplesProcessed == 70)
    }

    @Test func threadOptionIsChecked() throws {
        let data = Synthetic.nonlinear(rows: 50, seed: 1)
        for t in [0, 65] {
            #expect(throws: LearningError.self) { try train(mlp, data, TrainOptions(epochs: 1, threads: t)) }
        }
        let linear = ModelSpec(name: "l", family: .linear, target: "y")
        do {
            _ = try train(linear, data, TrainOptions(threads: 2))
            Issue.record("closed form accepted threads")
        } catch {
            #expect("\(error)".contains("threads"))
        }
        #expect(try train(mlp, data, TrainOptions(epochs: 1, threads: 64)).status == .finished)
    }

    /// Every item of every task runs exactly once, whichever thread claims it.
    @Test func teamRunsEveryItemOnce() throws {
        final class Counts: @unchecked Sendable {
            let slots = UnsafeMutablePointer<Int>.allocate(capacity: 8)
            init() { slots.initialize(repeating: 0, count: 8) }
            deinit { slots.deallocate() }
        }
        let counts = Counts()
        for threads in [2, 3, 8] {
            counts.slots.update(repeating: 0, count: 8)
            let team = try WorkerTeam<Int>(count: threads, spins: threads == 3 ? 0 : 4000) { item, job in
                counts.slots[item] += job   // item-owned memory: no two threads write one slot
            }
            for round in 0..<3000 { team.run(round % 2 == 0 ? 1 : 2, items: 1 + round % 8) }
            team.close()
            var expected = [Int](repeating: 0, count: 8)
            for round in 0..<3000 { for i in 0..<(1 + round % 8) { expected[i] += round % 2 == 0 ? 1 : 2 } }
            #expect((0..<8).map { counts.slots[$0] } == expected)
        }
    }

    @Test func barrierRoundsComplete() throws {
        let s = try BarrierProbe.secondsPerRound(threads: 2, rounds: 2000)
        #expect(s > 0 && s < 0.01)
        let sleepy = try BarrierProbe.secondsPerRound(threads: 3, rounds: 200, spins: 0)
        #expect(sleepy > 0)
    }
}
