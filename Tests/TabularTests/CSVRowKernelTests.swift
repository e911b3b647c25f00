import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import Tabular

/// The C row kernel (`ck_csv_numeric_rows`) must give what the Swift loop gives on every input:
/// the same values to the bit, the same column types, the same errors at the same places.
@Suite struct CSVRowKernelTests {
    /// A serial load with or without the row kernel (the categorical re-read included).
    func load(_ bytes: [UInt8], kernel: Bool, options: CSVOptions = CSVOptions(),
              sep: UInt8 = UInt8(ascii: ",")) throws -> [Column] {
        try bytes.withUnsafeBytes { buf in
            var r = try CSVLoader.parsePass(buf, file: "k.csv", sep: sep, options: options, forcedCategorical: [],
                                            rowKernel: kernel)
            if !r.demoted.isEmpty {
                r = try CSVLoader.parsePass(buf, file: "k.csv", sep: sep, options: options, forcedCategorical: r.demoted,
                                            rowKernel: kernel)
            }
            return r.builders.map { $0.finish() }
        }
    }

    /// Columns equal, numbers compared by bit pattern (NaN and -0 included).
    func sameBits(_ a: [Column], _ b: [Column]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            guard x.name == y.name, x.type == y.type else { return false }
            switch (x.storage, y.storage) {
            case (.numeric(let u), .numeric(let v)):
                guard u.count == v.count else { return false }
                for k in u.indices where u[k].bitPattern != v[k].bitPattern { return false }
            case (.decimal(let u), .decimal(let v)):
                // The same storage (codes and scale), so also the same decoded bits.
                guard u == v else { return false }
            case (.categorical, .categorical):
                guard x.storage == y.storage else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// Both paths, compared; returns the kernel's columns (or both paths' error, which must agree).
    @discardableResult
    func compare(_ text: String, options: CSVOptions = CSVOptions(), sourceLocation: SourceLocation = #_sourceLocation) -> [Column]? {
        let bytes = Array(text.utf8)
        var withKernel: [Column]?
        var without: [Column]?
        let e1 = tabularError { withKernel = try load(bytes, kernel: true, options: options) }
        let e2 = tabularError { without = try load(bytes, kernel: false, options: options) }
        #expect(e1 == e2, sourceLocation: sourceLocation)
        if let a = withKernel, let b = without {
            #expect(sameBits(a, b), "\(text.prefix(200))", sourceLocation: sourceLocation)
        } else {
            #expect(withKernel == nil && without == nil, sourceLocation: sourceLocation)
        }
        return withKernel
    }

    func randomNumber(_ g: inout SeededRandom, minExp: Int = 0, maxExp: Int = 4) -> String {
        var s = ""
        switch g.nextInt(below: 6) { case 0: s += "-"; case 1: s += "+"; default: break }
        let digits = 1 + g.nextInt(below: 22)
        let whole = g.nextInt(below: digits + 1)
        for _ in 0..<whole { s += String(g.nextInt(below: 10)) }
        if whole < digits || g.nextInt(below: 3) == 0 {
            s += "."
            for _ in whole..<digits { s += String(g.nextInt(below: 10)) }
        }
        if g.nextInt(below: 5) == 0 {
            s += g.nextInt(below: 2) == 0 ? "e" : "E"
            switch g.nextInt(below: 3) { case 0: s += "-"; case 1: s += "+"; default: break }
            for _ in 0..<(minExp + g.nextInt(below: maxExp - minExp + 1)) { s += String(g.nextInt(below: 10)) }
        }
        return s
    }

    @Test func randomNumbersHaveTheSwiftParsersBitsAndStrtodsValue() throws {
        var g = SeededRandom(seed: 7)
        var tokens: [String] = []
        var text = "a\n"
        for _ in 0..<60_000 {
            let t = randomNumber(&g, minExp: 1, maxExp: 2)   // numbers only, none overflowing
            tokens.append(t)
            text += t + "\n"
        }
        // One column of each token alone, so that a token only the slow path takes cannot
        // stop the others from reaching the kernel.
        for _ in 0..<3000 { compare("x\n" + randomNumber(&g) + "\n") }
        // Many tokens per file: each accepted value equals strtod's.
        let cols = try #require(compare(text))
        guard let values = cols[0].doubles else {
            Issue.record("not numeric: \(cols[0].type)")
            return
        }
        #expect(values.count == tokens.count)
        for (t, v) in zip(tokens, values) {
            let ref = strtod(t, nil)
            #expect(ref.bitPattern == v.bitPattern, "\(t): \(v) vs strtod \(ref)")
        }
    }

    @Test func adversarialNumbers() {
        let cases = [
            "-0", "+0", "-0.0", "0e999", "-0e-999", "+5", "-.5", ".5", "5.", "-5.", "+.e5", ".", "-", "+", "e5",
            "1e", "1e+", "1e-", "1E5", "1e22", "1e23", "1e-22", "1e-23", "1.5e-20", "123456789e-22",
            "9007199254740992", "9007199254740993", "-9007199254740993", "90071992547409921",
            "1234567890123456789", "12345678901234567890", "0000000000000000000001", "000000000000000000001",
            "1.000000000000000000", "1.0000000000000000000", "4.9e-324", "1.7976931348623157e308", "1e309",
            "123.456e3", "0.1", "0.30000000000000004", "1e0001", "1e1000", "1e00000000000000000000005",
            "inf", "-inf", "nan", "NaN", "infinity", "1,5", "12a", "0x10", "1_000", " 1", "1 ", "\"1\"", "\"\"",
        ]
        for c in cases {
            compare("x\n\(c)\n")
            compare("x,y\n1,2\n\(c),3\n4.5,6\n")
            compare("x,y\n1,2\n3,\(c)\n4,6.5\n")
            compare("x,y\n1,2\n3,\(c)")   // no line end at the end of the file
        }
    }

    @Test func kindsAreInferredAsBefore() throws {
        // integer stays integer; a fraction or exponent anywhere makes float; all-missing stays float.
        let rows = (0..<5000).map { r in
            "\(r),\(r % 7),\(r == 4321 ? "1.5" : "\(r)"),\(r == 4999 ? "1e2" : "3"),,\(r % 3 == 0 ? "" : "\(r)")"
        }
        let cols = try #require(compare("a,b,c,d,e,f\n" + rows.joined(separator: "\n") + "\n"))
        #expect(cols.map(\.type) == [.integer, .integer, .float, .float, .float, .integer])
        // text after numbers demotes the column to categorical, the others are untouched
        compare("a,b\n" + (0..<3000).map { "\($0),\($0 == 2500 ? "x" : "\($0)")" }.joined(separator: "\n") + "\n")
        compare("a,b\n" + (0..<3000).map { "\($0),\($0 == 2500 ? "true" : "1")" }.joined(separator: "\n") + "\n")
        compare("a,b\n" + (0..<3000).map { "\($0),\($0 == 2 ? "2024-01-02" : "")" }.joined(separator: "\n") + "\n")
        compare("a,b\n" + (0..<3000).map { "\($0),\($0 < 2000 ? "" : "\($0)")" }.joined(separator: "\n") + "\n")
        compare("a,b\n" + (0..<3000).map { "\($0),\($0 < 2000 ? "" : "v")" }.joined(separator: "\n") + "\n")
    }

    @Test func lineEndsQuotesAndMissingTokens() {
        let body = (0..<2000).map { "\($0),-\($0).25,\($0 % 5)" }
        compare("a,b,c\r\n" + body.joined(separator: "\r\n") + "\r\n")
        compare("a,b,c\r" + body.joined(separator: "\r") + "\r")
        compare("a,b,c\n" + body.joined(separator: "\n\n") + "\n\n\n")
        compare("a,b,c\n" + body.joined(separator: "\n") + "\r\n1,2,3\r4,5,6\n")
        compare("a,b,c\n" + body.joined(separator: "\n") + "\n\"7\",8,9\n10,\"\",11\n")
        compare("a,b,c\n" + body.joined(separator: "\n") + "\nNA,1,2\n3,NA,4\n", options: CSVOptions(missingToken: "NA"))
        compare("a,b,c\n" + body.joined(separator: "\n") + "\n-999,1,2\n", options: CSVOptions(missingToken: "-999"))
        compare("a;b;c\n" + body.map { String($0.map { $0 == "," ? ";" : $0 }) }.joined(separator: "\n") + "\n",
                options: CSVOptions(separator: ";"))
        compare("a,b,c\n" + body.joined(separator: "\n") + "\n1,2,\n")
        compare("a,b,c\n" + body.joined(separator: "\n") + "\n1,2,")
        compare("a,b,c\n" + body.joined(separator: "\n") + "\n,,\n")
        compare("a\n" + (0..<2000).map { $0 % 9 == 0 ? "" : "\($0)" }.joined(separator: "\n") + "\n")
    }

    @Test func errorsKeepTheirLocations() {
        let body = (0..<2000).map { "\($0),\($0).5,\($0 % 5)" }.joined(separator: "\n")
        let bad = ["1,2,3,4", "1,2", "1,2\u{07},3", "1,2\u{0},3", "1,2\"x,3", "1,1e400,3", "1,inf,3", "1,\"2\"x,3", "1,2,3,"]
        for b in bad {
            let text = "a,b,c\n" + body + "\n" + b + "\n4,5,6\n"
            compare(text)
            let message = tabularError { _ = try CSVLoader.load(text: text, name: "e", fileName: "bad.csv") }
            #expect(message?.contains("bad.csv:2002:") == true, "\(b): \(message ?? "no error")")
        }
        // A forced integer column meeting a fraction is reported at that field, as before.
        let text = "a,b,c\n" + body + "\n1,2,3.5\n"
        let options = CSVOptions(types: ["c": .integer])
        compare(text, options: options)
        let message = tabularError { _ = try CSVLoader.load(text: text, name: "e", fileName: "f.csv", options: options) }
        #expect(message?.contains("f.csv:2002:5:") == true, "\(message ?? "no error")")
        #expect(message?.contains("not an integer") == true)
    }

    @Test func benchShapedFileThroughThePublicLoader() throws {
        // The csvgen shape, big enough for the two-thread split: the same columns as without the kernel.
        var g = SeededRandom(seed: 1)
        var text = (0..<20).map { "c\($0)" }.joined(separator: ",") + "\n"
        for _ in 0..<60_000 {
            let row = (0..<20).map { c -> String in
                let v = Int(g.next() % 2_000_000) - 1_000_000
                if c % 5 == 0 { return String(v) }
                let whole = v / 1000, frac = abs(v % 1000)
                return (v < 0 && whole == 0 ? "-" : "") + "\(whole).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)0"
            }
            text += row.joined(separator: ",") + "\n"
        }
        let bytes = Array(text.utf8)
        #expect(bytes.count > CSVLoader.parallelThreshold)
        let d = try CSVLoader.load(bytes: bytes, name: "bench")
        let reference = try load(bytes, kernel: false)
        #expect(sameBits(d.columns, reference))
        #expect(d.columns.map(\.type) == (0..<20).map { $0 % 5 == 0 ? .integer : .float })
    }
}
