import Foundation
import Testing
@testable import Tracking

/// `order by metric.K|param.K … limit N` runs through an index-driven plan; without a limit
/// the generic statement sorts every match. Both must give the same rows in the same order.
@Suite struct DrivenPlanTests {
    func populated() throws -> Store {
        let store = try Store.temporary()
        var state: UInt64 = 12345
        func next(_ n: UInt64) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % n)
        }
        for i in 0..<80 {
            var params: [String: String] = [:]
            switch next(4) {
            case 0: break
            case 1: params["lr"] = "fast"
            default: params["lr"] = ["0.1", "0.01", "0.001"][next(3)]
            }
            var metrics: [String: Double] = [:]
            switch next(6) {
            case 0: break
            case 1: metrics["rmse"] = .nan
            default: metrics["rmse"] = Double(next(10)) / 10
            }
            let kind: RunKind = next(2) == 0 ? .train : .finetune
            let id = try addFinishedRun(store, kind: kind, params: params, metrics: metrics)
            if i % 13 == 0 { try store.deleteRun(id) }
        }
        return store
    }

    @Test func drivenPlanMatchesGenericSort() throws {
        let store = try populated()
        let filters: [RunFilter] = [
            .all,
            .compare(.metric("rmse"), .lt, .number(0.5)),
            .compare(.number(0.3), .le, .metric("rmse")),
            .compare(.field(.kind), .eq, .string("finetune")),
            .and(.compare(.param("lr"), .eq, .number(0.01)), .compare(.metric("rmse"), .ge, .number(0.2))),
            .not(.compare(.metric("rmse"), .lt, .number(0.3))),
            .or(.compare(.param("lr"), .eq, .string("fast")), .compare(.metric("rmse"), .gt, .number(0.7))),
            .compare(.param("lr"), .gt, .number(0.005)),
        ]
        let orders: [[RunOrder]] = [
            [RunOrder(.metric("rmse"))], [RunOrder(.metric("rmse"), descending: true)],
            [RunOrder(.param("lr"))], [RunOrder(.param("lr"), descending: true)],
            [RunOrder(.metric("rmse")), RunOrder(.param("lr"), descending: true)],
            [RunOrder(.param("lr")), RunOrder(.metric("rmse"))],
        ]
        var checked = 0
        for filter in filters {
            for order in orders {
                for includeDeleted in [false, true] {
                    let all = try store.runIDs(RunQuery(filter: filter, order: order, includeDeleted: includeDeleted))
                    for limit in [1, 4, 25, 200] {
                        let limited = try store.runIDs(RunQuery(filter: filter, order: order, limit: limit, includeDeleted: includeDeleted))
                        #expect(limited == Array(all.prefix(limit)), "filter \(filter) order \(order) limit \(limit)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == filters.count * orders.count * 2 * 4)
        #expect(try store.runIDs(RunQuery(order: [RunOrder(.metric("rmse"))], limit: 0)).isEmpty)
    }
}
