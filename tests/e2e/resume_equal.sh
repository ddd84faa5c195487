#!/usr/bin/env bash
# 500 steps in one go and 250 steps + --resume to 500 must log identical losses (CPU, seed 0).
set -euo pipefail
bin=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
common=(--task even-bits --device cpu --seed 0 --set log.every=50 --log-level warn)
"$bin" "${common[@]}" --steps 500 --out "$work/straight"
"$bin" "${common[@]}" --steps 250 --out "$work/split"
"$bin" --resume "$work/split" --steps 500 --log-level warn
# Compare every column but the last (elapsed seconds).
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 1)) "$1"; }
if ! diff <(strip "$work/straight/metrics.csv") <(strip "$work/split/metrics.csv"); then
  echo "FAIL: resumed run differs from the uninterrupted one"; exit 1
fi
rows=$(($(wc -l < "$work/split/metrics.csv") - 1))
[ "$rows" = 10 ] || { echo "FAIL: expected 10 metrics rows, got $rows"; exit 1; }
echo "resume is exact: $rows identical rows"
