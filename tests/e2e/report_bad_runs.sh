#!/usr/bin/env bash
# gantrain report on runs that are damaged or incomplete: a page that says what is missing,
# never a crash. FIXTURE is a committed run directory with config.yaml and metrics.csv only.
#   report_bad_runs.sh GANTRAIN WORK_DIR FIXTURE
set -uo pipefail
bin=$1 work=$2 fixture=$3
rm -rf "$work" && mkdir -p "$work"
status=0
# page NAME SUBSTRING: the report of $work/NAME is written (exit 0) and says SUBSTRING.
page() {
  local out
  out=$("$bin" report "$work/$1" --out "$work/$1.html" 2>&1)
  if [ $? != 0 ] || ! grep -qF -- "$2" "$work/$1.html"; then
    echo "FAIL: report of $1: expected a page saying '$2'"; echo "$out" | tail -5; status=1
  else
    echo "ok: $1: '$2'"
  fi
}
cp -r "$fixture" "$work/no_samples"
page no_samples "No samples folder"
cp -r "$fixture" "$work/torn"
printf '30,1,0.5' >> "$work/torn/metrics.csv"  # what a kill in the middle of a row leaves
page torn "incomplete last row"
mkdir -p "$work/empty_metrics" && cp "$fixture/config.yaml" "$work/empty_metrics/"
: > "$work/empty_metrics/metrics.csv"
page empty_metrics "no complete rows yet"
mkdir -p "$work/config_only/samples" && cp "$fixture/config.yaml" "$work/config_only/"
page config_only "No metrics.csv"
cp -r "$fixture" "$work/bad_eval" && echo '{"step": [' > "$work/bad_eval/eval.json"
page bad_eval "not an eval.json file"
exit $status
