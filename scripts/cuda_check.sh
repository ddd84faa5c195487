#!/usr/bin/env bash
# The GPU check, one call on a borrowed GPU machine: an NVIDIA GPU, a Python with a CUDA PyTorch
# 2.x, cmake, ninja, g++ and nvcc, but no network and none of our Debian packages.
#   here:   scripts/cuda_debs.sh        (the .deb files into deps/debs, carried along)
#   there:  scripts/cuda_check.sh [OUT_DIR]     (default: $OUT, else cuda-check/)
# It builds gantrain against that PyTorch's LibTorch with the .deb files unpacked by dpkg -x,
# runs the whole ctest suite (the *_CUDA tests included), trains MNIST on real Fashion-MNIST on
# CUDA, checks Ctrl-C + --resume on CUDA against an uninterrupted run, runs sample and eval on
# CUDA, and times gantrain against bench/reference.py on the same GPU. Each step has a time limit
# and its own log; a failed step is recorded and the next one still runs. OUT_DIR receives three
# files: summary.txt (also printed), logs.tar.gz (every step's log) and samples.png. The runs
# themselves stay in $CUDA_CHECK_WORK (default /tmp/gantrain-cuda-check). Exit code: the number
# of failed steps.
# Rehearsal without a GPU: CUDA_CHECK_DEVICE=cpu runs the same steps on the CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-${OUT:-cuda-check}}")
work=${CUDA_CHECK_WORK:-/tmp/gantrain-cuda-check}
python=${PYTHON:-python3}
device=${CUDA_CHECK_DEVICE:-cuda}
steps=${CUDA_CHECK_STEPS:-2000}
eval_n=${CUDA_CHECK_EVAL_N:-10000}
jobs=$(nproc)
export out work python device steps eval_n jobs
rm -rf "$work" && mkdir -p "$work/logs" "$out"
summary=$out/summary.txt
failures=0
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
# step NAME SECONDS COMMAND...: runs it under a time limit with its output in logs/NAME.log and
# notes ok or FAILED with the time taken.
step() {
  local name=$1 limit=$2 start rc took
  shift 2
  start=$(date +%s)
  # Through bash -c, so that the shell functions below (exported) can be steps too.
  timeout --kill-after=10 "$limit" bash -c '"$@"' _ "$@" >"$work/logs/$name.log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  if [ $rc = 0 ]; then note "ok      $name (${took} s)"; else
    [ $rc = 124 ] && echo "timed out after $limit s" >>"$work/logs/$name.log"
    note "FAILED  $name (exit $rc, ${took} s): $(tail -3 "$work/logs/$name.log" | tr '\n' ' ' | cut -c1-400)"
    failures=$((failures + 1))
  fi
  return $rc
}
finish() {
  tar -czf "$out/logs.tar.gz" -C "$work" logs
  note "failed steps: $failures"
  exit $failures
}

note "gantrain CUDA check, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
note "machine: $(nproc) cores; ${gpu:-no GPU seen by nvidia-smi}"
note "python torch: $("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), "GPUs", torch.cuda.device_count())' 2>&1 | tail -1)"
# Without a GPU the *_CUDA tests skip themselves and every CUDA step fails: say so first.
if [ "$device" = cuda ]; then
  step gpu_visible 60 "$python" -c 'import torch, sys; sys.exit(torch.cuda.device_count() == 0)'
fi

