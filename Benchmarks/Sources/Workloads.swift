/// The workload table: one row per figure of the benchmark (issue 8). Rows whose API has not
/// landed are `.todo`: they are listed with what they need, and never print a number.
struct Workload {
    enum Status {
        case wired
        case todo(needs: String)
    }
    var name: String
    var measures: String
    var peers: String
    var status: Status
}

let workloads: [Workload] = [
    Workload(name: "gemm", measures: "float32 GEMM GFLOP/s on MLP shapes (GEMM.sgemm)",
             peers: "numpy matmul, torch.mm", status: .wired),
    Workload(name: "mlp", measures: "raw MLP epoch 32-64-64-1 ReLU MSE Adam b256 over GEMM, rows/s (1 and 2 workers)",
             peers: "PyTorch CPU 1 thread, sklearn MLPRegressor, hand numpy MLP", status: .wired),
    Workload(name: "csvgen", measures: "write the 1,000,000 x 20 numeric CSV (deterministic bytes), MB/s",
             peers: "(input for pandas.read_csv)", status: .wired),
    // TODO(lead): wire when Tabular's CSVLoader lands: time CSVLoader on the csvgen file, MB/s.
    Workload(name: "csv_load", measures: "CSV load MB/s on 1,000,000 x 20",
             peers: "pandas.read_csv", status: .todo(needs: "Tabular CSVLoader")),
    // TODO(lead): wire when Learning's Trainer lands: same data/shape as `mlp`, rows/s per epoch.
    Workload(name: "trainer_mlp", measures: "Trainer MLP epoch rows/s (same workload as mlp)",
             peers: "PyTorch CPU, sklearn, numpy", status: .todo(needs: "Learning Trainer")),
    // TODO(lead): wire when Tracking lands: start run + 5 params + 3 metrics, runs/s.
    Workload(name: "run_create", measures: "run creation / s",
             peers: "MLflow start_run (SQLite store)", status: .todo(needs: "Tracking run API")),
    // TODO(lead): wire when Tracking lands: metric points/s, one per call and batched.
    Workload(name: "metric_points", measures: "metric points / s",
             peers: "MLflow log_metric, log_batch", status: .todo(needs: "Tracking metrics API")),
    // TODO(lead): wire when Tracking lands: `runs where …` latency over a 100,000-run store.
    Workload(name: "runs_where", measures: "`runs where` latency at 100,000 runs",
             peers: "MLflow search_runs at 200 / 2,000 runs", status: .todo(needs: "Tracking query API")),
    // TODO(lead): wire when the REPL lands: exec `retune` to first prompt, ms.
    Workload(name: "start_to_prompt", measures: "start-to-prompt time",
             peers: "python -c 'import mlflow'", status: .todo(needs: "Notebook/retune executable")),
    // TODO(lead): wire when `linear solver exact` lands: fit on the ols data file, seconds.
    Workload(name: "ols", measures: "OLS fit 1,000,000 x 32 (Float64)",
             peers: "numpy lstsq, sklearn LinearRegression", status: .todo(needs: "Learning linear solver exact")),
]
