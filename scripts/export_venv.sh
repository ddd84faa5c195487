#!/usr/bin/env bash
# The Python of the export tests (tests/e2e/check_export.py, docs/export.md): PyTorch of the
# build's own LibTorch version, with safetensors, onnx and onnxruntime from PyPI (pinned below).
# Default build: a venv in deps/venv-export over Debian's python3-torch (the Python half of the
# Debian LibTorch 1.13; the venv sees the system's packages, so torch and numpy are Debian's).
# GANTRAIN_LIBTORCH=pip: the same packages in deps/venv-torch2 (scripts/torch2_venv.sh), whose
# torch is the 2.x build's wheel. Idempotent; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
pins=(safetensors==0.8.0 onnx==1.23.2 onnxruntime==1.32.0)
if [ "$GANTRAIN_BUILD" = build ]; then
  venv=$PWD/deps/venv-export
  # Debian's python3, whose dist-packages hold python3-torch (a python3 earlier on PATH may not).
  /usr/bin/python3 -c 'import torch' 2>/dev/null || {
    echo "export_venv: Debian's python3 cannot import torch: apt-get install python3-torch" \
         "(scripts/test.sh does)" >&2
    exit 1
  }
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  pins+=("numpy<2")  # Debian's torch 1.13 is built against numpy 1.x: keep Debian's
else
  venv=$(scripts/torch2_venv.sh)
fi
wanted=$(printf '%s\n' "${pins[@]}" | grep '==' | sed 's/==/ /')
if ! "$venv/bin/python" - "$wanted" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
import torch, safetensors, onnx, onnxruntime  # noqa: F401 (each must import)
sys.exit(any(version(name) != v for name, v in (line.split() for line in sys.argv[1].splitlines())))
PY
then
  echo "export_venv: installing ${pins[*]} into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >&2
fi
echo "$venv/bin/python"
