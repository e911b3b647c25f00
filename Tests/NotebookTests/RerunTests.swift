import Foundation
import Testing
@testable import Notebook

/// `rerun` against a real training: the recorded command and seed reproduce the metrics bit for
/// bit, and a dataset that changed since the run is refused with both fingerprints.
@Suite struct RerunTests {
    @Test func rerunOfAnMLPTrainingIsIdentical() {
        let h = Harness()
        let code = h.run("""
            generate housing rows 1500 seed 1 as d
            model m = mlp hidden [16] predicts price
            train m on d epochs 3 seed 5
            rerun #1
            """)
        #expect(code == 0, "\(h.err)")
        #expect(h.out.contains("identical: run #2 reproduces the"))
    }

    /// `threads 2`: recorded as a parameter, shown by `show #ID`, reproduced by `rerun`.
    @Test func rerunOfATwoThreadTrainingIsIdentical() {
        let h = Harness()
        let code = h.run("""
            generate housing rows 1500 seed 1 as d
            model m = mlp hidden [16] predicts price
            train m on d epochs 3 seed 5 threads 2
            show #1
            rerun #1
            """)
        #expect(code == 0, "\(h.err)")
        #expect(h.out.contains("identical: run #2 reproduces the"))
        #expect(h.out.split(separator: "\n").contains { $0.hasPrefix("threads") && $0.hasSuffix("│ 2") })
    }

    @Test(arguments: [("threads 0", 38), ("threads 65", 38)])
    func threadsOutOfRangeIsALocatedError(_ option: String, _ column: Int) {
        let h = Harness()
        let code = h.run("""
            generate housing rows 200 seed 1 as d
            model m = mlp hidden [4] predicts price
            train m on d epochs 1 seed 5 \(option)
            """)
        #expect(code != 0)
        let value = option.split(separator: " ").last.map(String.init) ?? ""
        #expect(h.err.contains("threads must be in 1…64, got \(value)"), "\(h.err)")
        #expect(h.err.contains("test.retune:3:\(column):"), "\(h.err)")
    }

    @Test func rerunRefusesChangedData() {
        let h = Harness()
        let code = h.run("""
            generate housing rows 500 seed 1 as d
            model m = linear predicts price
            train m on d
            generate housing rows 500 seed 2 as d
            rerun #1
            """)
        #expect(code == 70)
        #expect(h.err.contains("dataset 'd' has changed since run #1"))
    }
}
