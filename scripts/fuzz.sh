#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan on our code) in build-fuzz/ and runs each
# for SECONDS (default 60) on its committed corpus (fuzz/corpus/<target>/) plus what earlier
# runs found (build-fuzz/corpus/<target>/), through scripts/fuzz_run.sh. A crash, leak or hang
# stops with its input saved under build-fuzz/crashes/<target>/ and a non-zero exit.
#   scripts/fuzz.sh [SECONDS] [TARGET...]          targets: idx config checkpoint
#   scripts/fuzz.sh 0                              build only (scripts/test.sh does this)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx config checkpoint)

scripts/setup.sh clang-14 libclang-rt-14-dev >/dev/null
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER=clang++-14 -DGANTRAIN_FUZZ=ON -DGANTRAIN_BUILD_TESTS=OFF \
        -DGANTRAIN_SANITIZE=address,undefined
fi
cmake --build build-fuzz --target "${targets[@]/#/fuzz_}"
[ "$seconds" != 0 ] || exit 0
for t in "${targets[@]}"; do
  scripts/fuzz_run.sh "$seconds" "$t" || exit 1
done
