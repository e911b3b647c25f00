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
