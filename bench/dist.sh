#!/usr/bin/env bash
# Data-parallel speed on this machine (docs/distributed.md): the MNIST MLP on Fashion-MNIST as
# 1 process x 1 thread, 1 process x 2 threads and 2 ranks x 1 thread (--nproc 2, Gloo over the
# loopback), at the same global batch, side by side in one run. Prints steps/s and images/s
# (median of the progress intervals after the first) and, for 2 ranks, the bytes all-reduced per
# step and the time spent in the all-reduce.
#   bench/dist.sh [STEPS]                       (default 600)
#   GANTRAIN_LIBTORCH=pip bench/dist.sh         the same with the LibTorch 2.x build
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
scripts/setup.sh dataset-fashion-mnist >/dev/null
steps=${1:-600}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column() {  # column CSV NAME: the values of one column, first interval left out
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } NR > 2 { print $c }' "$1"
}
echo "gantrain $("$GANTRAIN_BUILD/gantrain" --version | sed 's/^gantrain //'), $(nproc) cores, $steps steps of batch 100"
printf "%-22s %10s %10s  %s\n" layout steps/s images/s "gradient all-reduce"
for layout in "1 process x 1 thread|--threads 1" "1 process x 2 threads|--threads 2" \
              "2 ranks x 1 thread|--nproc 2 --threads 1"; do
  name=${layout%|*}
  read -ra flags <<<"${layout#*|}"
  out=$work/run$RANDOM
  "$GANTRAIN_BUILD/gantrain" --task mnist --dataset fashion-mnist --device cpu --steps "$steps" \
    --set log.every=50 --set log.tensorboard=false --set log.report=false "${flags[@]}" \
    --out "$out" >"$out.log" 2>&1 || { tail -5 "$out.log"; exit 1; }
  reduce=$(sed -n 's/.*gradient all-reduce: \(.*\) (.*/\1/p' "$out.log")
  printf "%-22s %10.1f %10.0f  %s\n" "$name" "$(column "$out/metrics.csv" steps_per_s | median)" \
    "$(column "$out/metrics.csv" images_per_s | median)" "${reduce:--}"
done
