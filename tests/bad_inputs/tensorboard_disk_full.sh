#!/usr/bin/env bash
# A full disk under the TensorBoard file (simulated as in disk_full.sh: ulimit -f with SIGXFSZ
# ignored; 64 KiB is room for every file of the run but the event file, which one row a step
# outgrows) is reported once and changes nothing else: the run finishes, metrics.csv holds
# every row, the checkpoint is written, and the run resumes with its TensorBoard file intact
# up to where the disk filled.
#   tensorboard_disk_full.sh GANTRAIN WORK_DIR
set -uo pipefail
bin=$1 work=$2
fail() { echo "FAIL: $*"; echo "$out" | tail -5; exit 1; }
rm -rf "$work"
out=$( (trap '' XFSZ; ulimit -f 64; exec "$bin" --task even-bits --device cpu --steps 300 \
        --out "$work" --set log.every=1 --set log.report=false --log-level warn) 2>&1 )
code=$?
[ "$code" = 0 ] || fail "exit code $code, expected 0"
[ "$(grep -c 'TensorBoard output stopped: File too large (training goes on)' <<<"$out")" = 1 ] ||
  fail "expected the failed write reported exactly once"
[ "$(wc -l <"$work/metrics.csv")" = 301 ] || fail "metrics.csv lacks rows"
[ -f "$work/checkpoints/step_000300.pt" ] || fail "no checkpoint at step 300"
out=$("$bin" --resume "$work" --steps 310 --set log.every=5 2>&1) || fail "resume"
grep -q "resumed from .* at step 300" <<<"$out" || fail "did not resume from step 300"
grep -q "TensorBoard" <<<"$out" && fail "the resumed run warned about TensorBoard"
echo "TensorBoard write failure reported once; run, metrics and checkpoint unharmed; resumed"
