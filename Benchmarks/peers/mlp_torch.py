"""PyTorch CPU, 1 thread: MLP 32->64->64->1, ReLU, MSE, batch 256, Adam(lr=1e-3), on MLP_DATA.
Usage: python mlp_torch.py [epochs=5] [threads=1]   (adapted from shared/anchors/mlp/mlp_torch.py)"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, load_data, emit
import torch

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
X, y = load_data()
Xt = torch.from_numpy(X); yt = torch.from_numpy(y).unsqueeze(1)
n = Xt.shape[0]; B = 256
model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                            torch.nn.ReLU(), torch.nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = torch.nn.MSELoss()
rates = []
tot = 0.0
for e in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    tot = 0.0
    for i in range(0, n, B):
        idx = perm[i:i + B]
        xb = Xt[idx]; yb = yt[idx]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx)
    rates.append(n / (time.perf_counter() - t0))
kernel = f"torch {torch.__version__} {torch.backends.cpu.get_cpu_capability()} ({torch.get_num_threads()} thread{'s' if threads != 1 else ''})"
# 1 thread: side "pytorch"; N threads: "pytorch_Nt" (paired with trainer_mlp_Nt in table.py).
emit("pytorch" if threads == 1 else f"pytorch_{threads}t", "mlp_epoch", f"{n}x32 32-64-64-1 b256", median(rates), "rows/s", kernel, rates,
     final_loss=tot / n)
