#!/usr/bin/env bash
# A full disk while a checkpoint is being written, simulated without root: a file-size limit
# (ulimit -f) with SIGXFSZ ignored makes writes past it fail with EFBIG, as ENOSPC would. The
# run must stop with one error line and exit 1, leave no partial file, keep the previous
# checkpoint byte for byte, and resume from it once there is room again.
#   disk_full.sh GANTRAIN WORK_DIR
set -uo pipefail
bin=$1 work=$2
fail() { echo "FAIL: $*"; echo "$out" | tail -5; exit 1; }
out=""
rm -rf "$work"
"$bin" --task even-bits --device cpu --steps 100 --out "$work" --log-level warn || fail "first run"
before=$(cksum <"$work/checkpoints/latest.pt")

# 16 KiB per file: room for config.yaml, metrics.csv and train.log, not for a 32 KiB checkpoint.
out=$( (trap '' XFSZ; ulimit -f 16; exec "$bin" --resume "$work" --steps 200) 2>&1 )
code=$?
[ "$code" = 1 ] || fail "exit code $code, expected 1"
grep -Eq "error: .*checkpoints/step_000200\.pt\.tmp: write failed" <<<"$out" || fail "no write error"
[ "$(grep -c 'error:' <<<"$out")" = 1 ] || fail "expected exactly one error line"
grep -Eq 'terminate called|Segmentation fault|Aborted' <<<"$out" && fail "crashed"
ls "$work/checkpoints" | grep -q 'step_000200' && fail "a partial checkpoint was left behind"
[ "$(cksum <"$work/checkpoints/latest.pt")" = "$before" ] || fail "latest.pt changed"

out=$("$bin" --resume "$work" --steps 200 2>&1) || fail "resume once there is room"
grep -q "resumed from .*latest.pt at step 100" <<<"$out" || fail "did not resume from step 100"
echo "write failed as the disk filled; previous checkpoint intact; resumed from it"
