/// One-line charts: sparklines and horizontal bars.
public enum Sparkline {
    public static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One block character per value, scaled between the finite minimum and maximum
    /// (`▁` lowest … `█` highest). NaN and infinities are spaces; a constant series is a flat
    /// row of `▄`; an empty input is an empty string.
    public static func render(_ values: [Double]) -> String {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else {
            return String(repeating: " ", count: values.count)
        }
        var out = ""
        for v in values {
            guard v.isFinite else { out.append(" "); continue }
            if hi == lo { out.append(levels[3]); continue }
            let idx = PlotRange.clampedInt(PlotRange.fraction(v, lo, hi) * 7, 0, 7)
            out.append(levels[idx])
        }
        return out
    }

    /// A sparkline at most `width` characters wide: longer inputs are averaged over equal
    /// buckets (NaN values are skipped; an all-NaN bucket stays a space).
    public static func render(_ values: [Double], width: Int) -> String {
        let w = max(1, width)
        if values.count <= w { return render(values) }
        var buckets: [Double] = []
        for b in 0..<w {
            let start = b * values.count / w
            let end = max(start + 1, (b + 1) * values.count / w)
            let slice = values[start..<end].filter(\.isFinite)
            buckets.append(slice.isEmpty ? .nan : slice.reduce(0, +) / Double(slice.count))
        }
        return render(buckets)
    }
}

/// Horizontal bars for histograms (`describe`) and drift listings.
public enum Histogram {
    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A bar `fraction` (0…1, clamped) of `width` cells long, with eighth-cell resolution,
    /// padded with spaces to exactly `width` cells. NaN is an empty bar.
    public static func bar(fraction: Double, width: Int) -> String {
        let w = min(10_000, max(0, width))
        guard fraction.isFinite, w > 0 else { return String(repeating: " ", count: w) }
        let f = min(1, max(0, fraction))
        let eighthsTotal = Int((f * Double(w) * 8).rounded())
        let full = eighthsTotal / 8
        let rest = eighthsTotal % 8
        var s = String(repeating: "█", count: full)
        if rest > 0 && full < w { s.append(eighths[rest - 1]) }
        let used = full + (rest > 0 && full < w ? 1 : 0)
        return s + String(repeating: " ", count: max(0, w - used))
    }

    /// One line per bin, `width` columns wide: `label │██████▍    count`, bars scaled to the
    /// largest count.
    /// Labels are left-aligned to the widest one; counts right-aligned. Lines carry no
    /// trailing spaces.
    public static func lines(labels: [String], counts: [Int], width: Int = 40) -> [String] {
        let n = min(labels.count, counts.count)
        guard n > 0 else { return [] }
        let labelWidth = labels[..<n].map { TextWidth.of($0) }.max() ?? 0
        let countTexts = counts[..<n].map(String.init)
        let countWidth = countTexts.map(\.count).max() ?? 0
        let maxCount = max(1, counts[..<n].max() ?? 1)
        let barWidth = min(10_000, max(1, width - labelWidth - countWidth - 3))
        return (0..<n).map { i in
            let b = bar(fraction: Double(counts[i]) / Double(maxCount), width: barWidth)
            return TextWidth.pad(labels[i], to: labelWidth) + " │" + b + " "
                + TextWidth.pad(countTexts[i], to: countWidth, rightAlign: true)
        }
    }
}
