#!/usr/bin/env python3
"""Builds the one comparison table from the JSON result lines scripts/bench collected.
Standard library only (runs without the venv, e.g. in --smoke mode).
Input lines: {"mode","side","workload","size","median","unit","kernel","peak_rss_mb",...} where
"mode" is added by scripts/bench ("env as-is" / "OPENBLAS_* unset"). Each process reports the
median over its own repetitions; the table shows the median over rounds of those medians."""
import json, statistics, sys
from collections import defaultdict, OrderedDict

# (retune workload, peer side, peer workload, bar (min ratio) or None, higher_is_better)
PAIRS = [
    ("mlp_epoch", "pytorch", "mlp_epoch", 5.0),
    ("mlp_epoch", "numpy", "mlp_epoch", 1.5),
    ("mlp_epoch", "sklearn", "mlp_epoch", None),
    ("mlp_epoch_2w", "pytorch", "mlp_epoch", None),
    ("mlp_epoch_2w", "numpy", "mlp_epoch", None),
    ("gemm", "numpy", "gemm", None),
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
    if unit in ("GFLOP/s", "MB/s", "ms"):
        return f"{v:.1f}"
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
        for (rw, peer, pw, bar) in PAIRS:
            for size in sizes.get(rw, []):
                rv, rk, rrss, rn = med((mode, "retune", rw, size))
                psize = size
                pv, pk, prss, pn = med((mode, peer, pw, psize))
                unit = groups[(mode, "retune", rw, size)][0]["unit"]
                kernels[(mode, "retune")] = rk
                if pv is None:
                    continue
                kernels[(mode, peer)] = pk
                ratio = (pv / rv) if unit in LOWER_IS_BETTER else (rv / pv)
                res = "—" if bar is None else ("PASS" if ratio >= bar else "FAIL")
                out.append([mode, rw, size, unit, fmt(rv, unit), peer, fmt(pv, unit), f"{ratio:.2f}×",
                            "—" if bar is None else f"≥{bar:g}×", res, f"{rn}/{pn}", f"{rrss:.0f}", f"{prss:.0f}"])
        # retune-only rows (no peer pair): e.g. csvgen, or everything in smoke mode
        paired = {p[0] for p in PAIRS}
        for wl, szs in sizes.items():
            for size in szs:
                has_pair = wl in paired and any(groups.get((mode, p[1], p[2], size)) for p in PAIRS if p[0] == wl)
                if has_pair:
                    continue
                rv, rk, rrss, rn = med((mode, "retune", wl, size))
                unit = groups[(mode, "retune", wl, size)][0]["unit"]
                kernels[(mode, "retune")] = kernels.get((mode, "retune")) or rk
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
    for (mode, side), k in kernels.items():
        if k and k != "-":
            print(f"  [{mode}] {side}: {k}")
    # Peer-only figures: workloads whose retune side is not wired yet (no retune number is printed).
    wired = {wl for (m, side, wl, size) in groups if side == "retune"}
    peer_only = [(k, med(k)) for k in groups if k[1] != "retune" and k[2] not in wired and k[2] not in {p[2] for p in PAIRS}]
    if peer_only:
        print()
        print("Peer-only figures (retune side not wired yet — see `retune-bench list`):")
        for (mode, side, wl, size), (v, k, rss, n) in peer_only:
            unit = groups[(mode, side, wl, size)][0]["unit"]
            print(f"  [{mode}] {wl:14s} {side:12s} {size:28s} {fmt(v, unit):>10s} {unit:9s} RSS {rss:.0f} MB  ({k})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
