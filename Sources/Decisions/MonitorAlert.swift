import Foundation

/// `monitor`'s alert: a threshold on a metric (`rmse > 60`, `accuracy < 0.9`), or by default a
/// loss-like metric `defaultDegradation` above the version's recorded one.
public struct MonitorAlert: Sendable {
    public enum Comparison: String, Sendable, CaseIterable {
        case greater = ">", greaterEqual = ">=", less = "<", lessEqual = "<="
    }
    /// Relative degradation of the default alert (docs/ADVICE.md).
    public static let defaultDegradation = 0.20

    /// The metric the alert reads.
    public var key: String
    /// The alert as shown: `rmse > 60`, `rmse > 55.2 (+20 % vs valid_rmse)`, `none (…)`.
    public var text: String
    private var rule: @Sendable (Double) -> Bool

    /// Whether a batch's value of `key` is past the alert.
    public func isPast(_ value: Double) -> Bool { rule(value) }

    /// A threshold given by the user.
    public static func threshold(_ key: String, _ comparison: Comparison, _ x: Double, text: String) -> MonitorAlert {
        let rule: @Sendable (Double) -> Bool
        switch comparison {
        case .greater: rule = { $0 > x }
        case .greaterEqual: rule = { $0 >= x }
        case .less: rule = { $0 < x }
        case .lessEqual: rule = { $0 <= x }
        }
        return MonitorAlert(key: key, text: text, rule: rule)
    }

    /// The default alert on the primary metric: its loss-like form above the recorded loss by
    /// `defaultDegradation` (for error rates, also at least `Advice.errorFloor` × that); no alert
    /// when nothing was recorded.
    public static func `default`(metric: PrimaryMetric, recorded: (key: String, loss: Double)?) -> MonitorAlert {
        guard let r = recorded else {
            return MonitorAlert(key: metric.name, text: "none (no recorded metric; give alert METRIC > X)", rule: { _ in false })
        }
        let limit = r.loss * (1 + defaultDegradation)
        let text = "\(metric.lossName) > \(NumberText.short(limit)) (+\(Int(defaultDegradation * 100)) % vs \(r.key))"
        if metric.classification {
            let errorLimit = max(limit, r.loss + Advice.errorFloor * defaultDegradation)
            return MonitorAlert(key: metric.name, text: text, rule: { 1 - $0 > errorLimit })
        }
        return MonitorAlert(key: metric.name, text: text, rule: { $0 > limit })
    }
}
