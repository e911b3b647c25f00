import Foundation
import Testing
@testable import Tracking

@Suite struct RunLifecycleTests {
    @Test func runIsRecordedAsItHappens() throws {
        let store = try Store.temporary()
        let session = try store.beginSession(retuneVersion: "0.0.0-test")
        var run = newRun(.train, params: ["lr": "0.01", "epochs": "3", "hidden": "[64, 32]", "optimizer": "adam"],
                         datasets: [RunDataset(role: "train", name: "train", fingerprint: "abc", rows: 800),
                                    RunDataset(role: "valid", name: "valid", fingerprint: "def", rows: 200)])
        run.session = session
        run.cell = 4
        run.tags = ["purpose": "baseline"]
        run.note = "first try"
        let id = try store.beginRun(run)

        // Visible as running before it ends.
        let running = try store.run(id)
        #expect(running.row.status == .running)
        #expect(running.row.ended == nil && running.row.duration == nil)
        #expect(running.host == store.host && running.pid == store.pid)
        #expect(running.environment == testEnvironment)
        #expect(running.session == session && running.cell == 4)
        #expect(running.row.params["hidden"] == "[64, 32]")
        #expect(running.row.tags == ["purpose": "baseline"])
        #expect(running.row.note == "first try")
        #expect(running.datasets.map(\.role) == ["train", "valid"])
        #expect(running.datasets.map(\.rows) == [800, 200])

        for epoch in 1...3 {
            try store.logEpoch(id, step: epoch, values: ["train_loss": 1.0 / Double(epoch), "valid_loss": 2.0 / Double(epoch)])
        }
        #expect(try store.curveKeys(id) == ["train_loss", "valid_loss"])
        #expect(try store.curve(id, key: "valid_loss").map(\.value) == [2.0, 1.0, 2.0 / 3.0])
        #expect(try store.curve(id, key: "valid_loss").map(\.step) == [1, 2, 3])

        try store.upsertModel(name: "price", specJSON: #"{"kind":"mlp"}"#)
        let version = try store.addModelVersion(model: "price", parentVersion: nil, runID: id, weights: [1, 2, 3],
                                                formatVersion: 1, summary: [9], metrics: ["rmse": 0.7])
        try store.finishRun(id, status: .finished, finalMetrics: ["rmse": 0.7, "r2": 0.9],
                            cost: RunCost(wallSeconds: 1.25, examples: 2400, flops: 3.5e7), producedVersion: version)

        let done = try store.run(id)
        #expect(done.row.status == .finished)
        #expect(done.row.version == 1)
        #expect(done.row.metrics == ["rmse": 0.7, "r2": 0.9])
        #expect(done.cost == RunCost(wallSeconds: 1.25, examples: 2400, flops: 3.5e7))
        #expect((done.row.duration ?? -1) >= 0)
        #expect(done.curves["train_loss"]?.count == 3)
        #expect(done.lineage.map(\.version) == [1])
        #expect(done.command == "train price on train")
    }

    @Test func nanMetricsRoundTripAsNaN() throws {
        let store = try Store.temporary()
        let id = try store.beginRun(newRun())
        try store.logEpoch(id, step: 1, values: ["train_loss": .nan])
        try store.finishRun(id, status: .diverged, finalMetrics: ["rmse": .nan])
        #expect(try store.curve(id, key: "train_loss").first?.value.isNaN == true)
        let detail = try store.run(id)
        #expect(detail.row.status == .diverged)
        #expect(detail.row.metrics["rmse"]?.isNaN == true)
    }

    @Test func cvFoldsAreChildRuns() throws {
        let store = try Store.temporary()
        let cv = try store.beginRun(newRun(.cv))
        let folds = try (0..<3).map { _ in try store.beginRun(newRun(.fold, parentRun: cv)) }
        #expect(try store.run(cv).children == folds)
        #expect(try store.run(folds[0]).row.parentRun == cv)
        #expect(throws: StoreError.noSuchRun(999)) { try store.beginRun(newRun(.fold, parentRun: 999)) }
    }

    @Test func missingRunsAreClearErrors() throws {
        let store = try Store.temporary()
        #expect(throws: StoreError.noSuchRun(7)) { try store.finishRun(7, status: .finished) }
        #expect(throws: StoreError.noSuchRun(7)) { try store.run(7) }
        #expect(throws: StoreError.noSuchRun(7)) { try store.tag(7, key: "a", value: "b") }
        #expect(throws: StoreError.noSuchRun(7)) { try store.logEpoch(7, step: 1, values: ["train_loss": 1]) }
        #expect(throws: StoreError.noSuchRun(7)) { try store.curve(7, key: "train_loss") }
        #expect {
            _ = try Store(path: "/nonexistent-dir-\(UUID().uuidString)/x.db")
        } throws: { error in
            guard case let .cannotOpen(path, _) = error as? StoreError else { return false }
            return path.hasSuffix("/x.db")
        }
        #expect(StoreError.noSuchRun(7).description == "no run #7")
    }

