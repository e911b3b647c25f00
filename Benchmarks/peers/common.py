"""Shared helpers for the peer benchmarks (adapted from shared/anchors/mlp/common.py; no import
of ../shared at run time). Every script prints JSON result lines of the same shape as
retune-bench: {"side","workload","size","median","unit","kernel","peak_rss_mb","samples",...}.

Data file (MLP_DATA): raw little-endian float32, X (100,000 x 32, row-major) then y (100,000),
generated once with numpy.random.default_rng(0): y = sin(X@w1) + X@w2 + 0.1*noise. retune-bench
reads the same bytes. `python common.py gen [PATH]` writes it if missing."""
import json, os, resource, statistics, sys

DEFAULT_MLP_DATA = os.environ.get('MLP_DATA', '/tmp/anchors/mlp_data.bin')


def median(xs):
    return statistics.median(xs)


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def emit(side, workload, size, med, unit, kernel, samples, **extras):
    d = {"side": side, "workload": workload, "size": size, "median": med, "unit": unit,
         "kernel": kernel, "peak_rss_mb": peak_rss_mb(), "samples": list(samples)}
    d.update(extras)
    print(json.dumps(d), flush=True)


def numpy_blas():
    """'openblas 0.3.31 SkylakeX (1 thread)' from threadpoolctl, for the table."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl missing)"
    for lib in threadpool_info():
        if lib.get('user_api') == 'blas':
            n = lib.get('num_threads')
            return f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture')} ({n} thread{'s' if n != 1 else ''})"
    return "unknown"


def load_data(path=DEFAULT_MLP_DATA, n=100_000, d=32):
    import numpy as np
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        w1 = (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)
        w2 = (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)
        X = rng.standard_normal((n, d), dtype=np.float32)
        y = (np.sin(X @ w1) + X @ w2 + (0.1 * rng.standard_normal(n)).astype(np.float32)).astype(np.float32)
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        tmp = path + '.tmp'
        np.concatenate([X.ravel(), y]).astype('<f4').tofile(tmp)
        os.replace(tmp, path)
    raw = np.fromfile(path, dtype='<f4')
    if raw.size != n * (d + 1):
        raise SystemExit(f"{path}: {raw.size} floats, expected {n * (d + 1)} (n={n}, d={d})")
    X = raw[: n * d].reshape(n, d).copy()
    y = raw[n * d: n * d + n].copy()
    return X, y


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == 'gen':
        p = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_MLP_DATA
        load_data(p)
        print(p)
    else:
        print(__doc__)
