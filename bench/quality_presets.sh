#!/usr/bin/env bash
# The figures of docs/quality.md: the seed default (configs/mnist.yaml, 30 epochs), mnist-fast
# and mnist-dcgan on Fashion-MNIST, one run at a time, FID/IS/modes against training time, and
# the plot docs/images/quality-fid.svg.
#   bench/quality_presets.sh            (about 30 minutes; QUALITY_OUT=DIR, default runs/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${QUALITY_OUT:-runs/quality}
bench/quality_run.sh mnist-fast 9000 600 --config configs/mnist-fast.yaml --set log.grid_scale=2
bench/quality_run.sh mnist-dcgan 900 100 --config configs/mnist-dcgan.yaml --set log.grid_scale=2
bench/quality_run.sh seed-default 18000 1200 --config configs/mnist.yaml --set log.grid_scale=2
python3 bench/quality_table.py --at 60,300 --plot docs/images/quality-fid.svg \
  "$out"/seed-default "$out"/mnist-fast "$out"/mnist-dcgan
