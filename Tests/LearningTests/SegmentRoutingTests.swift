import Testing
import Tabular
@testable import Learning

@Suite struct SegmentRoutingTests {
    /// y = x in group a, y = −x in group b, and a group c that no route names.
    func data(_ n: Int, seed: UInt64) -> Dataset {
        var rng = SeededRandom(seed: seed)
        var g: [Int32] = [], x: [Double] = [], y: [Double] = []
        for i in 0..<n {
            let k = Int32(i % 3), v = rng.nextDouble(in: -1, 1)
            g.append(k); x.append(v); y.append(k == 1 ? -v : v)
        }
        return Dataset(name: "d", columns: [.categorical("g", codes: g, levels: ["a", "b", "c"]), .numeric("x", x), .numeric("y", y)],
                       target: "y")
    }

    @Test func routesEachSegmentAndFallsBackToTheBase() throws {
        let spec = ModelSpec(name: "m", family: .linear, target: "y", features: .columns(["x"]))
        let all = data(300, seed: 1)
        let base = try Trainer.train(spec: spec, data: all, options: TrainOptions()).model
        let bRows = (0..<all.rowCount).filter { $0 % 3 == 1 }
        let onB = try Trainer.train(spec: spec, data: all.gathering(rows: bRows, name: "b", provenance: all.provenance),
                                    options: TrainOptions()).model
        var routed = base
        routed.routing = SegmentRouting(column: "g", baseVersion: 1, routes: [SegmentRoute(label: "b", version: 2, model: onB)])
        let back = try TrainedModel.deserialize(try routed.serialize())
        #expect(back == routed)
        let test = data(90, seed: 2)
        let p = try back.predict(test).values, pb = try base.predict(test).values, pr = try onB.predict(test).values
        for r in 0..<test.rowCount { #expect(p[r] == (r % 3 == 1 ? pr[r] : pb[r])) }
        let counts = try #require(back.routedRows(test))
        #expect(counts.routes.first?.rows == 30 && counts.fellBack == 60)
        // Metrics follow the routing: the b rows are now fitted.
        let rmseRouted = try #require(try Metrics.evaluate(back, on: test)["rmse"])
        let rmseBase = try #require(try Metrics.evaluate(base, on: test)["rmse"])
        #expect(rmseRouted < 0.8 * rmseBase)
        // A routed model is not a fine-tune parent.
        #expect(throws: LearningError.self) { try Trainer.train(spec: spec, data: test, options: TrainOptions(anchor: 1), parent: back) }
    }
}
