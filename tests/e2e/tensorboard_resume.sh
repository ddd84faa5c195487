#!/usr/bin/env bash
# A resume from an older checkpoint leaves TensorBoard no stale or duplicate steps: a run logs
# steps 50..300 with checkpoints at 100, 200, 300, then continues from step 200 to 400, twice;
# the steps after 200 of the earlier sessions must be gone from what TensorBoard's own reader
# sees (with its purging of orphaned data off, so it shows what the files hold), and every step
# of every tag must appear once, scalars with the value metrics.csv holds. Each session trains
# with another learning rate, so a stale value would also differ. A TensorBoard that watched
# the first resume happen must show the same (tensorboard_live_resume.py).
#   tensorboard_resume.sh GANTRAIN PYTHON CHECK_TENSORBOARD_PY WORK_DIR
set -euo pipefail
bin=$1 python=$2 check=$3 work=$4
rm -rf "$work"
"$bin" --task even-bits --device cpu --steps 300 --log-level warn --out "$work" \
  --set log.every=50 --set log.checkpoint_every=100 --set log.keep_checkpoints=0 \
  --set log.sample_every=100
# Twice: the second resume from the same checkpoint must also drop the first resume's session.
# The first runs under a live TensorBoard reader, which must drop what it held after step 200.
resume=("$bin" --resume "$work/checkpoints/step_000200.pt" --steps 400 --log-level warn)
"$python" "$(dirname "$0")/tensorboard_live_resume.py" "$work" -- "${resume[@]}" \
  --set train.lr_g=0.002
"${resume[@]}" --set train.lr_g=0.0005
ls "$work"/events.out.tfevents.* | wc -l | grep -qx 3 ||
  { echo "FAIL: expected one event file per session"; ls "$work"; exit 1; }
cut -d, -f1 "$work/metrics.csv" | paste -sd' ' | grep -qx 'step 50 100 150 200 250 300 350 400' ||
  { echo "FAIL: metrics.csv steps: $(cut -d, -f1 "$work/metrics.csv" | paste -sd' ')"; exit 1; }
"$python" "$check" "$work" --expect-no-duplicates
