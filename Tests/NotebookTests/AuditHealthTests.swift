import Foundation
import Tabular
import Testing
import Tracking
@testable import Notebook

/// `audit` and `health` through the commands: a 5-generation lineage on generated yearly data.
@Suite struct AuditHealthTests {
    static let chain = """
        generate housing rows 600 seed 1 year 2019 as y2019
        generate housing rows 600 seed 2 year 2020 as y2020
        generate housing rows 600 seed 3 year 2021 as y2021
        generate housing rows 600 seed 4 year 2022 as y2022
        generate housing rows 600 seed 5 year 2023 as y2023
        model price = linear predicts price
        train price on y2019
        finetune price on y2020 anchor 600
        finetune price on y2021 anchor 600
        finetune price on y2022 anchor 600
        finetune price on y2023 anchor 600
        promote price@5 as production
        evaluate price@5 on y2023
        """

    @Test func auditNamesEveryAncestorDatasetAndTheWeightsChecksum() throws {
        let h = Harness()
        #expect(h.run(Self.chain) == 0, "\(h.err)")
        #expect(h.run("audit price@5 to \"a.md\"") == 0, "\(h.err)")
        let text = try String(contentsOfFile: h.directory.appendingPathComponent("a.md").path, encoding: .utf8)
        for v in 1...5 { #expect(text.contains("| price@\(v) "), "price@\(v) missing") }
        for year in 2019...2023 {
            let f = try #require(h.session.fingerprint(of: "y\(year)"))
            #expect(text.contains(f), "fingerprint of y\(year) missing")
        }
        #expect(text.contains("| finetune |"))
        #expect(text.contains("anchor=600"))
        #expect(text.contains("aliases now: price@production"))
        #expect(text.contains("| evaluate |"))

        // The checksum, recomputed from the blob as stored (read with SQL, not through retune's loader).
        let table = try h.session.store().readOnlySQL(
            "select v.weights from model_versions v join models m on m.id = v.model_id where m.name = 'price' and v.version = 5")
        guard case .blob(let bytes)? = table.rows.first?.first else {
            Issue.record("no weights blob for price@5")
            return
        }
        #expect(SHA256Stream.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let checksum = SHA256Stream.hex(bytes)
        #expect(text.contains("weights: SHA-256 \(checksum) "))
        // Another version's weights give another checksum.
        let other = try h.session.store().loadVersion("price", .number(4)).weights
        #expect(!text.contains(SHA256Stream.hex(other)))
        #expect(h.out.contains("5 generations, 5 datasets, weights sha256 \(checksum)"))
    }

    @Test func twoAuditsDifferOnlyInTheirTimestampAndHTMLHasCharts() throws {
        let h = Harness()
        #expect(h.run(Self.chain) == 0, "\(h.err)")
        #expect(h.run("audit price@5 to \"a.md\"\naudit price@production to \"b.md\"\naudit price@5 to \"c.html\"") == 0, "\(h.err)")
        func lines(_ name: String) throws -> [String] {
            try String(contentsOfFile: h.directory.appendingPathComponent(name).path, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.hasPrefix("generated ") }
        }
        #expect(try lines("a.md") == lines("b.md"))
        let html = try String(contentsOfFile: h.directory.appendingPathComponent("c.html").path, encoding: .utf8)
        #expect(html.contains("<svg"))
        #expect(html.components(separatedBy: "class=\"series\"").count - 1 >= 3)
        #expect(h.run("audit price@5 to \"d.txt\"") != 0)
        #expect(h.err.contains("Markdown (.md) or HTML (.html)"))
    }

    @Test func healthSaysWhatItCouldNotMeasureAndFinetuneWarns() throws {
        let h = Harness()
        #expect(h.run(Self.chain) == 0, "\(h.err)")
        // Yearly price inflation: the fine-tunes forget 2019 and the chain is flagged.
        #expect(h.err.contains("warning: price@3 extends an unhealthy chain"))
        #expect(h.run("health price") == 0, "\(h.err)")
        #expect(h.out.contains("price@1  full train (root of its chain): healthy"))
        #expect(h.out.contains("price@5  fine-tune chain of 4 since @1: forgetting +"))
        #expect(h.out.contains("verdict: price@5: retrain"))
        h.session.datasets["y2019"] = nil
        #expect(h.run("health price") == 0, "\(h.err)")
        #expect(h.out.contains("price@5  fine-tune chain of 4 since @1: drift PSI"))
        #expect(h.out.contains("root data not loaded: forgetting not measured"))
        // Without the root's rows, drift comes from its stored summary: PSI without KS.
        #expect(!h.out.components(separatedBy: "\n").last { $0.hasPrefix("price@5 ") }!.contains("KS"))
        // A retrain starts a new chain.
        #expect(h.run("retrain price on y2023\nhealth price") == 0, "\(h.err)")
        #expect(h.out.contains("price@6  full train (root of its chain): healthy"))
    }
}
