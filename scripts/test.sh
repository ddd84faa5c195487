#!/usr/bin/env bash
# One command: install what is missing (Fashion-MNIST included, for the real-data test),
# build, and run the whole test suite (unit + end to end).
#   scripts/test.sh [ctest options...]       e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dataset-fashion-mnist
cd build
exec ctest --output-on-failure -j"$(nproc)" "$@"
