#!/usr/bin/env python3
"""The PyTorch-in-Python reference for bench/run.sh: gantrain's two tasks written the way the
tutorials write them (nn.Sequential, sigmoid + BCELoss, Adam), with the same shapes, batch sizes
and step order as gantrain, so the two can be timed side by side on the same LibTorch.

  reference.py even-bits [--steps 500] [--adam default|fused] [--compile]
  reference.py mnist --data-dir DIR [--steps 600] [--device cuda] [--batch-size 100] [...]
  reference.py dcgan --data-dir DIR [--steps 200] [--device cuda] [--batch-size 128] [...]
  reference.py images --data-dir DIR [--side 32] [--steps 40] [--batch-size 64] [...]
  reference.py TASK [--adam fused] [--compile] --check   (exit 0 if this torch has them, else 2)

--adam fused: torch.optim.Adam(..., fused=True), one op updating all the parameters instead of
about eight per tensor (on the CPU from PyTorch 2.4). --compile: torch.compile (PyTorch 2.0+, the
default inductor backend) of the whole training step, D update and G update. Dynamo cannot take it
as one graph (fullgraph=True fails: it does not trace backward(), nor zero_grad()), so it splits
the step there: each update's forward and loss run as a compiled graph with its compiled backward,
and Adam's step (fused or not) as a compiled graph of its own. Without --compile the same step
function runs as it is: same models, step order and losses (compiled, Dropout's masks and the noise
come from inductor's random generator, so the numbers drawn differ; with
torch._inductor.config.fallback_random the losses match the uncompiled loop's). With an option
this torch lacks it exits 2 with a one-line message; --check only does that test.

Prints one line: `train_seconds S steps N` (the training loop alone, after data loading). With
--compile the first --warmup steps (3) of --steps compile the step and are not timed: the line
then reads `train_seconds S steps N warmup_seconds W warmup_steps K`, N + K being --steps.
"""
import argparse
import gzip
import itertools
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows * cols)


def unsupported(adam, compile_step, device):
    """Why this torch cannot run these options (one short phrase), or None."""
    version = torch.__version__  # a TorchVersion: compares as a version (2.11 > 2.4), not a string
    # torch 2.0-2.3 take fused=True but only for CUDA tensors; 2.4 added the CPU kernel.
    if adam == "fused" and device == "cpu" and version < "2.4":
        return f"torch {version} has no fused Adam on the CPU (2.4+)"
    if compile_step and not hasattr(torch, "compile"):
        return f"torch {version} has no torch.compile (2.0+)"
    return None


def adam(params, fused, **kwargs):
    # Without fused=True: torch's default implementation (a loop over the parameters on the CPU).
    if fused:
        return torch.optim.Adam(params, fused=True, **kwargs)
    return torch.optim.Adam(params, **kwargs)


def run_steps(step, batches, warmup, device):
    """Calls step on each batch (its losses, returned for checks, go unread); returns (seconds of
    all but the first `warmup` calls, seconds of those first calls)."""
    sync = torch.cuda.synchronize if device != "cpu" else lambda: None
    start = warmed = time.perf_counter()
    for i, batch in enumerate(batches):
        if i == warmup and warmup:
            sync()
            warmed = time.perf_counter()
        step(batch)
    sync()
    return time.perf_counter() - warmed, warmed - start


def even_bits(steps, fused, compile_step, warmup):
    batch, bits = 16, 7
    generator = nn.Sequential(nn.Linear(bits, bits), nn.Sigmoid())
    discriminator = nn.Sequential(nn.Linear(bits, 1), nn.Sigmoid())
    g_opt = adam(generator.parameters(), fused, lr=1e-3)
    d_opt = adam(discriminator.parameters(), fused, lr=1e-3)
    loss = nn.BCELoss()
    shifts = torch.arange(bits - 1, -1, -1)

    def step(_):
        # Generator step: fakes labelled real (the tutorial's order).
        g_opt.zero_grad()
        noise = torch.randint(0, 2, (batch, bits)).float()
        fake = generator(noise)
        real_numbers = torch.randint(0, 64, (batch,)) * 2
        real = ((real_numbers.unsqueeze(1) >> shifts) & 1).float()
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        g_loss = loss(discriminator(fake), ones)
        g_loss.backward()
        g_opt.step()
        # Discriminator step on real (1) and the same fakes detached (0), averaged.
        d_opt.zero_grad()
        d_loss = (loss(discriminator(real), ones) + loss(discriminator(fake.detach()), zeros)) / 2
        d_loss.backward()
        d_opt.step()
        return d_loss, g_loss

    return run_steps(torch.compile(step) if compile_step else step, itertools.repeat(None, steps),
                     warmup, "cpu")


