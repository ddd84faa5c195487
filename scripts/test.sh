#!/usr/bin/env bash
# One command: install what is missing (Fashion-MNIST for the real-data test, Chromium for the
# report's rendering test, TensorBoard in a venv for its reader test; for the 2.x build, PyTorch
# in a venv for the torchrun launch test), build, and run the whole test suite (unit + end to end).
#   scripts/test.sh [ctest options...]       e.g. scripts/test.sh -L unit
#   GANTRAIN_LIBTORCH=pip scripts/test.sh    the same against LibTorch 2.x (build-libtorch2/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
scripts/setup.sh dataset-fashion-mnist chromium python3-venv
scripts/tensorboard_venv.sh >/dev/null
[ "$GANTRAIN_BUILD" = build ] || scripts/torch2_venv.sh >/dev/null
cd "$GANTRAIN_BUILD"
exec ctest --output-on-failure -j"$(nproc)" "$@"
