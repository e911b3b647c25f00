import Foundation
import Testing
@testable import Notebook

/// A strict RFC 4180 reader (LF or CRLF records), for checking exports parse back.
func parseCSV(_ text: String, separator: Character = ",") -> [[String]] {
    var records: [[String]] = []
    var field = "", record: [String] = []
    var quoted = false, afterQuote = false
    var chars = Array(text)
    var i = 0
    while i < chars.count {
        let c = chars[i]
        if quoted {
            if c == "\"" {
                if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false; afterQuote = true }
            } else { field.append(c) }
        } else if c == "\"" && field.isEmpty && !afterQuote {
            quoted = true
        } else if c == separator {
            record.append(field); field = ""; afterQuote = false
        } else if c == "\n" || c == "\r\n" {
            record.append(field); records.append(record); field = ""; record = []; afterQuote = false
        } else if c != "\r" {
            field.append(c)
        }
        i += 1
    }
    if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
    chars.removeAll()
    return records
}

@Suite struct ExperimentExportTests {
    func read(_ h: Harness, _ name: String) throws -> String {
        try String(contentsOf: h.directory.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func runsRoundTripInEveryFormat() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("tag #1 owner \"ana, \\\"the\\\" lead\"\nnote #2 \"line one\nline two\"") == 0, "\(h.err)")
        #expect(h.run("export runs to \"runs.csv\"") == 0, "\(h.err)")
        #expect(h.out.contains("wrote 7 runs to runs.csv (csv)"))
        let csv = parseCSV(try read(h, "runs.csv"))
        #expect(csv.count == 8)
        let header = csv[0]
        #expect(header.contains("param.lr"))
        #expect(header.contains("metric.rmse"))
        #expect(header.contains("tags"))
        let idCol = try #require(header.firstIndex(of: "id"))
        let rmse = try #require(header.firstIndex(of: "metric.rmse"))
        let tags = try #require(header.firstIndex(of: "tags"))
        let note = try #require(header.firstIndex(of: "note"))
        let started = try #require(header.firstIndex(of: "started"))
        #expect(csv.dropFirst().map { $0[idCol] } == ["1", "2", "3", "4", "5", "6", "7"])
        #expect(Double(csv[2][rmse]) == 2.5)
        #expect(csv[1][tags] == "owner=ana, \"the\" lead")
        #expect(csv[2][note] == "line one\nline two")
        #expect(csv[1][started].hasSuffix("Z") && csv[1][started].contains("T"))

        #expect(h.run("export runs where model = price to \"runs.json\"") == 0, "\(h.err)")
        let json = try JSONSerialization.jsonObject(with: Data(try read(h, "runs.json").utf8)) as? [[String: Any]]
        let objects = try #require(json)
        #expect(objects.count == 3)
        #expect(objects[1]["metric.rmse"] as? Double == 2.5)
        #expect(objects[1]["id"] as? Int == 2)
        #expect(objects[0]["tags"] as? String == "owner=ana, \"the\" lead")

        #expect(h.run("export runs where kind = finetune to \"runs.tsv\"") == 0, "\(h.err)")
        let tsv = try read(h, "runs.tsv").split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(tsv.count == 4)  // header, 2 runs, trailing empty
        #expect(tsv[0].contains("metric.rmse"))
        #expect(tsv[1].contains("line one\\nline two"))

        #expect(h.run("export runs limit 2 to \"runs.md\"") == 0, "\(h.err)")
        let md = try read(h, "runs.md").split(separator: "\n")
        #expect(md.count == 4)
        #expect(md[0].hasPrefix("|") && md[0].contains(" id |"))
        #expect(md[1].hasPrefix("| --") || md[1].hasPrefix("| -:") || md[1].hasPrefix("| :"))

        #expect(h.run("export runs to \"runs.html\"") == 0, "\(h.err)")
        let html = try read(h, "runs.html")
        #expect(html.components(separatedBy: "<tr").count - 1 == 8)
        #expect(html.contains("&quot;the&quot;"))
    }

    @Test func refusesToOverwriteAndUnknownExtensions() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("export runs to \"a.csv\"") == 0)
        let before = try read(h, "a.csv")
        #expect(h.run("export runs where kind = drift to \"a.csv\"") == 74)
        #expect(h.err.contains("a.csv exists; add 'overwrite'"))
        #expect(try read(h, "a.csv") == before)
        #expect(h.run("export runs where kind = drift to \"a.csv\" overwrite") == 0)
        #expect(parseCSV(try read(h, "a.csv")).count == 2)
        #expect(h.run("export runs to \"a.xlsx\"") != 0)
        #expect(h.err.contains("cannot tell the format"))
    }

    @Test func curvesAndTableResults() throws {
        let h = Harness()
        try ExperimentFixture.populate(h)
        #expect(h.run("export curves #1, #2 to \"c.csv\"") == 0, "\(h.err)")
        let c = parseCSV(try read(h, "c.csv"))
        #expect(c[0] == ["run", "key", "step", "value", "time"])
        #expect(c.count == 1 + 2 * 2 * 5)
        #expect(c[1][0] == "1" && c[1][1] == "train_loss" && c[1][2] == "1" && Double(c[1][3]) == 4)
        #expect(h.run("sql \"SELECT kind, count(*) AS n FROM runs GROUP BY kind ORDER BY kind\"\nexport _ to \"k.json\"") == 0, "\(h.err)")
        let k = try #require(try JSONSerialization.jsonObject(with: Data(try read(h, "k.json").utf8)) as? [[String: Any]])
        #expect(k.count == 5)
        #expect(k[0]["kind"] as? String == "drift")
        #expect(h.run("runs where kind = finetune\nexport _ to \"ft.csv\"") == 0, "\(h.err)")
        #expect(parseCSV(try read(h, "ft.csv")).count == 3)
        #expect(h.run("export curves _ to \"fc.csv\"") == 0, "\(h.err)")
        #expect(h.run("export #1 to \"x.csv\"") != 0)
        #expect(h.err.contains("export writes runs, curves or a table result"))
    }
}
