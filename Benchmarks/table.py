#!/usr/bin/env python3
"""Builds the one comparison table from the JSON result lines scripts/bench collected.
Standard library only (runs without the venv, e.g. in --smoke mode).
Input lines: {"mode","side","workload","size","median","unit","kernel","peak_rss_mb",...} where
"mode" is added by scripts/bench ("env as-is" / "OPENBLAS_* unset"). Each process reports the
median over its own repetitions; the table shows the median over rounds of those medians."""
import json, statistics, sys
from collections import defaultdict, OrderedDict

# (retune workload, peer side, peer workload, bar (min ratio) or None, peer size or None)
# Peer size None: the peer row of the same size (same bytes); a string: that peer size (MLflow
# runs at its own practical sizes; the table prints both sizes). Peers measured only in the
# "env as-is" pass (pandas, MLflow, OLS) are reused for the other pass and marked "(as-is)".
PAIRS = [
    ("mlp_epoch", "pytorch", "mlp_epoch", 5.0, None),
    ("mlp_epoch", "numpy", "mlp_epoch", 1.5, None),
    ("mlp_epoch", "sklearn", "mlp_epoch", None, None),
    ("mlp_epoch_2w", "pytorch", "mlp_epoch", None, None),
    ("mlp_epoch_2w", "numpy", "mlp_epoch", None, None),
    ("trainer_mlp", "pytorch", "mlp_epoch", 8.0, None),
    ("trainer_mlp", "numpy", "mlp_epoch", 2.5, None),
    ("trainer_mlp", "sklearn", "mlp_epoch", None, None),
    ("trainer_mlp_2t", "pytorch_2t", "mlp_epoch", 8.0, None),   # issue 18's bar against PyTorch at 2 threads
    ("trainer_mlp_2t", "pytorch", "mlp_epoch", None, None),
    ("trainer_mlp_2t", "numpy", "mlp_epoch", None, None),
    ("gemm", "numpy", "gemm", None, None),
    ("csv_load", "pandas", "csv_load", 2.0, None),   # issue 18: >= 2x pandas (retune parses on 2 threads, pandas on 1)
    ("ols", "numpy_lstsq", "ols", None, None),
    ("ols", "sklearn", "ols", 5.0, None),   # issue 18: exact OLS >= 5x scikit-learn
    ("run_create", "mlflow", "run_create", 200.0, "*"),
    ("metric_points", "mlflow", "metric_batch", 20.0, "*"),
    ("metric_points", "mlflow", "metric_points", None, "*"),
    ("run_create_pg", "mlflow", "run_create_pg", None, "*"),
    ("metric_points_pg", "mlflow", "metric_batch_pg", None, "*"),
    ("metric_points_pg", "mlflow", "metric_points_pg", None, "*"),
    ("runs_where", "mlflow", "runs_where", None, "2000 runs"),
    ("runs_where", "mlflow", "runs_where", None, "200 runs"),
    ("start_to_prompt", "mlflow", "start", None, "*"),
]
# Absolute bars on retune's own figures: (workload, label, function(row) -> (value text, pass)).
# A function returns None when the bar does not apply to that size (smoke sizes).
def _csv_mem(r):
    # Issue 18: peak RSS < 2x the Float32 size of the data (rows x cols x 4 bytes), which is the
    # Float64 column size itself. retune keeps numeric columns as Float64 (results would change
    # otherwise), so the columns alone reach the bar and this row fails by design; it shows the
    # figure and the ratio to the Float64 columns honestly.
    f64 = r.get("float64_columns_mib") or 0
    if f64 < 100:
        return None
    f32x2 = f64   # 2 x (rows x cols x 4 bytes) = rows x cols x 8 bytes
    peak = r.get("peak_rss_mb", 1e18)
    return (f"peak RSS {peak:.0f} MiB vs 2 × {f64 / 2:.0f} MiB Float32 ({peak / f64:.2f}× the Float64 columns)",
            peak < f32x2)
def _query(r):
    if r["size"] != "100000 runs":
        return None
    return f"median {r['median']:.2f} ms", r["median"] < 50
def _param_query(r):
    if r["size"] != "100000 runs":
        return None
    return f"median {r['median']:.2f} ms", r["median"] < 5
ABS_BARS = [
    ("csv_load", "peak memory < 2× Float32 size of the data", _csv_mem),
    ("runs_where", "query < 50 ms median at 100,000 runs", _query),
    ("runs_where_param", "param-only query (limit 10) < 5 ms median at 100,000 runs", _param_query),
]
LOWER_IS_BETTER = {"s", "ms"}


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    return rows


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "rows/s":
        return f"{v / 1e6:.3f} M"
    if unit == "ms" and v < 10:
        return f"{v:.2f}"
    if unit in ("GFLOP/s", "MB/s", "ms"):
        return f"{v:.1f}"
    if unit in ("runs/s", "points/s"):
        return f"{v:,.0f}"
    if unit == "s":
        return f"{v:.3f}"
    return f"{v:.1f}"


