#!/usr/bin/env bash
# One training run of the sample-quality study (docs/quality.md) on Fashion-MNIST, on the CPU,
# with FID, IS and modes measured (10,000 samples) and a sample grid written every EVAL_EVERY steps:
#   bench/quality_run.sh NAME STEPS EVAL_EVERY [gantrain options...]
# writes ${QUALITY_OUT:-runs/quality}/NAME (an existing one is replaced). bench/quality_table.py
# reads the runs back with their training time (evaluation excluded). EVAL_METRICS changes the
# metric groups (default fid,is,modes; conditional runs add classes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
if [ $# -lt 3 ]; then
  echo "usage: bench/quality_run.sh NAME STEPS EVAL_EVERY [gantrain options...]" >&2
  exit 2
fi
name=$1 steps=$2 every=$3
shift 3
out=${QUALITY_OUT:-runs/quality}/$name
rm -rf "$out"
mkdir -p "$(dirname "$out")"
"$GANTRAIN_BUILD/gantrain" --task mnist --dataset fashion-mnist --device cpu --out "$out" "$@" \
  --steps "$steps" --set log.every="$every" --set eval.every="$every" \
  --set eval.metrics="${EVAL_METRICS:-fid,is,modes}" --set eval.samples=10000 --set log.sample_every="$every" \
  --set log.checkpoint_every="$steps" --set log.tensorboard=false
