#!/usr/bin/env bash
# One command: install what is missing, build, and run the main job (the even-bits toy).
#   scripts/run.sh [gantrain options...]     e.g. scripts/run.sh --steps 1000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/gantrain --task even-bits "$@"
