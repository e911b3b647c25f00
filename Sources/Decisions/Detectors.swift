import Foundation

/// Page–Hinkley change detector (Page 1954; Hinkley 1971) on a stream of per-row losses, as the
/// `background` backtest policy uses it. Losses are standardised by the mean and standard
/// deviation of the first `calibration` losses after a reset (the model's first batch), so the
/// thresholds are in standard deviations whatever the metric:
/// `m_t = Σ (z_i − z̄_i − δ)`, `PH_t = m_t − min m_t`; a warning when `PH_t > warning`, a drift when
/// `PH_t > threshold`. Defaults: δ = 0.1, threshold 50, warning at half of it (false-alarm odds
/// about e^(−2δλ) ≈ 5·10⁻⁵ per excursion for standardised losses; a shift of Δ standard
/// deviations is confirmed after about λ/(Δ − δ) rows).
public struct PageHinkley: Sendable, Hashable {
    public static let defaultDelta = 0.1
    public static let defaultThreshold = 50.0
    public static let calibrationRows = 30

    public var delta: Double
    public var threshold: Double
    public var warning: Double { threshold / 2 }

    /// Mean and standard deviation of the calibration losses (nil until calibrated).
    var scaleMean = 0.0
    var scaleSD: Double?
    var calibration: [Double] = []
    var count = 0
    var runningMean = 0.0
    var cumulative = 0.0
    var minimum = 0.0

    public enum State: Sendable, Hashable { case normal, warning, drift }

    public init(delta: Double = defaultDelta, threshold: Double = defaultThreshold) {
        self.delta = delta
        self.threshold = threshold
    }

    /// The statistic PH_t.
    public var statistic: Double { cumulative - minimum }

    public mutating func reset() {
        self = PageHinkley(delta: delta, threshold: threshold)
    }

    /// Feeds one loss; returns the state after it.
    @discardableResult
    public mutating func add(_ loss: Double) -> State {
        guard loss.isFinite else { return state }
        guard let sd = scaleSD else {
            calibration.append(loss)
            if calibration.count >= Self.calibrationRows {
                let m = calibration.reduce(0, +) / Double(calibration.count)
                let v = calibration.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(max(calibration.count - 1, 1))
                // A constant calibration (0/1 losses all 0) still needs a scale.
                scaleMean = m
                scaleSD = max(v.squareRoot(), 1e-3 * max(abs(m), 1e-12), 1e-12)
                let held = calibration
                calibration = []
                for x in held { _ = add(x) }
            }
            return .normal
        }
        let z = (loss - scaleMean) / sd
        count += 1
        runningMean += (z - runningMean) / Double(count)
        cumulative += z - runningMean - delta
        minimum = min(minimum, cumulative)
        return state
    }

    public var state: State {
        let ph = statistic
        if ph > threshold { return .drift }
        if ph > warning { return .warning }
        return .normal
    }
}
