#!/usr/bin/env bash
# PyTorch 2.x in Python, in deps/venv-torch2: the PyTorch-Python peer of bench/run.sh and the
# torchrun of the data-parallel launch test. It imports the very torch wheel that
# scripts/libtorch2.sh unpacked for the LibTorch 2.x build, through a .pth file (one copy of torch
# on disk, not two); pip adds torch's pure-Python dependencies from PyPI. The wheel is built for
# CPython 3.11, Debian 12's python3. Idempotent: a working venv is reused. Prints the venv's path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=deps/venv-torch2
site=$(dirname "$(scripts/libtorch2.sh | tail -1)")  # deps/libtorch-VERSION: the unpacked wheel
# Reused only while its torch is that copy (a venv with a torch of its own is made anew).
if ! "$venv/bin/python" -c "import sys, numpy, torch
sys.exit(not torch.__file__.startswith('$site/'))" 2>/dev/null || [ ! -x "$venv/bin/torchrun" ]; then
  echo "torch2_venv: making $venv, with torch from $site" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy >&2
  # After pip: it would list the CUDA wheels of torch's metadata as missing.
  purelib=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$site" >"$purelib/libtorch2.pth"
  # pip writes the console scripts only of what it installs itself.
  printf '#!%s\nimport sys\nfrom torch.distributed.run import main\nsys.exit(main())\n' \
    "$PWD/$venv/bin/python" >"$venv/bin/torchrun"
  chmod +x "$venv/bin/torchrun"
  "$venv/bin/python" -c 'import torch' 2>/dev/null || {
    echo "torch2_venv: $venv cannot import torch from $site: the wheel is for CPython 3.11," \
         "this python3 is $(python3 -c 'import platform; print(platform.python_version())')" >&2
    exit 1
  }
fi
echo "$PWD/$venv"
