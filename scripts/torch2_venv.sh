#!/usr/bin/env bash
# PyTorch 2.x in Python, from the same torch wheel as the LibTorch 2.x build (scripts/libtorch2.sh,
# from deps/downloads when it fits this Python, else from PyPI), in deps/venv-torch2: the
# PyTorch-Python peer of bench/run.sh and the torchrun of the data-parallel launch test. The three
# CUDA libraries scripts/libtorch2.sh adds come with it; the rest of CUDA is the system's.
# Idempotent: a working venv is reused. Prints the venv's path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=deps/venv-torch2
if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null || [ ! -x "$venv/bin/torchrun" ]; then
  version=$(scripts/libtorch2.sh --version)
  scripts/libtorch2.sh >/dev/null  # the wheels, in deps/downloads
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --no-deps --no-index --find-links deps/downloads \
    nvidia-cusparselt-cu13 nvidia-nvshmem-cu13 nvidia-cufile
  "$venv/bin/pip" install -q --no-deps --find-links deps/downloads "torch==$version"
  "$venv/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy
fi
echo "$PWD/$venv"
