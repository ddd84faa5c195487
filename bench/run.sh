#!/usr/bin/env bash
# The benchmark: builds gantrain and the GEMM micro-benchmark, then prints gantrain beside the same
# loop in PyTorch-in-Python on the same LibTorch, so the comparison is fair:
#   bench/run.sh [--repeats N] [--mnist-steps N]
#     LibTorch 1.13 from Debian: Debian's python3-torch (the same LibTorch and OpenBLAS)
#   GANTRAIN_LIBTORCH=pip bench/run.sh ...
#     LibTorch 2.x (build-libtorch2/): the same torch wheel, installed into deps/venv-torch2
# Fashion-MNIST (dataset-fashion-mnist) is the data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
if [ "$GANTRAIN_BUILD" = build ]; then
  scripts/setup.sh python3-torch dataset-fashion-mnist
  # Debian's interpreter: python3-torch installs into it (a python3 earlier in PATH may lack torch).
  python=/usr/bin/python3
else
  scripts/setup.sh python3-venv dataset-fashion-mnist
  python=$(scripts/torch2_venv.sh)/bin/python
  # The wheel's MKL follows torch's thread count: its default (the cores) is the fast setting,
  # as gantrain's default is in this build.
  set -- --python-threads 0 "$@"
fi
cmake --build "$GANTRAIN_BUILD" --target gemm_bench
exec "$python" bench/compare.py --gantrain "$GANTRAIN_BUILD/gantrain" \
  --gemm-bench "$GANTRAIN_BUILD/gemm_bench" "$@"
