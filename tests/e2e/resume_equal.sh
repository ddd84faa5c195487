#!/usr/bin/env bash
# A run of TOTAL steps in one go and one of HALF steps + --resume to TOTAL must log identical
# metrics (CPU, fixed seed): models, optimizers, data order and RNG all come back. The split run
# also logs a row at HALF (its last step), which the uninterrupted run does not have; every row
# of the uninterrupted run must appear unchanged in the split one.
#   resume_equal.sh GANTRAIN WORK_DIR TOTAL HALF [gantrain options...]
#   LAUNCH="--nproc 2" resume_equal.sh ...     the same with every run data-parallel
set -euo pipefail
bin=$1 work=$2 total=$3 half=$4
shift 4
rm -rf "$work"; mkdir -p "$work"
read -ra launch <<<"${LAUNCH:-}"
common=(--device cpu --seed 0 --log-level warn "${launch[@]}" "$@")
"$bin" "${common[@]}" --steps "$total" --out "$work/straight"
"$bin" "${common[@]}" --steps "$half" --out "$work/split"
"$bin" --resume "$work/split" --steps "$total" --log-level warn "${launch[@]}"
# Compare every column but the timings, the last three (steps_per_s, images_per_s, elapsed_s).
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 3)) "$1"; }
straight_steps=$(cut -d, -f1 "$work/straight/metrics.csv" | paste -sd'|')
if ! diff <(strip "$work/straight/metrics.csv") \
          <(strip "$work/split/metrics.csv" | grep -E "^($straight_steps),"); then
  echo "FAIL: resumed run differs from the uninterrupted one"; exit 1
fi
rows=$(($(wc -l < "$work/straight/metrics.csv") - 1))
[ "$rows" -ge 2 ] || { echo "FAIL: only $rows metrics rows"; exit 1; }
echo "resume is exact: $rows identical rows"
