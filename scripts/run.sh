#!/usr/bin/env bash
# One command: install what is missing, build, and run the main job (the even-bits toy).
#   scripts/run.sh [gantrain options...]     e.g. scripts/run.sh --steps 1000
#   GANTRAIN_LIBTORCH=pip scripts/run.sh     the same against LibTorch 2.x (build-libtorch2/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
scripts/setup.sh
exec "$GANTRAIN_BUILD/gantrain" --task even-bits "$@"
