import Foundation
import Testing
import Tracking

/// The store benchmark, through the ordinary crash-safe write path. Not a test: it only
/// runs with RETUNE_STORE_BENCH=1 and asserts no timings. Meaningful in a release build:
///   swift build -c release -Xswiftc -enable-testing --build-tests
///   RETUNE_STORE_BENCH=1 swift test -c release --skip-build --filter StoreBenchmark
/// RETUNE_STORE_BENCH_RUNS sets the query-store size (default 100,000).
@Suite struct StoreBenchmark {
    static var enabled: Bool { ProcessInfo.processInfo.environment["RETUNE_STORE_BENCH"] == "1" }

    @Test(.enabled(if: StoreBenchmark.enabled)) func storeBenchmark() throws {
        func now() -> Double { Date().timeIntervalSince1970 }
        let env = RunEnvironment.current(retuneVersion: "bench", backend: "swift", kernel: "generic", threads: 1)
        let queryRuns = Int(ProcessInfo.processInfo.environment["RETUNE_STORE_BENCH_RUNS"] ?? "") ?? 100_000

        // 10,000 runs with 5 parameters and 3 final metrics: beginRun + finishRun (2 transactions each).
        let store = try Store.temporary()
        var t = now()
        for i in 0..<10_000 {
            let id = try store.beginRun(NewRun(kind: .train, model: "price", seed: i, command: "train price on train",
                params: ["lr": "0.01", "epochs": "40", "batch": "128", "optimizer": "adam", "hidden": "[64, 32]"],
                environment: env))
            try store.finishRun(id, status: .finished, finalMetrics: ["rmse": Double(i % 100) / 100, "mae": 0.3, "r2": 0.9])
        }
        var dt = now() - t
        print(String(format: "store bench: runs 10000 in %.2f s = %.0f runs/s (MLflow ≈ 30/s: %.0f×)", dt, 10_000 / dt, 10_000 / dt / 30))

        // 1,000,000 metric points, one transaction per epoch.
        let run = try store.beginRun(NewRun(kind: .train, environment: env))
        for perEpoch in [10, 3] {
            let epochs = 1_000_000 / perEpoch
            let keys = (0..<perEpoch).map { "k\($0)_\(perEpoch)" }
            t = now()
            for e in 0..<epochs {
                var values: [String: Double] = [:]
                for k in keys { values[k] = Double(e) }
                try store.logEpoch(run, step: e, values: values)
            }
            dt = now() - t
            let n = Double(epochs * perEpoch)
            print(String(format: "store bench: points (%d per epoch) %.0f in %.2f s = %.0f points/s (MLflow log_batch ≈ 7,300/s: %.0f×)",
                         perEpoch, n, dt, n / dt, n / dt / 7300))
        }

        // The query over queryRuns runs.
        let q = try Store.temporary()
        t = now()
        for i in 0..<queryRuns {
            let lr = ["0.1", "0.01", "0.001", "0.0001"][i % 4]
            let id = try q.beginRun(NewRun(kind: i % 3 == 0 ? .finetune : .train, model: "price", seed: i,
                params: ["lr": lr, "epochs": String(10 + i % 50), "batch": "128", "optimizer": "adam", "hidden": "[64]"],
                environment: env))
            try q.finishRun(id, status: .finished, finalMetrics: ["rmse": Double((i * 7919) % 10_000) / 10_000, "mae": 0.3, "r2": 0.9])
        }
        print(String(format: "store bench: built %d runs in %.1f s", queryRuns, now() - t))
        let query = RunQuery(filter: .and(.compare(.metric("rmse"), .lt, .number(0.5)), .compare(.param("lr"), .eq, .number(0.01))),
                             order: [RunOrder(.metric("rmse"))], limit: 10)
        var times: [Double] = []
        var rows: [RunRow] = []
        for _ in 0..<21 {
            t = now()
            rows = try q.runs(query)
            times.append(now() - t)
        }
        times.sort()
        print(String(format: "store bench: `runs where metric.rmse < 0.5 and param.lr = 0.01 order by metric.rmse limit 10` at %d runs: median %.2f ms (MLflow search_runs ≈ 160–200 ms at 2,000 runs)",
                     queryRuns, times[10] * 1000))
        #expect(rows.count == 10)
    }
}
