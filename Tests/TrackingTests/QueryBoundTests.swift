import Foundation
import Testing
@testable import Tracking

/// `sql` and `runs` statements run under a time limit and stop at once when cancelled.
@Suite struct QueryBoundTests {
    let runaway = "with recursive r(x) as (select 1 union all select x+1 from r) select count(*) from r"

    @Test func runawayCTEStopsAtItsTimeLimit() throws {
        let store = try Store.temporary()
        let start = Date()
        do {
            _ = try store.readOnlySQL(runaway, bound: QueryBound(seconds: 0.3))
            Issue.record("the runaway query returned")
        } catch {
            guard case .queryStopped(_, .timeout(let seconds)) = error else {
                Issue.record("expected a timeout, got \(error)")
                return
            }
            #expect(seconds == 0.3)
            #expect(error.description.contains("set sql_timeout"), "\(error)")
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func cancellationStopsARunningStatement() throws {
        let store = try Store.temporary()
        let flag = Flag()
        // A thread of its own sets the flag, as Ctrl-C's handler does (no GCD timer). Under the
        // parallel suite this test runs for ~110 s, and once measured 35 s from just before the
        // query to its end, so the bound is timed from when the flag was set.
        Thread { Thread.sleep(forTimeInterval: 0.2); flag.set() }.start()
        do {
            // The 300 s limit only turns a cancellation that does not work into a failure (a
            // timeout, not `.cancelled`) instead of a statement that runs for ever.
            _ = try store.readOnlySQL(runaway, bound: QueryBound(seconds: 300, cancelled: { flag.isSet }))
            Issue.record("the runaway query returned")
        } catch {
            #expect(error == .queryStopped(statement: runaway, .cancelled), "\(error)")
            #expect(error.isCancelledQuery)
        }
        // It stopped because of the flag, soon after it was set.
        let setAt = try #require(flag.setAt)
        #expect(Date().timeIntervalSince(setAt) < 10)
    }

    @Test func aBoundedQueryThatFinishesReturnsItsRows() throws {
        let store = try Store.temporary()
        let table = try store.readOnlySQL("select 1 + 1 as two", bound: QueryBound(seconds: 5))
        #expect(table.rows == [[.integer(2)]])
        // The handler is removed afterwards: the same statement unbounded works too.
        #expect(try store.readOnlySQL("select 3", bound: .unbounded).rows == [[.integer(3)]])
    }

    @Test func runsQueryIsBoundedToo() throws {
        let store = try Store.temporary()
        for _ in 0..<200 { _ = try store.beginRun(newRun(params: ["lr": "0.01"])) }
        let query = RunQuery(filter: .compare(.param("lr"), .gt, .number(0)))
        #expect(try store.runs(query, bound: QueryBound(seconds: 5)).count == 200)
        do {
            _ = try store.runs(query, bound: QueryBound(seconds: nil, cancelled: { true }))
            Issue.record("a cancelled runs query returned")
        } catch {
            #expect(error.isCancelledQuery, "\(error)")
        }
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date?
    func set() { lock.lock(); time = Date(); lock.unlock() }
    var isSet: Bool { setAt != nil }
    var setAt: Date? { lock.lock(); defer { lock.unlock() }; return time }
}
