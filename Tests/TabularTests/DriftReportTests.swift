import Foundation
import Testing
@testable import Tabular

@Suite struct DriftReportTests {
    @Test func reportFromRowsAndFromSummaryAgreeOnPSI() throws {
        let old = Generators.sensors(rows: 800, seed: 1)
        let new = Generators.sensors(rows: 800, seed: 2, drift: 2, extraFeature: true)
        let full = Drift.report(reference: old, new: new)
        let stored = Drift.report(reference: old.summary(), new: new)
        #expect(full.addedColumns == ["pressure"])
        #expect(full.removedColumns.isEmpty && full.typeChanges.isEmpty)
        #expect(full.hasSchemaChange)
        #expect(full.columns.map(\.name) == ["timestamp", "temperature", "humidity", "load", "vibration", "output"])
        #expect(full.columns.map(\.psi) == stored.columns.map(\.psi))
        #expect(stored.columns.allSatisfy { $0.ksD == nil })
        let output = try #require(full.columns.first { $0.name == "output" })
        let expected = Drift.psi(reference: old.column(named: "output")?.doubles ?? [], new: new.column(named: "output")?.doubles ?? [])
        #expect(output.psi == expected)
        #expect(output.ksD == Drift.ks(old.column(named: "output")?.doubles ?? [], new.column(named: "output")?.doubles ?? []).d)
        #expect(full.maxPSI?.name == "output")   // concept drift moves the target most
        #expect(full.columns.first?.psi == 0)     // both batches cover the same hours
        #expect(full.noiseFloor == Drift.noiseFloor(nRef: 800, nNew: 800))
        let json = try JSONEncoder().encode(full)
        #expect(try JSONDecoder().decode(DriftReport.self, from: json) == full)
    }

    @Test func categoricalAndTypeChanges() throws {
        let a = try CSVLoader.load(text: "c,x,z\na,1,1\nb,2,2\na,3,3\n", name: "a")
        let b = try CSVLoader.load(text: "c,x,z\na,1,q\nc,2.5,r\n", name: "b")
        let r = Drift.report(reference: a, new: b)
        #expect(r.typeChanges == ["z: integer → categorical"])
        let c = try #require(r.columns.first { $0.name == "c" })
        #expect(c.appeared == ["c"] && c.vanished == ["b"])
        #expect((c.psi ?? 0) > 1)
        #expect(r.columns.first { $0.name == "x" }?.type == .float)
    }
}

@Suite struct GeneratorCatalogTests {
    @Test func generateByName() throws {
        let d = try Generators.generate(kind: "housing", rows: 100, seed: 4, options: ["year": 2023], name: "h23")
        #expect(d.name == "h23")
        #expect(d.fingerprint() == Generators.housing(rows: 100, seed: 4, year: 2023).fingerprint())
        let s = try Generators.generate(kind: "sensors", rows: 10, seed: 1, options: ["extra": 1], name: "s")
        #expect(s.column(named: "pressure") != nil)
        #expect(tabularError { _ = try Generators.generate(kind: "weather", rows: 10, seed: 1, name: "w") }?.contains("unknown generator 'weather'") == true)
        #expect(tabularError { _ = try Generators.generate(kind: "churn", rows: 10, seed: 1, options: ["year": 1], name: "c") }?.contains("unknown option 'year' (options: shift)") == true)
        #expect(tabularError { _ = try Generators.generate(kind: "churn", rows: 0, seed: 1, name: "c") } != nil)
        #expect(Generators.kinds.allSatisfy { Generators.documentation[$0]?.isEmpty == false })
    }

    @Test func describeIncludesFingerprint() {
        let d = Generators.churn(rows: 30, seed: 1)
        #expect(d.describe().fingerprint == d.fingerprint())
    }
}
