#!/usr/bin/env bash
# Measures again the figures the docs show that take minutes or depend on timing (docs/doc-tests.md
# lists each with its place), and prints them next to where they go. The docs are not edited:
# copy the figures in by hand, with the date and commit printed first. Timing figures mean
# something only on an otherwise idle machine; the FIDs do not depend on load.
#   bench/refresh_figures.sh --list
#   bench/refresh_figures.sh [--only NAME[,NAME...]]        (default: all of them, hours)
# Runs go to ${FIGURES_OUT:-runs/figures}/NAME (replaced); the classifier cache to
# ${FIGURES_OUT}/cache, so the evaluation classifier is trained anew by this version.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh

figures="even-bits-wall coverage fashion-speed eval-300 eval-30-epochs presets ablation search
         bf16 bench dist sizes"
describe() {
  case $1 in
    even-bits-wall) echo "seconds  README.md quick start: wall time of the default even-bits run" ;;
    coverage)       echo "seconds  README.md quick start: even-bits-coverage over seeds 0-9" ;;
    fashion-speed)  echo "1 min    README.md MNIST quick start: 300 Fashion-MNIST steps alone" ;;
    eval-300)       echo "3 min    docs/metrics.md and README.md eval tables: real data and 300 steps; the classifier" ;;
    eval-30-epochs) echo "20 min   docs/metrics.md and README.md eval tables: 30 epochs; README.md D(x), D(G(z)) at the end" ;;
    presets)        echo "30 min   docs/quality.md presets table and plot, README.md presets table (bench/quality_presets.sh)" ;;
    ablation)       echo "25 min   docs/quality.md ablation table (bench/quality_ablation.sh)" ;;
    search)         echo "60 min   docs/quality.md search table (bench/quality_search.sh)" ;;
    bf16)           echo "15 min   docs/performance.md bf16 FID table" ;;
    bench)          echo "20 min   docs/performance.md and README.md performance (bench/run.sh; this build's columns)" ;;
    dist)           echo "3 min    docs/distributed.md and README.md data-parallel speed (bench/dist.sh; this build's)" ;;
    sizes)          echo "1 min    docs/monitoring.md sizes table: the even-bits and 300-step rows" ;;
    *) return 1 ;;
  esac
}

only=$figures
case ${1:-} in
  --list) for f in $figures; do printf "%-15s %s\n" "$f" "$(describe "$f")"; done; exit 0 ;;
  --only) only=${2//,/ }
          for f in $only; do describe "$f" >/dev/null || { echo "unknown figure '$f' (--list)" >&2; exit 2; }; done ;;
  "") ;;
  *) echo "usage: bench/refresh_figures.sh [--list | --only NAME[,NAME...]]" >&2; exit 2 ;;
esac

scripts/setup.sh dataset-fashion-mnist >/dev/null
gantrain=$GANTRAIN_BUILD/gantrain
out=${FIGURES_OUT:-runs/figures}
export GANTRAIN_CACHE=$out/cache
mkdir -p "$out"
fresh() { rm -rf "${out:?}/$1"; mkdir -p "$out/$1"; echo "$out/$1"; }
range() { sort -g | sed -n '1p;$p' | paste -sd- -; }     # min-max of numbers, one a line
fashion=(--task mnist --dataset fashion-mnist --device cpu)

echo "measured $(date +%F) at commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include || echo ' (with local changes)'),"
echo "$("$gantrain" --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

for f in $only; do
  echo
  echo "== $f: $(describe "$f" | cut -c10-)"
  case $f in
    even-bits-wall)
      for opts in "" "--set log.tensorboard=false --set log.report=false"; do
        dir=$(fresh even-bits-wall)
        # shellcheck disable=SC2086  # the options are words
        times=$(for i in 1 2 3 4 5; do
          /usr/bin/time -f %e "$gantrain" --task even-bits --out "$dir/$i" $opts 2>&1 >/dev/null | tail -1
        done | range)
        echo "gantrain --task even-bits ${opts:-(TensorBoard and report on)}: $times s wall (/usr/bin/time, 5 runs)"
      done ;;
    coverage)
      dir=$(fresh coverage)
      for seed in 0 1 2 3 4 5 6 7 8 9; do
        "$gantrain" --config configs/even-bits-coverage.yaml --device cpu --seed $seed \
          --out "$dir/$seed" 2>&1 | grep 'done:'
      done | sed 's/.*done: \([0-9]*\) steps in \([0-9.]*\) s; over [0-9]* samples: \(.*\); checkpoint.*/\2 s: \3/' |
        tee "$dir/summary.txt"
      echo "training s: $(cut -d' ' -f1 "$dir/summary.txt" | range); KL: $(sed 's/.*KL //' "$dir/summary.txt" | range)" ;;
    fashion-speed)
      dir=$(fresh fashion-speed)
      "$gantrain" "${fashion[@]}" --steps 300 --out "$dir" 2>&1 | grep -E 'img/s|done:' ;;
    eval-300 | eval-30-epochs)
      if [ "$f" = eval-300 ]; then length=(--steps 300) label="300 steps (the CI smoke run)"
      else length=() label="30 epochs (18,000 steps)"; fi
      dir=$(fresh "$f")
      echo "\$ gantrain ${fashion[*]} ${length[*]} --out RUN && gantrain eval --checkpoint RUN --n 10000 --device cpu"
      "$gantrain" "${fashion[@]}" "${length[@]}" --out "$dir" 2>&1 | grep -E 'done:'
      "$gantrain" eval --checkpoint "$dir" --n 10000 --device cpu 2>&1 | grep -E 'classifier|modes'
      if [ "$f" = eval-300 ]; then
        python3 bench/eval_row.py "real data (reference columns)" "$dir" --real
        /usr/bin/time -f "a second evaluation, the classifier cached: %e s" \
          "$gantrain" eval --checkpoint "$dir" --n 10000 --device cpu 2>&1 | tail -1
      fi
      python3 bench/eval_row.py "$label" "$dir"
      if [ "$f" = eval-30-epochs ]; then  # metrics.csv's last row: the mean over its log interval
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                 END { printf "at the end: D(x) %.2f, D(G(z)) %.2f (metrics.csv)\n", $c["d_real"], $c["d_fake"] }' \
          "$dir/metrics.csv"
        ls "$dir"/samples/step_000600.png "$dir"/samples/step_006000.png "$dir"/samples/step_018000.png
      fi ;;
    presets | ablation | search)
      QUALITY_OUT=$out/quality "bench/quality_$f.sh" ;;
    bf16)
      for seed in 0 1; do
        for precision in fp32 bf16; do
          QUALITY_OUT=$out/bf16 bench/quality_run.sh "$precision-$seed" 3000 1500 \
            --config configs/mnist-fast.yaml --set train.precision=$precision --set train.seed=$seed >/dev/null 2>&1
        done
      done
      python3 bench/quality_table.py "$out"/bf16/* ;;
    bench)
      bench/run.sh --repeats 3 --only mnist,even-bits,eb-default ;;
    dist)
      bench/dist.sh 600 ;;
    sizes)
      dir=$(fresh sizes)
      "$gantrain" --task even-bits --device cpu --out "$dir/even-bits" >/dev/null 2>&1
      "$gantrain" "${fashion[@]}" --steps 300 --out "$dir/fashion-300" >/dev/null 2>&1
      for run in even-bits fashion-300; do
        stat -c '%s %n' "$dir/$run"/events.out.tfevents.* "$dir/$run/report.html" |
          awk '{ printf "%.1f KiB  %s\n", $1 / 1024, $2 }'
      done ;;
  esac
done
