#!/usr/bin/env bash
# The Python that the TensorBoard-reader test runs: a venv in deps/venv-tensorboard with
# TensorBoard from PyPI (its EventAccumulator reads our event files the way `tensorboard` does).
# Idempotent; prints the venv's python. Nothing is installed into the system's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.21.0
venv=deps/venv-tensorboard
if ! "$venv/bin/python" -c "import tensorboard, sys; sys.exit(tensorboard.__version__ != '$version')" 2>/dev/null; then
  echo "tensorboard_venv: installing tensorboard $version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "tensorboard==$version" >&2
fi
echo "$PWD/$venv/bin/python"
