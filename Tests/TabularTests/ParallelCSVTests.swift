import Testing
@testable import Tabular

/// Files of 8 MB and more are parsed in two halves; results must equal the serial parser's.
@Suite struct ParallelCSVTests {
    func serial(_ bytes: [UInt8], options: CSVOptions = CSVOptions()) throws -> [Column] {
        try bytes.withUnsafeBytes { buf in
            var r = try CSVLoader.parsePass(buf, file: "s", sep: UInt8(ascii: ","), options: options, forcedCategorical: [])
            if !r.demoted.isEmpty {
                r = try CSVLoader.parsePass(buf, file: "s", sep: UInt8(ascii: ","), options: options, forcedCategorical: r.demoted)
            }
            return r.builders.map { $0.finish() }
        }
    }

    func bigText(rows: Int, middle: (Int) -> String) -> [UInt8] {
        var text = "id,x,city,late,flag,when\n"
        for r in 0..<rows {
            let x = r < rows / 2 ? "\(r % 1000)" : "\(r % 1000).25"
            let city = r < rows / 2 ? ["Paris", "Oslo"][r % 2] : ["Lima", "Oslo", "Kyiv"][r % 3]
            let late = r < rows / 2 ? "" : "v\(r % 5)"
            text += "\(r),\(x),\(city),\(late),\(r % 3 == 0 ? "true" : "false"),2024-01-\(String(format2(r % 28 + 1)))\(middle(r))\n"
        }
        return Array(text.utf8)
    }

    func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    @Test func parallelEqualsSerial() throws {
        let bytes = bigText(rows: 240_000) { _ in "" }
        #expect(bytes.count > CSVLoader.parallelThreshold)
        let d = try CSVLoader.load(bytes: bytes, name: "big")
        #expect(d.rowCount == 240_000)
        #expect(d.columns.map(\.type) == [.integer, .float, .categorical, .categorical, .boolean, .date])
        #expect(d.columns == (try serial(bytes)))
        #expect(d.column(named: "late")?.missingCount == 120_000)
        let used = bytes.withUnsafeBytes {
            CSVLoader.parallelPass($0, file: "p", sep: UInt8(ascii: ","), options: CSVOptions(), releasePages: false)
        }
        #expect(used != nil)   // the two-thread path really ran
    }

    @Test func quotedNewlinesAcrossTheSplitFallBackToSerial() throws {
        let rows = 240_000
        let bytes = bigText(rows: rows) { r in
            r == rows / 2 ? ",\"" + String(repeating: "line\n", count: 150_000) + "\"" : (r < 0 ? "" : ",")
        }
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "flag,when\n", with: "flag,when,note\n")
        let fixed = Array(text.utf8)
        let d = try CSVLoader.load(bytes: fixed, name: "q")
        let used = fixed.withUnsafeBytes {
            CSVLoader.parallelPass($0, file: "p", sep: UInt8(ascii: ","), options: CSVOptions(), releasePages: false)
        }
        #expect(used == nil)   // the split fell inside the quoted field
        #expect(d.rowCount == rows)
        #expect(d.columns == (try serial(fixed)))
        #expect(d.column(named: "note")?.missingCount == rows - 1)
    }

    @Test func errorInSecondHalfHasSerialLocation() throws {
        var text = "a,b\n"
        for r in 0..<900_000 { text += "\(r),\(r % 7)\n" }
        text += "1,2,3\n"
        let message = tabularError { _ = try CSVLoader.load(text: text, name: "e", fileName: "big.csv") }
        #expect(message?.contains("big.csv:900002:5:") == true)
        #expect(message?.contains("too many fields") == true)
    }

    @Test func kindsThatDisagreeBetweenHalvesBecomeCategorical() throws {
        var text = "a,b\n"
        for r in 0..<500_000 { text += "\(r),\(r < 250_000 ? "1" : "true")\n" }
        let d = try CSVLoader.load(text: text, name: "k")
        #expect(d.column(named: "b")?.type == .categorical)
        #expect(d.columns == (try serial(Array(text.utf8))))
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard let range = self.range(of: target) else { return self }
        return self.replacingCharacters(in: range, with: replacement)
    }
}
