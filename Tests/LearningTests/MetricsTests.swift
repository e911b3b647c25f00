import Testing
@testable import Learning

@Suite struct MetricsTests {
    @Test func regressionMetrics() {
        let y = [1.0, 2, 3, 4], p = [1.5, 2, 2, 4]
        #expect(abs(Metrics.rmse(y, p) - (1.25 / 4).squareRoot()) < 1e-15)
        #expect(abs(Metrics.mae(y, p) - 0.375) < 1e-15)
        // Σe² = 1.25, Σ(y−ȳ)² = 5
        #expect(abs(Metrics.r2(y, p) - 0.75) < 1e-15)
        #expect(Metrics.r2([2, 2], [1, 3]).isNaN)
    }

    @Test func aucWithTies() {
        // Positives: 0.8, 0.5 (tie with a negative), negatives: 0.5, 0.2.
        // Pairs: (0.8>0.5) 1, (0.8>0.2) 1, (0.5=0.5) 0.5, (0.5>0.2) 1 → 3.5 / 4.
        let auc = Metrics.auc(positive: [true, true, false, false], scores: [0.8, 0.5, 0.5, 0.2])
        #expect(abs(auc - 0.875) < 1e-15)
        #expect(Metrics.auc(positive: [true, false], scores: [0.3, 0.3]) == 0.5)
        #expect(Metrics.auc(positive: [false, true, false, true], scores: [0.1, 0.9, 0.2, 0.8]) == 1)
        #expect(Metrics.auc(positive: [true, true], scores: [0.1, 0.2]).isNaN)
    }

    @Test func f1BinaryAndMacro() {
        let y = [1, 1, 0, 0, 1], p = [1, 0, 0, 1, 1]
        // class 1: tp 2, fp 1, fn 1 → 4/6; class 0: tp 1, fp 1, fn 1 → 2/4
        #expect(abs(Metrics.f1(y, p, positive: 1) - 4.0 / 6) < 1e-15)
        #expect(abs(Metrics.f1Macro(y, p, classes: 2) - (4.0 / 6 + 0.5) / 2) < 1e-15)
        #expect(abs(Metrics.accuracy(y, p) - 0.6) < 1e-15)
    }

    @Test func logLossClipsAndHandlesUnseenClass() {
        let p = [0.9, 0.1, 0.2, 0.8]
        let ll = Metrics.logLoss([0, 1], probabilities: p, classes: 2)
        #expect(abs(ll - (-(log(0.9) + log(0.8)) / 2)) < 1e-15)
        let unseen = Metrics.logLoss([-1], probabilities: [0.5, 0.5], classes: 2)
        #expect(abs(unseen - (-log(1e-15))) < 1e-12)
        let zero = Metrics.logLoss([0], probabilities: [0, 1], classes: 2)
        #expect(abs(zero - (-log(1e-15))) < 1e-12)
    }

    @Test func classificationDictionaryKeys() {
        let m = Metrics.classification(y: [0, 1, 1], probabilities: [0.7, 0.3, 0.4, 0.6, 0.2, 0.8], classes: 2)
        #expect(Set(m.keys) == ["accuracy", "log_loss", "auc", "f1", "f1_macro"])
        #expect(m["accuracy"] == 1)
        #expect(m["auc"] == 1)
    }
}

import Foundation
