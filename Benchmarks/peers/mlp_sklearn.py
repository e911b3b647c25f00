"""scikit-learn MLPRegressor(64,64) relu adam batch 256 lr 1e-3, one epoch per fit (max_iter=1), BLAS 1 thread.
Usage: python mlp_sklearn.py [repeats=5]   (adapted from shared/anchors/mlp/mlp_sklearn.py)"""
import os, sys, time, warnings
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median, load_data, emit, numpy_blas
import sklearn
from sklearn.neural_network import MLPRegressor
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits
warnings.filterwarnings('ignore', category=ConvergenceWarning)

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
X, y = load_data(); n = X.shape[0]
rates = []
with threadpool_limits(limits=1, user_api='blas'):
    for r in range(reps):
        mdl = MLPRegressor(hidden_layer_sizes=(64, 64), activation='relu', solver='adam', batch_size=256,
                           max_iter=1, learning_rate_init=1e-3, alpha=0.0, shuffle=True, random_state=r,
                           tol=0.0, n_iter_no_change=10**9)
        t0 = time.perf_counter()
        mdl.fit(X, y)
        rates.append(n / (time.perf_counter() - t0))
    kernel = f"sklearn {sklearn.__version__} / " + numpy_blas()
emit("sklearn", "mlp_epoch", f"{n}x32 32-64-64-1 b256", median(rates), "rows/s", kernel, rates,
     final_loss=2 * mdl.loss_)
