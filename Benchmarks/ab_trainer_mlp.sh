#!/bin/bash
# Alternated A/B of the MLP Trainer and the raw GEMM loop against the PyTorch and numpy peers:
#   Benchmarks/ab_trainer_mlp.sh OLD_RETUNE_BENCH [ROUNDS=3]
# OLD_RETUNE_BENCH: another build's release retune-bench (e.g. main's); this tree's is the "new".
# Each round, in two environments (OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 set, and both
# unset): trainer old, PyTorch, trainer new, numpy, raw loop old, raw loop new. Needs MLP_DATA
# (default .bench/mlp_data.bin: `python Benchmarks/peers/common.py gen .bench/mlp_data.bin`) and
# the venv of scripts/bench (PY, default /work/venv/bin/python).
set -u
cd "$(dirname "$0")/.."
OLD=${1:?usage: $0 OLD_RETUNE_BENCH [ROUNDS]}; ROUNDS=${2:-3}
NEW=$PWD/.build/release/retune-bench; PY=${PY:-/work/venv/bin/python}
export MLP_DATA=${MLP_DATA:-$PWD/.bench/mlp_data.bin}
DIR=/tmp/ab_trainer_mlp; mkdir -p $DIR; OUT=$DIR/results.jsonl; : > $OUT
run() { # mode label cmd...
  local mode=$1 label=$2; shift 2
  local pre=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
  [ "$mode" = haswell ] && pre=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512)
  local line; line=$("${pre[@]}" "$@" 2>/dev/null | tail -1)
  [ -n "$line" ] || { echo "no result: $label ($mode)" >&2; return; }
  echo "{\"mode\":\"$mode\",\"label\":\"$label\",\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"r\":$line}" >> $OUT
}
for round in $(seq "$ROUNDS"); do
  for mode in haswell unset; do
    run $mode trainer_old "$OLD" trainer_mlp --epochs 6
    run $mode torch "$PY" Benchmarks/peers/mlp_torch.py 5 1
    run $mode trainer_new "$NEW" trainer_mlp --epochs 6
    run $mode numpy "$PY" Benchmarks/peers/mlp_numpy.py 5
    run $mode raw_old "$OLD" mlp --workers 1 --epochs 5
    run $mode raw_new "$NEW" mlp --workers 1 --epochs 5
  done
done
python3 - "$OUT" <<'PYEOF'
import json, statistics, collections, sys
g = collections.defaultdict(list); k = {}; loads = collections.defaultdict(list)
for l in open(sys.argv[1]):
    d = json.loads(l); key = (d['mode'], d['label'])
    g[key].append(d['r']['median']); k[key] = d['r'].get('kernel', ''); loads[d['mode']].append(float(d['load']))
for mode in ['haswell', 'unset']:
    if not loads[mode]: continue
    print(mode, 'load', min(loads[mode]), '-', max(loads[mode]))
    med = {lab: statistics.median(v) for (m, lab), v in g.items() if m == mode}
    for (m, lab), v in sorted(g.items()):
        if m == mode: print(f"  {lab:12s} median {med[lab]/1e6:.3f} M  samples {[round(x/1e6,3) for x in v]}  {k[(m,lab)]}")
    for t in ['trainer_old', 'trainer_new']:
        side = t.split('_')[1]
        if all(x in med for x in (t, 'torch', 'numpy', 'raw_' + side)):
            print(f"  {t}: {med[t]/med['torch']:.2f}x torch, {med[t]/med['numpy']:.2f}x numpy, {med[t]/med['raw_'+side]*100:.0f}% of raw_{side}")
PYEOF
