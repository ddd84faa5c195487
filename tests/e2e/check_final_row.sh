#!/usr/bin/env bash
# The last metrics.csv row of a run has finite losses and D(x) > D(G(z)).
#   check_final_row.sh RUN_DIR
set -euo pipefail
csv=$1/metrics.csv
[ -f "$csv" ] || { echo "FAIL: no $csv"; exit 1; }
tail -1 "$csv" | awk -F, '
  { for (i = 3; i <= 6; ++i) if ($i !~ /^-?[0-9.]+(e-?[0-9]+)?$/) { print "FAIL: column " i " is " $i; exit 1 } }
  $5 <= $6 { print "FAIL: D(x) " $5 " <= D(G(z)) " $6; exit 1 }
  { print "step " $1 ": d_loss " $3 ", g_loss " $4 ", D(x) " $5 " > D(G(z)) " $6 }'
