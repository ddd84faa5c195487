#!/usr/bin/env bash
# Data-parallel training equals one process at the same global batch: 2 ranks x 1 thread on Gloo
# (--nproc 2) against 1 process x 1 thread, every logged statistic within a relative tolerance.
# Not bit for bit: each rank's loss is the mean over its half of the batch, and the all-reduce
# adds the two halves' gradients and halves the sum, where one process sums the whole batch in
# one order; float addition is not associative, so the last bits differ, and a GAN's dynamics
# carry the difference on. Timings and the epoch column are left out.
#   dist_equal.sh GANTRAIN WORK_DIR TOLERANCE [gantrain options...]
set -euo pipefail
bin=$1 work=$2 tolerance=$3
shift 3
rm -rf "$work"; mkdir -p "$work"
common=(--device cpu --threads 1 --log-level warn "$@")
"$bin" "${common[@]}" --out "$work/one"
"$bin" "${common[@]}" --nproc 2 --out "$work/two"
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 3)) "$1"; }
[ "$(strip "$work/one/metrics.csv" | head -1)" = "$(strip "$work/two/metrics.csv" | head -1)" ] ||
  { echo "FAIL: the metrics.csv columns differ"; exit 1; }
rows=$(($(wc -l < "$work/one/metrics.csv") - 1))
[ "$rows" -ge 2 ] && [ "$rows" = $(($(wc -l < "$work/two/metrics.csv") - 1)) ] ||
  { echo "FAIL: $rows rows in one process, not as many with 2 ranks"; exit 1; }
paste -d, <(strip "$work/one/metrics.csv" | tail -n +2) <(strip "$work/two/metrics.csv" | tail -n +2) |
  awk -F, -v tolerance="$tolerance" -v header="$(strip "$work/one/metrics.csv" | head -1)" '
    BEGIN { split(header, name, ",") }
    { n = NF / 2
      for (i = 1; i <= n; i++) {
        a = $i; b = $(i + n); d = a - b; if (d < 0) d = -d
        scale = a < 0 ? -a : a; if (scale < 1e-3) scale = 1e-3
        if (d / scale > worst) worst = d / scale
        if (d / scale > tolerance) { print "FAIL: step " $1 ", " name[i] ": " a " (1 process) vs " b " (2 ranks)"; bad = 1 }
      } }
    END { printf "%d rows, largest relative difference %.2g (tolerance %s)\n", NR, worst, tolerance; exit bad }'
