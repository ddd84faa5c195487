#!/usr/bin/env bash
# The search behind configs/mnist-fast.yaml: the lowest FID per CPU-second on this machine.
# Each candidate trains on Fashion-MNIST for a few hundred seconds, evaluated along the way
# (FID, IS, modes over 10,000 samples); then bench/quality_table.py lines them up at 60, 120 and
# 300 s of training. Two candidates run at a time on a 2-core machine (each uses one thread), so
# their times are slower than alone: compare candidates with each other, not with the presets'
# figures (bench/quality_presets.sh measures those one run at a time).
#   bench/quality_search.sh            (about 45 minutes; QUALITY_OUT=DIR, default runs/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${QUALITY_OUT:-runs/quality}
mkdir -p "$out"
dcgan=(--set model.arch=dcgan --set model.dropout=0 --set train.beta1=0.5 --batch-size 64)
mlp=(--set train.beta1=0.5 --set train.ema_decay=0.999)
pids=()
start() {  # NAME STEPS EVAL_EVERY OPTIONS...: one run in the background
  bench/quality_run.sh "$@" > "$out/$1.log" 2>&1 &
  pids+=($!)
}
finish() {  # waits for the started runs
  for pid in "${pids[@]}"; do wait "$pid" || { echo "a run failed: see $out/*.log" >&2; exit 1; }; done
  pids=()
}
start dcgan-64-ema 3600 300 "${dcgan[@]}" --set model.g_channels=[64,32] \
  --set model.d_channels=[32,64] --set train.ema_decay=0.999
start dcgan-32-ema 9000 750 "${dcgan[@]}" --set model.g_channels=[32,16] \
  --set model.d_channels=[16,32] --set train.ema_decay=0.999
finish
start dcgan-64-sn-hinge-ema 3600 300 "${dcgan[@]}" --set model.g_channels=[64,32] \
  --set model.d_channels=[32,64] --set train.ema_decay=0.999 --set model.spectral_norm=true \
  --set train.loss=hinge
start mlp-beta05-ema 8000 800 "${mlp[@]}"
finish
start mlp-beta05-ema-lr5e-4 8000 800 "${mlp[@]}" --lr 5e-4
start mlp-beta05-ema-lr1e-3 8000 800 "${mlp[@]}" --lr 1e-3
finish
python3 bench/quality_table.py --at 60,120,300 "$out"/dcgan-64-ema "$out"/dcgan-32-ema \
  "$out"/dcgan-64-sn-hinge-ema "$out"/mlp-beta05-ema "$out"/mlp-beta05-ema-lr5e-4 \
  "$out"/mlp-beta05-ema-lr1e-3
