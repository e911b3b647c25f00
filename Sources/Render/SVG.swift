/// Static SVG charts for the HTML report. Self-contained markup, no scripts, no external
/// resources; every text is escaped. Coordinates are printed with 2 decimals, so the output
/// is deterministic.
///
/// `lineChart` draws exactly one `<path>` per series (class `series`); axes, ticks and grid
/// are `<line>` elements and the legend uses `<rect>` swatches, so a DOM check can count curves
/// by counting paths.
public enum SVG {
    /// Series colours (matplotlib's tab10 order, red second for contrast).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]

    static func n(_ x: Double) -> String { NumberFormat.fixed(x, decimals: 2) }
    static func esc(_ s: String) -> String { TableRenderer.htmlEscape(s) }

    /// 10^e by repeated multiplication (exact for the small exponents used here).
    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<min(e, 308) { r *= 10 } } else { for _ in 0..<min(-e, 308) { r /= 10 } }
        return r
    }

    /// "Nice" tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering lo…hi, about `count` of them.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count - 1))
        let e = NumberFormat.decompose(raw).exponent
        let base = pow10(e)
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * base }.first { $0 >= raw } ?? 10 * base
        var ticks: [Double] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + step * 1e-9 && ticks.count < 50 {
            ticks.append(k * step)
            k += 1
        }
        return ticks
    }

    static func tickLabel(_ v: Double, step: Double) -> String {
        // Ticks are multiples of the step: print a near-zero multiple as 0, not 1e-17.
        if step > 0 && v.magnitude < step * 1e-9 { return "0" }
        return NumberFormat.significant(v, digits: 4)
    }

    /// A line chart: one `<path>` per series (NaN values break the line; an isolated point
    /// shows as a dot), x and y axes with ticks and grid, axis labels, a title and a legend.
    public static func lineChart(series: [PlotSeries], width: Int = 640, height: Int = 360, title: String? = nil,
                                 xLabel: String? = nil, yLabel: String? = nil) -> String {
        let w = Double(min(20_000, max(200, width))), h = Double(min(20_000, max(150, height)))
        let left = 64.0, right = 16.0
        let top = title == nil ? 16.0 : 36.0
        let legendRows = series.isEmpty ? 0 : 1 + (series.count - 1) / 4
        let bottom = 44.0 + (xLabel == nil ? 0 : 16) + Double(legendRows) * 18
        let pw = w - left - right, ph = h - top - bottom
        let allX = series.flatMap { $0.finitePoints.map(\.0) }
        let allY = series.flatMap { $0.finitePoints.map(\.1) }
        let (x0, x1) = PlotRange.of(allX, pad: 0.5) ?? (0, 1)
        let (y0, y1) = PlotRange.of(allY) ?? (0, 1)
        func sx(_ x: Double) -> Double { left + PlotRange.fraction(x, x0, x1) * pw }
        func sy(_ y: Double) -> Double { top + (1 - PlotRange.fraction(y, y0, y1)) * ph }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n"
        if let t = title {
            out += "<title>\(esc(t))</title>\n"
            out += "<text x=\"\(n(w / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(esc(t))</text>\n"
        }
        out += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(pw))\" height=\"\(n(ph))\" fill=\"#ffffff\" stroke=\"none\"/>\n"
        // Y ticks and grid.
        let yt = niceTicks(y0, y1)
        let yStep = yt.count > 1 ? yt[1] - yt[0] : 0
        for v in yt {
            let y = sy(v)
            out += "<line class=\"grid\" x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + pw))\" y2=\"\(n(y))\" stroke=\"#e5e5e5\"/>\n"
            out += "<line class=\"tick\" x1=\"\(n(left - 4))\" y1=\"\(n(y))\" x2=\"\(n(left))\" y2=\"\(n(y))\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(esc(tickLabel(v, step: yStep)))</text>\n"
        }
        let xt = niceTicks(x0, x1, count: 6)
        let xStep = xt.count > 1 ? xt[1] - xt[0] : 0
        for v in xt {
            let x = sx(v)
            out += "<line class=\"tick\" x1=\"\(n(x))\" y1=\"\(n(top + ph))\" x2=\"\(n(x))\" y2=\"\(n(top + ph + 4))\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(n(x))\" y=\"\(n(top + ph + 16))\" text-anchor=\"middle\">\(esc(tickLabel(v, step: xStep)))</text>\n"
        }
        // Axes.
        out += "<line class=\"axis\" x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(top + ph))\" stroke=\"#333\"/>\n"
        out += "<line class=\"axis\" x1=\"\(n(left))\" y1=\"\(n(top + ph))\" x2=\"\(n(left + pw))\" y2=\"\(n(top + ph))\" stroke=\"#333\"/>\n"
        if let xl = xLabel {
            out += "<text x=\"\(n(left + pw / 2))\" y=\"\(n(top + ph + 34))\" text-anchor=\"middle\">\(esc(xl))</text>\n"
        }
        if let yl = yLabel {
            out += "<text x=\"14\" y=\"\(n(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(n(top + ph / 2)))\">\(esc(yl))</text>\n"
        }
        // Curves.
        for (i, s) in series.enumerated() {
            var d: [String] = []
            var runLength = 0
            for (xv, yv) in zip(s.x, s.y) {
                guard xv.isFinite, yv.isFinite else {
                    if runLength == 1 { d.append("h0.01") }
                    runLength = 0
                    continue
                }
                d.append((runLength == 0 ? "M" : "L") + n(sx(xv)) + "," + n(sy(yv)))
                runLength += 1
            }
            if runLength == 1 { d.append("h0.01") }
            let color = palette[i % palette.count]
            out += "<path class=\"series\" data-series=\"\(esc(s.name))\" d=\"\(d.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
        }
        // Legend: up to 4 entries a row under the axis.
        let legendTop = top + ph + (xLabel == nil ? 30 : 46)
        let colWidth = pw / 4
        for (i, s) in series.enumerated() {
            let x = left + Double(i % 4) * colWidth
            let y = legendTop + Double(i / 4) * 18
            out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"14\" height=\"4\" fill=\"\(palette[i % palette.count])\"/>\n"
            out += "<text x=\"\(n(x + 18))\" y=\"\(n(y + 6))\">\(esc(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Horizontal bars, one per label (e.g. PSI per feature), with dashed vertical lines at
    /// `thresholds`. A bar is green below the first threshold, amber below the second, red at
    /// or above the last one reached. Non-finite values draw no bar and show `—`.
    public static func barChart(labels: [String], values: [Double], thresholds: [Double] = [],
                                title: String? = nil, width: Int = 640) -> String {
        let count = min(labels.count, values.count)
        let w = Double(min(20_000, max(240, width)))
        let barH = 18.0, gap = 6.0
        let top = title == nil ? 12.0 : 34.0
        let longest = labels.prefix(count).map { TextWidth.of($0) }.max() ?? 0
        let left = min(w / 3, 12 + Double(longest) * 7)
        let right = 56.0
        let pw = w - left - right
        let h = top + Double(count) * (barH + gap) + 24
        let finite = values.prefix(count).filter(\.isFinite) + thresholds.filter(\.isFinite)
        let maxV = max(finite.max() ?? 1, 0) * 1.1
        let scale = maxV > 0 ? maxV : 1
        let sorted = thresholds.filter(\.isFinite).sorted()
        let colors = ["#2ca02c", "#ff7f0e", "#d62728"]
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n"
        if let t = title {
            out += "<title>\(esc(t))</title>\n"
            out += "<text x=\"\(n(w / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(esc(t))</text>\n"
        }
        for i in 0..<count {
            let y = top + Double(i) * (barH + gap)
            let v = values[i]
            out += "<text x=\"\(n(left - 6))\" y=\"\(n(y + barH - 5))\" text-anchor=\"end\">\(esc(labels[i]))</text>\n"
            if v.isFinite {
                let exceeded = sorted.filter { v >= $0 }.count
                let color = colors[min(exceeded, colors.count - 1)]
                let bw = max(0, v) / scale * pw
                out += "<rect class=\"bar\" x=\"\(n(left))\" y=\"\(n(y))\" width=\"\(n(bw))\" height=\"\(n(barH))\" fill=\"\(color)\"/>\n"
                out += "<text x=\"\(n(left + bw + 4))\" y=\"\(n(y + barH - 5))\">\(esc(NumberFormat.significant(v, digits: 3)))</text>\n"
            } else {
                out += "<text x=\"\(n(left + 4))\" y=\"\(n(y + barH - 5))\">—</text>\n"
            }
        }
        let axisY = top + Double(count) * (barH + gap)
        out += "<line class=\"axis\" x1=\"\(n(left))\" y1=\"\(n(top - 4))\" x2=\"\(n(left))\" y2=\"\(n(axisY))\" stroke=\"#333\"/>\n"
        for t in sorted {
            let x = left + max(0, t) / scale * pw
            out += "<line class=\"threshold\" x1=\"\(n(x))\" y1=\"\(n(top - 4))\" x2=\"\(n(x))\" y2=\"\(n(axisY))\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n"
            out += "<text x=\"\(n(x))\" y=\"\(n(axisY + 14))\" text-anchor=\"middle\">\(esc(NumberFormat.significant(t, digits: 3)))</text>\n"
        }
        return out + "</svg>\n"
    }
}
