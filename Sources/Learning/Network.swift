import Foundation

/// A dense network in Float32 on preallocated row-major buffers, driven through `GEMM.sgemm`.
/// Parameters live in one contiguous buffer: for layer l, weights (in × out) then bias (out).
final class Network {
    let sizes: [Int]
    let activation: ModelSpec.Activation
    let output: OutputKind
    let capacity: Int
    let paramCount: Int
    let weightOffset: [Int]
    let biasOffset: [Int]
    let params: UnsafeMutablePointer<Float>
    /// False when `params` belongs to another network (a training thread's part network).
    private let ownsParams: Bool
    let grads: UnsafeMutablePointer<Float>
    /// inputs[0] is the input batch; inputs[l] (l ≥ 1) is the activated output of layer l − 1.
    var inputs: [UnsafeMutablePointer<Float>] = []
    /// Pre-activation output of each layer (capacity × sizes[l + 1]).
    var pre: [UnsafeMutablePointer<Float>] = []
    /// Gradient with respect to each layer's pre-activation output.
    var delta: [UnsafeMutablePointer<Float>] = []
    /// Dropout scale per hidden unit (0 or 1/(1 − p)).
    var masks: [UnsafeMutablePointer<Float>] = []
    var layerCount: Int { sizes.count - 1 }

