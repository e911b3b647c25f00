import Foundation
import Testing
@testable import Tracking

@Suite struct InterruptedTests {
    @Test func runningRunsOfDeadOwnersAreMarkedInterruptedOnOpen() throws {
        let store = try Store.temporary()
        let dead = try store.beginRun(newRun())
        let alive = try store.beginRun(newRun())
        let elsewhere = try store.beginRun(newRun())
        let finished = try addFinishedRun(store)
        // pid_max is at most 2^22 on Linux: this pid cannot exist.
        let deadPID = Int(Int32.max) - 1
        #expect(!HostInfo.processIsAlive(deadPID))
        #expect(HostInfo.processIsAlive(HostInfo.pid))
        try #require(store.pool).write { db in
            try db.execute(sql: "UPDATE runs SET pid = ? WHERE id IN (?, ?)", arguments: [deadPID, dead, finished])
            try db.execute(sql: "UPDATE runs SET host = 'some-other-host', pid = ? WHERE id = ?", arguments: [deadPID, elsewhere])
        }
        try store.logEpoch(dead, step: 1, values: ["train_loss": 0.5])

        let reopened = try Store(path: store.path)
        #expect(reopened.interruptedOnOpen == [dead])
        let statuses = Dictionary(uniqueKeysWithValues: try reopened.runs().map { ($0.id, $0.status) })
        #expect(statuses[dead] == .interrupted)
        #expect(statuses[alive] == .running)
        #expect(statuses[elsewhere] == .running)
        #expect(statuses[finished] == .finished)
        let detail = try reopened.run(dead)
        #expect(detail.error?.contains("\(deadPID)") == true)
        #expect(detail.row.ended != nil)
        // What it logged before dying is kept.
        #expect(detail.curves["train_loss"]?.count == 1)
        // A second open finds nothing more to mark.
        #expect(try Store(path: store.path).interruptedOnOpen.isEmpty)
    }
}
