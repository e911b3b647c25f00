import Testing
@testable import Render

func occurrences(_ needle: String, in haystack: String) -> Int {
    var count = 0
    var rest = Substring(haystack)
    while let r = rest.firstRange(of: needle) {
        count += 1
        rest = rest[r.upperBound...]
    }
    return count
}

@Suite struct SVGTests {
    let curves = [
        PlotSeries(name: "#3 valid_loss", values: [1.0, 0.6, 0.4, 0.3]),
        PlotSeries(name: "#4 <tuned> & co", values: [0.9, .nan, 0.35, 0.3, 0.28]),
        PlotSeries(name: "single", values: [0.5]),
    ]

    @Test func onePathPerSeries() {
        let svg = SVG.lineChart(series: curves, width: 640, height: 360, title: "Loss \"curves\"",
                                xLabel: "epoch", yLabel: "valid_loss")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(occurrences("<path", in: svg) == 3)
        #expect(svg.contains(">#3 valid_loss</text>"))
        #expect(svg.contains(">#4 &lt;tuned&gt; &amp; co</text>"))
        #expect(svg.contains("<title>Loss &quot;curves&quot;</title>"))
        #expect(svg.contains(">epoch</text>"))
        #expect(svg.contains(">valid_loss</text>"))
        #expect(!svg.contains("NaN"))
        #expect(!svg.contains("<script"))
        // The gap splits the second curve into two sub-paths; the first point is a dot.
        let paths = svg.split(separator: "\n").filter { $0.hasPrefix("<path") }
        #expect(paths.count == 3)
        #expect(occurrences("M", in: String(paths[1].split(separator: "\"")[5])) == 2)
        #expect(paths[1].contains("h0.01"))
        #expect(paths[2].contains("h0.01"))
        // Distinct colours.
        #expect(paths[0].contains(SVG.palette[0]) && paths[1].contains(SVG.palette[1]) && paths[2].contains(SVG.palette[2]))
        // Deterministic.
        #expect(svg == SVG.lineChart(series: curves, width: 640, height: 360, title: "Loss \"curves\"",
                                     xLabel: "epoch", yLabel: "valid_loss"))
    }

    @Test func niceTicks() {
        #expect(SVG.niceTicks(0, 1) == [0, 0.25, 0.5, 0.75, 1])
        #expect(SVG.niceTicks(0.19, 1.0).count >= 4)
        #expect(SVG.niceTicks(1, 40, count: 6) == [10, 20, 30, 40])
        #expect(SVG.tickLabel(0.1 + 0.2, step: 0.1) == "0.3")
    }

    @Test func emptyChartIsStillValid() {
        let svg = SVG.lineChart(series: [])
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(occurrences("<path", in: svg) == 0)
    }

    @Test func driftBars() {
        let svg = SVG.barChart(labels: ["income", "age", "rooms", "broken"], values: [0.31, 0.02, 0.15, .nan],
                               thresholds: [0.1, 0.25], title: "PSI")
        #expect(occurrences("<rect class=\"bar\"", in: svg) == 3)
        #expect(occurrences("class=\"threshold\"", in: svg) == 2)
        let bars = svg.split(separator: "\n").filter { $0.contains("class=\"bar\"") }
        #expect(bars[0].contains("#d62728"))   // above 0.25: red
        #expect(bars[1].contains("#2ca02c"))   // below 0.1: green
        #expect(bars[2].contains("#ff7f0e"))   // between: amber
        #expect(svg.contains(">income</text>"))
        #expect(svg.contains(">0.31</text>"))
        #expect(svg.contains(">—</text>"))
    }
}

