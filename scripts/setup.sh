#!/usr/bin/env bash
# Installs the Debian packages gantrain needs (only those missing), then configures and builds
# it in Release: against Debian's LibTorch 1.13 in build/, or with GANTRAIN_LIBTORCH=pip against
# LibTorch 2.x from PyPI's torch wheel (scripts/libtorch2.sh) in build-libtorch2/. Idempotent: a
# second run with nothing changed takes seconds.
#   scripts/setup.sh [extra packages...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/build_dir.sh

packages=(cmake g++ ninja-build ccache
          libcxxopts-dev libspdlog-dev libyaml-cpp-dev libstb-dev zlib1g-dev libgtest-dev
          libgloo-dev "$@")
if [ "$GANTRAIN_BUILD" = build ]; then
  packages+=(libtorch-dev libopenblas0-pthread)
elif ! python3 -m pip --version >/dev/null 2>&1; then
  packages+=(python3-pip)  # only to download the wheel
fi
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

configure=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
if [ "$GANTRAIN_BUILD" = build ]; then
  # LibTorch's matrix products are ~15x slower on Debian's reference BLAS than on OpenBLAS.
  if command -v update-alternatives >/dev/null &&
     ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
    echo "setup: warning: libblas.so.3 is not OpenBLAS; training will be slow" >&2
  fi
else
  prefix=$(scripts/libtorch2.sh | tail -1)
  configure+=(-DCMAKE_PREFIX_PATH="$prefix")
  # Another pinned version (another prefix) needs a fresh configure.
  grep -qF "CMAKE_PREFIX_PATH:UNINITIALIZED=$prefix" "$GANTRAIN_BUILD/CMakeCache.txt" 2>/dev/null ||
    rm -f "$GANTRAIN_BUILD/build.ninja" "$GANTRAIN_BUILD/CMakeCache.txt"
fi

if [ ! -f "$GANTRAIN_BUILD/build.ninja" ]; then
  cmake -S . -B "$GANTRAIN_BUILD" "${configure[@]}"
fi
cmake --build "$GANTRAIN_BUILD" -j"$(nproc)"
