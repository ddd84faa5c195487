#!/usr/bin/env bash
# Launch mistakes of data-parallel runs: each ends every process with one error line naming the
# cause and a non-zero exit, within a bounded time (train.dist_timeout = 5 s here), never a hang.
# A port in use and an unreachable master print that line alone: none of the warnings c10d's
# socket code logs on the way (glog's in LibTorch 1.13, c10's in 2.x, with stack traces).
#   dist_bad_launch.sh GANTRAIN WORK_DIR
set -uo pipefail
bin=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; for log in "$work"/*.log; do echo "--- $log"; tail -5 "$log"; done; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# expect_error LOG CODE WANT_CODE REGEX: the process exited WANT_CODE with one error line matching.
expect_error() {
  [ "$2" = "$3" ] || fail "$1: exit code $2, expected $3"
  [ "$(grep -c 'error:' "$1")" = 1 ] || fail "$1: expected exactly one error line"
  grep -Eq -- "$4" "$1" || fail "$1: no line matches /$4/"
}
only_line() {  # only_line LOG: the process printed nothing but its error line
  [ "$(wc -l <"$1")" = 1 ] || { echo "FAIL: $1: expected only the error line, got:"; cat "$1"; exit 1; }
}
run=(--device cpu --steps 50 --set train.dist_timeout=5)
worker() {  # worker RANK PORT ARGS...: a worker started by hand, as a launcher would
  local rank=$1 port=$2
  shift 2
  env RANK="$rank" WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" timeout 60 "$bin" "$@"
}

# 1. --master-port in use (a socket held open by another process).
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$work/held_port" &
holder=$!
for _ in $(seq 100); do [ -s "$work/held_port" ] && break; sleep 0.05; done
port=$(cat "$work/held_port")
timeout 60 "$bin" "${run[@]}" --nproc 2 --master-port "$port" --out "$work/port" >"$work/port.log" 2>&1
code=$?
kill "$holder"
expect_error "$work/port.log" $code 1 "error: cannot host the rendezvous store on port $port: .*is the port in use"
only_line "$work/port.log"
echo "port in use: only the error line"

# 2. An unreachable master: a worker whose MASTER_PORT nobody serves.
start=$SECONDS
worker 1 "$(free_port)" "${run[@]}" --out "$work/unreachable" >"$work/unreachable.log" 2>&1
expect_error "$work/unreachable.log" $? 1 "error: rank 1 cannot reach the rendezvous store at 127.0.0.1:[0-9]+ within 5 s"
only_line "$work/unreachable.log"
[ $((SECONDS - start)) -le 40 ] || fail "the unreachable master took $((SECONDS - start)) s to report"
echo "unreachable master: only the error line, after $((SECONDS - start)) s"

# 3. Configs that differ between the ranks (rank 1 was given another learning rate).
port=$(free_port)
worker 0 "$port" "${run[@]}" --out "$work/differ" >"$work/rank0.log" 2>&1 &
rank0=$!
worker 1 "$port" "${run[@]}" --lr 0.01 --out "$work/differ" >"$work/rank1.log" 2>&1
code1=$?
wait $rank0
code0=$?
for r in 0 1; do
  code=$([ $r = 0 ] && echo $code0 || echo $code1)
  expect_error "$work/rank$r.log" "$code" 2 "error: rank 1's resolved config differs from rank 0's"
done
[ ! -e "$work/differ" ] || fail "the refused run left a run directory"
echo "configs that differ: both ranks refuse with one error line"