    /// With `sharing`, the network reads and writes the parameters of that network (which
    /// must outlive it) and has its own activations and gradients: one per training thread.
    init(sizes: [Int], activation: ModelSpec.Activation, output: OutputKind, capacity: Int,
         sharing owner: Network? = nil) {
        self.sizes = sizes
        self.activation = activation
        self.output = output
        self.capacity = max(capacity, 1)
        var wo: [Int] = [], bo: [Int] = []
        var off = 0
        for l in 0..<(sizes.count - 1) {
            wo.append(off); off += sizes[l] * sizes[l + 1]
            bo.append(off); off += sizes[l + 1]
        }
        weightOffset = wo; biasOffset = bo; paramCount = off
        if let owner {
            params = owner.params; ownsParams = false
        } else {
            params = .allocate(capacity: max(off, 1)); params.initialize(repeating: 0, count: max(off, 1))
            ownsParams = true
        }
        grads = .allocate(capacity: max(off, 1)); grads.initialize(repeating: 0, count: max(off, 1))
        for l in 0..<sizes.count {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: self.capacity * sizes[l])
            p.initialize(repeating: 0, count: self.capacity * sizes[l])
            inputs.append(p)
        }
        for l in 0..<(sizes.count - 1) {
            let n = self.capacity * sizes[l + 1]
            let a = UnsafeMutablePointer<Float>.allocate(capacity: n); a.initialize(repeating: 0, count: n)
            let d = UnsafeMutablePointer<Float>.allocate(capacity: n); d.initialize(repeating: 0, count: n)
            let m = UnsafeMutablePointer<Float>.allocate(capacity: n); m.initialize(repeating: 1, count: n)
            pre.append(a); delta.append(d); masks.append(m)
        }
    }

    convenience init(model: TrainedModel, capacity: Int = 512) {
        var sizes = [model.layers.first?.inputs ?? model.preprocessor.designWidth]
        for l in model.layers { sizes.append(l.outputs) }
        self.init(sizes: sizes, activation: model.spec.activation, output: model.output, capacity: capacity)
        load(model.layers)
    }

    deinit {
        if ownsParams { params.deallocate() }
        grads.deallocate()
        for p in inputs { p.deallocate() }
        for p in pre { p.deallocate() }
        for p in delta { p.deallocate() }
        for p in masks { p.deallocate() }
    }

    func load(_ layers: [DenseLayer]) {
        for (l, layer) in layers.enumerated() where l < layerCount {
            for i in 0..<min(layer.weights.count, sizes[l] * sizes[l + 1]) { params[weightOffset[l] + i] = Float(layer.weights[i]) }
            for i in 0..<min(layer.bias.count, sizes[l + 1]) { params[biasOffset[l] + i] = Float(layer.bias[i]) }
        }
    }

    func exportLayers() -> [DenseLayer] {
        (0..<layerCount).map { l in
            let nw = sizes[l] * sizes[l + 1]
            return DenseLayer(inputs: sizes[l], outputs: sizes[l + 1],
                              weights: (0..<nw).map { Double(params[weightOffset[l] + $0]) },
                              bias: (0..<sizes[l + 1]).map { Double(params[biasOffset[l] + $0]) })
        }
    }

    /// Forward pass on the first `rows` rows of `inputs[0]`. With `dropout > 0` and a PRNG,
    /// hidden activations are masked (inverted dropout).
    func forward(rows: Int) {
        var unused = LearningRandom(seed: 0)
        forward(rows: rows, dropout: 0, rng: &unused)
    }

    /// With `presetMasks`, the dropout scales are already in `masks` (drawn by the caller in
    /// this function's order) and `rng` is not used.
    func forward(rows: Int, dropout: Float, rng: inout LearningRandom, presetMasks: Bool = false) {
        // With the own kernel, C = acc + beta·C is one IEEE addition after the product, so
        // `beta 0, then + bias` gives the same bits as `C = bias, beta 1` and the bias and ReLU
        // take one pass. Other kernels (the portable one accumulates into C) keep the bias in C.
        let biasAfter = GEMM.backend.kind == .retune
        for l in 0..<layerCount {
            let nIn = sizes[l], nOut = sizes[l + 1]
            let z = pre[l]
            let b = params + biasOffset[l]
            let h = inputs[l + 1]
            if biasAfter && (l == layerCount - 1 || (activation == .relu && dropout == 0)) {
                GEMM.sgemm(transA: false, transB: false, m: rows, n: nOut, k: nIn, alpha: 1,
                           a: UnsafePointer(inputs[l]), lda: nIn, b: UnsafePointer(params + weightOffset[l]), ldb: nOut,
                           beta: 0, c: z, ldc: nOut)
                let relu = l < layerCount - 1
                var r = 0
                while r < rows {
                    let zr = z + r &* nOut, hr = h + r &* nOut
                    var o = 0
                    if relu {
                        while o < nOut { let v = zr[o] + b[o]; zr[o] = v; hr[o] = v > 0 ? v : 0; o &+= 1 }
                    } else {
                        while o < nOut { let v = zr[o] + b[o]; zr[o] = v; hr[o] = v; o &+= 1 }
                    }
                    r &+= 1
                }
                continue
            }
            var r = 0
            while r < rows {
                let row = z + r &* nOut
                var o = 0
                while o < nOut { row[o] = b[o]; o &+= 1 }
                r &+= 1
            }
            GEMM.sgemm(transA: false, transB: false, m: rows, n: nOut, k: nIn, alpha: 1,
                       a: UnsafePointer(inputs[l]), lda: nIn, b: UnsafePointer(params + weightOffset[l]), ldb: nOut,
                       beta: 1, c: z, ldc: nOut)
            let count = rows &* nOut
            if l < layerCount - 1 {
                switch activation {
                case .relu:
                    var i = 0
                    while i < count { let v = z[i]; h[i] = v > 0 ? v : 0; i &+= 1 }
                case .tanh:
                    for i in 0..<count { h[i] = tanhf(z[i]) }
                case .gelu:
                    let c = Float(Activations.geluC)
                    for i in 0..<count { let x = z[i]; h[i] = 0.5 * x * (1 + tanhf(c * (x + 0.044715 * x * x * x))) }
                }
                if dropout > 0 && presetMasks {
                    let m = masks[l]
                    for i in 0..<count { h[i] *= m[i] }
                } else if dropout > 0 {
                    let m = masks[l]
                    let keep = 1 / (1 - dropout)
                    for i in 0..<count {
                        let s: Float = Float(rng.nextDouble()) < dropout ? 0 : keep
                        m[i] = s
                        h[i] *= s
                    }
                }
            } else {
                h.update(from: z, count: count)
            }
        }
    }

    /// Backward pass from `delta[last]` (already set) for layers ≥ `firstTrainable`.
    ///
    /// The bias gradient of a hidden layer (column sums of its delta, rows ascending) is summed
    /// in the same pass that applies the ReLU derivative when there is no dropout — the same
    /// additions in the same order as a separate pass, so the bits are unchanged.
    func backward(rows: Int, firstTrainable: Int, dropout: Bool) {
        var l = layerCount - 1
        var biasDone = false   // layer l's bias gradient was summed by the pass of layer l + 1
        while l >= firstTrainable {
            let nIn = sizes[l], nOut = sizes[l + 1]
            let d = delta[l]
            GEMM.sgemm(transA: true, transB: false, m: nIn, n: nOut, k: rows, alpha: 1,
                       a: UnsafePointer(inputs[l]), lda: nIn, b: UnsafePointer(d), ldb: nOut,
                       beta: 0, c: grads + weightOffset[l], ldc: nOut)
            if !biasDone {
                let gb = grads + biasOffset[l]
                gb.update(repeating: 0, count: nOut)
                var r = 0
                while r < rows {
                    let row = d + r &* nOut
                    var o = 0
                    while o < nOut { gb[o] = gb[o] + row[o]; o &+= 1 }
                    r &+= 1
                }
            }
            biasDone = false
            if l > firstTrainable {
                let prev = delta[l - 1]
                GEMM.sgemm(transA: false, transB: true, m: rows, n: nIn, k: nOut, alpha: 1,
                           a: UnsafePointer(d), lda: nOut, b: UnsafePointer(params + weightOffset[l]), ldb: nOut,
                           beta: 0, c: prev, ldc: nIn)
                let z = UnsafePointer(pre[l - 1])
                let count = rows &* nIn
                switch activation {
                case .relu where !dropout:
                    // Mask and bias-gradient sum in one pass (branch-free selects, so it vectorises).
                    let gb = grads + biasOffset[l - 1]
                    gb.update(repeating: 0, count: nIn)
                    var r = 0
                    while r < rows {
                        let dr = prev + r &* nIn, zr = z + r &* nIn
                        var j = 0
                        while j < nIn {
                            let v = dr[j]
                            let x = zr[j] > 0 ? v : 0
                            dr[j] = x
                            gb[j] = gb[j] + x
                            j &+= 1
                        }
                        r &+= 1
                    }
                    biasDone = true
                case .relu:
                    var i = 0
                    while i < count { let v = prev[i]; prev[i] = z[i] > 0 ? v : 0; i &+= 1 }
                case .tanh:
                    for i in 0..<count { let t = tanhf(z[i]); prev[i] *= 1 - t * t }
                case .gelu:
                    let c = Float(Activations.geluC)
                    for i in 0..<count {
                        let x = z[i]
                        let t = tanhf(c * (x + 0.044715 * x * x * x))
                        prev[i] *= 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
                    }
                }
                if dropout {
                    let m = masks[l - 1]
                    for i in 0..<count { prev[i] *= m[i] }
                }
            }
            l -= 1
        }
    }

    /// Inference on a Float64 design matrix, in chunks of `capacity` rows; returns the finished
    /// outputs (see `TrainedModel.rawOutputs`).
    func predict(_ x: [Double], rows: Int, mean: Double = 0, std: Double = 1) -> [Double] {
        let nIn = sizes[0], nOut = sizes[layerCount]
        var out = [Double](repeating: 0, count: rows * nOut)
        var start = 0
        while start < rows {
            let b = min(capacity, rows - start)
            let dst = inputs[0]
            for i in 0..<(b * nIn) { dst[i] = Float(x[start * nIn + i]) }
            forward(rows: b)
            let h = inputs[layerCount]
            for i in 0..<(b * nOut) { out[start * nOut + i] = Double(h[i]) }
            start += b
        }
        return out
    }
}

extension TrainedModel {
    /// Float32 inference path (outputs finished: unscaled regression or probabilities).
    func forward32(_ x: [Double], rows: Int) -> [Double] {
        let net = Network(model: self)
        var z = net.predict(x, rows: rows)
        return OutputMath.finish(output, &z, rows: rows, width: outputWidth, mean: targetMean, std: targetStd)
    }
}
