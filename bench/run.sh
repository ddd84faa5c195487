#!/usr/bin/env bash
# The benchmark: builds gantrain and the micro-benchmarks, then prints gantrain beside the same
# loop in PyTorch-in-Python on the same LibTorch, so the comparison is fair. In one run it meets
# four Python peers (bench/compare.py): python (the tutorial loop as users run it), py-tuned
# (glibc's allocator thresholds set as gantrain sets them), py-fused (and fused Adam, torch 2.4+)
# and py-compile (and torch.compile of the training step, torch 2.0+); one that the torch in use
# lacks gets an n/a row.
#   bench/run.sh [--repeats N] [--mnist-steps N] [--dcgan-steps N] [--image-steps N]
#       [--even-bits-steps N] [--only mnist,dcgan,dcgan32,dcgan64,even-bits,eb-default]
#       [--peers python,py-tuned,py-fused,py-compile]
#     dcgan32, dcgan64: the images task's DCGAN at 32x32x3 and 64x64x3, batch 64 (compare.py)
#     LibTorch 1.13 from Debian: Debian's python3-torch (the same LibTorch and OpenBLAS): python
#     and py-tuned only
#   GANTRAIN_LIBTORCH=pip bench/run.sh ...
#     LibTorch 2.x (build-libtorch2/): the same torch wheel, installed into deps/venv-torch2: all
#     four peers
# Then ops and allocations per training step (step_profile) and Adam's step alone (adam_bench).
# Fashion-MNIST (dataset-fashion-mnist) is the data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
if [ "$GANTRAIN_BUILD" = build ]; then
  scripts/setup.sh python3-torch dataset-fashion-mnist
  # Debian's interpreter: python3-torch installs into it (a python3 earlier in PATH may lack torch).
  python=/usr/bin/python3
else
  # python3-dev: Python.h, which torch.compile's C++ kernels include (py-compile), for a venv
  # made from Debian's python3.
  scripts/setup.sh python3-venv python3-dev dataset-fashion-mnist
  python=$(scripts/torch2_venv.sh)/bin/python
  # The wheel's MKL follows torch's thread count: its default (the cores) is the fast setting,
  # as gantrain's default is in this build.
  set -- --python-threads 0 "$@"
fi
cmake --build "$GANTRAIN_BUILD" --target gantrain gemm_bench step_profile adam_bench
"$python" bench/compare.py --gantrain "$GANTRAIN_BUILD/gantrain" \
  --gemm-bench "$GANTRAIN_BUILD/gemm_bench" "$@"
# What a step costs in LibTorch calls (bench/step_profile.cpp), and Adam's step alone
# (bench/adam_bench.cpp): torch::optim::Adam, FlatAdam, and LibTorch 2.x's fused kernel.
echo
"$GANTRAIN_BUILD/step_profile" --task even-bits --steps 10000 | paste -sd' '
"$GANTRAIN_BUILD/step_profile" --task mnist --steps 100 --set data.dataset=fashion-mnist | paste -sd' '
# The images task's DCGAN at 32x32x3 as in compare.py's dcgan32, its input path's share included.
pictures=$(mktemp -d)
scripts/make_image_folder.sh "$pictures/folder" --colour --limit 5000 >/dev/null
"$GANTRAIN_BUILD/step_profile" --task images --steps 40 --set data.dir="$pictures/folder" \
  --set data.cache_dir="$pictures/cache" --set train.ema_decay=0 | paste -sd' '
rm -rf "$pictures"
echo
"$GANTRAIN_BUILD/adam_bench"
