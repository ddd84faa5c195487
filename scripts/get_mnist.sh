#!/usr/bin/env bash
# Downloads the four MNIST .gz files and checks their MD5s (the ones torchvision publishes).
# Usage: scripts/get_mnist.sh [DIR]   (default: $GANTRAIN_DATA, else data/mnist)
# Offline alternative: Debian's dataset-fashion-mnist package installs Fashion-MNIST, in the same
# format, to /usr/share/datasets/fashion-mnist (gantrain --task mnist --data-dir that directory).
set -euo pipefail

dir="${1:-${GANTRAIN_DATA:-data/mnist}}"
mirrors=(
  "https://ossci-datasets.s3.amazonaws.com/mnist/"
  "https://storage.googleapis.com/cvdf-datasets/mnist/"
)
files=(
  "train-images-idx3-ubyte.gz f68b3c2dcbeaaa9fbdd348bbdeb94873"
  "train-labels-idx1-ubyte.gz d53e105ee54ea40749a09fcbcd1e9432"
  "t10k-images-idx3-ubyte.gz 9fb629c4189551a2d022fa330f9573f3"
  "t10k-labels-idx1-ubyte.gz ec29112dd5afa0611ce80d1b7f02629c"
)

die() { echo "get_mnist.sh: $*" >&2; exit 1; }

if command -v curl >/dev/null; then
  fetch() { curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"; }
elif command -v wget >/dev/null; then
  fetch() { wget -q --tries=3 --timeout=20 -O "$2" "$1"; }
else
  die "need curl or wget to download MNIST"
fi
command -v md5sum >/dev/null || die "need md5sum (coreutils) to verify the downloads"

md5_ok() { [[ -f "$1" && "$(md5sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

mkdir -p "$dir" || die "cannot create directory $dir"
for entry in "${files[@]}"; do
  read -r name md5 <<<"$entry"
  dest="$dir/$name"
  if md5_ok "$dest" "$md5"; then
    echo "$dest: present, checksum ok"
    continue
  fi
  ok=0
  for mirror in "${mirrors[@]}"; do
    echo "downloading $mirror$name"
    # Download beside the target and rename, so an interrupted run never leaves a bad file.
    if fetch "$mirror$name" "$dest.part" && md5_ok "$dest.part" "$md5"; then
      mv -f "$dest.part" "$dest"
      ok=1
      break
    fi
    echo "  failed or wrong checksum (expected md5 $md5)" >&2
  done
  rm -f "$dest.part"
  [[ $ok == 1 ]] || die "could not download $name with md5 $md5 from any mirror: ${mirrors[*]}"
done

echo "MNIST is ready in $dir. Train with:"
echo "  gantrain --task mnist --data-dir $dir"
