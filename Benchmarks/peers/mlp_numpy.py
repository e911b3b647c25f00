"""Hand-written numpy float32 MLP 32->64->64->1, ReLU, MSE, batch 256, Adam(lr=1e-3), BLAS 1 thread.
Usage: python mlp_numpy.py [epochs=5]   (adapted from shared/anchors/mlp/mlp_numpy.py)"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, load_data, emit, numpy_blas
import numpy as np
from threadpoolctl import threadpool_limits

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
X, y = load_data(); y = y.reshape(-1, 1)
n = X.shape[0]; B = 256
rng = np.random.default_rng(0)
sizes = [32, 64, 64, 1]
W = []; b = []
for i in range(3):
    bound = 1 / np.sqrt(sizes[i])
    W.append(rng.uniform(-bound, bound, (sizes[i], sizes[i + 1])).astype(np.float32))
    b.append(rng.uniform(-bound, bound, (sizes[i + 1],)).astype(np.float32))
params = W + b
m = [np.zeros_like(p) for p in params]; v = [np.zeros_like(p) for p in params]
lr, b1, b2, eps = np.float32(1e-3), np.float32(0.9), np.float32(0.999), np.float32(1e-8)
t = 0
rates = []
tot = 0.0
with threadpool_limits(limits=1, user_api='blas'):
    kernel = f"numpy {np.__version__} / " + numpy_blas()
    for e in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        tot = 0.0
        for s in range(0, n, B):
            idx = perm[s:s + B]; xb = X[idx]; yb = y[idx]; bs = len(idx)
            z1 = xb @ W[0] + b[0]; h1 = np.maximum(z1, 0)
            z2 = h1 @ W[1] + b[1]; h2 = np.maximum(z2, 0)
            out = h2 @ W[2] + b[2]
            diff = out - yb
            tot += float((diff * diff).sum())
            d3 = (np.float32(2.0 / bs)) * diff
            gW3 = h2.T @ d3; gb3 = d3.sum(0)
            d2 = (d3 @ W[2].T) * (h2 > 0)
            gW2 = h1.T @ d2; gb2 = d2.sum(0)
            d1 = (d2 @ W[1].T) * (h1 > 0)
            gW1 = xb.T @ d1; gb1 = d1.sum(0)
            grads = [gW1, gW2, gW3, gb1, gb2, gb3]
            t += 1
            bc1 = 1 - 0.9 ** t; bc2 = 1 - 0.999 ** t
            step = np.float32(lr / bc1); isb = np.float32(1 / np.sqrt(bc2))
            for p, g, mm, vv in zip(params, grads, m, v):
                mm *= b1; mm += (1 - b1) * g
                vv *= b2; vv += (1 - b2) * g * g
                p -= step * mm / (np.sqrt(vv) * isb + eps)
        rates.append(n / (time.perf_counter() - t0))
emit("numpy", "mlp_epoch", f"{n}x32 32-64-64-1 b256", median(rates), "rows/s", kernel, rates,
     final_loss=tot / n)
