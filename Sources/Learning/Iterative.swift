import CKernels
import Foundation
import Tabular

/// First-order training (SGD with momentum or Adam) of single-layer models and MLPs in Float32
/// through `GEMM.sgemm`, on preallocated buffers.
///
/// Objective per batch: mean loss (MSE on the standardised target for regression, log loss
/// for classification) + l2/(2n)·‖w‖² for linear/logistic/softmax (so that the optimum is the
/// one of `Σ loss + l2/2·‖w‖²`) + weight_decay/2·‖w‖² + anchor/2·‖θ − θ_parent‖² (L2-SP, on
/// every trainable parameter including biases). Frozen layers get no update and no gradient.
enum Iterative {
    struct Run {
        var model: TrainedModel
        var curve: [EpochRecord]
        var status: TrainingStatus
        var examples: Int
        var flops: Double
        var warnings: [String]
    }

    static func run(spec: ModelSpec, task: ModelSpec.Task, output: OutputKind, outputs: Int,
                    preprocessor: Preprocessor, train: DesignMatrix, y: [Double],
                    valid: DesignMatrix?, replay: DesignMatrix?, parent: TrainedModel?,
                    options: TrainOptions, control: TrainingControl) throws -> Run {
        let n = train.rows, d = train.cols
        let sizes = [d] + spec.hidden + [outputs]
        let replayCount = replay.map { _ in Int((Double(n) * options.resolvedReplay).rounded()) } ?? 0
        let epochRows = n + replayCount
        let batch = max(1, min(options.resolvedBatch, epochRows))
        let batches = (epochRows + batch - 1) / batch
        let epochs = options.resolvedEpochs
        let totalSteps = epochs * batches
        let net = Network(sizes: sizes, activation: spec.activation, output: output, capacity: batch)
        let layers = net.layerCount
        let freeze = options.resolvedFreeze
        let dropout = Float(spec.dropout)
        var rng = LearningRandom(seed: options.resolvedSeed)

        // Target scaling (regression).
        var yMean = 0.0, yStd = 1.0
        if task == .regression {
            if let parent { yMean = parent.targetMean; yStd = parent.targetStd } else {
                var s = 0.0
                for v in y { s += v }
                yMean = s / Double(n)
                var ss = 0.0
                for v in y { ss += (v - yMean) * (v - yMean) }
                yStd = (ss / Double(n)).squareRoot()
                if !(yStd > 0) || !yStd.isFinite { yStd = 1 }
            }
        }
        func scaled(_ v: Double) -> Float { task == .regression ? Float((v - yMean) / yStd) : Float(v) }
        // Float32 copies of the data, made once; the hot loop reads them through raw pointers.
        let x32 = Float32Buffer(train.x.lazy.map { Float($0) }, count: train.x.count)
        let y32 = Float32Buffer(y.lazy.map(scaled), count: y.count)
        let rx32 = Float32Buffer((replay?.x ?? []).lazy.map { Float($0) }, count: replay?.x.count ?? 0)
        let ryValues = replay?.y ?? []
        let ry32 = Float32Buffer(ryValues.lazy.map(scaled), count: ryValues.count)

        // Initialisation: Glorot uniform (tanh layers and the output layer) or He normal (relu),
        // biases 0. A single-layer model starts from zeros when trained from scratch.
        func freshWeights(layer l: Int, _ rng: inout LearningRandom) -> [Float] {
            let nIn = sizes[l], nOut = sizes[l + 1]
            if spec.activation == .tanh || l == layers - 1 {
                let limit = (6.0 / Double(nIn + nOut)).squareRoot()
                return (0..<(nIn * nOut)).map { _ in Float((rng.nextDouble() * 2 - 1) * limit) }
            }
            let std = (2.0 / Double(nIn)).squareRoot()
            return (0..<(nIn * nOut)).map { _ in Float(rng.nextGaussian() * std) }
        }
        if let parent {
            net.load(parent.layers)
        } else if layers > 1 {
            for l in 0..<layers {
                let w = net.params + net.weightOffset[l]
                for (i, v) in freshWeights(layer: l, &rng).enumerated() { w[i] = v }
            }
        }
        let p = net.paramCount
        let anchor = Float(options.resolvedAnchor)
        let reference = UnsafeMutablePointer<Float>.allocate(capacity: max(p, 1))
        let epochStart = UnsafeMutablePointer<Float>.allocate(capacity: max(p, 1))
        let best = UnsafeMutablePointer<Float>.allocate(capacity: max(p, 1))
        let m1 = UnsafeMutablePointer<Float>.allocate(capacity: max(p, 1))
        let m2 = UnsafeMutablePointer<Float>.allocate(capacity: max(p, 1))
        let yBatch = UnsafeMutablePointer<Float>.allocate(capacity: batch)
        defer {
            reference.deallocate(); epochStart.deallocate(); best.deallocate()
            m1.deallocate(); m2.deallocate(); yBatch.deallocate()
        }
        reference.update(from: net.params, count: p)
        if parent != nil, let sp = options.shrinkPerturb {
            // θ ← λ·θ_parent + p·θ_fresh on the trainable layers (frozen ones stay the parent's);
            // the anchor, if any, still pulls toward θ_parent. θ_fresh has its own seed, so the
            // shuffling stream is the same as a plain fine-tune's.
            var freshRNG = LearningRandom(seed: ShrinkPerturb.seed(options.resolvedSeed))
            let lambda = Float(sp.shrink), q = Float(sp.perturb)
            for l in 0..<layers {
                let fresh = freshWeights(layer: l, &freshRNG)
                guard l >= freeze else { continue }
                let w = net.params + net.weightOffset[l], bias = net.params + net.biasOffset[l]
                for (i, v) in fresh.enumerated() { w[i] = lambda * w[i] + q * v }
                for i in 0..<sizes[l + 1] { bias[i] *= lambda }
            }
        }
        m1.initialize(repeating: 0, count: max(p, 1))
        m2.initialize(repeating: 0, count: max(p, 1))
        var hasBest = false
        var bestLoss = Double.infinity
        var sinceBest = 0

        let l2PerRow = spec.family == .mlp ? 0 : Float(spec.l2 / Double(n))
        let decay = Float(options.resolvedWeightDecay) + l2PerRow
        let optimizer = options.resolvedOptimizer
        let momentum = Float(options.resolvedMomentum)
        let baseLR = options.resolvedLR
        var flopsPerExample = 0.0
        for l in 0..<layers { flopsPerExample += Double(sizes[l] * sizes[l + 1]) * (l >= freeze ? 6 : 2) }

        // The divergence reference: the loss before training on up to 1024 training rows (no
        // dropout), lowered by each epoch's mean training loss (`Divergence`).
        var lowestLoss: Double = {
            let m = min(n, Divergence.sampleRows)
            let z = net.predict(Array(train.x[0..<(m * d)]), rows: m)
            return Divergence.meanLoss(z, targets: y32.base, rows: m, output: output, width: outputs)
        }()
        var growth: (loss: Double, best: Double)?

        var order = [Int](repeating: 0, count: epochRows)
        var curve: [EpochRecord] = []
        var status = TrainingStatus.finished
        var step = 0
        var examples = 0
        let out = net.inputs[layers]
        let delta = net.delta[layers - 1]
        let input = net.inputs[0]

        // Threads: one part of each batch per thread (`ThreadedBatch`); a team of one is the
        // single-threaded path below. Capped at the batch size (more parts would be empty).
        let teamSize = min(options.resolvedThreads, batch)
        var shared: ThreadedBatch?
        var team: WorkerTeam<ThreadedBatch.Job>?
        if teamSize > 1 {
            let batchShared = ThreadedBatch(net: net, parts: teamSize, capacity: batch, epochRows: epochRows,
                                            x32: x32, y32: y32, rx32: rx32, ry32: ry32, d: d, n: n,
                                            outputs: outputs, freeze: freeze, dropout: dropout,
                                            decay: decay, anchor: anchor, reference: reference,
                                            optimizer: optimizer, momentum: momentum, m1: m1, m2: m2)
            shared = batchShared
            team = try WorkerTeam<ThreadedBatch.Job>(count: teamSize) { item, job in batchShared.work(item, job) }
        }
        defer { team?.close() }
        let started = Date()
        // About 20 progress reports an epoch, and one after its last batch.
        func progress(epoch: Int, batch bi: Int, loss: Double, rows b: Int) {
            guard bi == batches - 1 || bi % max(1, batches / 20) == 0 else { return }
            let elapsed = Date().timeIntervalSince(started)
            control.onProgress(TrainingProgress(epoch: epoch, epochs: epochs, batch: bi + 1, batches: batches,
                                                loss: reportLoss(loss / Double(b), task: task, std: yStd),
                                                rowsPerSecond: elapsed > 0 ? Double(examples) / elapsed : 0))
        }

        epochLoop: for epoch in 1...epochs {
            epochStart.update(from: net.params, count: p)
            for i in 0..<n { order[i] = i }
            if replayCount > 0, let replay {
                // Without replacement when possible, else with replacement.
                if replayCount <= replay.rows {
                    var pool = Array(0..<replay.rows)
                    for i in 0..<replayCount {
                        let j = i + rng.nextInt(below: replay.rows - i)
                        pool.swapAt(i, j)
                        order[n + i] = n + pool[i]
                    }
                } else {
                    for i in 0..<replayCount { order[n + i] = n + rng.nextInt(below: replay.rows) }
                }
            }
            rng.shuffle(&order)
            if let shared { shared.setOrder(order) }
            var lossSum = 0.0
            var lossRows = 0
            var lr = baseLR
            if options.resolvedSchedule == .step {
                let e = epoch - 1
                if e >= max(1, epochs / 2) { lr *= 0.1 }
                if e >= max(1, (3 * epochs) / 4) { lr *= 0.1 }
            }
            if let team, let shared {
                // Threaded batches: forward/backward per part, then gradients summed in part order
                // and the update per parameter slice, each a task on the team (ThreadedBatch). A
                // loop of its own, so the single-threaded loop below is compiled as before.
                for bi in 0..<batches {
                    if control.shouldStop() { status = .interrupted; break epochLoop }
                    let start = bi * batch
                    let b = min(batch, epochRows - start)
                    if dropout > 0 { shared.drawMasks(rows: b, dropout: dropout, rng: &rng) }
                    let nextStep = step + 1
                    var stepLR = lr
                    if options.resolvedSchedule == .cosine {
                        stepLR = baseLR * 0.5 * (1 + cos(Double.pi * Double(nextStep - 1) / Double(max(totalSteps, 1))))
                    }
                    let loss = shared.runBatch(team, start: start, rows: b, lr: stepLR, step: nextStep)
                    if !loss.isFinite {
                        net.params.update(from: epochStart, count: p)
                        status = .diverged(epoch: epoch, batch: bi + 1)
                        break epochLoop
                    }
                    step = nextStep
                    lossSum += loss
                    lossRows += b
                    examples += b
                    progress(epoch: epoch, batch: bi, loss: loss, rows: b)
                }
            } else {
                for bi in 0..<batches {
                    if control.shouldStop() { status = .interrupted; break epochLoop }
                    let start = bi * batch
                    let b = min(batch, epochRows - start)
                    // Gather the batch (C, with prefetch: the rows are scattered over data larger
                    // than the caches, so a plain loop waits on memory).
                    order.withUnsafeBufferPointer { ord in
                        if let o0 = ord.baseAddress {
                            ck_gather_rows(input, yBatch, x32.base, y32.base, rx32.base, ry32.base,
                                           o0 + start, b, d, n)
                        }
                    }
                    net.forward(rows: b, dropout: dropout, rng: &rng)
                    let loss = lossAndDelta(output: output, outputs: outputs, out: out, targets: yBatch, delta: delta,
                                            rows: b, invB: 1 / Float(b))
                    if !loss.isFinite {
                        net.params.update(from: epochStart, count: p)
                        status = .diverged(epoch: epoch, batch: bi + 1)
                        break epochLoop
                    }
                    net.backward(rows: b, firstTrainable: freeze, dropout: dropout > 0)
                    step += 1
                    var stepLR = lr
                    if options.resolvedSchedule == .cosine {
                        stepLR = baseLR * 0.5 * (1 + cos(Double.pi * Double(step - 1) / Double(max(totalSteps, 1))))
                    }
                    update(net: net, from: freeze, decay: decay, anchor: anchor, reference: reference,
                           optimizer: optimizer, momentum: momentum, lr: stepLR, step: step, m1: m1, m2: m2)
                    lossSum += loss
                    lossRows += b
                    examples += b
                    progress(epoch: epoch, batch: bi, loss: loss, rows: b)
                }
            }
            let trainLoss = reportLoss(lossSum / Double(max(lossRows, 1)), task: task, std: yStd)
            var validRecord: [String: Double] = [:]
            if let valid, valid.rows > 0, let vy = valid.y {
                var z = net.predict(valid.x, rows: valid.rows)
                let finished = OutputMath.finish(output, &z, rows: valid.rows, width: outputs, mean: yMean, std: yStd)
                let m: [String: Double]
                switch task {
                case .regression: m = Metrics.regression(y: vy, predicted: finished)
                case .classification:
                    let probs = OutputMath.probabilities(output, finished, rows: valid.rows, classes: preprocessor.classes?.count ?? 2)
                    m = Metrics.classification(y: vy.map { Int($0) }, probabilities: probs, classes: preprocessor.classes?.count ?? 2)
                }
                let vl = Metrics.loss(m, task: task)
                validRecord["valid_loss"] = vl
                for (k, v) in m { validRecord["valid_\(k)"] = v }
                if options.earlyStop != nil {
                    if vl < bestLoss {
                        bestLoss = vl
                        best.update(from: net.params, count: p)
                        hasBest = true
                        sinceBest = 0
                    } else {
                        sinceBest += 1
                    }
                }
            }
            let record = EpochRecord(epoch: epoch, step: step, trainLoss: trainLoss, valid: validRecord,
                                     timestamp: Date(), learningRate: lr)
            curve.append(record)
            control.onEpoch(record)
            let scaledLoss = lossSum / Double(max(lossRows, 1))
            if Divergence.grew(scaledLoss, over: lowestLoss) {
                growth = (trainLoss, reportLoss(lowestLoss, task: task, std: yStd))
                net.params.update(from: epochStart, count: p)
                status = .diverged(epoch: epoch, batch: batches)
                break epochLoop
            }
            lowestLoss = min(lowestLoss, scaledLoss)
            if let patience = options.earlyStop, sinceBest >= patience { break }
        }
        var warnings: [String] = []
        if hasBest, status == .finished {
            net.params.update(from: best, count: p)
            if let bestEpoch = curve.firstIndex(where: { $0.valid["valid_loss"] == bestLoss }) {
                warnings.append("note: early stopping kept the weights of epoch \(bestEpoch + 1) (valid_loss \(String(format: "%.4g", bestLoss)))")
            }
        }
        if case .diverged(let e, let b) = status {
            if let growth {
                warnings.append("training diverged at epoch \(e): its mean training loss \(String(format: "%.4g", growth.loss)) is more than "
                                + "\(Int(Divergence.growthFactor))× the lowest so far (\(String(format: "%.4g", growth.best))); "
                                + "the weights from the start of that epoch are kept; try a lower learning rate")
            } else {
                warnings.append("training diverged at epoch \(e), batch \(b) (non-finite loss); the weights from the start of that epoch are kept; try a lower learning rate")
            }
        }
        let model = TrainedModel(spec: spec, preprocessor: preprocessor, task: task, layers: net.exportLayers(),
                                 output: output, targetMean: yMean, targetStd: yStd, precision: .float32,
                                 kernel: GEMM.kernelName)
        return Run(model: model, curve: curve, status: status, examples: examples,
                   flops: flopsPerExample * Double(examples), warnings: warnings)
    }

