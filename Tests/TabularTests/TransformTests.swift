import Testing
@testable import Tabular

@Suite struct TransformTests {
    func small() throws -> Dataset {
        try CSVLoader.load(text: """
        day,city,temp,rain,label
        2024-01-01,Paris,3.5,true,a
        2024-01-02,Oslo,-2,false,b
        2024-01-03,Paris,5,,a
        2024-01-04,Lyon,,true,b
        2024-01-05,Oslo,1,false,a
        2024-01-06,Paris,7,true,b
        """, name: "w", options: CSVOptions(target: "label", time: "day"))
    }

    @Test func orderedSplitKeepsFileOrder() throws {
        let d = try small()
        let (a, b) = try d.split(at: 0.7, ordered: true, names: ("a", "b"))
        #expect(a.rowCount == 4 && b.rowCount == 2)   // floor(0.7·6) = 4
        #expect(a.formattedValue(row: 3, column: 0) == "2024-01-04")
        #expect(b.formattedValue(row: 0, column: 0) == "2024-01-05")
        #expect(a.provenance == Provenance(operation: "split", sources: ["w"], detail: "at 0.7 ordered"))
        #expect(a.target == "label" && a.time == "day")
    }

    @Test func shuffledSplitIsSeededAndPartitions() throws {
        let d = Generators.churn(rows: 200, seed: 1)
        let (a, b) = try d.split(at: 0.8, seed: 7, names: ("a", "b"))
        let (a2, _) = try d.split(at: 0.8, seed: 7, names: ("a", "b"))
        let (a3, _) = try d.split(at: 0.8, seed: 8, names: ("a", "b"))
        #expect(a.rowCount == 160 && b.rowCount == 40)
        #expect(a.fingerprint() == a2.fingerprint())
        #expect(a.fingerprint() != a3.fingerprint())
        let all = try Dataset.concat(a, b, name: "all")
        #expect(all.rowCount == 200)
        let ageSum = { (x: Dataset) in x.column(named: "age")?.doubles?.reduce(0, +) ?? -1 }
        #expect(ageSum(all) == ageSum(d))
    }

    @Test func stratifiedSplitKeepsClassShares() throws {
        let d = Generators.churn(rows: 1000, seed: 2)
        let (a, _) = try d.split(at: 0.5, seed: 3, stratify: true, names: ("a", "b"))
        let pos = { (x: Dataset) in x.column(named: "churned")?.doubles?.reduce(0, +) ?? -1 }
        #expect(abs(pos(a) - pos(d) / 2) <= 1)
    }

    @Test func splitByDateAndNumber() throws {
        let d = try small()
        let (a, b) = try d.split(by: "day", at: .string("2024-01-03"), names: ("a", "b"))
        #expect(a.rowCount == 2 && b.rowCount == 4)
        let (c, e) = try d.split(by: "temp", at: .number(3), names: ("c", "e"))
        #expect(c.rowCount == 2 && e.rowCount == 4)   // -2, 1 < 3; the missing temp goes to e
        #expect(tabularError { _ = try d.split(by: "day", at: .string("soon"), names: ("a", "b")) }?.contains("column 'day'") == true)
        #expect(tabularError { _ = try d.split(by: "city", at: .number(1), names: ("a", "b")) }?.contains("categorical") == true)
        #expect(tabularError { _ = try d.split(at: 1.5, names: ("a", "b")) } != nil)
    }

    @Test func filterWithStringsDatesNumbersAndLogic() throws {
        let d = try small()
        func rows(_ e: RowExpr) throws -> Int { try d.filter(e, name: "f").rowCount }
        #expect(try rows(.compare(.eq, .column("city"), .string("Paris"))) == 3)
        #expect(try rows(.compare(.ge, .column("day"), .string("2024-01-04"))) == 3)
        #expect(try rows(.compare(.gt, .arithmetic(.multiply, .column("temp"), .number(2)), .number(6))) == 3)
        #expect(try rows(.and(.compare(.eq, .column("city"), .string("Paris")), .compare(.eq, .column("rain"), .bool(true)))) == 2)
        #expect(try rows(.or(.compare(.eq, .column("city"), .string("Lyon")), .compare(.lt, .column("temp"), .number(0)))) == 2)
        #expect(try rows(.not(.compare(.gt, .column("temp"), .number(2)))) == 2)   // missing temp is unknown → dropped
        #expect(try rows(.isIn(.column("city"), [.string("Oslo"), .string("Lyon")])) == 3)
        #expect(try rows(.like(.column("city"), "%s")) == 3)
        #expect(try rows(.like(.column("city"), "O_lo")) == 2)
        #expect(try rows(.isMissing(.column("temp"))) == 1)
        let f = try d.filter(.compare(.eq, .column("city"), .string("Oslo")), name: "oslo")
        #expect(f.provenance.detail == "city = \"Oslo\"")
        #expect(f.formattedValue(row: 1, column: 0) == "2024-01-05")
    }

