#!/usr/bin/env bash
# One command: install what is missing (Fashion-MNIST for the real-data test, Chromium for the
# report's rendering test, TensorBoard in a venv for its reader test; for the default build,
# clang for the fuzz targets, built in build-fuzz/ and run a few seconds each by the fuzz_* tests;
# for the 2.x build, PyTorch in a venv for the torchrun launch test; for the export tests, the
# build's own PyTorch version in Python (Debian's python3-torch for the default build) with
# safetensors, onnx and onnxruntime from PyPI, scripts/export_venv.sh), build, and run the whole
# test suite (unit + end to end + fuzz).
#   scripts/test.sh [ctest options...]       e.g. scripts/test.sh -L unit
#   GANTRAIN_LIBTORCH=pip scripts/test.sh    the same against LibTorch 2.x (build-libtorch2/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
packages=(dataset-fashion-mnist chromium python3-venv)
[ "$GANTRAIN_BUILD" = build ] && packages+=(clang-14 libclang-rt-14-dev python3-torch)
scripts/setup.sh "${packages[@]}"
scripts/tensorboard_venv.sh >/dev/null
if [ "$GANTRAIN_BUILD" = build ]; then
  scripts/fuzz.sh 0  # builds the fuzz targets only
else
  scripts/torch2_venv.sh >/dev/null
fi
scripts/export_venv.sh >/dev/null
cd "$GANTRAIN_BUILD"
exec ctest --output-on-failure -j"$(nproc)" "$@"
