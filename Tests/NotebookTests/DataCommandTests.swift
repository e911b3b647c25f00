import Foundation
import Language
import Testing
@testable import Notebook
import Tabular
import Render

/// The repository's `sessions` folder, found from this file's path.
private let sessionsFolder: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("sessions").path

/// A harness whose relative paths resolve against `sessions/` (so "data/penguins.csv" works).
private func dataHarness() -> Harness {
    let h = Harness()
    h.session.baseDirectory = sessionsFolder
    return h
}

/// What the harness printed after `mark` characters of output.
private func since(_ h: Harness, _ mark: Int) -> String { String(h.out.dropFirst(mark)) }

@Suite struct DataCommandTests {
    @Test func loadPrintsSummaryAndStoresTheDataset() throws {
        let h = dataHarness()
        #expect(h.run("load \"data/diabetes.csv\" as d target progression") == 0, "\(h.err)")
        let d = try #require(h.session.datasets["d"])
        #expect(d.rowCount == 442)
        #expect(d.columns.count == 11)
        #expect(d.target == "progression")
        #expect(d.provenance.detail == "data/diabetes.csv")
        #expect(h.out.hasPrefix("d: 442 rows, 11 columns, target progression, fingerprint \(d.fingerprint().prefix(12)), loaded in "))
        #expect(h.out.contains(" s\n"))
        #expect(!h.out.contains(sessionsFolder))
        #expect(h.session.lastResult == .dataset("d"))
    }

    @Test func loadOptionsMissingTypesAndTime() throws {
        let h = dataHarness()
        let code = h.run("load \"data/penguins.csv\" as p target species time date_egg missing \"NA\" types [year: float, body_mass_g: float]")
        #expect(code == 0, "\(h.err)")
        let p = try #require(h.session.datasets["p"])
        #expect(p.rowCount == 344)
        #expect(p.time == "date_egg")
        #expect(p.column(named: "year")?.type == .float)
        #expect(p.column(named: "date_egg")?.type == .date)
        #expect(p.column(named: "sex")?.type == .categorical)
        #expect(p.column(named: "sex")?.missingCount == 11)
    }

    @Test func loadRejectsAnUnknownTypeAtItsSpan() {
        let h = dataHarness()
        #expect(h.run("load \"data/penguins.csv\" as p types [year: flaot]") != 0)
        #expect(h.err.contains("unknown column type 'flaot' for 'year'"))
        #expect(h.err.contains("did you mean 'float'?"))
        #expect(h.session.datasets["p"] == nil)
    }

