#!/usr/bin/env bash
# Faults of a data-parallel run (--nproc 2, Gloo on the loopback), each bounded in time:
# 1. kill -9 of rank 1 mid-run: rank 0 stops within LIMIT s, non-zero, with one line naming
#    rank 1, and the launcher exits non-zero; --resume with the same launch continues from the
#    last checkpoint (valid: none skipped).
# 2. Ctrl-C (SIGINT to the launcher): both ranks stop after the same step, rank 0 writes a
#    checkpoint there, everything exits 130; --resume finishes the run.
#   dist_faults.sh GANTRAIN WORK_DIR [LIMIT]
set -uo pipefail
bin=$1 work=$2 limit=${3:-15}
fail() { echo "FAIL: $*"; for log in "$work"/*.log; do echo "--- $log"; tail -8 "$log"; done; exit 1; }
rm -rf "$work"; mkdir -p "$work"
run=(--task even-bits --device cpu --steps 1000000 --set log.every=200
     --set log.checkpoint_every=200 --set train.dist_timeout=60)
wait_for() {  # wait_for FILE PATTERN: up to 60 s
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  fail "no '$2' in $1 after 60 s"
}
newest_step() { ls "$work/run/checkpoints" | sed -n 's/^step_0*\([0-9][0-9]*\)\.pt$/\1/p' | sort -n | tail -1; }

# 1. kill -9 of one rank.
"$bin" "${run[@]}" --nproc 2 --out "$work/run" >"$work/kill.log" 2>&1 &
launcher=$!
wait_for "$work/kill.log" "step *400/"
rank1=$(sed -n 's/.*rank 1 pid \([0-9]*\).*/\1/p' "$work/kill.log")
[ -n "$rank1" ] || fail "the launcher did not name rank 1's pid"
start=$(date +%s%N)
kill -9 "$rank1"
wait "$launcher"
code=$?
took_ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" != 0 ] || fail "the launcher exited 0 after a worker was killed"
grep -q "\[rank 0\] error: lost rank 1 " "$work/kill.log" || fail "rank 0 did not name rank 1"
grep -q "worker rank 0 exited with code 1" "$work/kill.log" || fail "rank 0 did not exit with code 1"
[ "$took_ms" -le $((limit * 1000)) ] || fail "the run took $took_ms ms to stop (limit $limit s)"
echo "kill -9 of rank 1: rank 0 stopped in $took_ms ms, naming it"

killed_at=$(newest_step)
target=$((killed_at + 400))
"$bin" --resume "$work/run" --nproc 2 --steps "$target" --set log.every=200 >"$work/resume.log" 2>&1 ||
  fail "resume after the kill"
grep -q "resumed from .* at step $killed_at" "$work/resume.log" || fail "did not resume at step $killed_at"
grep -q "skipping" "$work/resume.log" && fail "the resume had to skip a damaged checkpoint"
grep -q "done: $target steps" "$work/resume.log" || fail "the resumed run did not finish"
echo "resumed at step $killed_at and finished at $target"

# 2. Ctrl-C.
"$bin" --resume "$work/run" --nproc 2 --steps 1000000 --set log.every=200 >"$work/interrupt.log" 2>&1 &
launcher=$!
wait_for "$work/interrupt.log" "step *$((target + 200))/"
kill -INT "$launcher"
wait "$launcher"
code=$?
[ "$code" = 130 ] || fail "Ctrl-C: the launcher exited $code, expected 130"
stopped=$(sed -n 's/.*interrupted after step \([0-9]*\).*/\1/p' "$work/interrupt.log")
[ -n "$stopped" ] && [ "$(newest_step)" = "$stopped" ] || fail "no checkpoint at the stop step '$stopped'"
[ "$(grep -c "exited with code 130" "$work/interrupt.log")" = 0 ] ||
  fail "the launcher reported an expected Ctrl-C exit as a failure"
"$bin" --resume "$work/run" --nproc 2 --steps $((stopped + 50)) --set log.every=50 >"$work/final.log" 2>&1 ||
  fail "resume after Ctrl-C"
grep -q "done: $((stopped + 50)) steps" "$work/final.log" || fail "the run did not finish after Ctrl-C"
echo "Ctrl-C: both ranks stopped after step $stopped with a checkpoint there; resumed and finished"
