/// One curve for `LinePlot` and `SVG.lineChart`: y values at x positions (NaN = gap).
public struct PlotSeries: Sendable, Hashable {
    public var name: String
    public var x: [Double]
    public var y: [Double]

    public init(name: String, x: [Double], y: [Double]) {
        self.name = name
        let n = min(x.count, y.count)
        self.x = Array(x.prefix(n))
        self.y = Array(y.prefix(n))
    }

    /// Values at steps `firstStep`, `firstStep + 1`, … (epochs are 1-based by default).
    public init(name: String, values: [Double], firstStep: Int = 1) {
        self.init(name: name, x: values.indices.map { Double($0 + firstStep) }, y: values)
    }

    var finitePoints: [(Double, Double)] {
        zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
    }
}

/// Axis range helpers shared by the terminal and SVG plots.
enum PlotRange {
    /// Where `v` lies between `lo` and `hi` (0…1 inside), computed on halves so that the
    /// span of extreme values cannot overflow to infinity.
    static func fraction(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        (v / 2 - lo / 2) / (hi / 2 - lo / 2)
    }

    /// `d` rounded and clamped to `lo…hi`; NaN maps to `lo`. Never traps.
    static func clampedInt(_ d: Double, _ lo: Int, _ hi: Int) -> Int {
        guard d.isFinite else { return d == .infinity ? hi : lo }
        let r = d.rounded()
        if r <= Double(lo) { return lo }
        if r >= Double(hi) { return hi }
        return Int(r)
    }

    /// Finite min/max of `values`, widened when degenerate: a constant `c` becomes
    /// `c ± max(|c|·0.1, 1)·pad`.
    static func of(_ values: [Double], pad: Double = 1) -> (Double, Double)? {
        let finite = values.filter(\.isFinite)
        guard var lo = finite.min(), var hi = finite.max() else { return nil }
        if !(hi - lo).isFinite { lo = max(lo, -1e307); hi = min(hi, 1e307) }
        if lo == hi {
            let d = max(lo.magnitude * 0.1, 1) * pad
            lo -= d
            hi += d
        }
        return (lo, hi)
    }
}

/// Overlaid curves drawn in the terminal with braille characters (2×4 dots per cell).
///
/// With `color` on, every series is drawn in braille in its own ANSI colour
/// (`ANSI.seriesColors`, in order); a cell shared by several series takes the colour of the
/// last one drawn there. With `color` off, the first series is drawn in braille and each further
/// series as a distinct mark (`•`, `×`, `○`, `+`, `◆`, `▲`, `■`, `*`, cycling) at each of its
/// points, so curves stay distinguishable in plain text; the legend shows which is which.
public enum LinePlot {
    public static let marks: [Character] = ["•", "×", "○", "+", "◆", "▲", "■", "*"]

    /// Legend symbol of series `index`.
    public static func legendSymbol(index: Int, color: Bool) -> String {
        if color || index == 0 { return "⠤⠤" }
        return String(marks[(index - 1) % marks.count])
    }

