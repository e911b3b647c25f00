import Foundation
import Learning

/// What a user would trade: `R` units of error for one second (or one GFLOP) of compute
/// (`set cost ratio R per second|gflop`). advise and backtest then rank by
/// `error + R × compute`, both per decision: advise's one fit, backtest's compute per batch.
/// Error is in the metric's loss-like units (rmse, or error rate = 1 − accuracy). See
/// docs/ADVICE.md ("Cost-aware decisions").
public struct CostRatio: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case second, gflop
    }
    public var ratio: Double
    public var unit: Unit

    public init(_ ratio: Double, per unit: Unit) {
        self.ratio = ratio
        self.unit = unit
    }

    /// Compute in this ratio's unit: seconds, or GFLOPs.
    public func compute(seconds: Double, flops: Double) -> Double {
        unit == .second ? seconds : flops / 1e9
    }

    public func compute(_ c: TrainingCost) -> Double { compute(seconds: c.wallSeconds, flops: c.estimatedFLOPs) }

    /// The price of compute, in error units.
    public func price(seconds: Double, flops: Double) -> Double { ratio * compute(seconds: seconds, flops: flops) }
    public func price(_ c: TrainingCost) -> Double { ratio * compute(c) }

    public var description: String {
        let r = abs(ratio) < 1e5 ? Backtest.number(ratio) : String(format: "%g", ratio)
        return "\(r) per \(unit == .second ? "second" : "GFLOP")"
    }
}
