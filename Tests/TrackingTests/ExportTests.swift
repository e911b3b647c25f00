import Foundation
import Testing
@testable import Tracking

@Suite struct ExportTests {
    @Test func exportRowsHaveParamAndMetricColumns() throws {
        let store = try Store.temporary()
        let a = try addFinishedRun(store, params: ["lr": "0.01", "epochs": "40", "optimizer": "adam"], metrics: ["rmse": 0.5])
        let b = try addFinishedRun(store, kind: .finetune, params: ["lr": "0.001", "freeze": "1"], metrics: ["rmse": 0.4, "r2": 0.8])
        try store.tag(b, key: "stage", value: "candidate")
        try store.tag(b, key: "by", value: "me")
        let table = try store.exportRows(RunQuery(order: [RunOrder(.field(.id))]))
        #expect(table.rows.count == 2)
        let col = { (name: String) throws -> Int in try #require(table.columns.firstIndex(of: name)) }
        #expect(try table.rows[0][col("id")] == .integer(a))
        #expect(try table.rows[0][col("param.lr")] == .real(0.01))
        #expect(try table.rows[0][col("param.epochs")] == .integer(40))
        #expect(try table.rows[0][col("param.optimizer")] == .text("adam"))
        #expect(try table.rows[0][col("param.freeze")] == .null)
        #expect(try table.rows[1][col("metric.r2")] == .real(0.8))
        #expect(try table.rows[1][col("tags")] == .text("by=me; stage=candidate"))
        #expect(try table.rows[1][col("kind")] == .text("finetune"))
        #expect(try table.rows[1][col("wall_seconds")] == .real(0.5))
        guard case let .text(started) = try table.rows[0][col("started")] else {
            Issue.record("started is not text")
            return
        }
        #expect(started.hasSuffix("Z") && started.contains("T"))
        #expect(FilterCompiler.parseDate(started) != nil)
        // Param and metric columns are sorted by key after the fixed ones.
        let params = table.columns.filter { $0.hasPrefix("param.") }
        #expect(params == ["param.epochs", "param.freeze", "param.lr", "param.optimizer"])
        let filtered = try store.exportRows(RunQuery(filter: .compare(.field(.kind), .eq, .string("finetune"))))
        #expect(filtered.rows.count == 1)
        #expect(!filtered.columns.contains("param.epochs"))
    }

    @Test func curvePointsForSeveralRuns() throws {
        let store = try Store.temporary()
        let a = try store.beginRun(newRun())
        let b = try store.beginRun(newRun())
        try store.logEpoch(a, step: 1, values: ["train_loss": 2])
        try store.logEpoch(a, step: 2, values: ["train_loss": 1])
        try store.logPoints(b, [MetricPoint(key: "valid_loss", step: 1, value: 3, time: 0)])
        let table = try store.curvePoints([a, b])
        #expect(table.columns == ["run", "key", "step", "value", "time"])
        #expect(table.rows.map { $0[0] } == [.integer(a), .integer(a), .integer(b)])
        #expect(table.rows.map { $0[3] } == [.real(2), .real(1), .real(3)])
        #expect(table.rows[2][4] == .text("1970-01-01T00:00:00.000Z"))
        #expect(throws: StoreError.noSuchRun(99)) { try store.curvePoints([a, 99]) }
    }
}
