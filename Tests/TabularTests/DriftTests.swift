import Foundation
import Testing
@testable import Tabular

/// The reference procedure of sessions/data/README (shared datasets README): load, drop rows with a
/// missing target or feature, old = first floor(7n/10) rows (penguins: year ≤ 2008), new = rest.
enum Reference {
    static func load() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.dataFile("reference.json")))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (json?["datasets"] as? [String: Any]) ?? [:]
    }

    static func oldNew(_ name: String, file: String, target: String, features: [String]) throws -> (Dataset, Dataset) {
        let d = try CSVLoader.load(path: Paths.dataFile(file), name: name, options: CSVOptions(target: target))
        let clean = try d.droppingMissing(columns: features + [target], name: name)
        if name == "penguins" {
            return try clean.split(by: "year", at: .number(2009), names: ("old", "new"))
        }
        return try clean.split(at: 0.7, ordered: true, names: ("old", "new"))
    }
}

@Suite struct DriftTests {
    static let datasetNames = ["diabetes", "breast_cancer", "penguins", "macrodata", "bikeshare_2011"]

    @Test(arguments: datasetNames)
    func psiAndKSMatchReference(_ name: String) throws {
        let all = try Reference.load()
        let ref = try #require(all[name] as? [String: Any])
        let file = try #require(ref["file"] as? String)
        let target = try #require(ref["target"] as? String)
        let features = try #require(ref["features"] as? [String])
        let split = try #require(ref["split"] as? [String: Any])
        let drift = try #require(ref["drift_old_vs_new"] as? [String: Any])
        let feats = try #require(drift["features"] as? [String: Any])
        let (old, new) = try Reference.oldNew(name, file: file, target: target, features: features)
        #expect(old.rowCount == split["n_old"] as? Int)
        #expect(new.rowCount == split["n_new"] as? Int)
        var checked = 0
        for column in features + [target] {
            let r = try #require((column == target ? drift["target"] : feats[column]) as? [String: Any], "\(name).\(column)")
            let a = try #require(old.column(named: column)?.doubles)
            let b = try #require(new.column(named: column)?.doubles)
            let psi = Drift.psi(reference: a, new: b)
            let expectedPSI = try #require(r["psi"] as? Double)
            #expect(relClose(psi, expectedPSI), "\(name).\(column) psi \(psi) vs \(expectedPSI)")
            // PSI from the stored summary equals PSI from the raw rows.
            let summary = try #require(old.column(named: column)).summary()
            #expect(try Drift.psi(summary: summary, new: b) == psi)
            if let bins = r["psi_bins"] as? Int {
                #expect(summary.edges.count + 1 == bins, "\(name).\(column) bins")
            }
            if let mean = r["old_mean"] as? Double, let std = r["old_std"] as? Double {
                #expect(relClose(summary.mean ?? .nan, mean), "\(name).\(column) mean")
                #expect(relClose(summary.std ?? .nan, std), "\(name).\(column) std")
            }
            if let ksStat = r["ks_stat"] as? Double, let ksP = r["ks_pvalue"] as? Double {
                let ks = Drift.ks(a, b)
                #expect(relClose(ks.d, ksStat), "\(name).\(column) ks \(ks.d) vs \(ksStat)")
                #expect(relClose(ks.pValue, ksP), "\(name).\(column) p \(ks.pValue) vs \(ksP)")
            }
            checked += 1
        }
        #expect(checked == features.count + 1)
        let summaryRef = try #require(drift["summary"] as? [String: Any])
        let floor = Drift.noiseFloor(nRef: old.rowCount, nNew: new.rowCount)
        #expect(relClose(floor, summaryRef["psi_noise_floor_approx"] as? Double ?? 0))
    }

    @Test func psiEdgesFollowTheInvertedCDFRule() {
        // m = 12: e_k = s[ceil(12k/10) − 1] → indices 1,2,3,4,5,7,8,9,10.
        let s = (1...12).map(Double.init)
        #expect(Drift.psiEdges(sorted: s) == [2, 3, 4, 5, 6, 8, 9, 10, 11])
        #expect(Drift.psiEdges(sorted: [1, 1, 1, 2]) == [1, 2])
        #expect(Drift.binProportions([1, 1.5, 2, 3], edges: [1, 2]) == [0.25, 0.5, 0.25])
        #expect(Drift.psi(reference: s, new: s) == 0)
        #expect(Drift.psi(reference: [], new: s).isNaN)
    }

    @Test func ksSmallCasesMatchScipy() {
        // scipy 1.17.1: ks_2samp([1,2,3,4,5], [3,4,5,6,7,8]) → D = 0.5, p = 0.35714285714285715
        let r = Drift.ks([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8])
        #expect(r.d == 0.5)
        #expect(relClose(r.pValue, 0.35714285714285715, 1e-12))
        // Equal sizes use the closed form: ks_2samp([1,2,3], [4,5,6]) → D = 1, p = 0.09999999999999999
        let e = Drift.ks([1, 2, 3], [4, 5, 6])
        #expect(e.d == 1)
        #expect(relClose(e.pValue, 0.1, 1e-12))
        let same = Drift.ks([1, 2, 3], [1, 2, 3])
        #expect(same.d == 0 && same.pValue == 1)
    }

