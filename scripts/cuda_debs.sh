#!/usr/bin/env bash
# Fetches the Debian packages that scripts/cuda_check.sh builds against into deps/debs/ (ignored
# by git): the GPU machines have no network and none of them. The device tool carries the folder
# there (carry: ["deps/debs"]); cuda_check.sh unpacks them with dpkg -x. About 34 MB, most of it
# Fashion-MNIST.
#   scripts/cuda_debs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libcxxopts-dev libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libyaml-cpp-dev
          libyaml-cpp0.7 libstb-dev libstb0 zlib1g-dev zlib1g libgtest-dev libgloo-dev
          dataset-fashion-mnist)
mkdir -p deps/debs
cd deps/debs
rm -f ./*.deb  # cuda_check.sh unpacks every .deb here: no older versions beside the new ones
# apt-get download writes as the _apt user where it can, which cannot write into /root/...
chmod 755 . 2>/dev/null || true
apt-get download "${packages[@]}" 2>/dev/null || { apt-get update -qq && apt-get download "${packages[@]}"; }
echo "cuda_debs: $(ls ./*.deb | wc -l) packages, $(du -sh . | cut -f1) in deps/debs"
