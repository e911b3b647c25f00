"""OLS fit on 1,000,000 x 32 (Float64): numpy.linalg.lstsq and sklearn LinearRegression, BLAS 1 thread.
Data file (OLS_DATA, default /tmp/retune-bench/ols_1000000x32.bin): raw little-endian float32,
X (rows x 32, row-major) then y (rows); written once from numpy default_rng(1); both sides read
these bytes and fit in Float64. Usage: python ols.py [rows=1000000] [repeats=3]"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, emit, numpy_blas
import numpy as np
from threadpoolctl import threadpool_limits

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
d = 32
path = os.environ.get('OLS_DATA', f'/tmp/retune-bench/ols_{rows}x{d}.bin')
if not os.path.exists(path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((rows, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32)
    y = (X @ w + 3.0 + 0.5 * rng.standard_normal(rows).astype(np.float32)).astype(np.float32)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.concatenate([X.ravel(), y]).astype('<f4').tofile(path + '.tmp')
    os.replace(path + '.tmp', path)
raw = np.fromfile(path, dtype='<f4')
X = raw[: rows * d].reshape(rows, d).astype(np.float64)
y = raw[rows * d: rows * d + rows].astype(np.float64)
with threadpool_limits(limits=1, user_api='blas'):
    kernel = f"numpy {np.__version__} / " + numpy_blas()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        A = np.hstack([X, np.ones((rows, 1))])
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        ts.append(time.perf_counter() - t0)
    emit("numpy_lstsq", "ols", f"{rows}x{d}", median(ts), "s", kernel, ts, intercept=float(coef[-1]))
    from sklearn.linear_model import LinearRegression
    import sklearn
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        m = LinearRegression().fit(X, y)
        ts.append(time.perf_counter() - t0)
    emit("sklearn", "ols", f"{rows}x{d}", median(ts), "s", f"sklearn {sklearn.__version__} / " + numpy_blas(), ts,
         intercept=float(m.intercept_))
