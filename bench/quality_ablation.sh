#!/usr/bin/env bash
# What each training method buys on its own (docs/quality.md): the seed default (configs/
# mnist.yaml) with one change at a time, each trained 3,000 steps (5 epochs at batch 100) on
# Fashion-MNIST and measured at the end (FID, IS, modes over 10,000 samples). The architecture
# (model.arch: dcgan) is compared in bench/quality_presets.sh instead. Then mnist-fast with each
# of its three changes taken back, alike. Two runs at a time on a
# 2-core machine, so the times are slower than alone; the FIDs are at equal steps.
#   bench/quality_ablation.sh            (about 25 minutes; QUALITY_OUT=DIR, default runs/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${QUALITY_OUT:-runs/quality}
steps=3000
fast="--config configs/mnist-fast.yaml"
names=(seed beta1-0.5 lr-5e-4 label-smoothing-0.9 ema-0.999 hinge lsgan spectral-norm
       fast fast-without-ema fast-without-beta1 fast-without-lr)
options=(
  ""
  "--set train.beta1=0.5"
  "--lr 5e-4"
  "--set train.real_label=0.9"
  "--set train.ema_decay=0.999"
  "--set train.loss=hinge"
  "--set train.loss=lsgan"
  "--set model.spectral_norm=true"
  # and mnist-fast with one of its three changes taken back
  "$fast"
  "$fast --set train.ema_decay=0"
  "$fast --set train.beta1=0.9"
  "$fast --lr 2e-4"
)
mkdir -p "$out"
for ((i = 0; i < ${#names[@]}; i += 2)); do
  pids=()
  for ((j = i; j < i + 2 && j < ${#names[@]}; ++j)); do
    # shellcheck disable=SC2086  # options are split into words on purpose
    bench/quality_run.sh "ablation-${names[$j]}" $steps $steps ${options[$j]} \
      > "$out/ablation-${names[$j]}.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "a run failed: see $out/*.log" >&2; exit 1; }; done
done
python3 bench/quality_table.py --at 1000000 $(printf "$out/ablation-%s " "${names[@]}")
