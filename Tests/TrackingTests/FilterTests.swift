import Foundation
import Testing
@testable import Tracking

@Suite struct FilterTests {
    /// Six runs: train/finetune × lr, with rmse and curves.
    func populated() throws -> (Store, [Int64]) {
        let store = try Store.temporary()
        var ids: [Int64] = []
        let specs: [(RunKind, String, Double, String)] = [
            (.train, "0.01", 0.9, "old"), (.train, "0.1", 0.4, "old"), (.finetune, "0.001", 0.3, "new"),
            (.finetune, "0.01", 0.45, "new"), (.retrain, "0.01", 0.2, "new"), (.evaluate, "n/a", 0.6, "test"),
        ]
        for (i, (kind, lr, rmse, data)) in specs.enumerated() {
            let id = try addFinishedRun(store, kind: kind, model: i == 5 ? "churn" : "price",
                                        params: ["lr": lr, "epochs": String(10 * (i + 1))],
                                        metrics: ["rmse": rmse], datasets: [data])
            try store.logEpoch(id, step: 1, values: ["valid_loss": rmse + 1])
            try store.logEpoch(id, step: 2, values: ["valid_loss": rmse + 0.5])
            ids.append(id)
        }
        return (store, ids)
    }

    func ids(_ store: Store, _ filter: RunFilter, order: [RunOrder] = [], limit: Int? = nil) throws -> [Int64] {
        try store.runIDs(RunQuery(filter: filter, order: order, limit: limit))
    }

    @Test func comparisonsOnFieldsParamsMetricsAndCurves() throws {
        let (store, r) = try populated()
        #expect(try ids(store, .compare(.field(.kind), .eq, .string("finetune"))) == [r[2], r[3]])
        #expect(try ids(store, .compare(.field(.model), .ne, .string("price"))) == [r[5]])
        #expect(try ids(store, .compare(.param("lr"), .eq, .number(0.01))) == [r[0], r[3], r[4]])
        // Numeric, not textual: "60" > "100" as text, not as numbers.
        #expect(try ids(store, .compare(.param("epochs"), .ge, .number(40))) == [r[3], r[4], r[5]])
        #expect(try ids(store, .compare(.param("lr"), .eq, .string("n/a"))) == [r[5]])
        #expect(try ids(store, .compare(.metric("rmse"), .lt, .number(0.41))) == [r[1], r[2], r[4]])
        // Literal on the left flips the operator.
        #expect(try ids(store, .compare(.number(0.41), .gt, .metric("rmse"))) == [r[1], r[2], r[4]])
        #expect(try ids(store, .compare(.curve(.min, "valid_loss"), .lt, .number(0.85))) == [r[2], r[4]])
        #expect(try ids(store, .compare(.curve(.first, "valid_loss"), .ge, .number(1.6))) == [r[5], r[0]].sorted())
        #expect(try ids(store, .compare(.curve(.count, "valid_loss"), .eq, .number(2))).count == 6)
        #expect(try ids(store, .compare(.field(.dataset), .eq, .string("new"))) == [r[2], r[3], r[4]])
        #expect(try ids(store, .compare(.field(.id), .gt, .number(Double(r[4])))) == [r[5]])
    }

    @Test func booleanCombinationsAndMissingKeys() throws {
        let (store, r) = try populated()
        let finetune = RunFilter.compare(.field(.kind), .eq, .string("finetune"))
        let good = RunFilter.compare(.metric("rmse"), .lt, .number(0.4))
        #expect(try ids(store, .and(finetune, good)) == [r[2]])
        #expect(try ids(store, .or(finetune, good)) == [r[2], r[3], r[4]])
        #expect(try ids(store, .not(good)) == [r[0], r[1], r[3], r[5]])
        // A run without the metric never matches the comparison, and matches its negation.
        let extra = try addFinishedRun(store, metrics: [:])
        #expect(try !ids(store, good).contains(extra))
        #expect(try ids(store, .not(good)).contains(extra))
        #expect(try ids(store, .has(.metric("rmse"))).count == 6)
        #expect(try ids(store, .not(.has(.metric("rmse")))) == [extra])
    }

    @Test func inAndLike() throws {
        let (store, r) = try populated()
        #expect(try ids(store, .isIn(.field(.kind), [.string("retrain"), .string("evaluate")])) == [r[4], r[5]])
        #expect(try ids(store, .isIn(.param("lr"), [.number(0.1), .number(0.001)])) == [r[1], r[2]])
        #expect(try ids(store, .isIn(.field(.dataset), [.string("old")])) == [r[0], r[1]])
        #expect(try ids(store, .isIn(.metric("rmse"), [])) == [])
        #expect(try ids(store, .like(.field(.kind), "fine%")) == [r[2], r[3]])
        #expect(try ids(store, .like(.param("lr"), "0.0_")) == [r[0], r[3], r[4]])
    }

