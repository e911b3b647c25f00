import Testing
@testable import Learning
@testable import Tabular

/// Training and prediction on a CSV load whose columns are decimal codes give the bits of the
/// same data in Float64 columns.
@Suite struct DecimalTrainingTests {
    func data() throws -> (decimal: Dataset, float64: Dataset) {
        var text = "a,b,c,y\n"
        var s: UInt64 = 5
        func next() -> UInt64 { s = s &* 6364136223846793005 &+ 1442695040888963407; return s >> 33 }
        for r in 0..<500 {
            let a = "\(Int(next() % 2000) - 1000).\(next() % 10000)"
            let b = r % 11 == 0 ? "" : "\(next() % 50)"
            let c = "\(next() % 100).\(next() % 100)"
            let y = "\(Int(next() % 200) - 100).\(next() % 1000)"
            text += "\(a),\(b),\(c),\(y)\n"
        }
        let d = try CSVLoader.load(text: text, name: "d", options: CSVOptions(target: "y"))
        var f = d
        f.columns = d.columns.map(\.float64)
        return (d, f)
    }

    @Test func linearAndMLPGiveTheFloat64Bits() throws {
        let (d, f) = try data()
        #expect(d.columns.allSatisfy { if case .decimal = $0.storage { return true } else { return false } })
        for spec in [ModelSpec(name: "ols", family: .linear, target: "y", solver: .exact),
                     ModelSpec(name: "lin", family: .linear, target: "y", solver: .sgd),
                     ModelSpec(name: "m", family: .mlp, target: "y", features: .columns(["a", "b", "c"]), hidden: [8])] {
            let options = spec.solver == .exact && spec.family == .linear ? TrainOptions(seed: 2, impute: .mean)
                                                                          : TrainOptions(epochs: 3, seed: 2, impute: .mean)
            let a = try Trainer.train(spec: spec, data: d, options: options)
            let b = try Trainer.train(spec: spec, data: f, options: options)
            #expect(a.model.layers.map { $0.weights.map(\.bitPattern) } == b.model.layers.map { $0.weights.map(\.bitPattern) }, "\(spec.name)")
            #expect(a.model.layers.map { $0.bias.map(\.bitPattern) } == b.model.layers.map { $0.bias.map(\.bitPattern) }, "\(spec.name)")
            #expect(a.trainMetrics == b.trainMetrics, "\(spec.name)")
            #expect(a.model.preprocessor == b.model.preprocessor)
            let pa = try a.model.predict(d).values, pb = try b.model.predict(f).values
            #expect(pa.map(\.bitPattern) == pb.map(\.bitPattern), "\(spec.name)")
        }
    }
}