    @Test func cellsAndSessions() throws {
        let store = try Store.temporary()
        let session = try store.beginSession(retuneVersion: "0.0.0-test", source: "sessions/x.retune")
        try store.recordCell(session: session, number: 1, text: "load \"a.csv\" as a", status: .ok, duration: 0.01)
        try store.recordCell(session: session, number: 2, text: "train nope", status: .error, duration: 0.002,
                             error: "1:7: error: no model named 'nope'")
        try store.endSession(session)
        let cells = try store.cells(session: session)
        #expect(cells.map(\.number) == [1, 2])
        #expect(cells.map(\.status) == [.ok, .error])
        #expect(cells[1].error?.contains("nope") == true)
        #expect(try store.cells(session: session + 1).isEmpty)
    }

    @Test func datasetsAreRecordedOnce() throws {
        let store = try Store.temporary()
        let a = try store.recordDataset(name: "old", fingerprint: "f1", rows: 10, columns: 3, source: "a.csv")
        let b = try store.recordDataset(name: "old", fingerprint: "f1", rows: 10)
        let c = try store.recordDataset(name: "old", fingerprint: "f2", rows: 12)
        #expect(a == b)
        #expect(a != c)
        let rows = try store.readOnlySQL("SELECT source FROM datasets WHERE id = \(a)")
        #expect(rows.rows == [[.text("a.csv")]])
    }

    @Test func tagsNotesSoftDeleteAndPurge() throws {
        let store = try Store.temporary()
        let a = try addFinishedRun(store, metrics: ["rmse": 1])
        let b = try addFinishedRun(store, metrics: ["rmse": 2])
        try store.logEpoch(b, step: 1, values: ["train_loss": 3])
        try store.tag(a, key: "stage", value: "candidate")
        try store.setNote(a, "looks good")
        #expect(try store.run(a).row.tags == ["stage": "candidate"])
        #expect(try store.run(a).row.note == "looks good")

        try store.deleteRun(b)
        #expect(try store.runs().map(\.id) == [a])
        #expect(try store.runs(RunQuery(includeDeleted: true)).map(\.id) == [a, b])
        #expect(try store.run(b).row.deleted)
        try store.restoreRun(b)
        #expect(try store.runs().map(\.id) == [a, b])

        try store.deleteRun(b)
        let counts = try store.purge()
        #expect(counts.runs == 1)
        #expect(throws: StoreError.noSuchRun(b)) { try store.run(b) }
        // Its curve and metrics went with it.
        #expect(try store.readOnlySQL("SELECT count(*) FROM metrics").rows == [[.integer(0)]])
        #expect(try store.readOnlySQL("SELECT count(*) FROM final_metrics").rows == [[.integer(1)]])
        #expect(try store.integrityCheck() == "ok")
    }
}

@Test(arguments: [("0.01", 0.01), ("40", 40), (" 1e-3 ", 0.001), ("-2", -2)])
func numericParamsAreIndexedAsNumbers(text: String, expected: Double) {
    #expect(Store.numericValue(text) == expected)
}

@Test(arguments: ["adam", "[64, 32]", "0x10", "inf", "nan", "", "true"])
func otherParamsAreText(text: String) {
    #expect(Store.numericValue(text) == nil)
}
