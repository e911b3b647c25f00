"""MLflow (SQLite backend store, or PostgreSQL with --uri) tracking figures, adapted from shared/anchors/mlflow_logging.py,
at sizes MLflow finishes in about a minute. Prints JSON result lines (side "mlflow"):
  run_create     runs/s: 200 x (start_run + log_params(5) + log_metrics(3) + end_run)
  metric_points  points/s: mlflow.log_metric, one point per call (3 keys x STEPS)
  metric_batch   points/s: MlflowClient.log_batch, 1,000 metrics per call (3 keys x 2,000 steps)
  runs_where     ms: client.search_runs(filter "metrics.rmse < 0.5 and params.lr = '0.01'",
                 order by rmse) over 200 runs, then 2,000 runs
  start          s: cold `python -c 'import mlflow'` (the start-up a user waits for)
Usage: python mlflow_bench.py [--dir /tmp/retune-bench/mlflow] [--steps 300] [--search-reps 5]"""
import argparse, os, random, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, emit

ap = argparse.ArgumentParser()
ap.add_argument("--dir", default="/tmp/retune-bench/mlflow")
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--search-reps", type=int, default=5)
ap.add_argument("--runs", type=int, default=200)
ap.add_argument("--grow-to", type=int, default=2000)
ap.add_argument("--uri", default=None, help="a tracking URI (e.g. postgresql://user@host:port/db) instead of a new SQLite file")
args = ap.parse_args()

shutil.rmtree(args.dir, ignore_errors=True)
os.makedirs(os.path.join(args.dir, "artifacts"), exist_ok=True)
os.chdir(args.dir)
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
URI = args.uri or "sqlite:///" + os.path.join(args.dir, "mlflow.db")
FILTER = "metrics.rmse < 0.5 and params.lr = '0.01'"
ORDER = ["metrics.rmse ASC"]
LRS = ["0.1", "0.01", "0.001"]

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

mlflow.set_tracking_uri(URI)
client = MlflowClient()
client.search_experiments()  # creates the schema
PG = URI.startswith("postgresql")
K = f"mlflow {mlflow.__version__} " + ("postgresql" if PG else "sqlite")
W = "_pg" if PG else ""  # workload suffix: PostgreSQL rows sit beside the SQLite ones
rng = random.Random(0)


def params(i):
    return {"lr": LRS[i % 3], "batch_size": str(32 * (1 + i % 4)), "hidden": "64", "optimizer": "adam", "seed": str(i)}


def metrics():
    return {"rmse": rng.random(), "mae": rng.random(), "r2": rng.random()}


eid = client.create_experiment("bench", artifact_location="file://" + os.path.join(args.dir, "artifacts"))
t = time.perf_counter()
for i in range(args.runs):
    with mlflow.start_run(experiment_id=eid, run_name=f"r{i}"):
        mlflow.log_params(params(i))
        mlflow.log_metrics(metrics())
dt = time.perf_counter() - t
emit("mlflow", "run_create" + W, f"{args.runs} runs", args.runs / dt, "runs/s", K, [args.runs / dt])

keys = ["loss", "val_loss", "acc"]
with mlflow.start_run(experiment_id=eid, run_name="single"):
    t = time.perf_counter()
    for s in range(args.steps):
        for k in keys:
            mlflow.log_metric(k, 1.0 / (s + 1), step=s)
    dt = time.perf_counter() - t
n = len(keys) * args.steps
emit("mlflow", "metric_points" + W, f"{n} points", n / dt, "points/s", K + " log_metric", [n / dt])

run = client.create_run(eid, run_name="batch")
now = int(time.time() * 1000)
pts = [Metric(k, 1.0 / (s + 1), now + s, s) for s in range(2000) for k in keys]
t = time.perf_counter()
for j in range(0, len(pts), 1000):
    client.log_batch(run.info.run_id, metrics=pts[j:j + 1000])
dt = time.perf_counter() - t
client.set_terminated(run.info.run_id)
emit("mlflow", "metric_batch" + W, f"{len(pts)} points", len(pts) / dt, "points/s", K + " log_batch", [len(pts) / dt])


def search(label):
    client.search_runs([eid], FILTER, order_by=ORDER, max_results=1000)
    xs = []
    for _ in range(args.search_reps):
        t = time.perf_counter()
        rs = client.search_runs([eid], FILTER, order_by=ORDER, max_results=1000)
        xs.append((time.perf_counter() - t) * 1e3)
    vals = [r.data.metrics["rmse"] for r in rs]
    assert vals == sorted(vals) and all(v < 0.5 for v in vals)
    emit("mlflow", "runs_where" + W, label, median(xs), "ms", K + " search_runs", xs, matches=len(rs))


search(f"{args.runs} runs")
for i in range(args.runs, args.grow_to):
    r = client.create_run(eid, run_name=f"r{i}")
    now = int(time.time() * 1000)
    client.log_batch(r.info.run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics().items()],
                     params=[Param(k, v) for k, v in params(i).items()])
    client.set_terminated(r.info.run_id)
search(f"{args.grow_to} runs")

xs = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mlflow"], check=True)
    xs.append(time.perf_counter() - t)
emit("mlflow", "start", "import mlflow (cold process)", median(xs), "s", K, xs)
