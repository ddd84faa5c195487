#!/usr/bin/env bash
# The images task's figures (docs/performance.md): decoding throughput against Python's PIL on
# the same folder, the decoded cache's load time at 10,000 and 100,000 images, the input path
# (cache -> normalised, mirrored, augmented batch) against a training step, and training steps/s
# at 32x32x3 and 64x64x3. The folder is Fashion-MNIST in colour (scripts/make_image_folder.sh).
#   bench/images.sh                          LibTorch 1.13 build
#   GANTRAIN_LIBTORCH=pip bench/images.sh    LibTorch 2.x build
# PIL comes from PyPI into deps/venv-pil. Folders and caches go to $GANTRAIN_BENCH_DIR
# (default /tmp/gantrain-bench-images; about 0.6 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh
scripts/setup.sh python3-venv dataset-fashion-mnist
cmake --build "$GANTRAIN_BUILD" --target gantrain image_bench
work=${GANTRAIN_BENCH_DIR:-/tmp/gantrain-bench-images}
mkdir -p "$work"
[ -d "$work/fashion" ] || scripts/make_image_folder.sh "$work/fashion" --colour
# 10,000 images: the first 1,000 of each class; 100,000: the 60,000 and 40,000 of them again,
# as hard links (the cache sees 100,000 files).
if [ ! -d "$work/fashion-10k" ]; then
  for class in "$work"/fashion/*/; do
    name=$(basename "$class")
    mkdir -p "$work/fashion-10k/$name"
    find "$class" -name '*.png' | sort | sed -n '1,1000p' | xargs -I{} ln {} "$work/fashion-10k/$name/"
  done
fi
if [ ! -d "$work/fashion-100k" ]; then
  mkdir -p "$work/fashion-100k"
  cp -al "$work/fashion" "$work/fashion-100k/a"
  mkdir -p "$work/fashion-100k/b"
  for class in 0-t-shirt 1-trouser 2-pullover 3-dress 4-coat 5-sandal 6-shirt 7-sneaker 8-bag 9-ankle-boot; do
    mkdir -p "$work/fashion-100k/b/$class"
    find "$work/fashion/$class" -name '*.png' | sort | sed -n '1,4000p' | xargs -I{} ln {} "$work/fashion-100k/b/$class/"
  done
fi
venv=deps/venv-pil
if ! "$venv/bin/python" -c 'import PIL, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pillow numpy
fi

echo "== decoding 60,000 PNGs (28x28 RGB) to 32x32: gantrain (stb_image, stb_image_resize) and PIL"
"$GANTRAIN_BUILD/image_bench" "$work/fashion" --resolution 32 --cache-dir "$work/cache-60k"
"$venv/bin/python" bench/pil_decode.py "$work/fashion" --resolution 32
for n in 10k 100k; do
  echo "== the decoded cache at $n images (32x32x3)"
  "$GANTRAIN_BUILD/image_bench" "$work/fashion-$n" --resolution 32 --cache-dir "$work/cache-$n" |
    grep -E 'cache|folder'
done

echo "== training steps/s (DCGAN, default widths, batch 64, CPU, default threads)"
for r in 32 64; do
  steps=$([ "$r" = 32 ] && echo 60 || echo 30)
  out="$work/run-$r"
  rm -rf "$out"
  GANTRAIN_CACHE="$work/cache-train" "$GANTRAIN_BUILD/gantrain" --task images --data-dir "$work/fashion" \
    --resolution "$r" --device cpu --steps "$steps" --set log.every=$((steps / 3)) \
    --set log.tensorboard=false --set log.report=false --out "$out" --log-level warn
  # The last row's interval: past the first steps' warm-up.
  python3 - "$out/metrics.csv" "$r" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("%sx%sx3: %.2f steps/s (%.0f images/s) over steps %s-%s" % (
    sys.argv[2], sys.argv[2], float(rows[-1]["steps_per_s"]), float(rows[-1]["images_per_s"]),
    rows[-2]["step"], rows[-1]["step"]))
PY
done