# 1. The Debian packages, unpacked into a folder: headers, CMake configs, shared libraries, data.
sysroot=$PWD/deps/sysroot
unpack() {
  rm -rf "$sysroot" && mkdir -p "$sysroot"
  ls deps/debs/*.deb >/dev/null || { echo "no deps/debs/*.deb: run scripts/cuda_debs.sh here first and carry deps/debs"; return 1; }
  local deb tmp
  for deb in deps/debs/*.deb; do
    if command -v dpkg >/dev/null; then dpkg -x "$deb" "$sysroot" || return 1
    else  # a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d)
      (cd "$tmp" && ar x "$OLDPWD/$deb") && tar -xf "$tmp"/data.tar.* -C "$sysroot" ||
        { echo "cannot unpack $deb (no dpkg, and ar + tar failed)"; return 1; }
      rm -rf "$tmp"
    fi
  done
  # Symbolic links to absolute paths (libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13) must
  # point into the folder, not at whatever that machine has.
  find "$sysroot" -type l -lname '/*' | while read -r link; do
    ln -sfn "$sysroot$(readlink "$link")" "$link"
  done
  ls "$sysroot/usr/share/datasets/fashion-mnist"
}
export sysroot
export -f unpack
step unpack_debs 120 unpack || finish
export libs=$sysroot/usr/lib/x86_64-linux-gnu
# libfmt is spdlog's dependency, found at run time only through this path.
export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GANTRAIN_FASHION_MNIST=$sysroot/usr/share/datasets/fashion-mnist
export GANTRAIN_CACHE=$work/cache

# 2. Configure and build against the machine's PyTorch; every library must resolve.
export build=build-cuda
export bin=$build/gantrain
export torch_prefix
torch_prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
# NCCL's header for c10d's NCCL backend: the toolkit's, else the nvidia-nccl wheel's.
export nccl_include
nccl_include=$("$python" -c 'import nvidia.nccl, os; print(os.path.join(nvidia.nccl.__path__[0], "include"))' 2>/dev/null || true)
build_all() {
  local nccl=()
  [ -f "$nccl_include/nccl.h" ] && nccl=(-DNCCL_INCLUDE_DIR="$nccl_include")
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER= \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$sysroot/usr" -DZLIB_LIBRARY="$libs/libz.so" "${nccl[@]}" &&
    cmake --build "$build" -j"$jobs" || return 1
  ! ldd "$bin" | grep 'not found'
}
export -f build_all
step build 420 build_all || finish
note "version: $("$bin" --version 2>&1 | tail -1)"

# 3. The whole suite; the *_CUDA unit tests run where a GPU is visible.
step ctest 420 ctest --test-dir "$build" --output-on-failure -j"$jobs"
note "  $(grep -E 'tests passed|tests failed' "$work/logs/ctest.log" | tail -1)"
grep -E '_CUDA .*(Passed|Failed|Skipped|\*\*\*)' "$work/logs/ctest.log" | sed 's/^ */  /' | tee -a "$summary"

# 4. A real run on Fashion-MNIST. Every run below is this one with other options (split unquoted:
# no value holds a space).
export mnist="--task mnist --dataset fashion-mnist --device $device --seed 0"
step train 300 "$bin" $mnist --steps "$steps" --out "$work/runs/train"
note "  $(grep -E 'done:' "$work/logs/train.log" | sed 's/^\[[0-9:]*\] //')"

# 5. Ctrl-C and --resume against an uninterrupted run of the same seed: equal to 1e-4 or fail.
resume_check() {
  local args=(--steps 600 --set log.every=50 --set log.sample_every=0)
  "$bin" $mnist "${args[@]}" --out "$work/runs/straight" --log-level warn || return 1
  # gantrain itself in the background (not a function's subshell), so Ctrl-C reaches it.
  "$bin" $mnist "${args[@]}" --out "$work/runs/split" >"$work/runs/split.log" 2>&1 &
  local pid=$! code
  for _ in $(seq 600); do grep -q "step 250/" "$work/runs/split.log" 2>/dev/null && break; sleep 0.1; done
  kill -INT $pid
  for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -0 $pid 2>/dev/null && { kill -9 $pid; echo "Ctrl-C: still running after 60 s"; return 1; }
  wait $pid
  code=$?
  [ $code = 130 ] || { echo "Ctrl-C: exit $code, expected 130"; return 1; }
  grep -h "Resume with" "$work/runs/split.log"
  "$bin" --resume "$work/runs/split" --steps 600 --log-level warn || return 1
  "$python" - "$work/runs/straight/metrics.csv" "$work/runs/split/metrics.csv" <<'EOF'
import csv, sys
straight, split = [{r["step"]: r for r in csv.DictReader(open(p))} for p in sys.argv[1:]]
worst = 0.0
for step, row in straight.items():
    if step not in split:
        sys.exit(f"step {step}: missing after the resume")
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        worst = max(worst, abs(float(row[key]) - float(split[step][key])))
print(f"resumed vs uninterrupted: {len(straight)} rows, largest difference of "
      f"d_loss/g_loss/D(x)/D(G(z)): {worst:.3g}" + (" (bit-identical)" if worst == 0 else ""))
sys.exit(worst > 1e-4)
EOF
}
export -f resume_check
step ctrl_c_resume 240 resume_check
note "  $(tail -1 "$work/logs/ctrl_c_resume.log")"

# 6. sample and eval of the run.
step sample 120 "$bin" sample --checkpoint "$work/runs/train" --device "$device" --n 64 \
  --out "$out/samples.png"
step eval 300 "$bin" eval --checkpoint "$work/runs/train" --device "$device" --n "$eval_n"
grep -vE '^\[' "$work/logs/eval.log" | sed 's/^/  /' | tee -a "$summary"

# 6b. Data-parallel on NCCL (docs/distributed.md): a world of 1 rank on this GPU, launched by
# --nproc; the gradient all-reduce, replica check and rank-0 writing all run (Gloo when the
# check is rehearsed on the CPU).
export backend=nccl
[ "$device" = cpu ] && backend=gloo
step nccl 180 "$bin" $mnist --steps 200 --nproc 1 --set train.dist_backend=$backend --out "$work/runs/nccl"
note "  $(grep -E 'backend|done:|all-reduce' "$work/logs/nccl.log" | sed 's/^\[[0-9:]*\] //' | tr '\n' ' ')"

# 7. gantrain against the Python loop on the same device: training seconds from each program's
# own clock (gantrain: metrics.csv's elapsed_s at the last step; data loading excluded in both).
bench() {
  local batch=$1 n=$2 run=$work/runs/bench$1 ours theirs
  "$bin" $mnist --steps "$n" --batch-size "$batch" --set log.every="$n" --set log.sample_every=0 \
    --set log.checkpoint_every=0 --out "$run" || return 1
  ours=$(tail -1 "$run/metrics.csv" | awk -F, '{print $1, $NF}')
  # --threads 0: torch's default threads, as gantrain's default is with this (MKL) LibTorch.
  theirs=$("$python" bench/reference.py mnist --threads 0 --device "$device" --batch-size "$batch" \
           --steps "$n" --data-dir "$GANTRAIN_FASHION_MNIST" |
           sed -n 's/train_seconds \([0-9.]*\) steps \([0-9]*\)/\2 \1/p')
  [ -n "$theirs" ] || { echo "no timing line from bench/reference.py"; return 1; }
  "$python" - "$ours" "$theirs" "$batch" <<'EOF'
import sys
(gs, gt), (ps, pt) = [map(float, s.split()) for s in sys.argv[1:3]]
b = int(sys.argv[3])
print(f"batch {b}: gantrain {gs / gt:.1f} steps/s ({b * gs / gt:.0f} img/s), python "
      f"{ps / pt:.1f} steps/s ({b * ps / pt:.0f} img/s), gantrain/python {(gs / gt) / (ps / pt):.2f}x")
EOF
}
export -f bench
for batch in 100 1000; do
  step "bench_batch$batch" 240 bench "$batch" "$steps"
  note "  $(tail -1 "$work/logs/bench_batch$batch.log")"
done
finish