def load_training_images(data_dir, device):
    """The 60,000 training images in [-1, 1] as one resident float tensor [N, 784]."""
    name = "train-images-idx3-ubyte"
    path = os.path.join(data_dir, name)
    images = read_idx_images(path if os.path.exists(path) else path + ".gz")
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).to(device)


def real_batches(data, batch, steps, device):
    """`steps` batches of `data` rows, reshuffled at each epoch (the last partial batch dropped)."""
    per_epoch = data.shape[0] // batch
    for step in range(steps):
        if step % per_epoch == 0:
            order = torch.randperm(data.shape[0], device=device)
        yield data[order[(step % per_epoch) * batch:(step % per_epoch + 1) * batch]]


def mnist(steps, data_dir, device, batch, fused, compile_step, warmup):
    latent = 100
    data = load_training_images(data_dir, device)
    act = lambda: nn.LeakyReLU(0.2)
    generator = nn.Sequential(nn.Linear(latent, 256), act(), nn.Linear(256, 512), act(),
                              nn.Linear(512, 1024), act(), nn.Linear(1024, 784), nn.Tanh())
    discriminator = nn.Sequential(nn.Linear(784, 1024), act(), nn.Dropout(0.3),
                                  nn.Linear(1024, 512), act(), nn.Dropout(0.3),
                                  nn.Linear(512, 256), act(), nn.Dropout(0.3),
                                  nn.Linear(256, 1), nn.Sigmoid())
    generator.to(device)
    discriminator.to(device)
    g_opt = adam(generator.parameters(), fused, lr=2e-4)
    d_opt = adam(discriminator.parameters(), fused, lr=2e-4)
    loss = nn.BCELoss()

    def step(real):
        ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)
        # Discriminator step (Algorithm 1, k = 1) on real (1) and detached fakes (0).
        d_opt.zero_grad()
        fake = generator(torch.randn(batch, latent, device=device))
        d_loss = (loss(discriminator(real), ones) + loss(discriminator(fake.detach()), zeros)) / 2
        d_loss.backward()
        d_opt.step()
        # Generator step, non-saturating loss.
        g_opt.zero_grad()
        g_loss = loss(discriminator(generator(torch.randn(batch, latent, device=device))), ones)
        g_loss.backward()
        g_opt.step()
        return d_loss, g_loss

    return run_steps(torch.compile(step) if compile_step else step,
                     real_batches(data, batch, steps, device), warmup, device)


def convolutional_step(generator, discriminator, fused, loss, batch, latent, device):
    """gantrain's step for convolutional GANs, pass for pass: D on the real batch and, in a pass
    of its own (batch norm), on fakes drawn under no_grad; then G on fresh noise with D's weights
    frozen (no gradient for them is computed). Adam 2e-4, betas (0.5, 0.999)."""
    g_opt = adam(generator.parameters(), fused, lr=2e-4, betas=(0.5, 0.999))
    d_opt = adam(discriminator.parameters(), fused, lr=2e-4, betas=(0.5, 0.999))

    def set_requires_grad(module, on):
        for p in module.parameters():
            p.requires_grad_(on)

    def step(real):
        ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)
        d_opt.zero_grad()
        with torch.no_grad():
            fake = generator(torch.randn(batch, latent, 1, 1, device=device))
        d_loss = (loss(discriminator(real), ones) + loss(discriminator(fake), zeros)) / 2
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        set_requires_grad(discriminator, False)
        g_loss = loss(discriminator(generator(torch.randn(batch, latent, 1, 1, device=device))),
                      ones)
        g_loss.backward()
        g_opt.step()
        set_requires_grad(discriminator, True)
        return d_loss, g_loss

    return step


def dcgan(steps, data_dir, device, batch, fused, compile_step, warmup):
    """configs/mnist-dcgan.yaml's model and loop: the DCGAN tutorial's layers at 28x28, with
    gantrain's step (convolutional_step)."""
    latent = 100
    data = load_training_images(data_dir, device).view(-1, 1, 28, 28)
    generator = nn.Sequential(
        nn.ConvTranspose2d(latent, 128, 7, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, 1, 0), nn.Flatten(), nn.Sigmoid())
    generator.to(device)
    discriminator.to(device)
    step = convolutional_step(generator, discriminator, fused, nn.BCELoss(), batch, latent, device)
    return run_steps(torch.compile(step) if compile_step else step,
                     real_batches(data, batch, steps, device), warmup, device)