    /// - Parameters:
    ///   - width: total width of every output line in columns (20…about 1000 used).
    ///   - height: rows of the plotting area (3…200 used).
    /// - Returns: lines: optional y label, the plot with y ticks (max, middle, min), the x axis
    ///   with the first and last x, an optional x label, and a legend; newline-terminated.
    public static func render(series: [PlotSeries], width: Int = 80, height: Int = 12, color: Bool = false,
                              xLabel: String? = nil, yLabel: String? = nil) -> String {
        let allX = series.flatMap { $0.finitePoints.map(\.0) }
        let allY = series.flatMap { $0.finitePoints.map(\.1) }
        guard let (x0, x1) = PlotRange.of(allX, pad: 0.5), let (y0, y1) = PlotRange.of(allY) else {
            return "(no data to plot)\n"
        }
        let rows = min(200, max(3, height))
        let mid = (rows - 1) / 2
        let pixelRows = rows * 4
        // Y tick labels.
        func yAt(row: Int, pixel: Int) -> Double { y1 - Double(row * 4 + pixel) / Double(pixelRows - 1) * (y1 - y0) }
        let midValue = yAt(row: mid, pixel: 0) - (y1 - y0) * 1.5 / Double(pixelRows - 1)
        let tickTexts = [NumberFormat.significant(y1, digits: 4), NumberFormat.significant(midValue, digits: 4),
                         NumberFormat.significant(y0, digits: 4)]
        let labelWidth = tickTexts.map { TextWidth.of($0) }.max() ?? 1
        let cols = max(8, min(1000, max(20, width) - labelWidth - 2))
        let pixelCols = cols * 2

        // Canvas: braille bits per cell, owner series per cell, marks per cell.
        var bits = [[UInt8]](repeating: [UInt8](repeating: 0, count: cols), count: rows)
        var owner = [[Int]](repeating: [Int](repeating: -1, count: cols), count: rows)
        var markAt = [[Character?]](repeating: [Character?](repeating: nil, count: cols), count: rows)
        let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

        func px(_ x: Double) -> Int {
            PlotRange.clampedInt(PlotRange.fraction(x, x0, x1) * Double(pixelCols - 1), 0, pixelCols - 1)
        }
        func py(_ y: Double) -> Int {
            PlotRange.clampedInt((1 - PlotRange.fraction(y, y0, y1)) * Double(pixelRows - 1), 0, pixelRows - 1)
        }
        func set(_ cx: Int, _ cy: Int, series s: Int) {
            guard cx >= 0, cx < pixelCols, cy >= 0, cy < pixelRows else { return }
            let c = cx / 2, r = cy / 4
            bits[r][c] |= dotBits[cx % 2][cy % 4]
            owner[r][c] = s
        }
        func line(_ a: (Int, Int), _ b: (Int, Int), series s: Int) {
            var (x, y) = a
            let dx = abs(b.0 - a.0), dy = -abs(b.1 - a.1)
            let sx = a.0 < b.0 ? 1 : -1, sy = a.1 < b.1 ? 1 : -1
            var err = dx + dy
            var guardSteps = dx - dy + 2
            while guardSteps > 0 {
                guardSteps -= 1
                set(x, y, series: s)
                if x == b.0 && y == b.1 { break }
                let e2 = 2 * err
                if e2 >= dy { err += dy; x += sx }
                if e2 <= dx { err += dx; y += sy }
            }
        }

        for (s, ser) in series.enumerated() {
            let useMark = !color && s > 0
            var previous: (Int, Int)? = nil
            for (xv, yv) in zip(ser.x, ser.y) {
                guard xv.isFinite, yv.isFinite else { previous = nil; continue }
                let p = (px(xv), py(yv))
                if useMark {
                    let c = min(cols - 1, max(0, p.0 / 2)), r = min(rows - 1, max(0, p.1 / 4))
                    markAt[r][c] = marks[(s - 1) % marks.count]
                    owner[r][c] = s
                } else if let prev = previous {
                    line(prev, p, series: s)
                } else {
                    set(p.0, p.1, series: s)
                }
                previous = p
            }
        }

        var out: [String] = []
        if let yl = yLabel, !yl.isEmpty { out.append(yl) }
        let axis = { (s: String) in ANSI.style(s, ANSI.dim, on: color) }
        for r in 0..<rows {
            let tick: String
            if r == 0 { tick = tickTexts[0] } else if r == mid { tick = tickTexts[1] } else if r == rows - 1 { tick = tickTexts[2] } else { tick = "" }
            var lineText = TextWidth.pad(tick, to: labelWidth, rightAlign: true) + " " + axis(tick.isEmpty ? "│" : "┤")
            var current = -1
            for c in 0..<cols {
                let ch: Character
                if let m = markAt[r][c] { ch = m }
                else if bits[r][c] != 0, let u = Unicode.Scalar(0x2800 + UInt32(bits[r][c])) { ch = Character(u) }
                else { ch = " " }
                let o = ch == " " ? -1 : owner[r][c]
                if color && o != current {
                    if current >= 0 { lineText += ANSI.reset }
                    if o >= 0 { lineText += ANSI.seriesColors[o % ANSI.seriesColors.count] }
                    current = o
                }
                lineText.append(ch)
            }
            if color && current >= 0 { lineText += ANSI.reset }
            out.append(TextWidth.rstrip(lineText))
        }
        let pad = String(repeating: " ", count: labelWidth + 1)
        out.append(pad + axis("└" + "┬" + String(repeating: "─", count: max(0, cols - 2)) + "┬"))
        let left = NumberFormat.significant(x0, digits: 6)
        let right = NumberFormat.significant(x1, digits: 6)
        let gap = max(1, cols - TextWidth.of(left) - TextWidth.of(right))
        out.append(pad + " " + left + String(repeating: " ", count: gap) + right)
        if let xl = xLabel, !xl.isEmpty {
            let indent = labelWidth + 2 + max(0, (cols - TextWidth.of(xl)) / 2)
            out.append(String(repeating: " ", count: indent) + xl)
        }
        // Legend, wrapped to the width.
        var legendLines: [String] = []
        var current = ""
        for (s, ser) in series.enumerated() {
            let sym = legendSymbol(index: s, color: color)
            let colored = color ? ANSI.style(sym, ANSI.seriesColors[s % ANSI.seriesColors.count], on: true) : sym
            let entry = colored + " " + ser.name
            let entryWidth = TextWidth.of(sym) + 1 + TextWidth.of(ser.name)
            if !current.isEmpty && TextWidth.of(current) + 3 + entryWidth > max(20, width) {
                legendLines.append(current)
                current = ""
            }
            current += (current.isEmpty ? pad + " " : "   ") + entry
        }
        if !current.isEmpty { legendLines.append(current) }
        out.append(contentsOf: legendLines)
        return out.joined(separator: "\n") + "\n"
    }
}
