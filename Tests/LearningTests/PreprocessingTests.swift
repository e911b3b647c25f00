import Testing
import Tabular
@testable import Learning

@Suite struct PreprocessingTests {
    func sample() -> Dataset {
        Dataset(name: "d", columns: [
            .numeric("a", [1, 2, 3, 4]),
            .numeric("k", [5, 5, 5, 5]),
            .categorical("c", codes: [0, 1, 0, -1], levels: ["x", "y", "z"]),
            .numeric("t", [0, 1, 1, 0]),
        ], target: "t")
    }

    @Test func standardisesWithPopulationStdAndOneHots() throws {
        let p = try Preprocessor.fit(sample(), features: ["a", "k", "c"], target: "t", classification: true)
        #expect(p.featureNames == ["a", "k", "c=x", "c=y"])
        #expect(p.classes == ["0", "1"])
        let d = try p.transform(sample())
        #expect(d.rows == 4 && d.cols == 4)
        let std = (1.25).squareRoot()  // population std of 1…4
        #expect(abs(d.x[0] - (1 - 2.5) / std) < 1e-15)
        #expect(d.x[1] == 0)  // constant column: std 0 → 1, value − mean = 0
        #expect(Array(d.x[2..<4]) == [1, 0])
        #expect(Array(d.x[14..<16]) == [0, 0])  // missing category → zeros
        #expect(d.y == [0, 1, 1, 0])
    }

    @Test func unseenCategoryIsZerosAndCounted() throws {
        let p = try Preprocessor.fit(sample(), features: ["a", "c"], target: "t", classification: true)
        var other = sample()
        other.columns[2] = .categorical("c", codes: [2, 2, 0, 1], levels: ["x", "y", "z"])
        let d = try p.transform(other)
        #expect(d.unseenCategoryCount == 2)
        #expect(Array(d.x[1..<3]) == [0, 0])
        #expect(p.schemaDifferences(with: other) == [.newCategories(column: "c", levels: ["z"])])
    }

    @Test func missingNumericIsAnErrorNamingColumnAndRows() throws {
        var d = sample()
        d.columns[0] = .numeric("a", [1, .nan, .nan, 4])
        #expect(throws: PreprocessingError.missingValues(column: "a", rows: 2)) {
            try Preprocessor.fit(d, features: ["a"], target: "t", classification: false)
        }
        let mean = try Preprocessor.fit(d, features: ["a"], target: "t", classification: false, impute: .mean)
        let tm = try mean.transform(d)
        #expect(tm.rows == 4 && tm.x[1] == 0)  // imputed with the mean → standardised 0
        let median = try Preprocessor.fit(d, features: ["a"], target: "t", classification: false, impute: .median)
        #expect(try median.transform(d).rows == 4)
        let drop = try Preprocessor.fit(d, features: ["a"], target: "t", classification: false, impute: .drop)
        let td = try drop.transform(d)
        #expect(td.rows == 2 && td.droppedRows == 2 && td.sourceRows == [0, 3])
        let description = PreprocessingError.missingValues(column: "a", rows: 2).description
        #expect(description.contains("'a'") && description.contains("2 missing"))
    }

    @Test func schemaDifferencesListColumns() throws {
        let p = try Preprocessor.fit(sample(), features: ["a", "k", "c"], target: "t", classification: true, allColumns: true)
        let changed = Dataset(name: "e", columns: [
            .numeric("a", [1]), .categorical("k", codes: [0], levels: ["q"]), .numeric("extra", [1]), .numeric("t", [1]),
        ])
        let diffs = p.schemaDifferences(with: changed)
        #expect(diffs.contains(.missingColumn("c")))
        #expect(diffs.contains(.newColumn("extra")))
        #expect(diffs.contains(.typeChanged(column: "k", from: "numeric", to: "categorical")))
        #expect(diffs.count == 3)
    }

    @Test func codableRoundTrip() throws {
        let p = try Preprocessor.fit(sample(), features: ["a", "c"], target: "t", classification: true)
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(Preprocessor.self, from: data) == p)
    }
}

import Foundation
