import Testing
@testable import Tabular

/// The two-thread path writes both halves in place into the final columns (`ColumnWindows`,
/// `ColumnArrays`). Whatever the split, the window sizes (exact, short, empty) and the mix of
/// rows the C kernel and the Swift loop take, the columns must be the serial parser's, bit for bit.
@Suite struct InPlaceCSVTests {
    /// The serial columns (`ParallelCSVTests.serial`: header pass, then a categorical re-read).
    func serial(_ bytes: [UInt8], options: CSVOptions = CSVOptions()) throws -> [Column] {
        try ParallelCSVTests().serial(bytes, options: options)
    }

    /// The parallel pass at `split`, finished as `CSVLoader.parse` finishes it; nil when it fell back.
    func parallel(_ bytes: [UInt8], split: Int, capacities: (first: Int, second: Int)? = nil,
                  options: CSVOptions = CSVOptions()) throws -> [Column]? {
        try bytes.withUnsafeBytes { buf in
            guard var r = CSVLoader.parallelPass(buf, file: "p", sep: UInt8(ascii: ","), options: options,
                                                 releasePages: false, split: split, capacities: capacities) else { return nil }
            if !r.demoted.isEmpty {
                r = try CSVLoader.parsePass(buf, file: "s", sep: UInt8(ascii: ","), options: options, forcedCategorical: r.demoted)
            }
            return r.builders.map { $0.finish() }
        }
    }

    /// Names, types and every value's bits (NaN included, which `==` on Double would not match).
    func bits(_ columns: [Column]) -> [String] {
        columns.map { c in
            switch c.storage {
            case .numeric(let v): return "\(c.name) \(c.type) " + v.map { String($0.bitPattern, radix: 16) }.joined(separator: " ")
            case .decimal(let d):
                // The storage too: halves reconciled at the merge must give the serial codes and scale.
                return "\(c.name) \(c.type) decimal \(d.scale) " + d.decoded().map { String($0.bitPattern, radix: 16) }.joined(separator: " ")
            case .categorical(let codes, let levels): return "\(c.name) \(c.type) \(codes) \(levels)"
            }
        }
    }

    /// Numbers the kernel takes (integers, 4 decimals, signs, exponents), empty fields, a blank
    /// line, CRLF and bare-CR line ends, a column all missing in the first rows, and a long
    /// number only the Swift loop reads.
    func mixedFile(rows: Int, seed: UInt64) -> [UInt8] {
        var g = SeededRandom(seed: seed)
        var text = "i,x,y,late,e\n"
        for r in 0..<rows {
            let i = Int(g.next() % 100_000) - 50_000
            let x = String(format4(g.nextDouble(in: -1000, 1000)))
            let y = g.next() % 7 == 0 ? "" : (g.next() % 11 == 0 ? "12345678901234567890.5" : "\(Int(g.next() % 1000))")
            let late = r < rows / 3 ? "" : "\(Double(Int(g.next() % 10_000)) / 100)"
            let e = g.next() % 5 == 0 ? "1.5e\(Int(g.next() % 20))" : "-\(Int(g.next() % 100))"
            let end = r % 17 == 5 ? "\r\n" : (r % 23 == 9 ? "\r" : "\n")
            text += "\(i),\(x),\(y),\(late),\(e)\(end)"
            if r == rows / 2 + 3 { text += "\n" }
        }
        return Array(text.utf8)
    }

    func format4(_ v: Double) -> String {
        let scaled = Int((v * 10_000).rounded())
        let sign = scaled < 0 ? "-" : ""
        let a = abs(scaled)
        let frac = String(a % 10_000)
        return "\(sign)\(a / 10_000)." + String(repeating: "0", count: 4 - frac.count) + frac
    }

    @Test func everySplitOffsetEqualsSerialBitForBit() throws {
        let bytes = mixedFile(rows: 60, seed: 3)
        let expected = bits(try serial(bytes))
        var ran = 0
        for split in 0..<bytes.count {
            // Exact windows, a short second window, two short windows, empty windows.
            for caps in [nil, (first: 1_000, second: 2), (first: 3, second: 1), (first: 0, second: 0)] as [(first: Int, second: Int)?] {
                guard let got = try parallel(bytes, split: split, capacities: caps) else { continue }
                ran += 1
                #expect(bits(got) == expected, "split \(split) capacities \(String(describing: caps))")
            }
        }
        #expect(ran > 3 * 50)   // the in-place path really ran at almost every split
    }

    @Test func shortEstimateSpillsInOrder() throws {
        // Long rows in the first half, short ones after: the second half's estimate (scaled by
        // bytes) is far short, so most of its values spill and are copied in after its window.
        var text = "a,b\n"
        for r in 0..<10 { text += "\(r).\(String(repeating: "1", count: 12)),\(String(repeating: "7", count: 150))\n" }
        for r in 0..<2_000 { text += "\(r % 10),\(r % 3)\n" }
        let bytes = Array(text.utf8)
        let middle = 4 + 10 * 170
        let got = try #require(try parallel(bytes, split: middle - 20))
        #expect(bits(got) == bits(try serial(bytes)))
        #expect(got.first?.count == 2_010)
    }

    @Test func textAndKindChangesWithWindows() throws {
        // A categorical column (no kernel: the Swift loop pushes into the windows), a column
        // that turns categorical in the second half, booleans and dates.
        var text = "n,city,b,d,m\n"
        for r in 0..<400 {
            let m = r < 300 ? "\(r)" : "x\(r % 4)"
            text += "\(r).5,\(["Oslo", "Lima"][r % 2]),\(r % 3 == 0),2024-02-\(r % 9 + 10),\(m)\n"
        }
        let bytes = Array(text.utf8)
        let expected = bits(try serial(bytes))
        for split in stride(from: 20, to: bytes.count - 40, by: 97) {   // not in the last row (no second half)
            for caps in [nil, (first: 5, second: 5)] as [(first: Int, second: Int)?] {
                let got = try #require(try parallel(bytes, split: split, capacities: caps))
                #expect(bits(got) == expected, "split \(split)")
            }
        }
    }

    @Test func forcedIntegerErrorFallsBackWithSerialLocation() throws {
        var text = "a,b\n"
        for r in 0..<200 { text += "\(r),\(r == 150 ? "2.5" : "\(r)")\n" }
        let options = CSVOptions(types: ["b": .integer])
        let bytes = Array(text.utf8)
        #expect(try parallel(bytes, split: 100, options: options) == nil)
        let message = tabularError { _ = try CSVLoader.load(bytes: bytes, name: "f", fileName: "f.csv", options: options) }
        #expect(message?.contains("f.csv:152:") == true)
    }

    @Test func rowEndCountMatchesTheParsersLineEnds() {
        let text = Array("a\nb\r\nc\rd\r\r\n\n\r".utf8)
        text.withUnsafeBufferPointer { p in
            guard let b = p.baseAddress else { return }
            #expect(CSVLoader.rowEnds(b, from: 0, to: text.count, count: text.count) == 7)
            // Every split of the range sums to the whole (a CRLF across the cut counts once).
            for cut in 0...text.count {
                #expect(CSVLoader.rowEnds(b, from: 0, to: cut, count: text.count)
                        + CSVLoader.rowEnds(b, from: cut, to: text.count, count: text.count) == 7)
            }
        }
    }
}
