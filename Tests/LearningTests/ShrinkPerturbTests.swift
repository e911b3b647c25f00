import Foundation
import Tabular
import Testing
@testable import Learning

/// Shrink and perturb (Ash & Adams 2020): θ ← λ·θ_parent + p·θ_fresh before a fine-tune.
@Suite struct ShrinkPerturbTests {
    let mlp = ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["x1", "x2"]), hidden: [16, 8], activation: .tanh)

    @Test func identityShrinkIsAPlainFineTune() throws {
        let old = Synthetic.linear(rows: 300, seed: 3)
        let new = Synthetic.linear(rows: 200, seed: 4, shift: 2)
        let parent = try Trainer.train(spec: mlp, data: old, options: TrainOptions(epochs: 3, seed: 1)).model
        let plain = try Trainer.train(spec: mlp, data: new, options: TrainOptions(epochs: 2, seed: 5), parent: parent).model
        let same = try Trainer.train(spec: mlp, data: new, options: TrainOptions(epochs: 2, seed: 5, shrink: 1, perturb: 0),
                                     parent: parent).model
        #expect(plain.layers == same.layers, "λ = 1, p = 0 must leave the start (and the shuffling) unchanged")
        let sp = TrainOptions(epochs: 2, seed: 5, shrink: 0.5, perturb: 0.01)
        let a = try Trainer.train(spec: mlp, data: new, options: sp, parent: parent)
        let b = try Trainer.train(spec: mlp, data: new, options: sp, parent: parent)
        #expect(a.model.layers == b.model.layers, "seeded: the same options give the same weights")
        #expect(a.model.layers != plain.layers)
        #expect(a.parameters.contains { $0.key == "shrink" && $0.value == "0.5" })
        let plainRun = try Trainer.train(spec: mlp, data: new, options: TrainOptions(epochs: 2, seed: 5), parent: parent)
        #expect(!plainRun.parameters.contains { $0.key == "shrink" })
    }

    /// With one epoch at a vanishing learning rate the result is the transformed start itself:
    /// every trainable weight is λ·w + p·fresh, biases λ·b, a frozen layer untouched.
    @Test func startIsShrunkAndPerturbed() throws {
        let old = Synthetic.linear(rows: 300, seed: 3)
        let parent = try Trainer.train(spec: mlp, data: old, options: TrainOptions(epochs: 3, seed: 1)).model
        let o = TrainOptions(epochs: 1, lr: 1e-30, seed: 9, freeze: 1, shrink: 0.5, perturb: 0)
        let child = try Trainer.train(spec: mlp, data: old, options: o, parent: parent).model
        #expect(child.layers[0] == parent.layers[0], "frozen layer kept")
        for l in 1..<parent.layers.count {
            for (w, pw) in zip(child.layers[l].weights, parent.layers[l].weights) {
                #expect(abs(w - 0.5 * Double(Float(pw))) < 1e-6 * max(1, abs(pw)))
            }
            for (b, pb) in zip(child.layers[l].bias, parent.layers[l].bias) { #expect(abs(b - 0.5 * pb) < 1e-6 * max(1, abs(pb))) }
        }
        // p > 0 adds noise of the fresh initialisation's scale times p.
        let noisy = try Trainer.train(spec: mlp, data: old, options: TrainOptions(epochs: 1, lr: 1e-30, seed: 9, shrink: 1, perturb: 0.1),
                                      parent: parent).model
        let diffs = zip(noisy.layers[0].weights, parent.layers[0].weights).map { abs($0 - $1) }
        let limit = 0.1 * (6.0 / Double(2 + 16)).squareRoot()
        #expect(diffs.max() ?? 0 > 0)
        #expect(diffs.allSatisfy { $0 <= limit + 1e-6 }, "perturbation bounded by p × the Glorot limit \(limit)")
    }

    @Test func closedFormNeedsAnAnchorAndPullsTowardTheShrunkParent() throws {
        let old = Synthetic.linear(rows: 200, seed: 3)
        let new = Synthetic.linear(rows: 80, seed: 4, shift: 5)
        let spec = ModelSpec(name: "lin", family: .linear, target: "y")
        let parent = try Trainer.train(spec: spec, data: old, options: TrainOptions()).model
        #expect(throws: LearningError.self) {
            try Trainer.train(spec: spec, data: new, options: TrainOptions(shrink: 0.5), parent: parent)
        }
        #expect(throws: LearningError.self) { try Trainer.train(spec: spec, data: new, options: TrainOptions(shrink: 0.5)) }
        #expect(throws: LearningError.self) {
            try Trainer.train(spec: spec, data: new, options: TrainOptions(anchor: 1, shrink: 1.5), parent: parent)
        }
        // anchor → ∞: the fit is the anchor's target, the shrunk and perturbed parent.
        let sp = ShrinkPerturb(shrink: 0.5, perturb: 0.01)
        let huge = try Trainer.train(spec: spec, data: new, options: TrainOptions(seed: 2, anchor: 1e14, shrink: 0.5, perturb: 0.01),
                                     parent: parent).model
        let layer = try #require(parent.layers.first)
        let target = ClosedForm.shrunk(layer, sp, seed: 2)
        let got = ClosedForm.theta(of: try #require(huge.layers.first))
        for (g, t) in zip(got, target) { #expect(abs(g - t) < 1e-6 * max(1, abs(t))) }
        let plain = ClosedForm.theta(of: layer)
        #expect(abs(target[0] - 0.5 * plain[0]) < 1e-12, "the intercept is only shrunk")
        #expect(zip(target.dropFirst(), plain.dropFirst()).contains { abs($0 - 0.5 * $1) > 1e-9 }, "the weights are perturbed")
    }
}