    /// Summed loss of `rows` output rows against their targets, and the output layer's delta
    /// (∂ mean loss / ∂ output, `invB` = 1 / batch rows) written for each row.
    @inline(__always)
    static func lossAndDelta(output: OutputKind, outputs: Int, out: UnsafePointer<Float>, targets yBatch: UnsafePointer<Float>,
                             delta: UnsafeMutablePointer<Float>, rows b: Int, invB: Float) -> Double {
        var loss = 0.0
        switch output {
        case .identity:
            for r in 0..<b {
                let diff = out[r] - yBatch[r]
                loss += Double(diff) * Double(diff)
                delta[r] = 2 * diff * invB
            }
        case .sigmoid:
            for r in 0..<b {
                let z = Double(out[r])
                let t = Double(yBatch[r])
                loss += ClosedForm.softplus(z) - t * z
                delta[r] = Float(OutputMath.sigmoid(z) - t) * invB
            }
        case .softmax:
            let k = outputs
            for r in 0..<b {
                let row = out + r &* k
                let drow = delta + r &* k
                var mx = -Float.infinity
                for c in 0..<k { mx = max(mx, row[c]) }
                var s: Float = 0
                for c in 0..<k { let e = expf(row[c] - mx); drow[c] = e; s += e }
                let cls = Int(yBatch[r])
                loss += Double(mx) + log(Double(s)) - Double(row[cls])
                for c in 0..<k { drow[c] = (drow[c] / s - (c == cls ? 1 : 0)) * invB }
            }
        }
        return loss
    }

