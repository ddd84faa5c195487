#!/usr/bin/env bash
# The run directory's rules as a user meets them (docs/robustness.md, docs/config.md): one case
# per call, so that each is a test of its own.
#   run_dir_rules.sh CASE GANTRAIN WORK_DIR
# Cases: log_flushed, one_writer, repeat_from_config, resume_keeps_directory,
#        resume_drops_future, eval_out, help_once
set -uo pipefail
case_name=$1 bin=$2 work=$3/$1
fail() { echo "FAIL ($case_name): $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1
quick=(--task even-bits --device cpu --set eval.samples=500)

# A run in the background that writes a metrics row about every 0.1 s and no checkpoint for long.
start_long_run() {
  "$bin" "${quick[@]}" --steps 50000000 --set log.every=1000 --out "$1" >"$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [ "$(wc -l <"$1/metrics.csv" 2>/dev/null || echo 0)" -ge 5 ] && return 0
    kill -0 $pid 2>/dev/null || fail "the run ended early: $(tail -3 "$1.log")"
    sleep 0.05
  done
  fail "no metrics rows after 30 s"
}

rows() { tail -n +2 "$1" | cut -d, -f1-6; }

case $case_name in
log_flushed)  # train.log holds every progress line at once: a kill -9 loses none of it
  start_long_run run
  kill -9 $pid; wait $pid 2>/dev/null
  logged=$(grep -c " step " run/train.log) written=$(($(wc -l <run/metrics.csv) - 1))
  [ "$logged" -ge "$written" ] || fail "train.log has $logged progress lines, metrics.csv $written rows"
  ;;
one_writer)  # a second run on a directory in use is refused; a killed run leaves no stale lock
  start_long_run run
  out=$("$bin" "${quick[@]}" --steps 10 --out run 2>&1)
  code=$?
  kill -9 $pid; wait $pid 2>/dev/null
  [ $code = 1 ] || fail "second writer: exit $code, expected 1: $out"
  grep -q "run is in use by gantrain process $pid, which is training it" <<<"$out" ||
    fail "second writer: $out"
  [ "$(grep -c error: <<<"$out")" = 1 ] || fail "second writer: not one error line: $out"
  "$bin" "${quick[@]}" --steps 10 --out run >third.log 2>&1 || fail "after kill -9: $(tail -2 third.log)"
  ;;
repeat_from_config)  # gantrain --config RUN/config.yaml repeats the run in a new directory
  "$bin" "${quick[@]}" --steps 200 --set log.every=50 --out first >/dev/null 2>&1 || fail "first run"
  mkdir again && cd again || exit 1
  "$bin" --config ../first/config.yaml >log 2>&1 || fail "the repeat: $(tail -2 log)"
  repeat=$(ls -d runs/even-bits-*/ 2>/dev/null | head -1)
  [ -n "$repeat" ] || fail "no new run directory: $(cat log)"
  [ "$(rows ../first/metrics.csv)" = "$(rows "$repeat/metrics.csv")" ] ||
    fail "the repeat logged other losses than the first run"
  ;;
resume_keeps_directory)  # --out with --resume is refused, not ignored
  "$bin" "${quick[@]}" --steps 20 --out run >/dev/null 2>&1 || fail "first run"
  out=$("$bin" --resume run --steps 30 --out elsewhere 2>&1)
  code=$?
  [ $code = 2 ] || fail "exit $code, expected 2: $out"
  grep -q "log.out = 'elsewhere': a resumed run goes on in its own directory run" <<<"$out" ||
    fail "$out"
  [ ! -e elsewhere ] || fail "elsewhere was created"
  ;;
resume_drops_future)  # resuming from an older checkpoint leaves nothing of the abandoned future
  "$bin" "${quick[@]}" --steps 50 --set log.every=10 --set log.checkpoint_every=10 \
    --set log.sample_every=10 --set log.keep_checkpoints=0 --out run >/dev/null 2>&1 || fail "first run"
  "$bin" eval --checkpoint run --n 100 >/dev/null 2>&1 || fail "eval"
  out=$("$bin" --resume run/checkpoints/step_000020.pt --steps 30 2>&1) || fail "resume: $out"
  grep -q "done: 30 steps, the last 10 in [0-9.]* s (resumed at step 20)" <<<"$out" || fail "$out"
  for f in checkpoints/step_000040.pt checkpoints/step_000050.pt samples/step_000040.txt \
           samples/step_000050.txt eval.json; do
    [ ! -e "run/$f" ] || fail "run/$f is still there"
  done
  [ run/checkpoints/latest.pt -ef run/checkpoints/step_000030.pt ] || fail "latest.pt is not step 30"
  [ "$(tail -1 run/metrics.csv | cut -d, -f1)" = 30 ] || fail "metrics.csv goes past step 30"
  ! grep -q "step 50" run/report.html || fail "the report still shows step 50"
  ;;
eval_out)  # eval --out writes where it is told, not into the run
  "$bin" "${quick[@]}" --steps 20 --out run >/dev/null 2>&1 || fail "first run"
  "$bin" eval --checkpoint run/checkpoints/latest.pt --n 100 --out mine.json >/dev/null 2>&1 ||
    fail "eval --out"
  grep -q '"even_fraction"' mine.json || fail "mine.json: $(cat mine.json)"
  [ ! -e run/eval.json ] || fail "eval.json written into the run as well"
  ;;
help_once)  # one usage block, and --log-level's help names every level
  out=$("$bin" --help 2>&1) || fail "--help"
  [ "$(grep -ci '^usage:' <<<"$out")" = 1 ] || fail "not one usage block"
  grep -q "debug, info, warn, error or off" <<<"$out" || fail "--log-level's help"
  grep -q 'GANTRAIN_FASHION_MNIST' <<<"$out" || fail "data.dir's help"
  for sub in sample eval report; do
    "$bin" $sub --help 2>&1 | grep -qi '^usage:' || fail "$sub --help has no usage line"
  done
  ;;
*) fail "unknown case" ;;
esac
echo "ok: $case_name"
