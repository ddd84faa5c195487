#!/usr/bin/env bash
# Two "machines" on the loopback: one launcher per node (--nnodes 2 --node-rank 0|1, one worker
# each, the rendezvous on node 0's --master-port) form one world of 2 ranks, and train exactly
# what `--nproc 2` on one machine trains.
#   dist_two_nodes.sh GANTRAIN WORK_DIR
set -euo pipefail
bin=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args=(--task even-bits --device cpu --threads 1 --steps 300 --set log.every=50 --log-level warn)
nodes=(--nproc 1 --nnodes 2 --master-addr 127.0.0.1 --master-port "$port")
"$bin" "${args[@]}" "${nodes[@]}" --node-rank 1 --out "$work/nodes" >"$work/node1.log" 2>&1 &
node1=$!
"$bin" "${args[@]}" "${nodes[@]}" --node-rank 0 --out "$work/nodes" >"$work/node0.log" 2>&1 ||
  { echo "FAIL: node 0"; tail -5 "$work"/node*.log; exit 1; }
wait $node1 || { echo "FAIL: node 1"; tail -5 "$work"/node*.log; exit 1; }
"$bin" "${args[@]}" --nproc 2 --out "$work/one_machine"
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 3)) "$1"; }
diff <(strip "$work/one_machine/metrics.csv") <(strip "$work/nodes/metrics.csv") ||
  { echo "FAIL: two nodes logged other values than one machine"; exit 1; }
echo "2 nodes x 1 worker: $(($(wc -l < "$work/nodes/metrics.csv") - 1)) rows, identical to --nproc 2"
