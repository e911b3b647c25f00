import CKernels
import Foundation

/// The state the training threads share for one fit with `threads N > 1` (`Iterative.run`),
/// and the two tasks of a mini-batch.
///
/// A batch of b rows is split into N fixed contiguous parts (`part`: the first b mod N parts get
/// one extra row, as `BatchSplit.ranges`). Per batch (`runBatch`), two tasks on the team:
/// 1. forward, one item per non-empty part p: gather part p's rows, forward and backward on them
///    into `nets[p]`'s own activations and gradients; its summed loss into `partLoss[p]`;
/// 2. update (skipped when the batch's loss, parts added in order, is not finite), one item per
///    parameter slice s (`slices[s]`, 16-float aligned): `nets[0].grads ← g0 + g1 + …` in part
///    order, then weight decay, the L2-SP anchor and the SGD/Adam step on that slice only.
/// `WorkerTeam.run` returns when a task's items are all finished, so those are the batch's two
/// synchronisation points. Parts and slices are fixed by (b, N), each item writes only memory
/// of its own part or slice, and every sum runs in part order: the bits depend only on
/// (seed, N, kernel), not on which thread ran which item (a thread the OS has descheduled just
/// leaves its items to the others).
///
/// Disjoint memory (why `@unchecked Sendable` is sound): a forward item p writes only
/// `nets[p]`'s buffers, `yBatch[p]` and `partLoss[p]`, and reads the shared parameters and data;
/// an update item s writes only elements in `slices[s]` of the parameters, optimizer moments
/// and `nets[0].grads`. The calling thread writes `order` and the dropout masks, and reads the
/// parameters, only between tasks.
final class ThreadedBatch: @unchecked Sendable {
    struct Job: Sendable {
        enum Phase: Sendable { case forward, update }
        var phase: Phase
        var start: Int
        var rows: Int
        var lr: Double
        var step: Int
    }

    let nets: [Network]
    let yBatch: [UnsafeMutablePointer<Float>]
    let partLoss: UnsafeMutablePointer<Double>
    let order: UnsafeMutablePointer<Int>
    let orderCount: Int
    let x32: Float32Buffer, y32: Float32Buffer, rx32: Float32Buffer, ry32: Float32Buffer
    let d: Int, n: Int
    let outputs: Int
    let freeze: Int
    let dropout: Float
    let slices: [Range<Int>]
    let decay: Float, anchor: Float, momentum: Float
    let optimizer: TrainOptions.Optimizer
    let reference: UnsafeMutablePointer<Float>, m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>

