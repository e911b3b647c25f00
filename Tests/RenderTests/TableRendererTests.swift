import Testing
@testable import Render

let sample = Table(
    title: "runs",
    headers: ["id", "kind", "rmse", "ok"],
    rows: [
        [1, "train", 0.123456789, .bool(true)],
        [12, "finetune", .number(.nan), .bool(false)],
        [3, "re|train", 1234567.0, .missing],
    ],
    footer: ["3 runs"])

@Suite struct TableRendererTests {
    @Test func alignedText() {
        let expected = """
        runs
        id │ kind     │        rmse │ ok
        ───┼──────────┼─────────────┼──────
         1 │ train    │    0.123457 │ true
        12 │ finetune │           — │ false
         3 │ re|train │ 1.23457e+06 │ —
        3 runs

        """
        #expect(TableRenderer.render(sample, format: .table, width: 80, color: false) == expected)
    }

    @Test func verticalForced() {
        let expected = """
        runs
        -[ RECORD 1 ]-----
        id   | 1
        kind | train
        rmse | 0.123457
        ok   | true
        -[ RECORD 2 ]-----
        id   | 12
        kind | finetune
        rmse | —
        ok   | false
        -[ RECORD 3 ]-----
        id   | 3
        kind | re|train
        rmse | 1.23457e+06
        ok   | —
        3 runs

        """
        #expect(TableRenderer.render(sample, format: .vertical, width: 80) == expected)
    }

    /// A table too wide because of long text wraps that text within the width, one physical
    /// line per wrapped line; every line fits and no word is lost.
    @Test func longTextCellsWrapBeforeRecords() {
        let long = "max PSI 0.154 on age; 0 of 10 features major, above the no-drift level 0.0968"
        let t = Table(headers: ["measure", "value", "reading"],
                      rows: [["drift", .text(long), "moderate"], ["size", "133 rows", "partial"]])
        let out = TableRenderer.render(t, format: .table, width: 50)
        #expect(!out.contains("RECORD"), "\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { TextWidth.of($0) <= 50 }, "\(out)")
        let words = lines.dropFirst(2).flatMap { $0.split(separator: "│").count > 1 ? [String($0.split(separator: "│")[1])] : [] }
            .joined(separator: " ").split(separator: " ").map(String.init)
        #expect(words.joined(separator: " ").contains(long), "\(words)")
        #expect(lines.count > 4)  // the drift row takes several lines
        // Too narrow even for wrapped columns: records.
        #expect(TableRenderer.render(t, format: .table, width: 20).contains("-[ RECORD 1 ]"))
        #expect(TextWidth.wrap("aaaa bbbbbbbbbb c", width: 4) == ["aaaa", "bbbb", "bbbb", "bb c"])
    }

    @Test func autoVerticalWhenTooWide() {
        // The widest line of the aligned layout (the separator) is 35 columns.
        let fits = TableRenderer.render(sample, format: .table, width: 35)
        let tooWide = TableRenderer.render(sample, format: .table, width: 34)
        #expect(fits.contains("───┼──"))
        #expect(!fits.contains("RECORD"))
        #expect(tooWide.contains("-[ RECORD 1 ]"))
        #expect(tooWide == TableRenderer.render(sample, format: .vertical, width: 34))
    }

    @Test func colourOnlyWhenAsked() {
        let plain = TableRenderer.render(sample, format: .table, width: 80, color: false)
        let colored = TableRenderer.render(sample, format: .table, width: 80, color: true)
        #expect(!plain.contains("\u{1B}["))
        #expect(colored.contains(ANSI.bold + "id" + ANSI.reset))
        #expect(colored.contains(ANSI.dim + "───┼"))
        #expect(ANSI.strip(colored) == plain)
        for f in [OutputFormat.csv, .tsv, .json] {
            #expect(!TableRenderer.render(sample, format: f, width: 80, color: true).contains("\u{1B}"))
        }
    }

    @Test func emptyTable() {
        let t = Table(headers: ["a", "b"])
        #expect(TableRenderer.render(t, format: .table) == "a │ b\n──┼──\n(no rows)\n")
        #expect(TableRenderer.render(t, format: .json) == "[]\n")
        #expect(TableRenderer.render(t, format: .csv) == "a,b\n")
    }

    @Test func textControlCharactersStayOnOneLine() {
        let t = Table(headers: ["note"], rows: [["two\nlines\tx"]])
        #expect(TableRenderer.render(t, format: .table) == "note\n───────────\ntwo↵lines x\n")
    }

