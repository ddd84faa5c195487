#!/usr/bin/env python3
"""Runs gantrain and its PyTorch-in-Python peers (bench/reference.py) alternately, several times in
one run, and prints medians side by side: training steps/s, images/s, whole-process wall time,
peak RSS, and gantrain's ratio to each peer and to the fastest of them; then the start-up of
gantrain and of Python with torch, and the roofline (FLOPs of an MNIST step against measured GEMM
throughput).

  compare.py --gantrain build/gantrain --gemm-bench build/gemm_bench [--repeats 3]
             [--mnist-steps 600] [--dcgan-steps 200] [--image-steps 40] [--even-bits-steps 10000]
             [--only mnist,dcgan,dcgan32,dcgan64,even-bits,eb-default]
             [--peers python,py-tuned,py-fused,py-compile]

dcgan32 and dcgan64 are the images task's default DCGAN at 32x32x3 and 64x64x3 (batch 64, EMA
off), on a folder of 5,000 colour PNGs made from Fashion-MNIST (scripts/make_image_folder.sh),
against reference.py images; 64x64 runs a quarter of --image-steps.

The peers, all the same loop in the Python running this script:
  python      the tutorial loop exactly as users run it
  py-tuned    with glibc's allocator thresholds set through the environment, as gantrain sets
              them in-process (docs/performance.md, "Caveat on the MNIST ratio"), and
              OPENBLAS_CORETYPE naming the OpenBLAS kernels gantrain runs (its --version), which
              it sets where OpenBLAS fell back to its SSE3 ones
  py-fused    py-tuned with torch.optim.Adam(fused=True) (CPU: PyTorch 2.4+)
  py-compile  py-fused (py-tuned where fused Adam is missing) with the training step under
              torch.compile (PyTorch 2.0+). Its first steps compile and are left out of steps/s
              (wall time keeps them); the row shows their seconds, the median and the first run's:
              inductor's caches start empty in each compare.py run, so the first run compiles
              from scratch and later ones reuse its kernels.
A peer this torch lacks gets an `n/a` row saying why: compare.py asks reference.py --check first.
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
REFERENCE = os.path.join(HERE, "reference.py")
PEERS = ["python", "py-tuned", "py-fused", "py-compile"]
# gantrain's mallopt values (src/cli/main.cpp), read by glibc from the environment at start-up.
TUNED = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}
# reference.py's timing line.
PYTHON_DONE = (r"train_seconds (?P<seconds>[0-9.]+) steps (?P<steps>\d+)"
               r"(?: warmup_seconds (?P<warmup>[0-9.]+))?")


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


def timing(out, pattern):
    """(training steps per second, warm-up seconds or 0) from a program's timing line."""
    match = re.search(pattern, out)
    if not match:
        sys.exit(f"bench: no timing line in output:\n{out}")
    warmup = match.groupdict().get("warmup")
    return int(match.group("steps")) / float(match.group("seconds")), float(warmup or 0)


def missing(options):
    """Why reference.py cannot run with these options on this torch, or None."""
    proc = subprocess.run([sys.executable, REFERENCE, "even-bits", "--check"] + options,
                          capture_output=True, text=True)
    return proc.stderr.strip().removeprefix("reference.py: ") if proc.returncode else None


def peer_setups(names):
    """{peer: (reference.py options, whether malloc is tuned) or why this torch lacks it}."""
    no_fused = missing(["--adam", "fused"])
    fused = [] if no_fused else ["--adam", "fused"]
    setups = {"python": ([], False), "py-tuned": ([], True), "py-fused": no_fused or (fused, True),
              "py-compile": missing(["--compile"]) or (fused + ["--compile"], True)}
    return {name: setups[name] for name in names}


def image_folder_run(gantrain, work, side):
    """gantrain on the images task at side x side, its folder and decoded cache made first (so
    that no timed run pays for them), without the EMA generator, which the peer does not keep."""
    folder, cache = os.path.join(work, "pictures"), os.path.join(work, "cache")
    if not os.path.isdir(folder):
        run([os.path.join(HERE, "..", "scripts", "make_image_folder.sh"), folder, "--colour",
             "--limit", "5000"])
    command = [gantrain, "--task", "images", "--device", "cpu", "--data-dir", folder,
               "--set", f"data.resolution={side}", "--set", f"data.cache_dir={cache}",
               "--set", "train.ema_decay=0"]
    run(command + ["--steps", "1", "--out", os.path.join(work, f"cache{side}")])
    return command