@Suite struct HTMLReportTests {
    @Test func selfContainedPage() {
        var report = HTMLReport(title: "Runs <price> & co")
        report.addHeading("Run table")
        report.addParagraph("Where kind = \"finetune\"")
        report.addTable(Table(headers: ["id", "rmse"], rows: [[1, 0.5], [2, 0.25]]))
        report.addSVG(SVG.lineChart(series: [PlotSeries(name: "a", values: [1, 2])]))
        report.addPreformatted("\u{1B}[1m[1]> train <x>\u{1B}[0m")
        let html = report.render()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</body>\n</html>\n"))
        #expect(html.contains("<title>Runs &lt;price&gt; &amp; co</title>"))
        #expect(html.contains("<h1>Runs &lt;price&gt; &amp; co</h1>"))
        #expect(html.contains("<h2>Run table</h2>"))
        #expect(html.contains("<p>Where kind = &quot;finetune&quot;</p>"))
        #expect(occurrences("<tr>", in: html) == 3)       // header + 2 rows
        #expect(occurrences("<path", in: html) == 1)
        #expect(html.contains("<pre>[1]&gt; train &lt;x&gt;</pre>"))
        #expect(html.contains("<style>"))
        for forbidden in ["<script", "<link", "src=", "href=", "@import", "url("] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        // Order of blocks is kept.
        let h2 = html.firstRange(of: "<h2>")?.lowerBound
        let table = html.firstRange(of: "<table>")?.lowerBound
        let svg = html.firstRange(of: "<svg")?.lowerBound
        #expect(h2 != nil && table != nil && svg != nil)
        if let h2, let table, let svg { #expect(h2 < table && table < svg) }
    }
}

/// Checks that every start tag has its matching end tag (void/self-closing tags aside) and
/// that no raw `<`, `>` or `&` escapes appear in text; returns the first problem found.
func markupProblem(_ s: String) -> String? {
    let void: Set<String> = ["meta", "br", "!DOCTYPE"]
    var stack: [String] = []
    var i = s.startIndex
    while i < s.endIndex {
        let ch = s[i]
        if ch == "<" {
            guard let close = s[i...].firstIndex(of: ">") else { return "unclosed tag at \(s.distance(from: s.startIndex, to: i))" }
            let inner = s[s.index(after: i)..<close]
            if inner.contains("<") { return "raw < inside tag: \(inner)" }
            let selfClosing = inner.hasSuffix("/")
            let name = String(inner.prefix { $0 != " " && $0 != "/" && $0 != "\n" || ($0 == "/" && inner.first == "/") })
            if name.hasPrefix("/") {
                let open = String(name.dropFirst())
                guard stack.last == open else { return "</\(open)> closes <\(stack.last ?? "nothing")>" }
                stack.removeLast()
            } else if !selfClosing && !void.contains(name) {
                stack.append(name)
            }
            i = s.index(after: close)
            continue
        }
        if ch == ">" { return "raw > in text" }
        if ch == "&" {
            let entity = s[i...].prefix { $0 != ";" && $0 != " " }
            if !["&amp", "&lt", "&gt", "&quot", "&#39"].contains(String(entity)) { return "bare & in text: \(entity)" }
        }
        i = s.index(after: i)
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.joined(separator: ", "))>"
}

@Suite struct MarkupTests {
    @Test func reportIsBalancedMarkup() {
        var report = HTMLReport(title: "a < b & \"c\"")
        report.addHeading("<h>")
        report.addParagraph("x > y\nnext & last")
        report.addTable(Table(title: "t<>", headers: ["k&", "v"], rows: [["<i>", 1.5], [.missing, .number(.nan)]], footer: ["f&"]))
        report.addSVG(SVG.lineChart(series: [PlotSeries(name: "s&<", values: [1, .nan, 3, 2])], title: "T&", xLabel: "x<", yLabel: "y>"))
        report.addSVG(SVG.barChart(labels: ["a&b", "<c>"], values: [0.3, .nan], thresholds: [0.1, 0.25], title: "P&"))
        report.addPreformatted("<pre> & </pre>")
        let html = report.render()
        #expect(markupProblem(html) == nil)
        #expect(markupProblem("<p><b>x</p></b>") != nil)     // the checker itself can fail
        #expect(markupProblem("<p>a & b</p>") != nil)
    }
}
