import Foundation
import Testing
@testable import Tabular

@Suite struct FingerprintTests {
    @Test func sha256KnownVector() {
        #expect(SHA256Stream.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Stream.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func independentOfLineEndingsQuotingAndSpelling() throws {
        let a = try CSVLoader.load(text: "x,name\n1.50,ab\n2,\"c,d\"\n", name: "a", fileName: "one.csv")
        let b = try CSVLoader.load(text: "\"x\",\"name\"\r\n1.5,\"ab\"\r\n2.0,\"c,d\"\r\n", name: "b", fileName: "two.csv")
        // `2` vs `2.0` make the column float in both (1.50 is a float), so the data agree.
        #expect(a.fingerprint() == b.fingerprint())
        #expect(a.fingerprint().count == 64)
        let c = try CSVLoader.load(text: "x,name\n1.5,ab\n2,\"c,e\"\n", name: "c")
        #expect(a.fingerprint() != c.fingerprint())
    }

    @Test func dependsOnSchema() throws {
        let a = try CSVLoader.load(text: "x\n1\n2\n", name: "a")
        let b = try CSVLoader.load(text: "y\n1\n2\n", name: "b")
        let c = try CSVLoader.load(text: "x\n1\n2\n", name: "c", options: CSVOptions(types: ["x": .float]))
        #expect(a.fingerprint() != b.fingerprint())
        #expect(a.fingerprint() != c.fingerprint())
    }

    @Test func stableAcrossRuns() {
        let d = Generators.churn(rows: 50, seed: 3)
        #expect(d.fingerprint() == Generators.churn(rows: 50, seed: 3).fingerprint())
        #expect(d.fingerprint() != Generators.churn(rows: 50, seed: 4).fingerprint())
    }

    @Test func largeDatasetStreamsPastTheBuffer() {
        let d = Generators.sensors(rows: 20_000, seed: 1)
        #expect(d.fingerprint() == d.fingerprint())
    }
}
