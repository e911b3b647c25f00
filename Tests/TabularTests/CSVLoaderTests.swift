import Foundation
import Testing
@testable import Tabular

@Suite struct CSVLoaderTests {
    @Test func infersTypesAndCountsMissing() throws {
        let text = """
        id,score,ok,day,at,city
        1,2.5,true,2024-01-31,2024-01-31T10:20:30,Paris
        2,,false,2024-02-29,2024-02-29 00:00,
        3,-1e3,TRUE,,2024-03-01T00:00:00Z,Oslo
        """
        let d = try CSVLoader.load(text: text, name: "t")
        #expect(d.rowCount == 3)
        #expect(d.columns.map(\.type) == [.integer, .float, .boolean, .date, .datetime, .categorical])
        #expect(d.columns.map(\.missingCount) == [0, 1, 0, 1, 0, 1])
        #expect(d.column(named: "score")?.doubles?[2] == -1000)
        #expect(d.column(named: "ok")?.doubles == [1, 0, 1])
        #expect(d.formattedValue(row: 0, column: 3) == "2024-01-31")
        #expect(d.formattedValue(row: 0, column: 4) == "2024-01-31T10:20:30")
        #expect(d.formattedValue(row: 1, column: 5) == "NA")
        #expect(d.formattedValue(row: 2, column: 5) == "Oslo")
        #expect(d.formattedValue(row: 0, column: 1) == "2.5")
        #expect(d.formattedValue(row: 0, column: 0) == "1")
        let seconds = try #require(d.column(named: "day")?.doubles?[0])
        #expect(seconds == Double(ISODate.daysFromCivil(year: 2024, month: 1, day: 31)) * 86_400)
        #expect(seconds == 1_706_659_200)
    }

    @Test func quotedFieldsWithSeparatorsQuotesAndNewlines() throws {
        let text = "name,note,n\r\n\"Smith, J\",\"said \"\"hi\"\"\",1\r\n\"multi\nline\",\"\",2\r\n"
        let d = try CSVLoader.load(text: text, name: "q")
        #expect(d.rowCount == 2)
        #expect(d.formattedValue(row: 0, column: 0) == "Smith, J")
        #expect(d.formattedValue(row: 0, column: 1) == "said \"hi\"")
        #expect(d.formattedValue(row: 1, column: 0) == "multi\nline")
        #expect(d.column(named: "note")?.missingCount == 1)
        #expect(d.column(named: "n")?.type == .integer)
    }