    @Test func orderingAndLimit() throws {
        let (store, r) = try populated()
        let byRMSE = [RunOrder(.metric("rmse"))]
        #expect(try ids(store, .all, order: byRMSE, limit: 3) == [r[4], r[2], r[1]])
        #expect(try ids(store, .all, order: [RunOrder(.metric("rmse"), descending: true)], limit: 2) == [r[0], r[5]])
        #expect(try ids(store, .all, order: [RunOrder(.param("epochs"), descending: true)], limit: 2) == [r[5], r[4]])
        #expect(try ids(store, .all, order: [RunOrder(.curve(.last, "valid_loss"))], limit: 1) == [r[4]])
        // Runs lacking the key sort last both ways.
        let extra = try addFinishedRun(store, metrics: [:])
        #expect(try ids(store, .all, order: byRMSE).last == extra)
        #expect(try ids(store, .all, order: [RunOrder(.metric("rmse"), descending: true)]).last == extra)
        // The benchmark query.
        let q = RunFilter.and(.compare(.metric("rmse"), .lt, .number(0.5)), .compare(.param("lr"), .eq, .number(0.01)))
        #expect(try ids(store, q, order: byRMSE, limit: 10) == [r[4], r[3]])
        let rows = try store.runs(RunQuery(filter: q, order: byRMSE, limit: 10))
        #expect(rows.map(\.metrics["rmse"]) == [0.2, 0.45])
        #expect(rows.first?.datasets == ["new"])
        #expect(rows.first?.params["lr"] == "0.01")
    }

    @Test func timesCompareWithISODates() throws {
        let (store, r) = try populated()
        #expect(try ids(store, .compare(.field(.started), .gt, .string("2000-01-01"))) == r)
        #expect(try ids(store, .compare(.field(.started), .lt, .string("2000-01-01T00:00:00Z"))) == [])
        #expect(throws: StoreError.self) { try ids(store, .compare(.field(.started), .gt, .string("yesterday"))) }
        #expect(try ids(store, .compare(.field(.duration), .ge, .number(0))) == r)
    }

    @Test func typeErrorsAreClear() throws {
        let (store, _) = try populated()
        #expect {
            try ids(store, .compare(.field(.status), .eq, .string("finsihed")))
        } throws: { error in
            "\(error)".contains("unknown status 'finsihed'") && "\(error)".contains("interrupted")
        }
        #expect(throws: StoreError.self) { try ids(store, .compare(.field(.kind), .eq, .number(3))) }
        #expect(throws: StoreError.self) { try ids(store, .compare(.field(.version), .eq, .string("three"))) }
    }

    @Test func valuesAndKeysAreBoundNeverSpliced() throws {
        let (store, _) = try populated()
        let attacks = ["x' OR '1'='1", "'; DROP TABLE runs; --", "\") OR 1=1 --", "rmse') OR 1=1 --"]
        for attack in attacks {
            let filter = RunFilter.or(.compare(.field(.model), .eq, .string(attack)),
                                      .compare(.metric(attack), .lt, .number(1)))
            let compiled = try store.compiledSQL(RunQuery(filter: filter, order: [RunOrder(.param(attack))]))
            #expect(!compiled.sql.contains(attack))
            #expect(!compiled.sql.contains("'"))
            #expect(compiled.values.contains(.text(attack)))
            #expect(try ids(store, filter).isEmpty)
            #expect(try ids(store, .like(.param(attack), attack)).isEmpty)
            // The index-driven plan (order by a metric with a limit) binds its key too.
            #expect(try ids(store, .compare(.field(.kind), .ne, .string(attack)), order: [RunOrder(.metric(attack))], limit: 3).count == 3)
        }
        #expect(try store.runs().count == 6)
    }

    @Test func bareNamesResolveOrExplain() throws {
        let (store, _) = try populated()
        #expect(try store.resolveName("kind") == .field(.kind))
        #expect(try store.resolveName("rmse") == .metric("rmse"))
        #expect(try store.resolveName("lr") == .param("lr"))
        #expect(try store.resolveName("param.seed") == .param("seed"))
        #expect(try store.resolveName("metric.lr") == .metric("lr"))
        #expect(try store.resolveName("tag.stage") == .tag("stage"))
        // `seed` is a run field; make it also a metric and a param.
        try addFinishedRun(store, params: ["seed": "1"], metrics: ["seed": 1])
        #expect(throws: StoreError.ambiguousName("seed", choices: ["run field 'seed'", "metric.seed", "param.seed"])) {
            try store.resolveName("seed")
        }
        let ambiguous = StoreError.ambiguousName("seed", choices: ["metric.seed", "param.seed"])
        #expect(ambiguous.description.contains("metric.seed, param.seed"))
        #expect {
            try store.resolveName("rmes")
        } throws: { error in
            guard case let .unknownName(name, suggestions) = error as? StoreError else { return false }
            return name == "rmes" && suggestions.contains("metric.rmse")
        }
        // A curve key alone is not a value: the error suggests aggregates.
        #expect(throws: StoreError.unknownName("valid_loss", suggestions: ["last(valid_loss)", "min(valid_loss)"])) {
            try store.resolveName("valid_loss")
        }
    }

    @Test func deletedRunsAreHiddenFromQueries() throws {
        let (store, r) = try populated()
        try store.deleteRun(r[4])
        let byRMSE = [RunOrder(.metric("rmse"))]
        #expect(try ids(store, .all, order: byRMSE, limit: 1) == [r[2]])
        #expect(try store.runIDs(RunQuery(order: byRMSE, limit: 1, includeDeleted: true)) == [r[4]])
        #expect(try store.exportRows().rows.count == 5)
    }
}
