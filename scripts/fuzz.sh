#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan on our code) in build-fuzz/ and runs each
# for SECONDS (default 60) on its committed corpus (fuzz/corpus/<target>/) plus what earlier
# runs found (build-fuzz/corpus/<target>/). A crash, leak or hang stops with its input saved
# under build-fuzz/crashes/<target>/ and a non-zero exit.
#   scripts/fuzz.sh [SECONDS] [TARGET...]          targets: idx config checkpoint
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

# A failed huge allocation throws std::bad_alloc instead of aborting (docs/robustness.md).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  echo "fuzz_$t: ${seconds} s"
  options=(-max_len=4096)
  # LibTorch's unpickler allocates what a crafted file's memo index asks for (a known LibTorch
  # problem, docs/robustness.md): record those inputs and go on, stop only on crashes.
  [ "$t" = checkpoint ] && options=(-max_len=65536 -fork=1 -ignore_ooms=1 -ignore_timeouts=1)
  "build-fuzz/fuzz/fuzz_$t" "build-fuzz/corpus/$t" "fuzz/corpus/$t" -max_total_time="$seconds" \
      "${options[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$t/" 2>&1 | grep -Ev '^#[0-9]+.*(NEW|REDUCE|pulse)' ||
      exit 1
done
