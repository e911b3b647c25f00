// The hot write path (C-API binding, cached BEGIN/COMMIT, upserts, per-process caches): same
// results as before, errors roll back, constraints still hold.
import Foundation
import GRDB
import Testing
@testable import Tracking

@Suite struct WritePathTests {
    @Test func newStoreUsesSmallPagesAndLargeCheckpointInterval() throws {
        let store = try Store.temporary()
        let (pageSize, autocheckpoint) = try store.read("test") { db in
            (try db.fetchOne(as: Int.self, "PRAGMA page_size") ?? 0, try db.fetchOne(as: Int.self, "PRAGMA wal_autocheckpoint") ?? 0)
        }
        #expect(pageSize == Store.pageSize)
        #expect(pageSize == 1024)
        #expect(autocheckpoint == 32_000)
    }

    @Test func beginAndFinishRecordEveryValue() throws {
        let store = try Store.temporary()
        var run = newRun(.finetune, model: "price", params: ["lr": " 1e-3 ", "opt": "adam", "hidden": "[64, 32]", "empty": ""],
                         datasets: [RunDataset(role: "train", name: "old", fingerprint: "f1", rows: 10),
                                    RunDataset(role: "new", name: "new", fingerprint: "f2", rows: 20)],
                         seed: nil, parentVersion: 2)
        run.tags = ["who": "me"]
        run.note = "a note"
        run.cell = 4
        let id = try store.beginRun(run)
        try store.finishRun(id, status: .diverged, finalMetrics: ["rmse": .nan, "mae": 0.25, "r2": -.infinity],
                            cost: RunCost(wallSeconds: 1.5, examples: 300, flops: .nan), producedVersion: 3, error: "boom")
        let detail = try store.run(id)
        #expect(detail.row.params == ["lr": " 1e-3 ", "opt": "adam", "hidden": "[64, 32]", "empty": ""])
        #expect(detail.row.status == .diverged)
        #expect(detail.row.seed == nil)
        #expect(detail.row.version == 3)
        #expect(detail.row.parentVersion == 2)
        #expect(detail.row.tags == ["who": "me"])
        #expect(detail.row.note == "a note")
        #expect(detail.cell == 4)
        #expect(detail.row.metrics["rmse"]?.isNaN == true)
        #expect(detail.row.metrics["mae"] == 0.25)
        #expect(detail.row.metrics["r2"] == -.infinity)
        #expect(detail.cost?.wallSeconds == 1.5)
        #expect(detail.cost?.examples == 300)
        #expect(detail.error == "boom")
        #expect(detail.environment == testEnvironment)
        #expect(detail.datasets.map(\.name) == ["old", "new"])
        let nums = try store.readOnlySQL("SELECT key, num FROM params WHERE run_id = \(id) ORDER BY key").rows
        #expect(nums == [[.text("empty"), .null], [.text("hidden"), .null], [.text("lr"), .real(0.001)], [.text("opt"), .null]])
    }

    @Test func finishingAMissingRunRollsBackItsMetrics() throws {
        let store = try Store.temporary()
        #expect(throws: StoreError.noSuchRun(41)) { try store.finishRun(41, status: .finished, finalMetrics: ["rmse": 1]) }
        #expect(try store.readOnlySQL("SELECT count(*) FROM final_metrics").rows == [[.integer(0)]])
        // The connection is usable afterwards (no transaction left open).
        let id = try store.beginRun(newRun())
        try store.finishRun(id, status: .finished, finalMetrics: ["rmse": 2])
        #expect(try store.run(id).row.metrics == ["rmse": 2])
    }

