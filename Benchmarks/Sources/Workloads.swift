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
    Workload(name: "csv_load", measures: "Tabular CSVLoader.load on the csvgen file: MB/s, peak RSS",
             peers: "pandas.read_csv", status: .wired),
    Workload(name: "trainer_mlp", measures: "real Trainer.train MLP 32-64-64-1 Adam b256: rows/s per epoch",
             peers: "PyTorch CPU 1 thread, sklearn, numpy", status: .wired),
    Workload(name: "trainer_mlp_2t", measures: "trainer_mlp with threads 2 (each batch split over 2 threads, `trainer_mlp --threads 2`)",
             peers: "PyTorch CPU 2 threads", status: .wired),
    Workload(name: "barrier", measures: "the trainer's thread synchronisation: overhead ns per batch (2 tasks of busy items)",
             peers: "(none)", status: .wired),
    Workload(name: "run_create", measures: "runs/s: beginRun (5 params) + finishRun (3 metrics), as RunRecorder",
             peers: "MLflow start_run + log_params + log_metrics (SQLite store)", status: .wired),
    Workload(name: "metric_points", measures: "metric points/s via logEpoch (a transaction per epoch)",
             peers: "MLflow log_metric, log_batch", status: .wired),
    Workload(name: "runs_where", measures: "`runs where metric.rmse < 0.5 and param.lr = 0.01 order by metric.rmse limit 10` at 100,000 runs; also `runs where param.lr = 0.01 limit 10` (runs_where_param) and its no-match worst case `param.lr = 0.5` (runs_where_param_none)",
             peers: "MLflow search_runs at 200 / 2,000 runs", status: .wired),
    Workload(name: "start_to_prompt", measures: "spawn `retune` on a pty until the first prompt, ms",
             peers: "python -c 'import mlflow' (cold process)", status: .wired),
    Workload(name: "ols", measures: "OLS fit 1,000,000 x 32 (Float64) through Trainer.train linear solver exact",
             peers: "numpy lstsq, sklearn LinearRegression", status: .wired),
]
