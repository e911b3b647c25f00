import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Tracking

@Suite struct ConcurrencyTests {
    /// Two stores (two DatabasePools, as two processes would have) on one file, each writing
    /// 500 runs from its own thread: all 1,000 arrive, and nothing fails with "database is locked".
    @Test func twoPoolsOnOneFileLoseNothing() throws {
        let first = try Store.temporary()
        let second = try Store(path: first.path)
        let errors = Mutex<[String]>([])
        let group = DispatchGroup()
        for (index, store) in [first, second].enumerated() {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    for i in 0..<500 {
                        let id = try store.beginRun(newRun(params: ["writer": String(index), "i": String(i)]))
                        try store.logEpoch(id, step: 1, values: ["train_loss": Double(i)])
                        try store.finishRun(id, status: .finished, finalMetrics: ["rmse": Double(i)])
                    }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(errors.withLock { $0 } == [])
        #expect(try first.runs().count == 1_000)
        #expect(try second.runIDs(RunQuery(filter: .compare(.param("writer"), .eq, .number(1)))).count == 500)
        #expect(try first.readOnlySQL("SELECT count(*) FROM metrics").rows == [[.integer(1_000)]])
        #expect(try first.integrityCheck() == "ok")
    }
}
