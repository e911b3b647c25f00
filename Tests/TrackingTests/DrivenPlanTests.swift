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

    /// The ids the generic statement gives for `query` (no plan shortcuts).
    func generic(_ store: Store, _ query: RunQuery) throws -> [Int64] {
        let compiled = try FilterCompiler.compile(query, dialect: store.dialect)
        return try store.read("generic") { db in try db.fetchAll(as: Int64.self, compiled.sql, arguments: compiled.arguments) }
    }

    /// A store for the run-id-order walk: parameters numeric, textual, quoted-number-like and
    /// missing; metrics, tags; some runs soft-deleted.
    func paramStore() throws -> Store {
        let store = try Store.temporary()
        var state: UInt64 = 777
        func next(_ n: UInt64) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % n)
        }
        for i in 0..<150 {
            var params: [String: String] = [:]
            switch next(5) {
            case 0: break
            case 1: params["lr"] = ["fast", "slow", "0.01x"][next(3)]
            default: params["lr"] = ["0.1", "0.01", "1e-2", "0.001", " 0.01 "][next(5)]
            }
            if next(3) > 0 { params["opt"] = ["adam", "sgd", "10"][next(3)] }
            var metrics: [String: Double] = [:]
            if next(4) > 0 { metrics["rmse"] = next(5) == 0 ? .nan : Double(next(10)) / 10 }
            let id = try addFinishedRun(store, kind: next(2) == 0 ? .train : .finetune, params: params, metrics: metrics)
            if next(4) == 0 { try store.tag(id, key: "stage", value: ["good", "bad"][next(2)]) }
            if i % 7 == 3 { try store.deleteRun(id) }
        }
        return store
    }

    @Test func idOrderPlanMatchesTheGenericStatement() throws {
        let store = try paramStore()
        let lr = Operand.param("lr"), opt = Operand.param("opt")
        let filters: [RunFilter] = [
            .compare(lr, .eq, .number(0.01)),
            .compare(.number(0.01), .eq, lr),
            .compare(lr, .eq, .string("0.01")),
            .compare(lr, .eq, .string("fast")),
            .compare(lr, .ne, .number(0.01)),
            .compare(lr, .gt, .number(0.005)),
            .compare(lr, .le, .number(0.01)),
            .compare(lr, .lt, .string("g")),
            .compare(opt, .eq, .number(10)),
            .compare(opt, .eq, .string("adam")),
            .not(.compare(lr, .eq, .number(0.01))),
            .or(.compare(lr, .eq, .string("slow")), .compare(opt, .eq, .string("sgd"))),
            .and(.compare(lr, .eq, .number(0.01)), .compare(.field(.kind), .eq, .string("finetune"))),
            .and(.compare(lr, .eq, .number(0.01)), .not(.compare(.metric("rmse"), .lt, .number(0.5)))),
            .isIn(lr, [.number(0.1), .number(0.001)]),
            .isIn(lr, [.string("fast"), .string("slow")]),
            .like(lr, "0.0%"),
            .has(lr),
            .not(.has(lr)),
            .compare(.tag("stage"), .eq, .string("good")),
            .or(.compare(.metric("rmse"), .ge, .number(0.7)), .not(.has(.param("opt")))),
            .compare(lr, .eq, .number(0.5)),
        ]
        let orders: [[RunOrder]] = [[], [RunOrder(.field(.id))], [RunOrder(.field(.id), descending: true)]]
        var compared = 0, nonEmpty = 0
        for filter in filters {
            for order in orders {
                for includeDeleted in [false, true] {
                    let all = try generic(store, RunQuery(filter: filter, order: order, includeDeleted: includeDeleted))
                    if !all.isEmpty { nonEmpty += 1 }
                    for limit in [1, 3, 10, 500] {
                        let query = RunQuery(filter: filter, order: order, limit: limit, includeDeleted: includeDeleted)
                        #expect(try FilterCompiler.idOrderPlan(query) != nil, "\(query) should take the id-order walk")
                        let expected = try generic(store, query)
                        #expect(expected == Array(all.prefix(limit)))
                        #expect(try store.runIDs(query) == expected, "filter \(filter) order \(order) limit \(limit) all \(includeDeleted)")
                        // Windows smaller than the store: walk, then the generic statement after the window.
                        for window in [1, 7, 40] {
                            let ids = try store.read("windowed") { db in try store.matchingIDs(db, query, window: window) }
                            #expect(ids == expected, "window \(window) filter \(filter) order \(order) limit \(limit) all \(includeDeleted)")
                        }
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == filters.count * orders.count * 2 * 4)
        // Nearly every filter matches something, so a wrong plan would show.
        #expect(nonEmpty >= (filters.count - 1) * orders.count * 2)
        // The walk is only for limited queries ordered by id that test a keyed table.
        #expect(try FilterCompiler.idOrderPlan(RunQuery(filter: .compare(lr, .eq, .number(0.01)))) == nil)
        #expect(try FilterCompiler.idOrderPlan(RunQuery(filter: .compare(.field(.kind), .eq, .string("train")), limit: 5)) == nil)
        #expect(try FilterCompiler.idOrderPlan(RunQuery(filter: .compare(lr, .eq, .number(0.01)),
                                                        order: [RunOrder(.metric("rmse"))], limit: 5)) == nil)
        #expect(try FilterCompiler.idOrderPlan(RunQuery(filter: .compare(lr, .eq, .number(0.01)),
                                                        order: [RunOrder(.field(.started))], limit: 5)) == nil)
    }
}