    @Test func badCSVNamesFileLineColumnAndKeepsTheOldDataset() throws {
        let h = dataHarness()
        let dir = h.directory.path
        try "a,b\n1,2\n3,\"open\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        #expect(h.run("load \"data/diabetes.csv\" as d") == 0)
        let before = try #require(h.session.datasets["d"])
        h.session.baseDirectory = dir
        #expect(h.run("load \"bad.csv\" as d") != 0)
        // The message names the file as written, its line and column; the caret is under the path.
        #expect(h.err.contains("test.retune:1:6: error: bad.csv:3:3: "), "\(h.err)")
        #expect(!h.err.contains(dir))
        let after = try #require(h.session.datasets["d"])
        #expect(after == before)
        #expect(after.rowCount == 442)
    }

    @Test func missingFileIsAnIOError() {
        let h = dataHarness()
        let code = h.run("load \"data/nope.csv\" as x")
        #expect(code == 74)
        #expect(h.err.contains("data/nope.csv: cannot open file"))
    }

    @Test func unknownTargetColumnIsReported() {
        let h = dataHarness()
        #expect(h.run("load \"data/diabetes.csv\" as d target progresion") != 0)
        #expect(h.err.contains("test.retune:1:38: error: data/diabetes.csv has no target column 'progresion'"), "\(h.err)")
        #expect(h.err.contains("did you mean 'progression'?"))
        #expect(h.run("load \"data/penguins.csv\" as p time species") != 0)
        #expect(h.err.contains("the time column 'species' must hold dates, datetimes or numbers"))
        #expect(h.session.datasets["p"] == nil)
        #expect(h.session.datasets["d"] == nil)
    }

    @Test func describeShowsStatisticsHistogramsCategoriesAndDates() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p target species time date_egg")
        let mark = h.out.count
        #expect(h.run("describe p") == 0, "\(h.err)")
        let out = since(h, mark)
        let fp = try #require(h.session.datasets["p"]).fingerprint()
        #expect(out.contains("p: 344 rows × 9 columns"))
        #expect(out.contains("source: file data/penguins.csv"))
        #expect(out.contains("roles: target species, time date_egg"))
        #expect(out.contains("fingerprint: \(fp)"))
        // body_mass_g: 2 missing, mean 4201.75, median 4050.
        let mass = try #require(out.split(separator: "\n").first { $0.hasPrefix("body_mass_g") && $0.contains("integer") })
        #expect(mass.contains(" 2 "))
        #expect(mass.contains("4201.75"))
        #expect(mass.unicodeScalars.contains { Sparkline.levels.contains(Character($0)) })
        let quant = try #require(out.split(separator: "\n").first { $0.hasPrefix("body_mass_g") && !$0.contains("integer") })
        #expect(quant.contains("4050"))
        #expect(quant.contains("2700"))
        #expect(quant.contains("6300"))
        #expect(out.contains("Adelie 152, Gentoo 124, Chinstrap 68"))
        #expect(out.contains("2007-11-09"))
        #expect(h.session.lastResult == .dataset("p"))
    }

    @Test func showNameDescribesTheDataset() {
        let h = dataHarness()
        h.run("load \"data/diabetes.csv\" as d")
        #expect(h.run("show d") == 0, "\(h.err)")
        #expect(h.out.contains("d: 442 rows × 11 columns"))
        #expect(h.run("show dd") != 0)
        #expect(h.err.contains("nothing named 'dd' to show"))
    }

    @Test func headColumnsAndDatasets() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p target species; set format csv")
        var mark = h.out.count
        #expect(h.run("head p 2") == 0, "\(h.err)")
        let lines = since(h, mark).split(separator: "\n").map(String.init)
        #expect(lines.first == "date_egg,species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year")
        #expect(lines.count == 3)
        #expect(lines[1] == "2007-11-09,Adelie,Torgersen,34.1,18.1,193,3475,,2007")
        mark = h.out.count
        #expect(h.run("columns p") == 0)
        #expect(since(h, mark).contains("species,categorical,0,target"))
        #expect(h.out.contains("sex,categorical,11,"))
        h.run("split p into a, b at 0.5 ordered")
        mark = h.out.count
        #expect(h.run("datasets") == 0)
        let rows = since(h, mark).split(separator: "\n").map(String.init)
        #expect(rows.first == "name,rows,columns,source,fingerprint")
        #expect(rows.count == 4)
        #expect(rows[1].hasPrefix("a,172,9,split of p (at 0.5 ordered),"))
        #expect(rows[3].hasPrefix("p,344,9,file data/penguins.csv,"))
    }

    @Test func headDefaultsToTenRows() {
        let h = dataHarness()
        h.run("load \"data/diabetes.csv\" as d; set format csv")
        let mark = h.out.count
        h.run("head d")
        #expect(since(h, mark).split(separator: "\n").count == 11)
    }

    @Test func orderedSplitOfDiabetesIs309And133() throws {
        let h = dataHarness()
        h.run("load \"data/diabetes.csv\" as d target progression")
        let mark = h.out.count
        #expect(h.run("split d into train, test at 0.7 ordered") == 0, "\(h.err)")
        #expect(since(h, mark) == "train: 309 rows, test: 133 rows\n")
        let train = try #require(h.session.datasets["train"])
        let test = try #require(h.session.datasets["test"])
        let d = try #require(h.session.datasets["d"])
        #expect(train.column(named: "age")?.doubles?.first == d.column(named: "age")?.doubles?.first)
        #expect(test.column(named: "age")?.doubles?.first == d.column(named: "age")?.doubles?[309])
        #expect(train.provenance.sources == ["d"])
        #expect(h.session.lastResult == .dataset("train"))
    }

    @Test func shuffledSplitUsesSessionSeedByDefault() throws {
        let a = dataHarness(), b = dataHarness()
        a.run("load \"data/diabetes.csv\" as d; split d into x, y at 0.8")
        b.run("load \"data/diabetes.csv\" as d; split d into x, y at 0.8 seed 42")
        let ax = try #require(a.session.datasets["x"]), bx = try #require(b.session.datasets["x"])
        #expect(ax.rowCount == 353)
        #expect(ax.fingerprint() == bx.fingerprint())
        b.run("split d into x, y at 0.8 seed 7")
        #expect(try #require(b.session.datasets["x"]).fingerprint() != ax.fingerprint())
    }

    @Test func splitByDateAndErrors() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p")
        let mark = h.out.count
        #expect(h.run("split p into early, late by date_egg at \"2008-06-01\"") == 0, "\(h.err)")
        #expect(since(h, mark) == "early: 110 rows, late: 234 rows\n")
        #expect(h.run("split p into a, b at 1.5") != 0)
        #expect(h.err.contains("'at' expects a fraction between 0 and 1"))
        #expect(h.run("split p into a at 0.5") != 0)
        #expect(h.err.contains("split needs two new names after 'into', got 1"))
        #expect(h.run("split p into a, b at 0.5 stratify") != 0)
        #expect(h.err.contains("'stratify' needs a target column"))
        #expect(h.run("split p into a, b by date_eg at \"2008-01-01\"") != 0)
        #expect(h.err.contains("did you mean 'date_egg'?"))
    }

    @Test func stratifiedSplitKeepsClassProportions() throws {
        let h = dataHarness()
        #expect(h.run("load \"data/penguins.csv\" as p target species; split p into a, b at 0.5 seed 3 stratify") == 0, "\(h.err)")
        let a = try #require(h.session.datasets["a"])
        // Adelie 152, Gentoo 124, Chinstrap 68: half of each.
        #expect(a.rowCount == 76 + 62 + 34)
    }

    @Test func filterWithDatesStringsAndMissing() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p")
        let mark = h.out.count
        #expect(h.run("filter p where date_egg >= \"2008-01-01\" as later") == 0, "\(h.err)")
        #expect(since(h, mark) == "later: 234 rows of 344\n")
        #expect(h.run("filter p where date_egg >= \"2008-01-01\" and species = \"Adelie\" as la") == 0, "\(h.err)")
        #expect(h.session.datasets["la"]?.rowCount == 102)
        #expect(h.run("filter p where not missing(sex) as sexed") == 0, "\(h.err)")
        #expect(h.session.datasets["sexed"]?.rowCount == 333)
        #expect(h.run("filter p where island in [\"Biscoe\", \"Dream\"] and body_mass_g / 1000 > 4 as big") == 0, "\(h.err)")
        let big = try #require(h.session.datasets["big"])
        #expect(big.rowCount > 0)
        #expect(big.provenance.operation == "filter")
        #expect(big.provenance.detail == "island in [\"Biscoe\", \"Dream\"] and body_mass_g / 1000 > 4")
        #expect(h.run("show _") == 0, "\(h.err)")
        #expect(h.out.contains("big: \(big.rowCount) rows × 9 columns"))
        #expect(h.run("filter p where species like \"Ad%\" as ad") == 0, "\(h.err)")
        #expect(h.session.datasets["ad"]?.rowCount == 152)
    }

    @Test func filterUnknownColumnSuggestsAndPointsAtIt() {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p")
        #expect(h.run("filter p where body_mas_g > 4000 as x") != 0)
        #expect(h.err.contains("test.retune:1:16: error: unknown column 'body_mas_g'"), "\(h.err)")
        #expect(h.err.contains("did you mean 'body_mass_g'?"))
        #expect(h.session.datasets["x"] == nil)
    }

    @Test func filterErrorsPointAtTheSubExpression() {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p")
        // species is a string; comparing with a number is an error on that comparison.
        #expect(h.run("filter p where year > 2007 and species > 3 as x") != 0)
        #expect(h.err.contains("test.retune:1:32: error: column 'species'"), "\(h.err)")
        #expect(h.run("filter p where mean(body_mass_g) > 3 as x") != 0)
        #expect(h.err.contains("function 'mean' cannot be used in a filter"))
        #expect(h.run("filter p where species = Adelie as x") != 0)
        #expect(h.err.contains("unknown column 'Adelie'"))
        #expect(h.err.contains("quote it"))
        #expect(h.run("filter p where body_mass_g as x") != 0)
        #expect(h.err.contains("not true/false"))
    }

    @Test func concatAndSchemaErrors() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p; split p into a, b at 0.5 ordered")
        let mark = h.out.count
        #expect(h.run("concat a, b as ab") == 0, "\(h.err)")
        #expect(since(h, mark) == "ab: 344 rows (a 172 + b 172)\n")
        let ab = try #require(h.session.datasets["ab"])
        #expect(ab.fingerprint() == h.session.datasets["p"]?.fingerprint())
        #expect(ab.provenance.sources == ["a", "b"])
        h.run("drop b columns [year, sex] as b2; select a columns [species, year, island, sex, date_egg, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g] as a2")
        #expect(h.run("concat a, b2 as bad") != 0)
        #expect(h.err.contains("cannot concat 'a' and 'b2': schemas differ (2 differences)"), "\(h.err)")
        #expect(h.err.contains("note: column 'sex' is in 'a' but not in 'b2'"))
        #expect(h.err.contains("note: column 'year' is in 'a' but not in 'b2'"))
        #expect(h.run("concat a, a2 as bad") != 0)
        #expect(h.err.contains("column order differs"))
        #expect(h.session.datasets["bad"] == nil)
    }

    @Test func sampleSelectDrop() throws {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p target species")
        #expect(h.run("sample p 50 seed 1 as s") == 0, "\(h.err)")
        #expect(h.session.datasets["s"]?.rowCount == 50)
        #expect(h.run("sample p 500 as s2") != 0)
        #expect(h.err.contains("cannot draw 500 rows from 'p', which has 344 rows"))
        #expect(h.run("select p columns [species, body_mass_g] as sel") == 0, "\(h.err)")
        let sel = try #require(h.session.datasets["sel"])
        #expect(sel.columnNames == ["species", "body_mass_g"])
        #expect(sel.target == "species")
        #expect(h.run("drop p columns [species] as dr") == 0)
        #expect(h.session.datasets["dr"]?.target == nil)
        #expect(h.session.datasets["dr"]?.columns.count == 8)
        #expect(h.run("select p columns [\"species\", year] as quoted") == 0, "\(h.err)")
        #expect(h.session.datasets["quoted"]?.columnNames == ["species", "year"])
        #expect(h.run("select p columns [species, 3] as x") != 0)
        #expect(h.err.contains("expected a column name, got 3"))
        #expect(h.run("select p columns [specis] as x") != 0)
        #expect(h.err.contains("did you mean 'species'?"))
    }

    @Test func generateIsDeterministicPerSeed() throws {
        let h = Harness()
        #expect(h.run("generate housing rows 300 seed 5 as a; generate housing rows 300 seed 5 as b; generate housing rows 300 seed 6 as c") == 0, "\(h.err)")
        let a = try #require(h.session.datasets["a"]), b = try #require(h.session.datasets["b"])
        let c = try #require(h.session.datasets["c"])
        #expect(a.fingerprint() == b.fingerprint())
        #expect(a.fingerprint() != c.fingerprint())
        #expect(a.rowCount == 300)
        #expect(a.target == "price")
        #expect(a.provenance.detail == "housing rows 300 seed 5")
        #expect(h.out.hasPrefix("a: 300 rows, 7 columns, target price, time sold_at, fingerprint \(a.fingerprint().prefix(12))\n"))
        #expect(h.run("generate housing rows 300 seed 5 year 2023 as d") == 0)
        #expect(h.session.datasets["d"]?.fingerprint() != a.fingerprint())
        #expect(h.run("generate sensors rows 100 seed 1 drift 1 extra as s") == 0, "\(h.err)")
        #expect(h.session.datasets["s"]?.column(named: "pressure") != nil)
        #expect(h.run("generate churn rows 100 year 2020 as x") != 0)
        #expect(h.err.contains("'year' is not an option of the churn generator"))
        #expect(h.run("generate houseing rows 10 as x") != 0)
        #expect(h.err.contains("did you mean 'housing'?"))
    }

    @Test func helpGenerateShowsEachGeneratorsDocumentation() {
        let h = Harness()
        #expect(h.run("help generate") == 0)
        for kind in ["housing [year Y]", "churn [shift S]", "sensors [drift D]"] {
            #expect(h.out.contains(kind))
        }
        #expect(h.out.contains("examples:"))
    }

    @Test func columnCompletionAfterWhere() {
        let h = dataHarness()
        h.run("load \"data/penguins.csv\" as p")
        let c = Completion(registry: .standard, session: h.session)
        #expect(c.complete(lineBeforeWord: "filter p where species = \"x\" and ", prefix: "bo", insideQuote: false) == ["body_mass_g"])
        #expect(c.complete(lineBeforeWord: "split p into a, b by ", prefix: "da", insideQuote: false) == ["date_egg"])
        #expect(c.complete(lineBeforeWord: "select p columns [species, ", prefix: "bill", insideQuote: false)
                == ["bill_depth_mm", "bill_length_mm"])
        #expect(c.complete(lineBeforeWord: "describe ", prefix: "p", insideQuote: false) == ["p"])
        // No dataset on the line: the loaded datasets' columns (model … from), or the header of
        // the file being loaded (load … target).
        #expect(c.complete(lineBeforeWord: "model m = linear predicts body_mass_g from ", prefix: "bill_l", insideQuote: false)
                == ["bill_length_mm"])
        #expect(c.complete(lineBeforeWord: "model m = linear predicts ", prefix: "flip", insideQuote: false)
                == ["flipper_length_mm"])
        #expect(c.complete(lineBeforeWord: "load \"data/penguins.csv\" as q target ", prefix: "isl", insideQuote: false)
                == ["island"])
    }

    @Test func everyDataCommandHasHelpAndExamples() {
        for spec in dataCommands() {
            #expect(spec.group == .data)
            #expect(!spec.summary.isEmpty)
            #expect(!spec.help.isEmpty, "\(spec.name)")
            #expect(!spec.examples.isEmpty, "\(spec.name)")
            #expect(Registry.standard.spec(named: spec.name) != nil)
        }
    }
}