def main(paths):
    rows = load(paths)
    groups = defaultdict(list)   # (mode, side, workload, size) -> [row]
    for r in rows:
        if r.get("median") is None:
            continue
        groups[(r.get("mode", ""), r["side"], r["workload"], r["size"])].append(r)

    def med(key):
        g = groups.get(key)
        if not g:
            return None, None, None, None
        return (statistics.median(x["median"] for x in g), g[0]["kernel"], max(x.get("peak_rss_mb", 0) for x in g), len(g))

    modes = list(OrderedDict.fromkeys(r.get("mode", "") for r in rows))
    out = []
    hdr = ["mode", "workload", "size", "unit", "retune", "peer", "peer median", "ratio", "bar", "result",
           "n", "retune RSS MB", "peer RSS MB"]
    kernels = OrderedDict()
    for mode in modes:
        sizes = OrderedDict()
        for (m, side, wl, size) in groups:
            if m == mode and side == "retune":
                sizes.setdefault(wl, []).append(size)
        def peer_key(m, peer, pw, size, psize):
            if psize is None:
                return (m, peer, pw, size)
            for k in groups:
                if k[0] == m and k[1] == peer and k[2] == pw and (psize == "*" or k[3] == psize):
                    return k
            return None
        for (rw, peer, pw, bar, psize) in PAIRS:
            for size in sizes.get(rw, []):
                rv, rk, rrss, rn = med((mode, "retune", rw, size))
                unit = groups[(mode, "retune", rw, size)][0]["unit"]
                kernels[(mode, "retune", rw)] = rk
                pk_ = peer_key(mode, peer, pw, size, psize)
                tag = ""
                if pk_ is None or not groups.get(pk_):
                    pk_ = peer_key("env as-is", peer, pw, size, psize)
                    tag = " (as-is)"
                    if pk_ is None or not groups.get(pk_):
                        continue
                pv, pk, prss, pn = med(pk_)
                punit = groups[pk_][0]["unit"]
                if punit == "s" and unit == "ms":
                    pv *= 1000
                kernels[(pk_[0], peer, pw)] = pk
                ratio = (pv / rv) if unit in LOWER_IS_BETTER else (rv / pv)
                res = "—" if bar is None else ("PASS" if ratio >= bar else "FAIL")
                label = peer + tag + ("" if psize is None else f" @ {pk_[3]}")
                out.append([mode, rw, size, unit, fmt(rv, unit), label, fmt(pv, unit), f"{ratio:.2f}×",
                            "—" if bar is None else f"≥{bar:g}×", res, f"{rn}/{pn}", f"{rrss:.0f}", f"{prss:.0f}"])
        for (wl, label, fn) in ABS_BARS:
            for size in sizes.get(wl, []):
                g = groups[(mode, "retune", wl, size)]
                r = dict(g[0]); r["median"] = statistics.median(x["median"] for x in g)
                r["peak_rss_mb"] = max(x.get("peak_rss_mb", 0) for x in g)
                got = fn(r)
                if got is None:
                    continue
                text, ok = got
                out.append([mode, wl, size, "bar", text, "—", "—", "—", label, "PASS" if ok else "FAIL",
                            f"{len(g)}/0", f"{r['peak_rss_mb']:.0f}", "—"])
        # The Trainer against the raw GEMM loop (one worker), same size: ≥ 90 %.
        for size in sizes.get("trainer_mlp", []):
            raw = groups.get((mode, "retune", "mlp_epoch", size))
            if not raw:
                continue
            tv = statistics.median(x["median"] for x in groups[(mode, "retune", "trainer_mlp", size)])
            rv = statistics.median(x["median"] for x in raw)
            ratio = tv / rv
            out.append([mode, "trainer_mlp / mlp_epoch", size, "rows/s", fmt(tv, "rows/s"), "raw loop (retune)",
                        fmt(rv, "rows/s"), f"{ratio * 100:.0f} %", "≥90 %", "PASS" if ratio >= 0.9 else "FAIL",
                        f"{len(groups[(mode, 'retune', 'trainer_mlp', size)])}/{len(raw)}", "—", "—"])
        # retune-only rows (no peer pair): e.g. csvgen, or everything in smoke mode
        paired = {p[0] for p in PAIRS}
        for wl, szs in sizes.items():
            for size in szs:
                has_pair = wl in paired and any(groups.get(peer_key(mode, p[1], p[2], size, p[4])) or groups.get(peer_key("env as-is", p[1], p[2], size, p[4])) for p in PAIRS if p[0] == wl)
                if has_pair:
                    continue
                rv, rk, rrss, rn = med((mode, "retune", wl, size))
                unit = groups[(mode, "retune", wl, size)][0]["unit"]
                kernels[(mode, "retune", wl)] = rk
                out.append([mode, wl, size, unit, fmt(rv, unit), "—", "—", "—", "—", "—", f"{rn}/0", f"{rrss:.0f}", "—"])
    widths = [max(len(str(x)) for x in col) for col in zip(hdr, *out)] if out else [len(h) for h in hdr]
    line = lambda cells: " | ".join(str(c).ljust(w) for c, w in zip(cells, widths))
    print(line(hdr))
    print("-+-".join("-" * w for w in widths))
    for r in out:
        print(line(r))
    print()
    print("Ratio = retune / peer for rates (higher is better), peer / retune for times.")
    print("Kernels:")
    for (mode, side, wl), k in kernels.items():
        if k and k != "-":
            print(f"  [{mode}] {side} {wl}: {k}")
    # Peer-only figures: workloads whose retune side is not wired yet (no retune number is printed).
    wired = {wl for (m, side, wl, size) in groups if side == "retune"}
    peer_rows = {(p[1], p[2]) for p in PAIRS if p[0] in wired}
    peer_only = [(k, med(k)) for k in groups if k[1] != "retune" and (k[1], k[2]) not in peer_rows]
    if peer_only:
        print()
        print("Peer-only figures (no retune figure of that workload in this run):")
        for (mode, side, wl, size), (v, k, rss, n) in peer_only:
            unit = groups[(mode, side, wl, size)][0]["unit"]
            print(f"  [{mode}] {wl:14s} {side:12s} {size:28s} {fmt(v, unit):>10s} {unit:9s} RSS {rss:.0f} MB  ({k})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
