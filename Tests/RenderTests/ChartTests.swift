import Testing
@testable import Render

@Suite struct SparklineTests {
    @Test func levels() {
        #expect(Sparkline.render([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█")
        #expect(Sparkline.render([1, .nan, 3]) == "▁ █")
        #expect(Sparkline.render([5, 5, 5]) == "▄▄▄")
        #expect(Sparkline.render([]) == "")
        #expect(Sparkline.render([.nan, .infinity]) == "  ")
        #expect(Sparkline.render([10, 0]) == "█▁")
    }

    @Test func downsampled() {
        let values = (0..<100).map(Double.init)
        let s = Sparkline.render(values, width: 10)
        #expect(s.count == 10)
        #expect(s.first == "▁")
        #expect(s.last == "█")
        #expect(Sparkline.render([1, 2, 3], width: 10) == "▁▅█")   // 3.5 rounds up
    }

    @Test func histogramBars() {
        #expect(Histogram.bar(fraction: 1, width: 4) == "████")
        #expect(Histogram.bar(fraction: 0.5, width: 4) == "██  ")
        #expect(Histogram.bar(fraction: 0.5625, width: 4) == "██▎ ")
        #expect(Histogram.bar(fraction: 0, width: 3) == "   ")
        #expect(Histogram.bar(fraction: .nan, width: 2) == "  ")
        #expect(Histogram.bar(fraction: 7, width: 2) == "██")
        let lines = Histogram.lines(labels: ["a", "bb"], counts: [10, 5], width: 16)
        #expect(lines == ["a  │█████████ 10", "bb │████▌      5"])
        #expect(lines.allSatisfy { TextWidth.of($0) == 16 })
    }
}

/// Distinct ANSI colour codes (`ESC[3xm` / `ESC[9xm`) appearing in a string.
func colourCodes(_ s: String) -> Set<String> {
    Set(ANSI.seriesColors.filter { s.contains($0) })
}

@Suite struct LinePlotTests {
    let train = PlotSeries(name: "#3 valid_loss", values: [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19])
    let tune = PlotSeries(name: "#4 valid_loss", values: [0.9, 0.5, 0.35, 0.3, 0.28])
    let third = PlotSeries(name: "#5 valid_loss", values: [0.8, 0.7, 0.6])

    @Test func layoutLegendAndAxes() {
        let out = LinePlot.render(series: [train, tune], width: 60, height: 8, color: false,
                                  xLabel: "epoch", yLabel: "valid_loss")
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "valid_loss")
        #expect(lines.contains { $0.trimmingPrefixSpaces().hasPrefix("1 ┤") })      // max tick
        #expect(lines.contains { $0.trimmingPrefixSpaces().hasPrefix("0.19 ┤") })   // min tick
        #expect(lines.filter { $0.contains("┤") }.count == 3)        // max, middle, min
        #expect(lines.contains { $0.contains("└┬") })
        #expect(lines.contains { $0.trimmingPrefixSpaces().hasPrefix("1 ") && $0.hasSuffix(" 8") })   // x range
        #expect(lines.contains { $0.trimmingPrefixSpaces() == "epoch" })
        #expect(out.contains("⠤⠤ #3 valid_loss"))
        #expect(out.contains("• #4 valid_loss"))
        #expect(lines.allSatisfy { TextWidth.of($0) <= 60 })
        #expect(out.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })   // braille
        #expect(out.filter { $0 == "•" }.count == 5 + 1)            // 5 points + legend
        #expect(!out.contains("\u{1B}"))
    }

    @Test func distinctMarksWithoutColour() {
        let out = LinePlot.render(series: [train, tune, third], width: 50, height: 6, color: false)
        #expect(out.contains("• #4"))
        #expect(out.contains("× #5"))
        #expect(out.filter { $0 == "×" }.count == 3 + 1)
    }

    @Test func distinctColours() {
        let out = LinePlot.render(series: [train, tune, third], width: 50, height: 6, color: true)
        #expect(colourCodes(out).count == 3)
        #expect(!out.contains("•"))
        let one = LinePlot.render(series: [train], width: 50, height: 6, color: true)
        #expect(colourCodes(one).count == 1)
    }

    @Test func edgeCases() {
        let single = LinePlot.render(series: [PlotSeries(name: "one", values: [2.0])], width: 40, height: 4)
        #expect(single.contains("one"))
        #expect(single.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
        let constant = LinePlot.render(series: [PlotSeries(name: "flat", values: [3, 3, 3, 3])], width: 40, height: 5)
        #expect(constant.contains("3 ┤"))
        let gaps = LinePlot.render(series: [PlotSeries(name: "gap", values: [1, 2, .nan, 4, 5])], width: 40, height: 5)
        #expect(gaps.contains("gap"))
        #expect(LinePlot.render(series: [], width: 40, height: 5) == "(no data to plot)\n")
        #expect(LinePlot.render(series: [PlotSeries(name: "n", values: [.nan])]) == "(no data to plot)\n")
    }
}

extension String {
    func trimmingPrefixSpaces() -> String { String(drop { $0 == " " }) }
}

@Suite struct HostileInputTests {
    @Test func extremeValuesNeverTrap() {
        let extreme = [Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, 0, .infinity, .nan]
        #expect(Sparkline.render(extreme) == "█▁▅  ")
        let plot = LinePlot.render(series: [PlotSeries(name: "wild", values: extreme)], width: 40, height: 4)
        #expect(plot.contains("wild"))
        let svg = SVG.lineChart(series: [PlotSeries(name: "wild", values: extreme)])
        #expect(!svg.contains("NaN") && !svg.contains("inf"))
        let bars = SVG.barChart(labels: ["a", "b"], values: [.greatestFiniteMagnitude, -1], thresholds: [.nan])
        #expect(bars.contains("<rect"))
        #expect(Histogram.bar(fraction: 0.5, width: Int.max).count == 10_000)
        #expect(Histogram.lines(labels: ["x"], counts: [Int.max], width: 30) == ["x │███████ \(Int.max)"])
        let huge = LinePlot.render(series: [PlotSeries(name: "h", values: [1, 2])], width: Int.max, height: Int.max)
        #expect(huge.split(separator: "\n").count < 210)
        let odd = ProgressState(label: "x", epoch: Int.min, epochs: -3, batch: -1, batches: Int.min, loss: .infinity,
                                rows: Int.max, elapsed: -1)
        #expect(!ProgressBar.line(odd, width: 80).isEmpty)
        #expect(ProgressBar.line(odd, width: Int.max).count < 400)
    }
}
