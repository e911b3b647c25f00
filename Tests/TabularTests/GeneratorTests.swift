import Testing
@testable import Tabular

@Suite struct GeneratorTests {
    func mean(_ d: Dataset, _ c: String) -> Double {
        let v = d.column(named: c)?.doubles ?? []
        return v.reduce(0, +) / Double(max(v.count, 1))
    }

    @Test func housingIsDeterministicAndDrifts() throws {
        let a = Generators.housing(rows: 2000, seed: 1, year: 2019)
        let b = Generators.housing(rows: 2000, seed: 1, year: 2019)
        let c = Generators.housing(rows: 2000, seed: 1, year: 2023)
        #expect(a.fingerprint() == b.fingerprint())
        #expect(a.columnNames == ["sold_at", "sqft", "rooms", "age", "distance_km", "neighbourhood", "price"])
        #expect(a.target == "price" && a.time == "sold_at")
        #expect(mean(c, "price") > mean(a, "price") * 1.15)
        #expect(mean(c, "sqft") > mean(a, "sqft"))
        #expect(a.formattedValue(row: 0, column: 0).hasPrefix("2019-"))
        #expect(c.formattedValue(row: 0, column: 0).hasPrefix("2023-"))
        let psi = Drift.psi(reference: a.column(named: "price")?.doubles ?? [], new: c.column(named: "price")?.doubles ?? [])
        #expect(psi > Drift.noiseFloor(nRef: 2000, nNew: 2000))
        #expect(a.columns.allSatisfy { $0.missingCount == 0 })
    }

    @Test func churnLabelShiftMovesThePrior() {
        let base = Generators.churn(rows: 4000, seed: 2)
        let shifted = Generators.churn(rows: 4000, seed: 2, shift: 1.0)
        #expect(base.rowCount == 4000 && shifted.rowCount == 4000)
        let p0 = mean(base, "churned"), p1 = mean(shifted, "churned")
        #expect(p0 > 0.1 && p0 < 0.5)
        #expect(p1 > p0 + 0.1)
        #expect(base.column(named: "churned")?.type == .boolean)
        #expect(base.column(named: "contract")?.type == .categorical)
    }

    @Test func sensorsDriftAndExtraFeature() {
        let plain = Generators.sensors(rows: 500, seed: 3)
        let extra = Generators.sensors(rows: 500, seed: 3, drift: 1, extraFeature: true)
        #expect(plain.columnNames == ["timestamp", "temperature", "humidity", "load", "vibration", "output"])
        #expect(extra.columnNames == ["timestamp", "temperature", "humidity", "load", "vibration", "pressure", "output"])
        #expect(plain.formattedValue(row: 1, column: 0) == "2024-01-01T01:00:00")
        // Same seed: same covariates; only the outputs differ where drift has accumulated.
        #expect(plain.column(named: "temperature") == extra.column(named: "temperature"))
        let y0 = plain.column(named: "output")?.doubles ?? [], y1 = extra.column(named: "output")?.doubles ?? []
        #expect(y0.first == y1.first)
        let late0: Double = y0.suffix(50).reduce(0, +)
        let late1: Double = y1.suffix(50).reduce(0, +)
        #expect(late1 > late0 + 500)
    }
}
