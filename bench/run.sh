#!/usr/bin/env bash
# The benchmark: installs what it needs (python3-torch: the same LibTorch 1.13 and OpenBLAS as
# gantrain, so the comparison is fair; Fashion-MNIST as the data), builds gantrain and the GEMM
# micro-benchmark, then prints gantrain beside PyTorch-in-Python.
#   bench/run.sh [--repeats N] [--mnist-steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh python3-torch dataset-fashion-mnist
cmake --build build --target gemm_bench
# Debian's interpreter: python3-torch installs into it (a python3 earlier in PATH may lack torch).
exec /usr/bin/python3 bench/compare.py --gantrain build/gantrain --gemm-bench build/gemm_bench "$@"
