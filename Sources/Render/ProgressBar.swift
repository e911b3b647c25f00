/// Where a training is, for the live progress line.
public struct ProgressState: Sendable, Hashable {
    /// What is running, e.g. `train price@1`.
    public var label: String
    /// Current epoch, 1-based.
    public var epoch: Int
    public var epochs: Int
    /// Batches finished in the current epoch and batches per epoch.
    public var batch: Int
    public var batches: Int
    /// Latest training loss (NaN when not known yet).
    public var loss: Double
    /// Rows processed so far.
    public var rows: Int
    /// Seconds since the start.
    public var elapsed: Double

    public init(label: String, epoch: Int, epochs: Int, batch: Int = 0, batches: Int = 0,
                loss: Double = .nan, rows: Int = 0, elapsed: Double = 0) {
        self.label = label
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batches = batches
        self.loss = loss
        self.rows = rows
        self.elapsed = elapsed
    }

    /// Fraction of the whole training done, 0…1: finished epochs plus the current epoch's
    /// finished batches.
    public var fraction: Double {
        guard epochs > 0 else { return 0 }
        let within = batches > 0 ? Double(min(max(batch, 0), batches)) / Double(batches) : 0
        let done = Double(max(epoch, 1) - 1) + within
        return min(1, max(0, done / Double(epochs)))
    }

    /// Rows per second so far (NaN before any time has passed).
    public var rowsPerSecond: Double { elapsed > 0 ? Double(rows) / elapsed : .nan }

    /// Seconds left, extrapolated from the fraction done (NaN when nothing is done yet).
    public var eta: Double {
        let f = fraction
        guard f > 0, elapsed.isFinite else { return .nan }
        return elapsed * (1 - f) / f
    }
}

/// The one-line progress display of a running training. Pure: the caller writes
/// `ProgressBar.erase + line` to stderr when `RedrawThrottle` allows, and the summary at the end.
public enum ProgressBar {
    /// Carriage return + erase-line: put before each redraw (and before the summary).
    public static let erase = "\r\u{1B}[2K"

    /// `label  epoch 3/40 [████▌      ]  12%  batch 17/40  loss 0.1234  12.3k rows/s  ETA 0:42`,
    /// at most `width` columns. When space is short the bar shrinks (30 cells at most, 10 at
    /// least), then is left out; then the fields are dropped in the order rows/s, batch, loss,
    /// ETA (the percentage stays); then the line is cut with `…`.
    public static func line(_ state: ProgressState, width: Int = 80) -> String {
        let pct = PlotRange.clampedInt((state.fraction * 100).rounded(.down), 0, 100)
        let head = (state.label.isEmpty ? "" : state.label + "  ") + "epoch \(state.epoch)/\(state.epochs)"
        let pctText = pct < 10 ? "  \(pct)%" : pct < 100 ? " \(pct)%" : "\(pct)%"
        // Fields in display order, each with its drop rank (lower is dropped first).
        var fields: [(rank: Int, text: String)] = []
        if state.batches > 0 { fields.append((1, "batch \(state.batch)/\(state.batches)")) }
        if state.loss.isFinite { fields.append((2, "loss " + NumberFormat.significant(state.loss, digits: 4))) }
        let rate = state.rowsPerSecond
        if rate.isFinite { fields.append((0, NumberFormat.compact(rate) + " rows/s")) }
        let eta = state.eta
        fields.append((3, "ETA " + (eta.isFinite ? NumberFormat.duration(eta) : "?")))
        let w = max(10, width)
        func tailText() -> String { ([pctText] + fields.map(\.text)).joined(separator: "  ") }

        let full = tailText()
        let barCells = min(30, w - (TextWidth.of(head) + 4 + TextWidth.of(full)))
        if barCells >= 10 {
            return head + " [" + Histogram.bar(fraction: state.fraction, width: barCells) + "] " + full
        }
        while true {
            let plain = head + "  " + tailText()
            if TextWidth.of(plain) <= w { return plain }
            guard let drop = fields.indices.min(by: { fields[$0].rank < fields[$1].rank }) else {
                return TextWidth.truncate(plain, to: w)
            }
            fields.remove(at: drop)
        }
    }

    /// The line that replaces the bar when the training ends:
    /// `train price@1  40 epochs in 12.3s  train_loss 0.1234  52.1k rows/s`.
    public static func summary(label: String, epochs: Int, elapsed: Double, finalLoss: Double = .nan,
                               rows: Int = 0, status: String? = nil) -> String {
        var parts: [String] = []
        if !label.isEmpty { parts.append(label) }
        parts.append("\(epochs) epoch\(epochs == 1 ? "" : "s") in " + NumberFormat.duration(elapsed))
        // The last epoch's mean training loss, as the curve shows it (not the last batch's).
        if finalLoss.isFinite { parts.append("train_loss " + NumberFormat.significant(finalLoss, digits: 4)) }
        if rows > 0 && elapsed > 0 { parts.append(NumberFormat.compact(Double(rows) / elapsed) + " rows/s") }
        if let s = status, !s.isEmpty { parts.append(s) }
        return parts.joined(separator: "  ")
    }
}

/// Decides whether a progress line may be redrawn: at most `maxPerSecond` redraws a second.
/// Time is injected (seconds on any monotonic clock) so tests need no clock.
public struct RedrawThrottle: Sendable, Hashable {
    public let interval: Double
    public private(set) var lastDraw: Double?

    public init(maxPerSecond: Double = 10) {
        self.interval = maxPerSecond > 0 ? 1 / maxPerSecond : 0
        self.lastDraw = nil
    }

    /// True (and records `now`) when at least `interval` seconds passed since the last
    /// accepted redraw, on the first call, or when `force` is set (e.g. the last step).
    public mutating func shouldRedraw(now: Double, force: Bool = false) -> Bool {
        if force { lastDraw = now; return true }
        if let last = lastDraw, now - last < interval - 1e-9, now >= last { return false }
        lastDraw = now
        return true
    }
}