    @Test func csv() {
        let expected = "id,kind,rmse,ok\n1,train,0.123456789,true\n12,finetune,,false\n3,re|train,1234567,\n"
        #expect(TableRenderer.render(sample, format: .csv) == expected)
    }

    @Test func csvQuoting() {
        let t = Table(headers: ["a,b", "c"], rows: [
            ["say \"hi\"", "x,y"],
            ["line1\nline2", "cr\rhere"],
            ["plain", " spaced "],
        ])
        let expected = "\"a,b\",c\n\"say \"\"hi\"\"\",\"x,y\"\n\"line1\nline2\",\"cr\rhere\"\nplain, spaced \n"
        #expect(TableRenderer.render(t, format: .csv) == expected)
    }

    @Test func tsvEscapes() {
        let t = Table(headers: ["k", "v"], rows: [["a\tb", "c\nd\\e"], ["x", 2.5]])
        #expect(TableRenderer.render(t, format: .tsv) == "k\tv\na\\tb\tc\\nd\\\\e\nx\t2.5\n")
    }

    @Test func json() {
        let expected = """
        [
          {"id": 1, "kind": "train", "rmse": 0.123456789, "ok": true},
          {"id": 12, "kind": "finetune", "rmse": null, "ok": false},
          {"id": 3, "kind": "re|train", "rmse": 1234567, "ok": null}
        ]

        """
        #expect(TableRenderer.render(sample, format: .json) == expected)
    }

    @Test func jsonEscapingAndNonFinite() {
        let t = Table(headers: ["s", "x", "s"], rows: [["q\"b\\n\n\t\u{01}é", .number(.infinity), 0.1]])
        let expected = "[\n  {\"s\": \"q\\\"b\\\\n\\n\\t\\u0001é\", \"x\": null, \"s_2\": 0.1}\n]\n"
        #expect(TableRenderer.render(t, format: .json) == expected)
        #expect(TableRenderer.jsonValue(.number(1.0 / 3.0)) == "0.3333333333333333")
    }

    @Test func markdown() {
        let expected = """
        **runs**

        |  id | kind      |        rmse | ok    |
        | --: | --------- | ----------: | ----- |
        |   1 | train     |    0.123457 | true  |
        |  12 | finetune  |           — | false |
        |   3 | re\\|train | 1.23457e+06 | —     |

        3 runs

        """
        #expect(TableRenderer.render(sample, format: .markdown) == expected)
    }

    @Test func html() {
        let expected = """
        <table>
        <caption>runs</caption>
        <thead><tr><th class="num">id</th><th>kind</th><th class="num">rmse</th><th>ok</th></tr></thead>
        <tbody>
        <tr><td class="num">1</td><td>train</td><td class="num">0.123457</td><td>true</td></tr>
        <tr><td class="num">12</td><td>finetune</td><td class="num">—</td><td>false</td></tr>
        <tr><td class="num">3</td><td>re|train</td><td class="num">1.23457e+06</td><td>—</td></tr>
        </tbody>
        <tfoot>
        <tr><td colspan="4">3 runs</td></tr>
        </tfoot>
        </table>

        """
        #expect(TableRenderer.render(sample, format: .html) == expected)
    }

    @Test func htmlEscaping() {
        let t = Table(title: "a<b", headers: ["x&y"], rows: [["<script>\"q\" & 'a'</script>"]])
        let out = TableRenderer.render(t, format: .html)
        #expect(out.contains("<caption>a&lt;b</caption>"))
        #expect(out.contains("<th>x&amp;y</th>"))
        #expect(out.contains("<td>&lt;script&gt;&quot;q&quot; &amp; &#39;a&#39;&lt;/script&gt;</td>"))
        #expect(!out.contains("<script>"))
    }

    @Test func rightAlignedDeclaredColumn() {
        let t = Table(columns: [Table.Column("name", alignment: .right)], rows: [["a"], ["bbb"]])
        #expect(TableRenderer.render(t, format: .table) == "name\n────\n   a\n bbb\n")
    }

    @Test func formatNames() {
        #expect(OutputFormat(name: "md") == .markdown)
        #expect(OutputFormat(name: "CSV") == .csv)
        #expect(OutputFormat(name: "bogus") == nil)
        #expect(OutputFormat(fileExtensionOf: "out/runs.csv") == .csv)
        #expect(OutputFormat(fileExtensionOf: "report.html") == .html)
        #expect(OutputFormat(fileExtensionOf: "notes.md") == .markdown)
        #expect(OutputFormat(fileExtensionOf: "runs") == nil)
        #expect(OutputFormat(fileExtensionOf: "dir.csv/runs") == nil)
        #expect(OutputFormat(fileExtensionOf: "x.table") == nil)
    }
}
