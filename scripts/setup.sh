#!/usr/bin/env bash
# Installs the Debian packages gantrain needs (only those missing), then configures and builds
# it in Release under build/. Idempotent: a second run with nothing changed takes seconds.
#   scripts/setup.sh [extra packages...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ ninja-build ccache pkg-config
          libtorch-dev libopenblas0-pthread libcxxopts-dev libspdlog-dev libyaml-cpp-dev
          libstb-dev zlib1g-dev libgtest-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch's matrix products are ~15x slower on Debian's reference BLAS than on OpenBLAS.
if command -v update-alternatives >/dev/null &&
   ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
  echo "setup: warning: libblas.so.3 is not OpenBLAS; training will be slow" >&2
fi

if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j"$(nproc)"
