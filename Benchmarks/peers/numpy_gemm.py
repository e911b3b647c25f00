"""float32 GEMM GFLOP/s with numpy (BLAS 1 thread) on the MLP shapes retune-bench uses.
Usage: python numpy_gemm.py [--smoke]   (adapted from shared/anchors/mlp/numpy_gemm.py)"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, emit, numpy_blas
import numpy as np
from threadpoolctl import threadpool_limits

SHAPES = [(256, 32, 64), (1024, 64, 64), (1024, 256, 256), (4096, 512, 512)]  # M, K, N


def bench(fn, flops, samples=7, min_s=0.2):
    fn()
    t0 = time.perf_counter(); fn(); one = time.perf_counter() - t0
    reps = max(1, int(min_s / max(one, 1e-9)) + 1)
    gfs = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        gfs.append(flops * reps / (time.perf_counter() - t0) / 1e9)
    return gfs


rng = np.random.default_rng(0)
with threadpool_limits(limits=1, user_api='blas'):
    kernel = f"numpy {np.__version__} / " + numpy_blas()
    for (M, K, N) in SHAPES:
        A = rng.uniform(-1, 1, (M, K)).astype(np.float32)
        B = rng.uniform(-1, 1, (K, N)).astype(np.float32)
        C = np.empty((M, N), np.float32)
        gfs = bench(lambda: np.matmul(A, B, out=C), 2.0 * M * N * K)
        emit("numpy", "gemm", f"{M}x{K}*{K}x{N}", median(gfs), "GFLOP/s", kernel, gfs)