    static func reportLoss(_ l: Double, task: ModelSpec.Task, std: Double) -> Double {
        task == .regression ? l * std * std : l
    }

    static func update(net: Network, from freeze: Int, decay: Float, anchor: Float,
                       reference: UnsafeMutablePointer<Float>, optimizer: TrainOptions.Optimizer, momentum: Float,
                       lr: Double, step: Int, m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>) {
        guard freeze < net.layerCount else { return }
        // Trainable parameters are contiguous: layer `freeze`'s weights up to the last bias.
        applyStep(net: net, range: net.weightOffset[freeze]..<net.paramCount, freeze: freeze, decay: decay, anchor: anchor,
                  reference: reference, optimizer: optimizer, momentum: momentum, lr: lr, step: step, m1: m1, m2: m2)
    }

    /// The optimizer step on the parameters in `range` (trainable ones only), from `net.grads`:
    /// weight decay on weights, the L2-SP anchor, then SGD with momentum or Adam — element-wise,
    /// so a slice of the range (the threaded update) gets the same bits as the whole.
    @inline(__always)
    static func applyStep(net: Network, range: Range<Int>, freeze: Int, decay: Float, anchor: Float,
                          reference: UnsafeMutablePointer<Float>, optimizer: TrainOptions.Optimizer, momentum: Float,
                          lr: Double, step: Int, m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        let w = net.params, g = net.grads
        let lo = range.lowerBound, hi = range.upperBound
        // Penalties folded into the gradient first (branch-free loops that vectorise):
        // weight decay on weights only, the L2-SP anchor on every trainable parameter.
        if decay != 0 {
            for l in freeze..<net.layerCount {
                var i = max(net.weightOffset[l], lo)
                let stop = min(net.biasOffset[l], hi)
                while i < stop { g[i] = g[i] + decay * w[i]; i &+= 1 }
            }
        }
        if anchor > 0 {
            var i = lo
            while i < hi { g[i] = g[i] + anchor * (w[i] - reference[i]); i &+= 1 }
        }
        switch optimizer {
        case .sgd:
            let lrF = Float(lr)
            var i = lo
            while i < hi {
                let v = momentum * m1[i] + g[i]
                m1[i] = v
                w[i] = w[i] - lrF * v
                i &+= 1
            }
        case .adam:
            AdamKernel.update(params: w + lo, grads: UnsafePointer(g + lo), m: m1 + lo, v: m2 + lo,
                              count: hi - lo, lr: lr, t: step)
        }
    }
}

