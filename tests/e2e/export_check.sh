#!/usr/bin/env bash
# gantrain export end to end: a 20-step run; its generator exported as TorchScript and
# safetensors, the EMA (the default) and G (--raw-generator); check_export.py loads each with
# plain PyTorch and compares with what `gantrain sample --format npy` draws for the same seed,
# then checks the safetensors file and an ONNX conversion in onnxruntime. Last, the default
# file name in the run directory.
#   export_check.sh GANTRAIN PYTHON WORK_DIR TRAIN_ARGS...
set -euo pipefail
gantrain=$1 python=$2 work=$3
shift 3
check=$(dirname "$0")/check_export.py
rm -rf "$work"
mkdir -p "$work"
"$gantrain" "$@" --steps 20 --set log.every=10 --set eval.every=0 --out "$work/run" \
  >"$work/train.log" 2>&1 || { tail -5 "$work/train.log"; exit 1; }
for g in ema raw; do
  flags=()
  [ "$g" = raw ] && flags=(--raw-generator)
  "$gantrain" export --checkpoint "$work/run" "${flags[@]}" --out "$work/$g.pt"
  "$gantrain" export --checkpoint "$work/run" "${flags[@]}" --format safetensors \
    --out "$work/$g.safetensors"
  "$gantrain" sample --checkpoint "$work/run" "${flags[@]}" --n 40 --seed 3 --format npy \
    --out "$work/$g.npy"
  "$python" "$check" "$work/$g.pt" "$work/$g.npy" 3 --safetensors "$work/$g.safetensors" \
    --onnx "$work/$g.onnx"
done
"$gantrain" export --checkpoint "$work/run"
test -s "$work/run/generator.pt" || { echo "FAIL: no $work/run/generator.pt"; exit 1; }
echo "export_check: passed"
