import Decisions
import Learning
import Tabular
import Testing

@Suite struct SweepPlanTests {
    let mlp = ModelSpec(name: "m", family: .mlp, target: "y", hidden: [8])
    let linear = ModelSpec(name: "l", family: .linear, target: "y")

    func plan(_ text: String, family: ModelSpec.Family = .mlp, fineTune: Bool = false) throws(SweepError) -> SweepPlan {
        try SweepPlan.parse(text, family: family, fineTune: fineTune)
    }

    func error(_ text: String, family: ModelSpec.Family = .mlp, fineTune: Bool = false) -> SweepError? {
        do { _ = try plan(text, family: family, fineTune: fineTune); return nil } catch { return error }
    }

    @Test func gridIsTheProductFirstAxisSlowest() throws {
        let p = try plan("lr in [0.001, 0.01, 0.1], hidden in [[32], [64, 64]], epochs 20")
        #expect(p.axes.map(\.name) == ["lr", "hidden"])
        #expect(p.fixed.map(\.name) == ["epochs"])
        let c = try p.configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        #expect(c.count == 6)
        #expect(c.map { p.describe($0) } == ["lr 0.001, hidden [32]", "lr 0.001, hidden [64, 64]", "lr 0.01, hidden [32]",
                                             "lr 0.01, hidden [64, 64]", "lr 0.1, hidden [32]", "lr 0.1, hidden [64, 64]"])
        #expect(c[3].options.lr == 0.01 && c[3].spec.hidden == [64, 64] && c[3].options.epochs == 20)
        #expect(c.map(\.index) == Array(0..<6))
    }

    @Test func rangesAreLinearOrLogSpaced() throws {
        let log = try plan("lr in log 1e-4..1e-1 count 4").configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        #expect(log.compactMap(\.options.lr) == [0.0001, 0.001, 0.01, 0.1])
        let lin = try plan("weight_decay in 0..0.01 count 3").configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        #expect(lin.compactMap(\.options.weightDecay) == [0, 0.005, 0.01])
        // Whole-number options are rounded, and repeats after rounding dropped.
        let ep = try plan("epochs in 1..3 count 5").configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        #expect(ep.compactMap(\.options.epochs) == [1, 2, 3])
    }

    @Test func randomSamplesAreSeededAndInRange() throws {
        let p = try plan("lr in log 1e-4..1e-1, batch in [16, 32]")
        let a = try p.configurations(base: mlp, options: TrainOptions(), random: 20, seed: 3)
        let b = try p.configurations(base: mlp, options: TrainOptions(), random: 20, seed: 3)
        let c = try p.configurations(base: mlp, options: TrainOptions(), random: 20, seed: 4)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 20)
        for x in a {
            let lr = try #require(x.options.lr)
            #expect(lr >= 1e-4 && lr <= 1e-1)
            #expect([16, 32].contains(x.options.batch ?? 0))
        }
        // Log-uniform: about half of the draws below the geometric midpoint 10^-2.5.
        let below = a.filter { ($0.options.lr ?? 0) < 0.00316 }.count
        #expect(below >= 4 && below <= 16)
        // Lists only: distinct configurations of the grid.
        let lists = try plan("lr in [0.1, 0.01], batch in [16, 32, 64]")
        let r = try lists.configurations(base: mlp, options: TrainOptions(), random: 4, seed: 1)
        #expect(r.count == 4 && Set(r.map { lists.describe($0) }).count == 4)
        #expect(try lists.configurations(base: mlp, options: TrainOptions(), random: 50, seed: 1).count == 6)
    }

    @Test(arguments: [
        ("lrr in [0.1]", "unknown option 'lrr' in over", 0..<3),
        ("lr in []", "the list of values for lr is empty", 6..<8),
        ("lr in [0.1, 0.1]", "the list of values for lr repeats a value", 6..<16),
        ("lr in 0.1..0.01 count 3", "the range lr in 0.1..0.01 is empty: the low end must be below the high end", 6..<15),
        ("lr in log 0..1 count 3", "a log range needs a positive low end, got 0", 6..<14),
        ("lr in 0.01..0.1 count 1", "count must be a whole number in 2…1000, got 1", 22..<23),
        ("lr in [0.1], lr in [0.2]", "option 'lr' is given twice in over", 13..<15),
        ("freeze in [none, first]", "freeze is a finetune option (there are no parent weights)", 0..<6),
        ("solver in [exact, sgd]", "solver applies to linear, logistic and softmax (an mlp is always trained by sgd/adam)", 0..<6),
        ("activation in [relu, tahn]", "activation takes one of relu, tanh, gelu, got tahn", 0..<26),
        ("epochs in [1.5]", "epochs takes a whole number, got 1.5", 0..<15),
        ("hidden in [[0]]", "hidden takes layer sizes such as [64, 32], got [0]", 0..<15),
        ("epochs 20", "over needs at least one swept option (NAME in [a, b] or NAME in a..b count N)", 0..<9),
    ])
    func errorsAreLocated(_ text: String, _ message: String, _ range: Range<Int>) {
        let e = error(text)
        #expect(e?.message == message)
        #expect(e?.range == range)
    }

    @Test func optionsMustApplyToTheModelAndTheKindOfSweep() throws {
        #expect(error("hidden in [[4]]", family: .linear)?.message == "hidden applies to mlp, not linear")
        #expect(error("hidden in [[4]]", fineTune: true)?.message == "hidden is part of the architecture: a fine-tune keeps its parent's")
        #expect(error("lrr in [1]")?.suggestion == "lr")
        #expect(error("seed in [1, 2]")?.notes == ["seed is an option of sweep itself: write it after the over clause"])
        let ft = try plan("lr in [1e-4, 1e-3], freeze in [none, first, 1]", fineTune: true)
        #expect(error("lr in [1e-4, 1e-3], freeze in [none, first, 1]", fineTune: true) == nil)
        _ = ft
        let grid = try plan("lr in [0.1], freeze in [none, first]", fineTune: true)
        let c = try grid.configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        #expect(c.map(\.options.freeze) == [0, 1])
        #expect(error("lr in 0.001..0.1") == nil)
        #expect(throws: SweepError.self) {
            try plan("lr in 0.001..0.1").configurations(base: mlp, options: TrainOptions(), random: nil, seed: 0)
        }
        #expect(try plan("l2 in [0, 1]", family: .linear).configurations(base: linear, options: TrainOptions(), random: nil, seed: 0)
                    .map(\.spec.l2) == [0, 1])
    }

    @Test func metricDirection() {
        #expect(SweepMetric("valid_rmse").key == "rmse" && !SweepMetric("rmse").higherIsBetter)
        #expect(SweepMetric("valid_accuracy").higherIsBetter)
        #expect(SweepMetric.main(for: .classification).name == "valid_accuracy")
        let m = SweepMetric("rmse")
        #expect(m.better(1, than: 2) && !m.better(.nan, than: 2) && m.better(3, than: .nan))
    }
}