/// When a run counts as diverged besides a non-finite loss: an epoch whose mean training loss
/// (in training units: standardised target for regression, log loss for classification) exceeds
/// `growthFactor` × the lowest loss seen so far — the loss at initialisation on up to
/// `sampleRows` training rows, then each epoch's mean — with that lowest loss floored at
/// `floor` (a perfect start must not make every later loss a divergence).
public enum Divergence {
    public static let growthFactor = 100.0
    public static let floor = 1e-3
    static let sampleRows = 1024

    public static func grew(_ loss: Double, over lowest: Double) -> Bool {
        loss > growthFactor * max(lowest, floor)
    }

    /// Mean loss of raw network outputs `z` (rows × width) against scaled targets.
    static func meanLoss(_ z: [Double], targets: UnsafePointer<Float>, rows: Int, output: OutputKind, width k: Int) -> Double {
        guard rows > 0 else { return .infinity }
        var loss = 0.0
        for r in 0..<rows {
            let t = Double(targets[r])
            switch output {
            case .identity:
                loss += (z[r] - t) * (z[r] - t)
            case .sigmoid:
                loss += ClosedForm.softplus(z[r]) - t * z[r]
            case .softmax:
                let row = z[(r * k)..<((r + 1) * k)]
                let mx = row.max() ?? 0
                let s = row.reduce(0) { $0 + exp($1 - mx) }
                loss += mx + log(s) - z[r * k + Int(t)]
            }
        }
        return loss / Double(rows)
    }
}

/// A Float32 copy of training data, allocated once per run (no per-batch allocation).
final class Float32Buffer {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init<S: Sequence>(_ values: S, count: Int) where S.Element == Float {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        var i = 0
        for v in values where i < count { base[i] = v; i += 1 }
    }

    deinit { base.deallocate() }
}
