#!/usr/bin/env bash
# Builds gantrain with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and runs the
# unit tests under them (ctest -L unit; other ctest options pass through).
#   scripts/sanitize.sh [ctest options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DGANTRAIN_SANITIZE=address,undefined
fi
cmake --build build-asan
# ASan's defaults work with the uninstrumented LibTorch (docs/robustness.md); leaks stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd build-asan
exec ctest --output-on-failure -j"$(nproc)" -L unit "$@"
