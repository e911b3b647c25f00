import Foundation
import Testing
@testable import Tabular

/// `Preprocessor.fit` takes a clean column's sums with `ck_sum4` (no per-row tests) and scans
/// only the other columns: the statistics must keep the bits of `sum4` and the errors their
/// precedence.
@Suite struct PreprocessorStatisticsTests {
    static func column(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in rng.nextDouble() * 1e3 - 250 + 1e6 }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 1001, 4099])
    func cleanColumnsKeepTheSum4Bits(_ n: Int) throws {
        let v = Self.column(n, seed: UInt64(n)), y = Self.column(n, seed: 99)
        let all = [Bool](repeating: true, count: n)
        for (target, missingTarget) in [(y, false), (y.enumerated().map { $0.offset == 0 ? Double.nan : $0.element }, true)]
        where !(missingTarget && n == 1) {
            let data = Dataset(name: "d", columns: [.numeric("x", v), .numeric("y", target)], target: "y")
            let pre = try Preprocessor.fit(data, features: ["x"], target: "y", classification: false, impute: .mean)
            guard case .numeric(let mean, let std, let fill) = pre.features[0].kind else { Issue.record("not numeric"); return }
            var usable = all
            if missingTarget { usable[0] = false }
            let (sum, count) = Preprocessor.sum4(v, usable, centre: nil)
            if count == 0 { continue }
            let wantMean = sum / Double(count)
            let (ss, _) = Preprocessor.sum4(v, usable, centre: wantMean)
            var wantStd = (ss / Double(count)).squareRoot()
            if !(wantStd > 0) { wantStd = 1 }
            #expect(mean.bitPattern == wantMean.bitPattern && std.bitPattern == wantStd.bitPattern, "n \(n)")
            #expect(fill == wantMean)
        }
    }

    @Test func errorsKeepTheirPrecedence() throws {
        let n = 50
        var a = Self.column(n, seed: 1), b = Self.column(n, seed: 2)
        let y = Self.column(n, seed: 3)
        // A missing value in an earlier column (impute none) before an infinity in a later one.
        a[7] = .nan
        b[9] = .infinity
        let data = Dataset(name: "d", columns: [.numeric("a", a), .numeric("b", b), .numeric("y", y)], target: "y")
        #expect(throws: PreprocessingError.missingValues(column: "a", rows: 1)) {
            try Preprocessor.fit(data, features: ["a", "b"], target: "y", classification: false)
        }
        // impute mean: the missing value is filled, the infinity is the error.
        #expect(throws: PreprocessingError.nonFiniteValue(column: "b", row: 9, value: .infinity)) {
            try Preprocessor.fit(data, features: ["a", "b"], target: "y", classification: false, impute: .mean)
        }
        // A column with every value missing (impute mean) is reported after every scan: the later
        // column's infinity comes first.
        let empty = [Double](repeating: .nan, count: n)
        let data2 = Dataset(name: "d", columns: [.numeric("a", empty), .numeric("b", b), .numeric("y", y)], target: "y")
        #expect(throws: PreprocessingError.nonFiniteValue(column: "b", row: 9, value: .infinity)) {
            try Preprocessor.fit(data2, features: ["a", "b"], target: "y", classification: false, impute: .mean)
        }
        let data3 = Dataset(name: "d", columns: [.numeric("a", empty), .numeric("b", y), .numeric("y", y)], target: "y")
        #expect(throws: PreprocessingError.missingValues(column: "a", rows: n)) {
            try Preprocessor.fit(data3, features: ["a", "b"], target: "y", classification: false, impute: .mean)
        }
        // Finite values whose sum overflows are not an error (the scan decides, not the sum).
        let huge = [Double](repeating: 1.5e308, count: 8)
        let data4 = Dataset(name: "d", columns: [.numeric("a", huge), .numeric("y", Array(y.prefix(8)))], target: "y")
        let pre = try Preprocessor.fit(data4, features: ["a"], target: "y", classification: false)
        #expect(pre.features.count == 1)
    }
}
