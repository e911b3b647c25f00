import Foundation
import Testing
@testable import Tabular

/// Decimal column storage (`DecimalCodes`): every loaded value's bits must equal a Float64
/// load's (columns forced to `float`, which keep Float64 storage) and strtod's of the token,
/// whatever the mix of scales, fallbacks and paths (row kernel, Swift loop, two halves).
@Suite struct DecimalStorageTests {
    func pass(_ bytes: [UInt8], kernel: Bool = true, options: CSVOptions = CSVOptions()) throws -> [Column] {
        try bytes.withUnsafeBytes { buf in
            let r = try CSVLoader.parsePass(buf, file: "d.csv", sep: UInt8(ascii: ","), options: options,
                                            forcedCategorical: [], rowKernel: kernel)
            return r.builders.map { $0.finish() }
        }
    }

    func bitsOf(_ c: Column) -> [UInt64] { (c.doubles ?? []).map(\.bitPattern) }

    func storageName(_ c: Column) -> String {
        switch c.storage {
        case .numeric: return "float64"
        case .decimal(let d): return "decimal \(d.scale)"
        case .categorical: return "categorical"
        }
    }

    struct Gen {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: UInt64) -> UInt64 { next() % n }
    }

    /// A random decimal token with `decimals` digits after the point (none: an integer).
    func token(_ g: inout Gen, decimals: Int, maxInt: UInt64 = 100_000) -> String {
        var sign = g.below(3) == 0 ? "-" : (g.below(20) == 0 ? "+" : "")
        let ip = g.below(maxInt)
        var frac = ""
        for _ in 0..<decimals { frac += String(g.below(10)) }
        // No −0 here (a column holding one is Float64; the flavours put it where meant).
        if ip == 0 && frac.allSatisfy({ $0 == "0" }) && sign == "-" { sign = "" }
        if decimals == 0 { return "\(sign)\(ip)" }
        return "\(sign)\(ip).\(frac)"
    }

    /// Columns of each flavour and what their storage must be.
    func flavours(rows: Int, seed: UInt64) -> (text: String, tokens: [[String]], expected: [String]) {
        var g = Gen(state: seed)
        let names = ["ints", "four", "mixed", "nine", "negzero", "ten", "big", "overflow", "exp", "missing", "zeros"]
        var cols = [[String]](repeating: [], count: names.count)
        for r in 0..<rows {
            cols[0].append(token(&g, decimals: 0, maxInt: 1_000_000))
            cols[1].append(token(&g, decimals: 4, maxInt: 1000))
            // Scales growing over the rows (0, then 1, 2, 3 decimals): codes rescaled.
            cols[2].append(token(&g, decimals: min(3, r * 4 / rows), maxInt: 1000))
            cols[3].append(token(&g, decimals: Int(g.below(10)), maxInt: 2))
            cols[4].append(r == rows - 3 ? ["-0", "-0.0000", "-0.0"][Int(seed % 3)] : token(&g, decimals: 2, maxInt: 100))
            cols[5].append(r == rows / 2 ? "0.1234567891" : token(&g, decimals: 1, maxInt: 100))
            cols[6].append(r % 7 == 0 ? ["2147483647", "-2147483647", "2147483646", "-2147483646"][r / 7 % 4] : token(&g, decimals: 0))
            // 2^31 itself has no code: Float64.
            cols[7].append(r == rows / 3 ? "2147483648" : token(&g, decimals: 0))
            cols[8].append(["1e5", "1.5e-3", "25E+2", "-7e0"][r % 4])
            cols[9].append(g.below(4) == 0 ? "" : token(&g, decimals: 2, maxInt: 50))
            cols[10].append(["1.500", "2.50", "0.0", "3", "-4.000000000"][r % 5])
        }
        let expected = ["decimal 0", "decimal 4", "decimal 3", "decimal 9", "float64", "float64", "decimal 0",
                        "float64", "decimal 4", "decimal 2", "decimal 1"]
        var text = names.joined(separator: ",") + "\n"
        for r in 0..<rows { text += cols.map { $0[r] }.joined(separator: ",") + "\n" }
        return (text, cols, expected)
    }

    @Test func everyValueHasTheFloat64LoadsBitsAndStrtods() throws {
        for seed in UInt64(1)...6 {
            let f = flavours(rows: 600, seed: seed)
            let bytes = Array(f.text.utf8)
            let kernel = try pass(bytes)
            let swift = try pass(bytes, kernel: false)
            let loaded = try CSVLoader.load(text: f.text, name: "d").columns
            var forced = CSVOptions()
            for c in kernel { forced.types[c.name] = .float }
            let reference = try pass(bytes, options: forced)
            for k in kernel.indices {
                if case .decimal = reference[k].storage { Issue.record("a forced column must stay Float64") }
                #expect(storageName(kernel[k]) == f.expected[k], "\(kernel[k].name) seed \(seed)")
                #expect(storageName(swift[k]) == storageName(kernel[k]), "\(kernel[k].name)")
                #expect(storageName(loaded[k]) == storageName(kernel[k]), "\(kernel[k].name)")
                #expect(kernel[k].storage == swift[k].storage)
                #expect(bitsOf(kernel[k]) == bitsOf(reference[k]), "\(kernel[k].name) seed \(seed)")
                #expect(bitsOf(swift[k]) == bitsOf(reference[k]), "\(kernel[k].name) seed \(seed)")
                #expect(bitsOf(loaded[k]) == bitsOf(reference[k]), "\(kernel[k].name) seed \(seed)")
                let values = kernel[k].doubles ?? []
                for (t, v) in zip(f.tokens[k], values) {
                    let ref = t.isEmpty ? Double.nan : strtod(t, nil)
                    #expect(ref.bitPattern == v.bitPattern, "\(kernel[k].name): \(t) → \(v), strtod \(ref)")
                }
            }
            // Fingerprints hash the decoded bits: a decimal load's equals the Float64 one's.
            let d = Dataset(name: "d", columns: kernel)
            let f64 = Dataset(name: "d", columns: kernel.map(\.float64))
            #expect(d.fingerprint() == f64.fingerprint())
        }
    }

    @Test func randomDecimalsOfEveryScaleAndSignRoundTrip() throws {
        var g = Gen(state: 42)
        var tokens: [String] = []
        var text = "x\n"
        for _ in 0..<20_000 {
            let decimals = Int(g.below(10))
            let t = token(&g, decimals: decimals, maxInt: [10, 1000, 100_000, 2_147_483_648][Int(g.below(4))])
            tokens.append(t)
            text += t + "\n"
        }
        for kernel in [true, false] {
            let c = try #require(try pass(Array(text.utf8), kernel: kernel).first)
            let v = c.doubles ?? []
            #expect(v.count == tokens.count)
            for (t, x) in zip(tokens, v) where strtod(t, nil).bitPattern != x.bitPattern {
                Issue.record("\(t) → \(x) (kernel \(kernel))")
                break
            }
        }
        // One file per scale: each column decimal at exactly its scale, values exact.
        for s in 0...9 {
            var t = "x\n"
            var toks: [String] = []
            for _ in 0..<2000 {
                let tok = token(&g, decimals: s, maxInt: min(1000, 2_147_483_647 / UInt64(pow(10.0, Double(s)))))   // |code| < 2^31
                toks.append(tok)
                t += tok + "\n"
            }
            let c = try #require(try pass(Array(t.utf8)).first)
            guard case .decimal(let d) = c.storage else { Issue.record("scale \(s): not decimal"); continue }
            #expect(d.scale == s)
            for (tok, x) in zip(toks, c.doubles ?? []) where strtod(tok, nil).bitPattern != x.bitPattern {
                Issue.record("scale \(s): \(tok) → \(x)")
                break
            }
        }
    }

    /// The two-thread path at every split of a small file whose halves end with different scales,
    /// one half falling back (−0, 2^31) or a rescale at the merge overflowing: the serial columns,
    /// storage included.
    @Test func everySplitReconcilesScalesAndFallbacks() throws {
        var text = "a,b,c,d,e,f\n"
        for r in 0..<48 {
            let late = r >= 30
            let a = late ? "\(r).125" : "\(r).5"                       // scale 1 then 3: rescaled at the merge
            let b = r == 40 ? "-0.0" : "\(r)"                          // falls back late
            let c = r == 5 ? "214748365" : (r == 44 ? "0.5" : "\(r)")   // a rescale by 10 overflows
            let d = r % 9 == 0 ? "" : (late ? "1.25" : "2")             // missing, scale 0 then 2
            let e = r == 10 ? "2147483648" : "\(r).0"                   // falls back early
            let f = r < 20 ? "-\(r).25" : "\(r)"                         // scale 2 then 0: the second half rescaled
            text += "\(a),\(b),\(c),\(d),\(e),\(f)\n"
        }
        let bytes = Array(text.utf8)
        let inPlace = InPlaceCSVTests()
        let expected = inPlace.bits(try inPlace.serial(bytes))
        #expect(expected[0].contains("decimal 3"))
        #expect(!expected[1].contains("decimal"))
        #expect(!expected[2].contains("decimal"))
        #expect(expected[3].contains("decimal 2"))
        #expect(!expected[4].contains("decimal"))
        #expect(expected[5].contains("decimal 2"))
        var compared = 0
        for split in 0..<bytes.count {
            for caps in [nil, (first: 3, second: 2), (first: 0, second: 0), (first: 100, second: 100)] as [(first: Int, second: Int)?] {
                guard let got = try inPlace.parallel(bytes, split: split, capacities: caps) else { continue }
                compared += 1
                #expect(inPlace.bits(got) == expected, "split \(split) capacities \(String(describing: caps))")
            }
        }
        #expect(compared > bytes.count)
    }

    /// Consumers read the codes (or decode once) and give the Float64 storage's results.
    @Test func consumersGiveTheFloat64Results() throws {
        var g = Gen(state: 7)
        var text = "k,x,y,z\n"
        for r in 0..<400 {
            text += "\(r % 5),\(token(&g, decimals: 3, maxInt: 50)),\(g.below(10) == 0 ? "" : token(&g, decimals: 1, maxInt: 9)),\(token(&g, decimals: 2, maxInt: 100))\n"
        }
        let d = try CSVLoader.load(text: text, name: "d", options: CSVOptions(target: "z"))
        #expect(d.columns.allSatisfy { if case .decimal = $0.storage { return true } else { return false } })
        var f = d
        f.columns = d.columns.map(\.float64)
        #expect(d.fingerprint() == f.fingerprint())
        #expect(d.describe() == f.describe())
        let e = RowExpr.compare(.gt, .column("x"), .number(10))
        let fd = try d.filter(e, name: "f"), ff = try f.filter(e, name: "f")
        #expect(fd.fingerprint() == ff.fingerprint())
        #expect(fd.columns.allSatisfy { if case .decimal = $0.storage { return true } else { return false } })
        let cd = try Dataset.concat(d, fd, name: "c"), cf = try Dataset.concat(f, ff, name: "c")
        #expect(cd.fingerprint() == cf.fingerprint())
        let (s1, s2) = try d.split(at: 0.7, seed: 3, names: ("a", "b"))
        let (t1, t2) = try f.split(at: 0.7, seed: 3, names: ("a", "b"))
        #expect(s1.fingerprint() == t1.fingerprint() && s2.fingerprint() == t2.fingerprint())
        for c in d.columns.indices {
            let a = d.columns[c], b = f.columns[c]
            #expect(a.missingCount == b.missingCount)
            #expect((0..<a.count).allSatisfy { a.isMissing($0) == b.isMissing($0) && a.value($0)?.bitPattern == b.value($0)?.bitPattern })
            #expect(a.summary() == b.summary())
            #expect(a.presentValues.map(\.bitPattern) == b.presentValues.map(\.bitPattern))
        }
        #expect(d.formattedValue(row: 3, column: 1) == f.formattedValue(row: 3, column: 1))
        // Concat of columns at different scales: rescaled exactly.
        let one = try CSVLoader.load(text: "x,y\n1.5,1\n2,2\n", name: "a"), two = try CSVLoader.load(text: "x,y\n0.125,1\n,2\n", name: "b")
        let both = try Dataset.concat(one, two, name: "ab")
        #expect(both.columns[0].doubles?.map(\.bitPattern) == [1.5, 2, 0.125, .nan].map(\.bitPattern))
        if case .decimal(let dc) = both.columns[0].storage { #expect(dc.scale == 3) } else { Issue.record("not decimal") }
    }
}