    @Test func filterTypeErrorsNameTheColumn() throws {
        let d = try small()
        let e1 = tabularError { _ = try d.filter(.compare(.eq, .column("city"), .number(3)), name: "x") }
        #expect(e1?.contains("column 'city'") == true)
        #expect(e1?.contains("quoted string") == true)
        let e2 = tabularError { _ = try d.filter(.compare(.eq, .column("temp"), .string("hot")), name: "x") }
        #expect(e2?.contains("column 'temp'") == true)
        let e3 = tabularError { _ = try d.filter(.compare(.lt, .column("day"), .string("yesterday")), name: "x") }
        #expect(e3?.contains("column 'day'") == true && e3?.contains("ISO-8601") == true)
        let e4 = tabularError { _ = try d.filter(.compare(.eq, .column("nope"), .number(1)), name: "x") }
        #expect(e4?.contains("unknown column 'nope'") == true)
        let e5 = tabularError { _ = try d.filter(.column("temp"), name: "x") }
        #expect(e5?.contains("not true/false") == true)
        let e6 = tabularError { _ = try d.filter(.like(.column("temp"), "1%"), name: "x") }
        #expect(e6?.contains("column 'temp'") == true)
    }

    @Test func concatChecksSchemasAndMergesLevels() throws {
        let a = try CSVLoader.load(text: "x,c\n1,a\n2,b\n", name: "A")
        let b = try CSVLoader.load(text: "x,c\n3.5,c\n4,a\n", name: "B")
        let ab = try Dataset.concat(a, b, name: "AB")
        #expect(ab.rowCount == 4)
        #expect(ab.column(named: "x")?.type == .float)
        #expect((0..<4).map { ab.formattedValue(row: $0, column: 1) } == ["a", "b", "c", "a"])
        #expect(ab.provenance.sources == ["A", "B"])
        let c = try CSVLoader.load(text: "x,d,e\n2020-01-01,1,2\n", name: "C")
        guard let message = tabularError({ _ = try Dataset.concat(a, c, name: "bad") }) else {
            Issue.record("concat of different schemas succeeded"); return
        }
        #expect(message.contains("column 'c' is in 'A' but not in 'C'"))
        #expect(message.contains("column 'd' is in 'C' but not in 'A'"))
        #expect(message.contains("column 'e' is in 'C' but not in 'A'"))
        #expect(message.contains("column 'x' is integer in 'A' but date in 'C'"))
    }

    @Test func sampleSelectDrop() throws {
        let d = try small()
        let s = try d.sample(n: 3, seed: 1, name: "s")
        #expect(s.rowCount == 3)
        #expect(try d.sample(n: 3, seed: 1, name: "s2").fingerprint() == s.fingerprint())
        #expect(tabularError { _ = try d.sample(n: 7, name: "s") }?.contains("cannot draw 7 rows") == true)
        let sel = try d.select(columns: ["temp", "city"], name: "sel")
        #expect(sel.columnNames == ["temp", "city"])
        #expect(sel.target == nil && sel.time == nil)
        let dr = try d.drop(columns: ["rain"], name: "dr")
        #expect(dr.columnNames == ["day", "city", "temp", "label"])
        #expect(dr.target == "label")
        #expect(tabularError { _ = try d.drop(columns: ["zz"], name: "x") }?.contains("unknown column 'zz'") == true)
        let clean = try d.droppingMissing(name: "clean")
        #expect(clean.rowCount == 4)
    }
}