def images(steps, data_dir, device, batch, side, fused, compile_step, warmup, limit=5000):
    """The images task's default DCGAN at side x side RGB (gantrain --task images, EMA off): G
    noise -> 4x4 -> ... -> side, 64 channels at the finest stage doubling to at most 512; D the
    mirror, batch norm after every stage but the first; BCE on logits; gantrain's step
    (convolutional_step). The data: the first `limit` Fashion-MNIST images (as many as
    compare.py's folder for gantrain) resized to side x side in 3 channels, resident as uint8
    (gantrain's decoded cache), each batch made float in [-1, 1] as it is drawn."""
    latent, stages = 100, (side // 4).bit_length() - 1
    if side != 4 << stages:
        raise SystemExit(f"reference.py: --side {side}: expected 4 * 2^k (8, 16, 32, 64, ...)")
    widths = [min(512, 64 << i) for i in range(stages)]  # finest first: [64, 128, 256] at 32
    gray = load_training_images(data_dir, "cpu")[:limit].view(-1, 1, 28, 28)
    pixels = nn.functional.interpolate(gray, size=(side, side), mode="bilinear",
                                       align_corners=False)
    data = ((pixels + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1)
    data = data.contiguous().to(device)
    g_layers = [nn.ConvTranspose2d(latent, widths[-1], 4, 1, 0, bias=False)]
    for wide, narrow in zip(widths[::-1], widths[-2::-1]):
        g_layers += [nn.BatchNorm2d(wide), nn.ReLU(),
                     nn.ConvTranspose2d(wide, narrow, 4, 2, 1, bias=False)]
    g_layers += [nn.BatchNorm2d(widths[0]), nn.ReLU(), nn.ConvTranspose2d(widths[0], 3, 4, 2, 1),
                 nn.Tanh()]
    d_layers = [nn.Conv2d(3, widths[0], 4, 2, 1), nn.LeakyReLU(0.2)]
    for narrow, wide in zip(widths, widths[1:]):
        d_layers += [nn.Conv2d(narrow, wide, 4, 2, 1, bias=False), nn.BatchNorm2d(wide),
                     nn.LeakyReLU(0.2)]
    d_layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0), nn.Flatten()]
    generator = nn.Sequential(*g_layers).to(device)
    discriminator = nn.Sequential(*d_layers).to(device)
    gan_step = convolutional_step(generator, discriminator, fused, nn.BCEWithLogitsLoss(), batch,
                                  latent, device)

    def step(real_bytes):
        return gan_step(real_bytes.float() / 127.5 - 1.0)

    return run_steps(torch.compile(step) if compile_step else step,
                     real_batches(data, batch, steps, device), warmup, device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=["even-bits", "mnist", "dcgan", "images"])
    parser.add_argument("--steps", type=int)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=1, help="0: torch's default")
    parser.add_argument("--device", default="cpu", help="mnist, dcgan and images: cpu or cuda")
    parser.add_argument("--batch-size", type=int,
                        help="mnist (default 100), dcgan (128) and images (64)")
    parser.add_argument("--side", type=int, default=32, help="images: the images' side")
    parser.add_argument("--adam", choices=["default", "fused"], default="default")
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step")
    # All compiles in the first step (both optimizers' steps too, their state made there); two
    # more steps leave a margin.
    parser.add_argument("--warmup", type=int, default=3,
                        help="with --compile: untimed steps first, where compilation happens")
    parser.add_argument("--check", action="store_true",
                        help="only check that this torch has --adam and --compile")
    args = parser.parse_args()
    reason = unsupported(args.adam, args.compile, args.device)
    if reason:
        parser.exit(2, f"reference.py: {reason}\n")
    if args.check:
        return
    torch.manual_seed(0)
    if args.threads > 0:  # 1: the fast setting with OpenBLAS (PERF_NOTES.md); 0 for MKL
        torch.set_num_threads(args.threads)
    steps = args.steps or {"even-bits": 500, "mnist": 600, "dcgan": 200, "images": 40}[args.task]
    warmup = args.warmup if args.compile else 0
    if steps <= warmup:
        parser.exit(2, f"reference.py: --steps {steps} leaves none after {warmup} warm-up steps\n")
    fused = args.adam == "fused"
    if args.task == "even-bits":
        seconds, warm = even_bits(steps, fused, args.compile, warmup)
    elif args.task == "mnist":
        seconds, warm = mnist(steps, args.data_dir, args.device, args.batch_size or 100, fused,
                              args.compile, warmup)
    elif args.task == "dcgan":
        seconds, warm = dcgan(steps, args.data_dir, args.device, args.batch_size or 128, fused,
                              args.compile, warmup)
    else:
        seconds, warm = images(steps, args.data_dir, args.device, args.batch_size or 64, args.side,
                               fused, args.compile, warmup)
    line = f"train_seconds {seconds:.4f} steps {steps - warmup}"
    print(line + (f" warmup_seconds {warm:.2f} warmup_steps {warmup}" if warmup else ""))


if __name__ == "__main__":
    main()
