#!/usr/bin/env python3
"""Runs gantrain and the PyTorch-in-Python reference alternately, several times in one run, and
prints medians side by side: training steps/s, images/s, whole-process wall time, peak RSS, and
the ratios; then the roofline (FLOPs of an MNIST step against measured GEMM throughput).

  compare.py --gantrain build/gantrain --gemm-bench build/gemm_bench [--repeats 3]
             [--mnist-steps 600] [--dcgan-steps 200] [--only mnist,dcgan,even-bits,eb-default]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None):
    """Runs cmd; returns (combined output, wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: command failed: {' '.join(cmd)}\n{out}")
    return out, wall, usage.ru_maxrss / 1024.0


def steps_per_second(out, pattern):
    """Training steps per second from a program's timing line (named groups steps, seconds)."""
    match = re.search(pattern, out)
    if not match:
        sys.exit(f"bench: no timing line in output:\n{out}")
    return int(match.group("steps")) / float(match.group("seconds"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gantrain", required=True)
    parser.add_argument("--gemm-bench", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnist-steps", type=int, default=600)
    parser.add_argument("--dcgan-steps", type=int, default=200)
    parser.add_argument("--only", help="comma-separated cases to run (default: all)")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--python-threads", default="1",
                        help="reference.py --threads: 1 for OpenBLAS, 0 (torch's default) for MKL")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gantrain_bench_")
    python = [sys.executable, os.path.join(HERE, "reference.py"), "--threads", args.python_threads]
    quiet = ["--set", "log.sample_every=0", "--set", "log.checkpoint_every=0"]
    cases = {
        "mnist": (
            [args.gantrain, "--task", "mnist", "--device", "cpu", "--data-dir", args.data_dir,
             "--steps", str(args.mnist_steps), "--set", f"log.every={args.mnist_steps}"] + quiet,
            python + ["mnist", "--data-dir", args.data_dir, "--steps", str(args.mnist_steps)],
            100),
        # configs/mnist-dcgan.yaml (batch 128) against the same model and loop in Python.
        "dcgan": (
            [args.gantrain, "--config", os.path.join(HERE, "..", "configs", "mnist-dcgan.yaml"),
             "--device", "cpu", "--data-dir", args.data_dir, "--steps", str(args.dcgan_steps),
             "--set", f"log.every={args.dcgan_steps}"] + quiet,
            python + ["dcgan", "--data-dir", args.data_dir, "--steps", str(args.dcgan_steps)],
            128),
        # Steps/s over a longer run (500 steps take ~0.1 s, mostly warm-up)...
        "even-bits": (
            [args.gantrain, "--task", "even-bits", "--device", "cpu", "--steps", "10000",
             "--set", "log.every=10000"],
            python + ["even-bits", "--steps", "10000"],
            16),
        # ...and the default run as a whole process, start-up included.
        "eb-default": (
            [args.gantrain, "--task", "even-bits", "--device", "cpu"],
            python + ["even-bits", "--steps", "500"],
            16),
    }
    gantrain_done = r"done: (?P<steps>\d+) steps in (?P<seconds>[0-9.]+) s"
    python_done = r"train_seconds (?P<seconds>[0-9.]+) steps (?P<steps>\d+)"
    if args.only:
        cases = {k: v for k, v in cases.items() if k in args.only.split(",")}
    results = {}
    for task, (ours, theirs, batch) in cases.items():
        samples = {"gantrain": [], "python": []}
        for i in range(args.repeats):  # alternate, so drifts in machine load hit both
            out, wall, rss = run(ours + ["--out", os.path.join(work, f"{task}{i}")])
            samples["gantrain"].append((steps_per_second(out, gantrain_done), wall, rss))
            out, wall, rss = run(theirs)
            samples["python"].append((steps_per_second(out, python_done), wall, rss))
        results[task] = (samples, batch)

    ours_version = run([args.gantrain, "--version"])[0].strip()
    theirs_version = run([sys.executable, "-c", "import torch; print(torch.__version__)"])[0].strip()
    print(f"\ngantrain: {ours_version}\npython:   torch {theirs_version} ({sys.executable})")
    print(f"\nmedians of {args.repeats} alternating runs each (training steps/s exclude start-up "
          "and data loading; wall time and peak RSS are the whole process)\n")
    print(f"{'task':<10} {'program':<9} {'steps/s':>9} {'images/s':>9} {'wall s':>8} {'RSS MiB':>8}")
    mnist_steps_per_s = None
    for task, (samples, batch) in results.items():
        med = {k: [statistics.median(col) for col in zip(*v)] for k, v in samples.items()}
        for name in ("gantrain", "python"):
            sps, wall, rss = med[name]
            print(f"{task:<10} {name:<9} {sps:>9.1f} {sps * batch:>9.0f} {wall:>8.2f} {rss:>8.0f}")
        g, p = med["gantrain"], med["python"]
        print(f"{task:<10} {'ratio':<9} {g[0] / p[0]:>8.2f}x {'':>9} {p[1] / g[1]:>7.2f}x "
              f"{g[2] / p[2]:>7.2f}x   (steps/s and wall: gantrain faster by; RSS: gantrain/python)")
        if task == "mnist":
            mnist_steps_per_s = g[0]

    # Start-up alone: exec to exit with LibTorch loaded and nothing trained.
    startup = {"gantrain --version": [], "python3 -c 'import torch'": []}
    for _ in range(max(args.repeats, 5)):
        startup["gantrain --version"].append(run([args.gantrain, "--version"])[1])
        startup["python3 -c 'import torch'"].append(run([sys.executable, "-c", "import torch"])[1])
    print("\nstart-up, median wall s: " +
          ", ".join(f"{name} {statistics.median(v):.2f}" for name, v in startup.items()))

    if mnist_steps_per_s is None:
        shutil.rmtree(work, ignore_errors=True)
        return
    out, _, _ = run([args.gemm_bench])
    roof = dict(line.split() for line in out.strip().splitlines())
    step_gflop = float(roof["step_gflop"])
    gemm_gflops = float(roof["gemm_gflops_model_shapes"])
    achieved = step_gflop * mnist_steps_per_s
    print(f"\nroofline (MNIST MLP, batch 100): {step_gflop:.3f} GFLOP per step in "
          f"{roof['step_gemm_count']} matrix products")
    print(f"  GEMM at the model's shapes: {gemm_gflops:.1f} GFLOP/s "
          f"(1024^3: {float(roof['gemm_gflops_1024_cubed']):.1f} GFLOP/s)")
    print(f"  gantrain achieved: {achieved:.1f} GFLOP/s = {100 * achieved / gemm_gflops:.0f}% "
          "of the GEMM throughput at the model's shapes")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
