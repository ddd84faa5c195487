#!/usr/bin/env bash
# kill -9 a training run at random moments, over and over (checkpoints every 3 steps, so many
# kills land while one is being written), resuming it each time. Every resume must start from a
# valid checkpoint (none skipped, never an earlier step than the last resume) and the finished
# run's metrics.csv must equal an uninterrupted run's, elapsed time aside: nothing was lost.
#   kill_resume.sh GANTRAIN WORK_DIR [ROUNDS]        (SEED=N repeats a sequence of kill times)
set -uo pipefail
bin=$1 work=$2 rounds=${3:-20}
seed=${SEED:-$$}
RANDOM=$seed
steps=3000
run=(--task even-bits --device cpu --steps $steps --set log.every=50 --set log.checkpoint_every=3
     --set log.sample_every=100 --set eval.samples=1000)
fail() { echo "FAIL (SEED=$seed): $*"; [ -f "$work.round.log" ] && tail -5 "$work.round.log"; exit 1; }
rm -rf "$work" "$work.ref" "$work.round.log"

"$bin" "${run[@]}" --out "$work.ref" --log-level warn || fail "reference run"

# Resume if there is a checkpoint; a run killed before its first one starts over.
start() {
  if ls "$work"/checkpoints/*.pt >/dev/null 2>&1; then
    "$bin" --resume "$work" >"$work.round.log" 2>&1 &
  else
    "$bin" "${run[@]}" --out "$work" >"$work.round.log" 2>&1 &
  fi
  pid=$!
}

last_resumed=0 kills=0 finished=0
for round in $(seq "$rounds"); do
  start
  # Start-up (loading LibTorch, reading the checkpoint) takes 1 s or more on a busy machine: one
  # round in four is killed during it, the others 0 to 0.4 s into training.
  if [ $((RANDOM % 4)) != 0 ]; then
    for _ in $(seq 400); do
      grep -q "run directory" "$work.round.log" 2>/dev/null && break
      sleep 0.05
    done
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.4 * r / 32768 }')"
  else
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 1.0 * r / 32768 }')"
  fi
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  code=$?
  grep -q "skipping" "$work.round.log" && fail "round $round had to skip a checkpoint"
  resumed=$(sed -n 's/.*resumed from .* at step \([0-9]*\).*/\1/p' "$work.round.log")
  if [ -n "$resumed" ]; then
    [ "$resumed" -ge "$last_resumed" ] || fail "round $round resumed at $resumed < $last_resumed"
    last_resumed=$resumed
  fi
  if [ "$code" = 0 ]; then finished=1; break; fi
  # Killed after its last checkpoint (in the final summary): the resume says it is complete.
  if [ "$code" = 2 ] && grep -q "is at step $steps:" "$work.round.log"; then finished=1; break; fi
  [ "$code" = 137 ] || fail "round $round: exit code $code"
  kills=$((kills + 1))
done
if [ $finished = 0 ]; then
  start
  wait $pid
  code=$?
  [ "$code" = 0 ] || { [ "$code" = 2 ] && grep -q "is at step $steps:" "$work.round.log"; } ||
    fail "final resume"
  grep -q "skipping" "$work.round.log" && fail "the final resume had to skip a checkpoint"
fi
grep -Eq "done: $steps steps|is at step $steps:" "$work.round.log" || fail "did not finish"
# Everything but the timings (the last three columns: steps_per_s, images_per_s, elapsed_s)
# must match the uninterrupted run exactly.
untimed() { sed -E 's/(,[^,]*){3}$//' "$1"; }
diff <(untimed "$work.ref/metrics.csv") <(untimed "$work/metrics.csv") ||
  fail "metrics.csv differs from the uninterrupted run"
diff -r "$work.ref/samples" "$work/samples" || fail "sample files differ from the uninterrupted run"
echo "killed $kills times (last resume at step $last_resumed), finished, metrics equal (SEED=$seed)"