    @Test func relogAndRefinishReplaceValues() throws {
        let store = try Store.temporary()
        let id = try store.beginRun(newRun())
        try store.logEpoch(id, step: 1, values: ["train_loss": 3, "valid_loss": 4])
        try store.logEpoch(id, step: 1, values: ["train_loss": 1])
        try store.logEpoch(id, step: 2, values: ["train_loss": .nan])
        let curve = try store.curve(id, key: "train_loss")
        #expect(curve.map(\.step) == [1, 2])
        #expect(curve.first?.value == 1)
        #expect(curve.last?.value.isNaN == true)
        #expect(try store.curve(id, key: "valid_loss").map(\.value) == [4])
        try store.setFinalMetrics(id, ["rmse": 5])
        try store.finishRun(id, status: .finished, finalMetrics: ["rmse": 6, "mae": 1])
        #expect(try store.run(id).row.metrics == ["rmse": 6, "mae": 1])
    }

    @Test func statusCheckStillRefusesUnknownValues() throws {
        let store = try Store.temporary()
        let id = try store.beginRun(newRun())
        #expect(throws: (any Error).self) {
            try #require(store.pool).write { db in try db.execute(sql: "UPDATE runs SET status = 'bogus' WHERE id = ?", arguments: [id]) }
        }
        #expect(throws: (any Error).self) {
            try #require(store.pool).write { db in
                try db.execute(sql: "INSERT INTO cells(session_id, number, text, status, duration, started) VALUES (NULL, 1, 'x', 'odd', 0, 0)")
            }
        }
        #expect(try store.run(id).row.status == .running)
    }

    @Test func repeatedDatasetRecordingIsCachedButChangesStillLand() throws {
        let store = try Store.temporary()
        let a = try store.recordDataset(name: "d", fingerprint: "f", rows: 3)
        let b = try store.recordDataset(name: "d", fingerprint: "f", rows: 3)
        #expect(a == b)
        let c = try store.recordDataset(name: "d", fingerprint: "f", rows: 3, columns: 2, source: "file.csv")
        #expect(c == a)
        #expect(try store.readOnlySQL("SELECT count(*), max(source), max(columns) FROM datasets").rows
                == [[.integer(1), .text("file.csv"), .integer(2)]])
        let d = try store.recordDataset(name: "d", fingerprint: "g", rows: 3)
        #expect(d != a)
    }

    @Test(arguments: [("5.", 5.0), (".5", 0.5), ("+2", 2.0), ("1E3", 1000.0), ("\t7 ", 7.0), ("-0.0", -0.0)])
    func moreNumericSpellings(text: String, expected: Double) {
        #expect(Store.numericValue(text) == expected)
    }

    @Test(arguments: ["1e", "e5", ".", "-", "1.2.3", "1e+", "1 2", "1e400", "0x1p3", "١"])
    func moreNonNumericSpellings(text: String) {
        #expect(Store.numericValue(text) == nil)
    }
    @Test func manyRowsAreWrittenInChunksWithTheLastValueWinning() throws {
        let store = try Store.temporary()
        let params = Dictionary(uniqueKeysWithValues: (0..<75).map { ("p\($0)", String($0)) })
        let id = try store.beginRun(newRun(params: params))
        var points = (1...70).map { MetricPoint(key: "train_loss", step: $0, value: Double($0), time: 0) }
        points.append(MetricPoint(key: "train_loss", step: 3, value: -1, time: 1))  // same step again, later in the call
        try store.logPoints(id, points)
        let curve = try store.curve(id, key: "train_loss")
        #expect(curve.count == 70)
        #expect(curve.map(\.step) == Array(1...70))
        #expect(curve[2].value == -1)
        #expect(curve[69].value == 70)
        let metrics = Dictionary(uniqueKeysWithValues: (0..<40).map { ("m\($0)", Double($0)) })
        try store.finishRun(id, status: .finished, finalMetrics: metrics)
        let row = try store.run(id).row
        #expect(row.params == params)
        #expect(row.metrics == metrics)
        #expect(throws: StoreError.noSuchRun(id + 1)) { try store.logPoints(id + 1, points) }
        #expect(try store.readOnlySQL("SELECT count(*) FROM metrics").rows == [[.integer(70)]])
    }
}
