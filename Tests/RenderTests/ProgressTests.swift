import Testing
@testable import Render

@Suite struct ProgressTests {
    let state = ProgressState(label: "train price@1", epoch: 3, epochs: 40, batch: 20, batches: 40,
                              loss: 0.123456, rows: 12800, elapsed: 10)

    @Test func derivedValues() {
        #expect(state.fraction == 0.0625)
        #expect(state.rowsPerSecond == 1280)
        #expect(state.eta == 150)
        #expect(ProgressState(label: "", epoch: 1, epochs: 5).eta.isNaN)
        #expect(ProgressState(label: "", epoch: 9, epochs: 5).fraction == 1)
    }

    @Test func wideLineHasBar() {
        let line = ProgressBar.line(state, width: 120)
        #expect(line == "train price@1  epoch 3/40 [█▉                            ]   6%  batch 20/40  loss 0.1235  1.28k rows/s  ETA 2:30")
        #expect(TextWidth.of(line) <= 120)
    }

    @Test func narrowLinesDropBarThenFields() {
        let l80 = ProgressBar.line(state, width: 80)
        #expect(l80 == "train price@1  epoch 3/40    6%  batch 20/40  loss 0.1235  ETA 2:30")   // all fields: 81 columns
        let l60 = ProgressBar.line(state, width: 60)
        #expect(l60 == "train price@1  epoch 3/40    6%  loss 0.1235  ETA 2:30")
        for w in [10, 20, 30, 45, 70, 90, 200] {
            #expect(TextWidth.of(ProgressBar.line(state, width: w)) <= w, "width \(w)")
        }
        #expect(ProgressBar.line(state, width: 45) == "train price@1  epoch 3/40    6%  ETA 2:30")
        #expect(ProgressBar.line(state, width: 30) == "train price@1  epoch 3/40    …")
    }

    @Test func summary() {
        #expect(ProgressBar.summary(label: "train price@1", epochs: 40, elapsed: 12.34, finalLoss: 0.0123456, rows: 512_000)
                == "train price@1  40 epochs in 12.3s  train_loss 0.01235  41.5k rows/s")
        #expect(ProgressBar.summary(label: "", epochs: 1, elapsed: 0.5, status: "interrupted")
                == "1 epoch in 0.50s  interrupted")
    }

    @Test func throttleAtMostTenPerSecond() {
        var t = RedrawThrottle(maxPerSecond: 10)
        var drawn = 0
        // 1000 steps over one second (every millisecond).
        for i in 0..<1000 where t.shouldRedraw(now: Double(i) / 1000) { drawn += 1 }
        #expect(drawn == 10)
        let early = t.shouldRedraw(now: 0.95)
        let forced = t.shouldRedraw(now: 0.95, force: true)
        #expect(!early)
        #expect(forced)
        var u = RedrawThrottle()
        let answers = [5, 5.05, 5.1, 1].map { u.shouldRedraw(now: $0) }
        #expect(answers == [true, false, true, true])   // a clock going backwards never blocks drawing
    }
}
