#!/usr/bin/env python3
"""The PyTorch-in-Python reference for bench/run.sh: gantrain's two tasks written the way the
tutorials write them (nn.Sequential, sigmoid + BCELoss, Adam), with the same shapes, batch sizes
and step order as gantrain, so the two can be timed side by side on the same LibTorch.

  reference.py even-bits [--steps 500]
  reference.py mnist --data-dir DIR [--steps 600] [--device cuda] [--batch-size 100]
  reference.py dcgan --data-dir DIR [--steps 200] [--device cuda] [--batch-size 128]

Prints one line: `train_seconds S steps N` (the training loop alone, after data loading).
"""
import argparse
import gzip
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


def even_bits(steps):
    batch, bits = 16, 7
    generator = nn.Sequential(nn.Linear(bits, bits), nn.Sigmoid())
    discriminator = nn.Sequential(nn.Linear(bits, 1), nn.Sigmoid())
    g_opt = torch.optim.Adam(generator.parameters(), lr=1e-3)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    loss = nn.BCELoss()
    shifts = torch.arange(bits - 1, -1, -1)
    start = time.perf_counter()
    for _ in range(steps):
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
    return time.perf_counter() - start


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


def mnist(steps, data_dir, device, batch):
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
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4)
    loss = nn.BCELoss()
    start = time.perf_counter()
    for real in real_batches(data, batch, steps, device):
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
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def dcgan(steps, data_dir, device, batch):
    """configs/mnist-dcgan.yaml's model and loop: the DCGAN tutorial's layers at 28x28, with
    gantrain's step order (D on real, then on fakes drawn without a graph; then G on fresh noise)."""
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
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss = nn.BCELoss()
    start = time.perf_counter()
    for real in real_batches(data, batch, steps, device):
        ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)
        d_opt.zero_grad()
        with torch.no_grad():
            fake = generator(torch.randn(batch, latent, 1, 1, device=device))
        d_loss = (loss(discriminator(real), ones) + loss(discriminator(fake), zeros)) / 2
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = loss(discriminator(generator(torch.randn(batch, latent, 1, 1, device=device))),
                      ones)
        g_loss.backward()
        g_opt.step()
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=["even-bits", "mnist", "dcgan"])
    parser.add_argument("--steps", type=int)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=1, help="0: torch's default")
    parser.add_argument("--device", default="cpu", help="mnist and dcgan: cpu or cuda")
    parser.add_argument("--batch-size", type=int, help="mnist (default 100) and dcgan (128)")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.threads > 0:  # 1: the fast setting with OpenBLAS (PERF_NOTES.md); 0 for MKL
        torch.set_num_threads(args.threads)
    if args.task == "even-bits":
        steps = args.steps or 500
        seconds = even_bits(steps)
    elif args.task == "mnist":
        steps = args.steps or 600
        seconds = mnist(steps, args.data_dir, args.device, args.batch_size or 100)
    else:
        steps = args.steps or 200
        seconds = dcgan(steps, args.data_dir, args.device, args.batch_size or 128)
    print(f"train_seconds {seconds:.4f} steps {steps}")


if __name__ == "__main__":
    main()