    @Test func bomSeparatorAndMissingToken() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a;b\n1;NA\n2;3.5\nNA;4\n".utf8)
        let d = try CSVLoader.load(bytes: bytes, name: "s", options: CSVOptions(separator: ";", missingToken: "NA"))
        #expect(d.columnNames == ["a", "b"])
        #expect(d.columns.map(\.type) == [.integer, .float])
        #expect(d.columns.map(\.missingCount) == [1, 1])
    }

    @Test func numericMissingToken() throws {
        let d = try CSVLoader.load(text: "a,b\n1,-999\n-999,2.5\n", name: "m", options: CSVOptions(missingToken: "-999"))
        #expect(d.columns.map(\.missingCount) == [1, 1])
        #expect(d.column(named: "b")?.doubles?[1] == 2.5)
    }

    @Test func longDigitRunsAndExponents() throws {
        let samples = ["12345678", "123456789012345678", "1234567890123456789012", "-0.00000001234567891",
                       "12345678.87654321", "1E5", "2.5e-3", "7e22", "7e23", "-0", "+42"]
        let d = try CSVLoader.load(text: "x,y\n" + samples.map { $0 + ",1" }.joined(separator: "\n"), name: "n")
        let v = try #require(d.column(named: "x")?.doubles)
        for (k, s) in samples.enumerated() { #expect(v[k] == strtod(s, nil), "\(s)") }
        #expect(d.column(named: "x")?.type == .float)
        let ints = try CSVLoader.load(text: "x\n12345678\n-87654321\n", name: "i")
        #expect(ints.column(named: "x")?.type == .integer)
        #expect(ints.column(named: "x")?.doubles == [12_345_678, -87_654_321])
    }

    @Test func numericColumnMeetingTextBecomesCategorical() throws {
        let d = try CSVLoader.load(text: "code,v\n1,1\n2,2\nA7,3\n01,4\n", name: "c")
        let c = try #require(d.column(named: "code"))
        #expect(c.type == .categorical)
        #expect((0..<4).map { d.formattedValue(row: $0, column: 0) } == ["1", "2", "A7", "01"])
        #expect(d.column(named: "v")?.type == .integer)
    }

    @Test func typeOverrides() throws {
        let d = try CSVLoader.load(text: "zip,flag,x\n01234,1,3\n99999,0,4\n", name: "o",
                                   options: CSVOptions(types: ["zip": .categorical, "flag": .boolean, "x": .float]))
        #expect(d.columns.map(\.type) == [.categorical, .boolean, .float])
        #expect(d.formattedValue(row: 0, column: 0) == "01234")
        #expect(d.formattedValue(row: 1, column: 1) == "false")
    }

    @Test func trailingSeparatorAndNoFinalNewline() throws {
        let d = try CSVLoader.load(text: "a,b\n1,\n2,3", name: "t")
        #expect(d.rowCount == 2)
        #expect(d.column(named: "b")?.missingCount == 1)
        #expect(d.column(named: "b")?.doubles?[1] == 3)
    }

    @Test func exactFloatParsing() throws {
        let samples = ["0.1", "3.14159265358979323846", "1e-320", "-2.2250738585072014e-308", "123456789012345678901234",
                       "1.7976931348623157e308", "4.9e-324", "0.000001", "9007199254740993", ".5", "5."]
        let text = "x\n" + samples.joined(separator: "\n") + "\n"
        let d = try CSVLoader.load(text: text, name: "f")
        let v = try #require(d.column(named: "x")?.doubles)
        for (k, s) in samples.enumerated() {
            #expect(v[k] == Double(s) ?? strtod(s, nil), "\(s)")
        }
    }

    @Test func allMissingColumnIsFloat() throws {
        let d = try CSVLoader.load(text: "a,b\n1,\n2,\n", name: "m")
        #expect(d.column(named: "b")?.type == .float)
        #expect(d.column(named: "b")?.missingCount == 2)
    }

    @Test func targetAndTimeRoles() throws {
        let d = try CSVLoader.load(text: "t,y\n2020-01-01,1\n2020-01-02,2\n", name: "r",
                                   options: CSVOptions(target: "y", time: "t"))
        #expect(d.target == "y")
        #expect(d.time == "t")
        #expect(d.provenance.operation == "file")
    }

    @Test func describeNumbersCategoriesAndDates() throws {
        let d = try CSVLoader.load(text: "x,c,d\n1,a,2020-01-01\n2,b,2020-03-01\n3,a,\n4,,2020-02-01\n", name: "d")
        let desc = d.describe(bins: 4)
        let x = try #require(desc.columns[0].stats)
        #expect(x.mean == 2.5)
        #expect(relClose(x.std, (5.0 / 3.0).squareRoot()))
        #expect(x.min == 1 && x.max == 4 && x.median == 2.5 && x.q1 == 1.75 && x.q3 == 3.25)
        #expect(x.histogram == [1, 1, 1, 1])
        #expect(desc.columns[1].topCategories == [CategoryCount(value: "a", count: 2), CategoryCount(value: "b", count: 1)])
        #expect(desc.columns[1].missing == 1)
        #expect(desc.columns[2].dateRange?.first == "2020-01-01")
        #expect(desc.columns[2].dateRange?.last == "2020-03-01")
        #expect(d.head(2) == [["1", "a", "2020-01-01"], ["2", "b", "2020-03-01"]])
    }
}
