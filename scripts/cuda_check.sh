#!/usr/bin/env bash
# The GPU check, one call on a borrowed GPU machine: an NVIDIA GPU, a Python with a CUDA PyTorch
# 2.x, cmake, ninja, g++ and nvcc, but no network and none of our Debian packages.
#   here:   scripts/cuda_debs.sh        (the .deb files into deps/debs, carried along)
#   there:  scripts/cuda_check.sh [OUT_DIR]     (default: $OUT, else cuda-check/)
# It builds gantrain against that PyTorch's LibTorch with the .deb files unpacked by dpkg -x,
# runs the whole ctest suite (the *_CUDA tests included), trains MNIST on real Fashion-MNIST on
# CUDA, checks Ctrl-C + --resume on CUDA against an uninterrupted run, runs sample and eval on
# CUDA, and times gantrain against bench/reference.py on the same GPU. Every step is logged to
# OUT_DIR/<step>.log; the summary is printed and written to OUT_DIR/summary.txt. A failed step
# is recorded and the next one still runs; the exit code is the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-${OUT:-cuda-check}}")
mkdir -p "$out"
summary=$out/summary.txt
python=${PYTHON:-python3}
steps=${CUDA_CHECK_STEPS:-2000}
jobs=$(nproc)
failures=0
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
# step NAME COMMAND...: runs it with its output in NAME.log, notes ok/FAILED and the time.
step() {
  local name=$1 start rc took
  shift
  start=$(date +%s%N)
  "$@" >"$out/$name.log" 2>&1
  rc=$?
  took=$(( ($(date +%s%N) - start) / 1000000000 ))
  if [ $rc = 0 ]; then note "ok      $name ($took s)"; else
    note "FAILED  $name (exit $rc, $took s): $(tail -3 "$out/$name.log" | tr '\n' ' ' | cut -c1-400)"
    failures=$((failures + 1))
  fi
  return $rc
}

note "gantrain CUDA check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
note "machine: $(nproc) cores; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo 'no nvidia-smi')"
note "python torch: $("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), "GPUs", torch.cuda.device_count())' 2>&1 | tail -1)"

# 1. The Debian packages, unpacked into a folder: headers, CMake configs, shared libraries, data.
sysroot=$PWD/deps/sysroot
unpack() {
  rm -rf "$sysroot" && mkdir -p "$sysroot"
  ls deps/debs/*.deb >/dev/null || { echo "no deps/debs/*.deb: run scripts/cuda_debs.sh first and carry deps/debs"; return 1; }
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
  ls "$sysroot/usr/share/datasets/fashion-mnist"
}
step unpack_debs unpack
export LD_LIBRARY_PATH=$sysroot/usr/lib/x86_64-linux-gnu:$sysroot/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GANTRAIN_FASHION_MNIST=$sysroot/usr/share/datasets/fashion-mnist
export GANTRAIN_CACHE=$out/cache

# 2. Configure and build against the machine's PyTorch.
build=build-cuda
torch_prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null)
step build bash -c "cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH='$torch_prefix;$sysroot/usr' -DCMAKE_CXX_COMPILER_LAUNCHER= &&
  cmake --build $build -j$jobs"
bin=$build/gantrain
note "version: $($bin --version 2>&1 | tail -1)"

# 3. The whole suite; the *_CUDA unit tests run where a GPU is visible.
step ctest bash -c "cd $build && ctest --output-on-failure -j$jobs"
note "  $(grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -1)"
grep -E '_CUDA.*(Passed|Failed|\*\*\*)' "$out/ctest.log" | sed 's/^ */  /' | tee -a "$summary"

# 4. A real CUDA run on Fashion-MNIST.
common=(--task mnist --dataset fashion-mnist --device cuda --seed 0)
step train_cuda "$bin" "${common[@]}" --steps "$steps" --out "$out/runs/train"
note "  $(grep -E 'done:' "$out/train_cuda.log" | sed 's/^\[[0-9:]*\] //')"

# 5. Ctrl-C and --resume on CUDA against an uninterrupted run of the same seed.
resume_check() {
  local total=600 args=("${common[@]}" --steps 600 --set log.every=50 --set log.sample_every=0)
  "$bin" "${args[@]}" --out "$out/runs/straight" --log-level warn || return 1
  "$bin" "${args[@]}" --out "$out/runs/split" >"$out/runs/split.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do grep -q "step 250/" "$out/runs/split.log" 2>/dev/null && break; sleep 0.1; done
  kill -INT $pid; wait $pid
  local code=$?
  [ $code = 130 ] || { echo "Ctrl-C: exit $code, expected 130"; return 1; }
  "$bin" --resume "$out/runs/split" --steps $total --log-level warn || return 1
  "$python" - "$out/runs/straight/metrics.csv" "$out/runs/split/metrics.csv" <<'EOF'
import csv, sys
rows = [{r["step"]: r for r in csv.DictReader(open(p))} for p in sys.argv[1:]]
straight, split = rows
worst, n = 0.0, 0
for step, row in straight.items():
    other = split.get(step)
    if other is None:
        sys.exit(f"step {step}: missing after the resume")
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        worst = max(worst, abs(float(row[key]) - float(other[key])))
    n += 1
print(f"resumed vs uninterrupted: {n} rows, largest difference of d_loss/g_loss/D(x)/D(G(z)): {worst:.3g}"
      + (" (bit-identical)" if worst == 0 else ""))
EOF
}
step ctrl_c_resume_cuda resume_check
note "  $(tail -1 "$out/ctrl_c_resume_cuda.log")"

# 6. sample and eval on CUDA.
step sample_cuda "$bin" sample --checkpoint "$out/runs/train" --device cuda --n 64 --out "$out/samples.png"
step eval_cuda "$bin" eval --checkpoint "$out/runs/train" --device cuda --n 10000
sed -n '/FID\|IS \|modes\|classifier/p' "$out/eval_cuda.log" | sed 's/^/  /' | tee -a "$summary"

# 7. gantrain against the Python loop on the same GPU (training seconds, data loading excluded).
bench() {
  local batch=$1 n=$2
  local ours theirs
  ours=$("$bin" "${common[@]}" --steps "$n" --batch-size "$batch" --set log.every="$n" \
         --set log.sample_every=0 --set log.checkpoint_every=0 --out "$out/runs/bench$batch" |
         sed -n 's/.*done: \([0-9]*\) steps in \([0-9.]*\) s.*/\1 \2/p')
  theirs=$("$python" bench/reference.py mnist --device cuda --batch-size "$batch" --steps "$n" \
           --data-dir "$GANTRAIN_FASHION_MNIST" | sed -n 's/train_seconds \([0-9.]*\) steps \([0-9]*\)/\2 \1/p')
  [ -n "$ours" ] && [ -n "$theirs" ] || return 1
  "$python" -c "
import sys
(gs, gt), (ps, pt) = [map(float, s.split()) for s in sys.argv[1:3]]
b = int(sys.argv[3])
print(f'batch {b}: gantrain {gs / gt:.0f} steps/s ({b * gs / gt:.0f} img/s), '
      f'python {ps / pt:.0f} steps/s ({b * ps / pt:.0f} img/s), ratio {(gs / gt) / (ps / pt):.2f}x')
" "$ours" "$theirs" "$batch"
}
for batch in 100 1000; do
  step "bench_batch$batch" bench "$batch" 2000
  note "  $(tail -1 "$out/bench_batch$batch.log")"
done

note "failed steps: $failures"
exit $failures
