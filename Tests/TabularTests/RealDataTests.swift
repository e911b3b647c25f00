import Testing
@testable import Tabular

@Suite struct RealDataTests {
    @Test func diabetes() throws {
        let d = try CSVLoader.load(path: Paths.dataFile("diabetes.csv"), name: "diabetes", options: CSVOptions(target: "progression"))
        #expect(d.rowCount == 442)
        #expect(d.columnNames == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"])
        #expect(d.column(named: "age")?.type == .integer)
        #expect(d.column(named: "bmi")?.type == .float)
        #expect(d.column(named: "bp")?.type == .float)   // some blood pressures have decimals
        #expect(d.columns.allSatisfy { $0.missingCount == 0 })
        #expect(d.head(1) == [["59", "2", "32.1", "101.0", "157", "93.2", "38.0", "4.0", "4.8598", "87", "151"]])
        #expect(d.column(named: "progression")?.doubles?.reduce(0, +) == 67_243)
    }

    @Test func penguins() throws {
        let d = try CSVLoader.load(path: Paths.dataFile("penguins.csv"), name: "penguins",
                                   options: CSVOptions(target: "body_mass_g", time: "date_egg"))
        #expect(d.rowCount == 344)
        let types = Dictionary(uniqueKeysWithValues: d.columns.map { ($0.name, $0.type) })
        #expect(types["date_egg"] == .date)
        #expect(types["species"] == .categorical)
        #expect(types["island"] == .categorical)
        #expect(types["sex"] == .categorical)
        #expect(types["bill_length_mm"] == .float)
        #expect(types["year"] == .integer)
        #expect(d.column(named: "bill_length_mm")?.missingCount == 2)
        #expect(d.column(named: "sex")?.missingCount == 11)
        let desc = d.describe()
        let species = try #require(desc.columns.first { $0.name == "species" })
        #expect(species.topCategories.first == CategoryCount(value: "Adelie", count: 152))
        #expect(species.distinct == 3)
        let dates = try #require(desc.columns.first { $0.name == "date_egg" })
        #expect(dates.dateRange?.first == "2007-11-09")
        #expect(dates.dateRange?.last == "2009-12-01")
        #expect(d.formattedValue(row: 0, column: 0) == "2007-11-09")
        #expect(d.formattedValue(row: 0, column: 7) == "NA")
        let recent = try d.filter(.compare(.ge, .column("date_egg"), .string("2009-01-01")), name: "recent")
        #expect(recent.rowCount == 120)
    }

    @Test func bikeshare() throws {
        let d = try CSVLoader.load(path: Paths.dataFile("bikeshare_2011.csv"), name: "bike",
                                   options: CSVOptions(target: "bikers", time: "datetime"))
        #expect(d.rowCount == 8645)
        #expect(d.columns.count == 16)
        #expect(d.column(named: "datetime")?.type == .datetime)
        #expect(d.column(named: "mnth")?.type == .categorical)
        #expect(d.column(named: "weathersit")?.type == .categorical)
        #expect(d.column(named: "temp")?.type == .float)
        #expect(d.column(named: "bikers")?.type == .integer)
        #expect(d.formattedValue(row: 0, column: 0) == "2011-01-01T00:00:00")
        #expect(d.formattedValue(row: 1, column: 2) == "Jan")
        // casual + registered = bikers on every row.
        let c = try #require(d.column(named: "casual")?.doubles)
        let r = try #require(d.column(named: "registered")?.doubles)
        let b = try #require(d.column(named: "bikers")?.doubles)
        #expect((0..<d.rowCount).allSatisfy { c[$0] + r[$0] == b[$0] })
        let mnth = try #require(d.describe().columns.first { $0.name == "mnth" })
        #expect(mnth.distinct == 12)
    }

    @Test func otherDatasetsLoad() throws {
        let bc = try CSVLoader.load(path: Paths.dataFile("breast_cancer.csv"), name: "bc")
        #expect(bc.rowCount == 569 && bc.columns.count == 31)
        let macro = try CSVLoader.load(path: Paths.dataFile("macrodata.csv"), name: "macro")
        #expect(macro.rowCount == 203 && macro.columns.count == 15)
        #expect(macro.column(named: "date")?.type == .date)
    }
}