def openblas_setting(command, env):
    """For a convolutional case on OpenBLAS (Debian's torch): the OpenBLAS threads under which the
    Python loop runs faster, its own default or 1, from a short trial of each, and the trial's
    line. 1.13's transposed convolutions are OpenBLAS products beside oneDNN's threads: on some
    machines the two oversubscribe the cores (2026-12-06, AMD EPYC: 1.2 against 2.2 steps/s at
    32x32), on others OpenBLAS's threads win (Intel Xeon: 1.9 against 1.5)."""
    settings = {"default": {}, "1": {"OPENBLAS_NUM_THREADS": "1"}}
    speed = {name: timing(run(command + ["--steps", "4"], dict(env, **extra))[0], PYTHON_DONE)[0]
             for name, extra in settings.items()}
    best = max(speed, key=speed.get)
    line = ", ".join(f"{name} {sps:.2f} steps/s" for name, sps in speed.items())
    return settings[best], f"OpenBLAS threads {line}: {best}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gantrain", required=True)
    parser.add_argument("--gemm-bench", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnist-steps", type=int, default=600)
    parser.add_argument("--dcgan-steps", type=int, default=200)
    parser.add_argument("--image-steps", type=int, default=40,
                        help="dcgan32 (dcgan64 runs a quarter of them)")
    parser.add_argument("--even-bits-steps", type=int, default=10000,
                        help="the even-bits case (eb-default is always the default run)")
    parser.add_argument("--only", help="comma-separated cases to run (default: all)")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="comma-separated Python peers (default: all)")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--python-threads", default="1",
                        help="reference.py --threads for the MLPs: 1 for OpenBLAS, 0 (torch's "
                        "default) for MKL")
    args = parser.parse_args()
    names = args.peers.split(",")
    if any(name not in PEERS for name in names):
        parser.error(f"--peers {args.peers}: expected a comma-separated list of {', '.join(PEERS)}")
    work = tempfile.mkdtemp(prefix="gantrain_bench_")
    peers = peer_setups(names)
    # The plain peer without the thresholds even where the caller's environment sets them.
    # Inductor keeps its caches in $TMPDIR/torchinductor_$USER (its precompiled headers there even
    # with TORCHINDUCTOR_CACHE_DIR set): this run's own, so py-compile's first run starts cold.
    plain = {k: v for k, v in os.environ.items()
             if k not in TUNED and k != "TORCHINDUCTOR_CACHE_DIR"}
    plain["TMPDIR"] = work
    plain.pop("OPENBLAS_CORETYPE", None)
    tuned_env = dict(plain, **TUNED)
    ours_version = run([args.gantrain, "--version"])[0].strip()
    kernels = re.search(r", OpenBLAS (\w+) kernels", ours_version)
    if kernels:
        tuned_env["OPENBLAS_CORETYPE"] = kernels.group(1)
    envs = {False: plain, True: tuned_env}
    available = [name for name, setup in peers.items() if isinstance(setup, tuple)]
    python = [sys.executable, REFERENCE, "--threads", args.python_threads]
    # Convolutions run in oneDNN, which follows torch's thread count: the cores, torch's default.
    conv_python = [sys.executable, REFERENCE, "--threads", "0"]
    quiet = ["--set", "log.sample_every=0", "--set", "log.checkpoint_every=0"]
    eb_steps = str(args.even_bits_steps)
    cases = {
        "mnist": (
            [args.gantrain, "--task", "mnist", "--device", "cpu", "--data-dir", args.data_dir,
             "--steps", str(args.mnist_steps), "--set", f"log.every={args.mnist_steps}"] + quiet,
            python + ["mnist", "--data-dir", args.data_dir, "--steps", str(args.mnist_steps)],
            100, False),
        # configs/mnist-dcgan.yaml (batch 128) against the same model and loop in Python.
        "dcgan": (
            [args.gantrain, "--config", os.path.join(HERE, "..", "configs", "mnist-dcgan.yaml"),
             "--device", "cpu", "--data-dir", args.data_dir, "--steps", str(args.dcgan_steps),
             "--set", f"log.every={args.dcgan_steps}"] + quiet,
            conv_python + ["dcgan", "--data-dir", args.data_dir, "--steps", str(args.dcgan_steps)],
            128, True),
        # Steps/s over a longer run (500 steps take ~0.1 s, mostly warm-up)...
        "even-bits": (
            [args.gantrain, "--task", "even-bits", "--device", "cpu", "--steps", eb_steps,
             "--set", f"log.every={eb_steps}"],
            python + ["even-bits", "--steps", eb_steps],
            16, False),
        # ...and the default run as a whole process, start-up included.
        "eb-default": (
            [args.gantrain, "--task", "even-bits", "--device", "cpu"],
            python + ["even-bits", "--steps", "500"],
            16, False),
    }
    if args.only:
        cases = {k: v for k, v in cases.items() if k in args.only.split(",")}
    for side in (32, 64):
        if args.only and f"dcgan{side}" not in args.only.split(","):
            continue
        steps = str(args.image_steps if side == 32 else max(1, args.image_steps // 4))
        cases[f"dcgan{side}"] = (
            image_folder_run(args.gantrain, work, side) +
            ["--steps", steps, "--set", f"log.every={steps}"] + quiet,
            conv_python + ["images", "--data-dir", args.data_dir, "--side", str(side),
                           "--steps", steps],
            64, True)
    gantrain_done = r"done: (?P<steps>\d+) steps in (?P<seconds>[0-9.]+) s"
    openblas = "BLAS_INFO=mkl" not in run([sys.executable, "-c",
                                           "import torch; print(torch.__config__.show())"])[0]
    trials = {}
    results = {}
    for task, (ours, theirs, batch, conv) in cases.items():
        peer_env = {}
        if conv and openblas:
            peer_env, trials[task] = openblas_setting(theirs, plain)
        # (steps/s, wall s, RSS MiB, warm-up s) per run
        samples = {name: [] for name in ["gantrain"] + available}
        for i in range(args.repeats):  # alternate, so drifts in machine load hit all alike
            out, wall, rss = run(ours + ["--out", os.path.join(work, f"{task}{i}")])
            samples["gantrain"].append((timing(out, gantrain_done)[0], wall, rss, 0.0))
            for name in available:
                options, tuned = peers[name]
                out, wall, rss = run(theirs + options, dict(envs[tuned], **peer_env))
                sps, warmup = timing(out, PYTHON_DONE)
                samples[name].append((sps, wall, rss, warmup))
        results[task] = (samples, batch)

    theirs_version = run([sys.executable, "-c", "import torch; print(torch.__version__)"])[0].strip()
    print(f"\ngantrain: {ours_version}\npython:   torch {theirs_version} ({sys.executable})")
    for name, setup in peers.items():
        if name in available:
            options, tuned = setup
            print(f"  {name:<10}  reference.py {' '.join(options) or '(no options)'}, "
                  f"{'tuned' if tuned else 'default'} malloc thresholds"
                  + (f", OPENBLAS_CORETYPE={kernels.group(1)}" if tuned and kernels else ""))
        else:
            print(f"  {name:<10}  n/a: {setup}")
    print(f"  threads: reference.py --threads {args.python_threads} (mnist, even-bits), "
          "--threads 0 (dcgan*)")
    for task, line in trials.items():
        print(f"  {task}: trial of the python loop's {line}")
    print(f"\nmedians of {args.repeats} alternating runs each: training steps/s exclude start-up, "
          "data loading\nand py-compile's warm-up; wall time and peak RSS are the whole process. "
          "Ratios: steps/s and\nwall time, gantrain faster by; RSS, gantrain's over the peer's\n")
    print(f"{'task':<10} {'program':<13} {'steps/s':>9} {'images/s':>9} {'wall s':>8} "
          f"{'RSS MiB':>8}")
    mnist_steps_per_s = None
    for task, (samples, batch) in results.items():
        med = {k: [statistics.median(col) for col in zip(*v)] for k, v in samples.items()}
        for name in ["gantrain"] + list(peers):
            if name not in med:
                print(f"{task:<10} {name:<13} n/a: {peers[name]}")
                continue
            sps, wall, rss, warmup = med[name]
            extra = (f"   warm-up {warmup:.1f} s (first run {samples[name][0][3]:.1f} s)"
                     if warmup else "")
            print(f"{task:<10} {name:<13} {sps:>9.1f} {sps * batch:>9.0f} {wall:>8.2f} "
                  f"{rss:>8.0f}{extra}")
        g = med["gantrain"]
        for name in available:
            p = med[name]
            print(f"{task:<10} {'vs ' + name:<13} {g[0] / p[0]:>8.2f}x {'':>9} "
                  f"{p[1] / g[1]:>7.2f}x {g[2] / p[2]:>7.2f}x")
        if available:
            fastest = max(available, key=lambda name: med[name][0])
            p = med[fastest]
            print(f"{task:<10} fastest Python peer: {fastest} ({p[0]:.1f} steps/s); gantrain "
                  f"{g[0] / p[0]:.2f}x its steps/s, {p[1] / g[1]:.2f}x its wall time")
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
