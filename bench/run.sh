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
  venv=deps/venv-torch2
  if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
    # The same torch wheel (from deps/downloads when it fits this Python, else from PyPI) with
    # the three CUDA libraries scripts/libtorch2.sh adds; the rest of CUDA is the system's.
    version=$(scripts/libtorch2.sh --version)
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --no-deps --no-index --find-links deps/downloads \
      nvidia-cusparselt-cu13 nvidia-nvshmem-cu13 nvidia-cufile
    "$venv/bin/pip" install -q --no-deps --find-links deps/downloads "torch==$version"
    "$venv/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy
  fi
  python=$venv/bin/python
  # The wheel's MKL follows torch's thread count: its default (the cores) is the fast setting,
  # as gantrain's default is in this build.
  set -- --python-threads 0 "$@"
fi
cmake --build "$GANTRAIN_BUILD" --target gemm_bench
exec "$python" bench/compare.py --gantrain "$GANTRAIN_BUILD/gantrain" \
  --gemm-bench "$GANTRAIN_BUILD/gemm_bench" "$@"
