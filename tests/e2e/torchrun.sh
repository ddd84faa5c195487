#!/usr/bin/env bash
# A launch under torchrun (PyTorch 2.x's, from the wheel of the 2.x build: scripts/torch2_venv.sh):
# its 2 workers join through torchrun's agent store, train, and log exactly what the same run
# under `gantrain --nproc 2` logs (the same ranks, collectives and sums), timings aside.
#   torchrun.sh TORCHRUN GANTRAIN WORK_DIR
set -euo pipefail
torchrun=$1 bin=$2 work=$3
[ -x "$torchrun" ] ||
  { echo "FAIL: no torchrun at $torchrun (scripts/test.sh installs it: scripts/torch2_venv.sh)"; exit 1; }
rm -rf "$work"; mkdir -p "$work"
args=(--task even-bits --device cpu --threads 1 --steps 300 --set log.every=50 --log-level warn)
"$bin" "${args[@]}" --nproc 2 --out "$work/nproc"
"$torchrun" --standalone --nproc-per-node 2 --no-python "$bin" "${args[@]}" --out "$work/torchrun" \
  >"$work/torchrun.log" 2>&1 || { echo "FAIL: torchrun"; tail -20 "$work/torchrun.log"; exit 1; }
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 3)) "$1"; }
diff <(strip "$work/nproc/metrics.csv") <(strip "$work/torchrun/metrics.csv") ||
  { echo "FAIL: the torchrun launch logged other values than --nproc 2"; exit 1; }
echo "torchrun --nproc-per-node 2: $(($(wc -l < "$work/torchrun/metrics.csv") - 1)) rows, identical to gantrain --nproc 2"
