import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise Adam update, vectorised (see `ck_adam_update`): for each i
///   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
/// The operation order is fixed and FMA contraction is off, so the result is the same on every
/// CPU and equals the scalar formula evaluated in Float.
public enum AdamKernel {
    /// `t` is the 1-based step count after incrementing.
    public static func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                              m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                              count: Int, lr: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                              eps: Float = 1e-8, t: Int) {
        guard count > 0 else { return }
        let bc1 = 1 - pow(beta1, Double(t)), bc2 = 1 - pow(beta2, Double(t))
        ck_adam_update(params, grads, m, v, count, Float(beta1), Float(beta2),
                       Float(lr / bc1), Float(1 / bc2.squareRoot()), eps)
    }

    /// The same update in plain Swift, one element at a time (reference for tests).
    public static func referenceUpdate(params: inout [Float], grads: [Float], m: inout [Float], v: inout [Float],
                                       lr: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                                       eps: Float = 1e-8, t: Int) {
        let bc1 = 1 - pow(beta1, Double(t)), bc2 = 1 - pow(beta2, Double(t))
        let step = Float(lr / bc1), isb = Float(1 / bc2.squareRoot())
        let b1 = Float(beta1), b2 = Float(beta2), c1 = 1 - b1, c2 = 1 - b2
        for i in params.indices {
            let gi = grads[i]
            let mi = b1 * m[i] + c1 * gi
            let vi = b2 * v[i] + c2 * gi * gi
            m[i] = mi; v[i] = vi
            let denom = vi.squareRoot() * isb + eps
            params[i] = params[i] - step * mi / denom
        }
    }
}
