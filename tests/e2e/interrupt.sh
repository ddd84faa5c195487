#!/usr/bin/env bash
# Ctrl-C (SIGINT) mid-run: gantrain finishes the step, writes a checkpoint, says how to resume
# and exits 130; the resumed run then completes.
#   interrupt.sh GANTRAIN WORK_DIR
set -uo pipefail
bin=$1 work=$2
rm -rf "$work"
"$bin" --task even-bits --device cpu --steps 100000000 --set log.every=100000 --out "$work" \
  > "$work.log" 2>&1 &
pid=$!
for _ in $(seq 100); do  # wait until training has started (up to 10 s)
  grep -q "steps, batch" "$work.log" 2>/dev/null && break
  sleep 0.1
done
sleep 0.5
kill -INT $pid
wait $pid
code=$?
cat "$work.log"
[ "$code" = 130 ] || { echo "FAIL: exit code $code, expected 130"; exit 1; }
grep -q "Resume with: gantrain --resume $work" "$work.log" || { echo "FAIL: no resume hint"; exit 1; }
[ -f "$work/checkpoints/latest.pt" ] || { echo "FAIL: no checkpoint"; exit 1; }
step=$(ls "$work/checkpoints" | sed -n 's/^step_0*\([0-9]*\)\.pt$/\1/p' | tail -1)
"$bin" --resume "$work" --steps $((step + 10)) --log-level warn || { echo "FAIL: resume"; exit 1; }
echo "interrupted at step $step, resumed to $((step + 10))"
