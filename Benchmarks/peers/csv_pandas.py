"""pandas.read_csv on the CSV that `retune-bench csvgen` wrote (same bytes both sides): MB/s.
Usage: python csv_pandas.py PATH [repeats=3]"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, emit
import pandas as pd

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
size = os.path.getsize(path)
rates = []
shape = None
for _ in range(reps):
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    rates.append(size / 1e6 / (time.perf_counter() - t0))
    shape = df.shape
    del df
emit("pandas", "csv_load", f"{shape[0]}x{shape[1]}", median(rates), "MB/s",
     f"pandas {pd.__version__} (C engine)", rates, bytes=size)