    /// scipy 1.17.1 `kstwo.sf(x, n)`, covering each of its branches.
    static let kstwoReference: [(Int, Double, Double)] = [
        (50, 0.05, 0.9990238098461883), (50, 0.15, 0.19026366518248072), (50, 0.3, 0.00017353260202718738),
        (50, 0.6, 9.634070456142374e-18), (120, 0.02, 0.9999999988031986), (500, 0.03, 0.7473166700457021),
        (500, 0.05, 0.15866260223815387), (500, 0.08, 0.0031305058199356268), (5000, 0.01, 0.6954557253913853),
        (5000, 0.02, 0.03613941395325637), (5000, 0.03, 0.00024159234422666817), (5000, 0.06, 4.337123323784545e-16),
        (200_000, 0.002, 0.39995085369038097), (200_000, 0.004, 0.003314212822560255), (6000, 0.0001, 1.0),
        (3000, 0.9995, 0.0),
    ]

    @Test func kstwoSurvivalMatchesScipy() {
        for (n, x, expected) in Self.kstwoReference {
            let p = KolmogorovN.sf(n: n, x: x)
            #expect(relClose(p, expected, 1e-9), "kstwo.sf(\(x), \(n)) = \(p), scipy \(expected)")
        }
    }

    @Test func ksAsymptoticMatchesScipy() {
        // ks_2samp([i/12000 for i in range(12000)], [j*j/90000 for j in range(300)])
        let a = (0..<12_000).map { Double($0) / 12_000 }
        let b = (0..<300).map { Double($0 * $0) / 90_000 }
        let r = Drift.ksTest(a, b)
        #expect(r.method == "asymptotic")
        #expect(relClose(r.d, 0.25325000000000003, 1e-12))
        #expect(relClose(r.pValue, 4.740908142834251e-17, 1e-9))
        // ks_2samp([i/20000 for i in range(20000)], [0.02 + j/15000*0.99 for j in range(15000)])
        let c = (0..<20_000).map { Double($0) / 20_000 }
        let d = (0..<15_000).map { 0.02 + Double($0) / 15_000 * 0.99 }
        let s = Drift.ksTest(c, d)
        #expect(relClose(s.d, 0.020033333333333334, 1e-12))
        #expect(relClose(s.pValue, 0.00202878083182951, 1e-9))
    }

    @Test func ksLargeSamplesUseAsymptoticMethod() {
        var r = SeededRandom(seed: 5)
        let a = (0..<12_000).map { _ in r.nextGaussian() }
        let b = (0..<12_000).map { _ in r.nextGaussian() + 0.05 }
        let t = Drift.ksTest(a, b)
        #expect(t.method == "asymptotic")
        #expect(t.d > 0.01 && t.d < 0.05)
        #expect(t.pValue < 0.05)
    }

    @Test func binaryTargetPSIMatchesReference() throws {
        // breast_cancer's target is 0/1: reference gives its PSI and the class proportions.
        let (old, new) = try Reference.oldNew("breast_cancer", file: "breast_cancer.csv", target: "target", features: [])
        let a = try #require(old.column(named: "target")?.doubles), b = try #require(new.column(named: "target")?.doubles)
        #expect(relClose(Drift.psi(reference: a, new: b), 0.1976017938))
        #expect(relClose(a.reduce(0, +) / Double(a.count), 0.5653266332))
    }

    @Test func categoricalPSIWithAppearedAndVanished() throws {
        let ref = [CategoryCount(value: "a", count: 50), CategoryCount(value: "b", count: 50)]
        let new = [CategoryCount(value: "a", count: 80), CategoryCount(value: "c", count: 20)]
        let r = Drift.categoricalPSI(reference: ref, new: new)
        let expected = (0.8 - 0.5) * log(0.8 / 0.5) + (1e-4 - 0.5) * log(1e-4 / 0.5) + (0.2 - 1e-4) * log(0.2 / 1e-4)
        #expect(relClose(r.psi, expected, 1e-12))
        #expect(r.appeared == ["c"])
        #expect(r.vanished == ["b"])
        let d1 = try CSVLoader.load(text: "c\na\nb\na\n", name: "x")
        let d2 = try CSVLoader.load(text: "c\na\nb\na\n", name: "y")
        let same = try Drift.categoricalPSI(reference: try #require(d1.column(named: "c")), new: try #require(d2.column(named: "c")))
        #expect(same.psi == 0 && same.appeared.isEmpty && same.vanished.isEmpty)
    }

    @Test func datasetSummaryIsCodableAndSmall() throws {
        let d = try CSVLoader.load(path: Paths.dataFile("bikeshare_2011.csv"), name: "bike", options: CSVOptions(target: "bikers"))
        let s = d.summary()
        let data = try JSONEncoder().encode(s)
        #expect(data.count < 20_000)
        let back = try JSONDecoder().decode(DatasetSummary.self, from: data)
        #expect(back == s)
        #expect(back.fingerprint == d.fingerprint())
        #expect(back.column(named: "mnth")?.categories.count == 12)
        #expect(back.column(named: "temp")?.binProportions.count == (back.column(named: "temp")?.edges.count ?? 0) + 1)
    }
}
