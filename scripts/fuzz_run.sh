#!/usr/bin/env bash
# Runs one libFuzzer target of build-fuzz/ (built by scripts/fuzz.sh) for SECONDS on its
# committed corpus (fuzz/corpus/TARGET/) plus what earlier runs found (build-fuzz/corpus/TARGET/).
# A crash, leak or hang stops it with its input saved under build-fuzz/crashes/TARGET/ and a
# non-zero exit. The test suite's fuzz_* tests run this for a few seconds each.
#   scripts/fuzz_run.sh SECONDS TARGET             targets: idx config checkpoint
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: scripts/fuzz_run.sh SECONDS TARGET" >&2; exit 2; }
seconds=$1 t=$2
fuzzer=build-fuzz/fuzz/fuzz_$t
[ -x "$fuzzer" ] || { echo "$fuzzer: not built (scripts/fuzz.sh 0 builds it; scripts/test.sh does)" >&2; exit 1; }

# A failed huge allocation throws std::bad_alloc instead of aborting (docs/robustness.md).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
echo "fuzz_$t: ${seconds} s"
options=(-max_len=4096)
# LibTorch's unpickler allocates what a crafted file's memo index asks for (a known LibTorch
# problem, docs/robustness.md): record those inputs and go on, stop only on crashes.
[ "$t" = checkpoint ] && options=(-max_len=65536 -fork=1 -ignore_ooms=1 -ignore_timeouts=1)
"$fuzzer" "build-fuzz/corpus/$t" "fuzz/corpus/$t" -max_total_time="$seconds" \
    "${options[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" 2>&1 | grep -Ev '^#[0-9]+.*(NEW|REDUCE|pulse)|^  NEW_FUNC'