    /// `net` is worker 0's network (it owns the parameters); the others share its parameters.
    init(net: Network, parts: Int, capacity: Int, epochRows: Int,
         x32: Float32Buffer, y32: Float32Buffer, rx32: Float32Buffer, ry32: Float32Buffer, d: Int, n: Int,
         outputs: Int, freeze: Int, dropout: Float, decay: Float, anchor: Float,
         reference: UnsafeMutablePointer<Float>, optimizer: TrainOptions.Optimizer, momentum: Float,
         m1: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>) {
        let partCapacity = (capacity + parts - 1) / parts
        var nets = [net]
        for _ in 1..<parts {
            nets.append(Network(sizes: net.sizes, activation: net.activation, output: net.output,
                                capacity: partCapacity, sharing: net))
        }
        self.nets = nets
        yBatch = (0..<parts).map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(partCapacity, 1))
            p.initialize(repeating: 0, count: max(partCapacity, 1))
            return p
        }
        partLoss = .allocate(capacity: parts)
        partLoss.initialize(repeating: 0, count: parts)
        orderCount = max(epochRows, 1)
        order = .allocate(capacity: orderCount)
        order.initialize(repeating: 0, count: orderCount)
        self.x32 = x32; self.y32 = y32; self.rx32 = rx32; self.ry32 = ry32
        self.d = d; self.n = n; self.outputs = outputs; self.freeze = freeze; self.dropout = dropout
        self.decay = decay; self.anchor = anchor; self.momentum = momentum; self.optimizer = optimizer
        self.reference = reference; self.m1 = m1; self.m2 = m2
        // Trainable parameters [first, end) in `parts` contiguous slices of whole cache lines.
        let first = freeze < net.layerCount ? net.weightOffset[freeze] : net.paramCount
        let end = net.paramCount
        let per = ((end - first + parts - 1) / parts + 15) / 16 * 16
        slices = (0..<parts).map { w in
            let lo = min(end, first + w * per)
            return lo..<min(end, lo + per)
        }
    }

    deinit {
        for p in yBatch { p.deallocate() }
        partLoss.deallocate()
        order.deallocate()
    }

    /// Rows of part `w` of a batch of `rows` rows split `parts` ways.
    static func part(_ w: Int, rows: Int, parts: Int) -> Range<Int> {
        let base = rows / parts, extra = rows % parts
        let lo = w * base + min(w, extra)
        return lo..<(lo + base + (w < extra ? 1 : 0))
    }

    /// Parts with at least one row.
    func activeParts(rows: Int) -> Int { min(nets.count, rows) }

    /// Worker 0, between rounds: this epoch's row order.
    func setOrder(_ rows: [Int]) {
        let count = min(rows.count, orderCount)
        rows.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { order.update(from: s, count: count) }
        }
    }

    /// Worker 0, between rounds: the dropout scales of every part, drawn from `rng` in the order
    /// the single-threaded forward pass draws them (layer by layer, rows ascending), so the
    /// stream of random numbers is the same at every thread count.
    func drawMasks(rows b: Int, dropout: Float, rng: inout LearningRandom) {
        let net0 = nets[0]
        let keep = 1 / (1 - dropout)
        for l in 0..<(net0.layerCount - 1) {
            let nOut = net0.sizes[l + 1]
            for w in 0..<activeParts(rows: b) {
                let m = nets[w].masks[l]
                let count = Self.part(w, rows: b, parts: nets.count).count * nOut
                for i in 0..<count {
                    let s: Float = Float(rng.nextDouble()) < dropout ? 0 : keep
                    m[i] = s
                }
            }
        }
    }

    /// Worker 0, after `run`: the batch's summed loss, parts added in order.
    func totalLoss(rows: Int) -> Double {
        var total = 0.0
        for w in 0..<activeParts(rows: rows) { total += partLoss[w] }
        return total
    }

    /// Calling thread: one batch on the team; returns its summed loss (the update is skipped
    /// when it is not finite).
    func runBatch(_ team: WorkerTeam<Job>, start: Int, rows: Int, lr: Double, step: Int) -> Double {
        team.run(Job(phase: .forward, start: start, rows: rows, lr: lr, step: step), items: activeParts(rows: rows))
        let loss = totalLoss(rows: rows)
        if loss.isFinite {
            team.run(Job(phase: .update, start: start, rows: rows, lr: lr, step: step), items: slices.count)
        }
        return loss
    }

    /// One item of a batch's task (see the type's comment); any thread may run it.
    func work(_ item: Int, _ job: Job) {
        switch job.phase {
        case .forward:
            let rows = Self.part(item, rows: job.rows, parts: nets.count)
            guard !rows.isEmpty else { return }
            let net = nets[item]
            let len = rows.count
            ck_gather_rows(net.inputs[0], yBatch[item], x32.base, y32.base, rx32.base, ry32.base,
                           order + job.start + rows.lowerBound, len, d, n)
            var unused = LearningRandom(seed: 0)
            net.forward(rows: len, dropout: dropout, rng: &unused, presetMasks: true)
            let loss = Iterative.lossAndDelta(output: net.output, outputs: outputs, out: net.inputs[net.layerCount],
                                              targets: yBatch[item], delta: net.delta[net.layerCount - 1],
                                              rows: len, invB: 1 / Float(job.rows))
            partLoss[item] = loss
            if loss.isFinite { net.backward(rows: len, firstTrainable: freeze, dropout: dropout > 0) }
        case .update:
            update(slice: slices[item], active: activeParts(rows: job.rows), lr: job.lr, step: job.step)
        }
    }

    /// The update of one parameter slice: the same element-wise operations as `Iterative.update`.
    private func update(slice: Range<Int>, active: Int, lr: Double, step: Int) {
        guard !slice.isEmpty else { return }
        let net0 = nets[0]
        let g = net0.grads
        let lo = slice.lowerBound, hi = slice.upperBound
        for p in 1..<max(active, 1) {
            let gp = nets[p].grads
            var i = lo
            while i < hi { g[i] = g[i] + gp[i]; i &+= 1 }
        }
        Iterative.applyStep(net: net0, range: slice, freeze: freeze, decay: decay, anchor: anchor, reference: reference,
                            optimizer: optimizer, momentum: momentum, lr: lr, step: step, m1: m1, m2: m2)
    }
}
