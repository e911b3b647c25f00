import Testing
@testable import Render

@Suite struct NumberFormatTests {
    @Test(arguments: [
        (1.0, "1"), (3.0, "3"), (-2.5, "-2.5"), (0.1, "0.1"), (1.0 / 3.0, "0.333333"),
        (2.0 / 3.0, "0.666667"), (123456.0, "123456"), (1234567.0, "1.23457e+06"),
        (0.0001234, "0.0001234"), (0.00001234, "1.234e-05"), (1e100, "1e+100"),
        (-0.0, "0"), (0.0, "0"), (999999.5, "1e+06"), (9.9999996, "10"), (1e-300, "1e-300"),
        (Double.leastNonzeroMagnitude, "5e-324"), (123.456789, "123.457"), (0.5, "0.5"), (100.0, "100"),
        (12.5, "12.5"), (1.25e-7, "1.25e-07"), (-1234567.0, "-1.23457e+06"),
    ] as [(Double, String)])
    func significantSix(_ x: Double, _ expected: String) {
        #expect(NumberFormat.significant(x, digits: 6) == expected)
    }

    @Test func significantOtherDigits() {
        #expect(NumberFormat.significant(3.14159265, digits: 3) == "3.14")
        #expect(NumberFormat.significant(2.5, digits: 1) == "3")        // half away from zero
        #expect(NumberFormat.significant(-2.5, digits: 1) == "-3")
        #expect(NumberFormat.significant(0.000999, digits: 2) == "0.001")
        #expect(NumberFormat.significant(99.99, digits: 2) == "1e+02")
        #expect(NumberFormat.significant(1.0 / 3.0, digits: 17) == "0.3333333333333333")   // shortest digits only
        #expect(NumberFormat.significant(42, digits: 0) == "4e+01")     // clamped to 1 digit
    }

    @Test func nonFinite() {
        #expect(NumberFormat.significant(.nan) == "NaN")
        #expect(NumberFormat.significant(.infinity) == "inf")
        #expect(NumberFormat.significant(-.infinity) == "-inf")
        #expect(NumberFormat.fixed(.nan, decimals: 2) == "NaN")
        #expect(NumberFormat.roundTrip(-.infinity) == "-inf")
    }

    @Test func fixedDecimals() {
        #expect(NumberFormat.fixed(2.5, decimals: 2) == "2.50")
        #expect(NumberFormat.fixed(1.005, decimals: 2) == "1.01")   // decimal digits, not binary
        #expect(NumberFormat.fixed(0.004, decimals: 2) == "0.00")
        #expect(NumberFormat.fixed(-0.004, decimals: 2) == "0.00")
        #expect(NumberFormat.fixed(0.5, decimals: 0) == "1")
        #expect(NumberFormat.fixed(0.05, decimals: 1) == "0.1")
        #expect(NumberFormat.fixed(1234.5678, decimals: 1) == "1234.6")
        #expect(NumberFormat.fixed(1e20, decimals: 1) == "100000000000000000000.0")
        #expect(NumberFormat.fixed(-12.0, decimals: 3) == "-12.000")
        #expect(NumberFormat.fixed(9.999, decimals: 2) == "10.00")
    }

    @Test func roundTripReadsBack() throws {
        for x in [0.1, 1.0 / 3.0, 1e-5, 123456789.123, 2.0, -7.0, 1e300, Double.leastNonzeroMagnitude, 9007199254740993.0] {
            let s = NumberFormat.roundTrip(x)
            let back = try #require(Double(s))
            #expect(back == x, "\(s)")
        }
        #expect(NumberFormat.roundTrip(3.0) == "3")
        #expect(NumberFormat.roundTrip(0.1) == "0.1")
        #expect(NumberFormat.roundTrip(1e16) == "1e+16")
    }

    @Test func friends() {
        #expect(NumberFormat.grouped(1234567) == "1,234,567")
        #expect(NumberFormat.grouped(-1000) == "-1,000")
        #expect(NumberFormat.grouped(999) == "999")
        #expect(NumberFormat.compact(950) == "950")
        #expect(NumberFormat.compact(12_345) == "12.3k")
        #expect(NumberFormat.compact(4_560_000) == "4.56M")
        #expect(NumberFormat.compact(999_999) == "1M")
        #expect(NumberFormat.duration(0.423) == "0.42s")
        #expect(NumberFormat.duration(12.34) == "12.3s")
        #expect(NumberFormat.duration(245) == "4:05")
        #expect(NumberFormat.duration(3723) == "1:02:03")
    }
}
