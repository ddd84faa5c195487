#!/usr/bin/env bash
# The class-conditional figures of docs/quality.md: configs/mnist-conditional.yaml beside
# configs/mnist-fast.yaml on Fashion-MNIST, one run at a time (nothing else running), FID, IS,
# modes, class fidelity and intra-FID (10,000 samples) against training time.
#   bench/quality_conditional.sh        (about 15 minutes; QUALITY_OUT=DIR, default runs/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${QUALITY_OUT:-runs/quality}
bench/quality_run.sh mnist-fast 7200 600 --config configs/mnist-fast.yaml --set log.grid_scale=2
EVAL_METRICS=fid,is,modes,classes \
  bench/quality_run.sh mnist-conditional 7200 600 --config configs/mnist-conditional.yaml \
  --set log.grid_scale=2
python3 bench/quality_table.py --at 60,150,300 "$out"/mnist-fast "$out"/mnist-conditional
