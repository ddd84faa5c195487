#!/usr/bin/env python3
"""Checks a generator that `gantrain export` wrote, with plain PyTorch and nothing of gantrain:
the TorchScript module loads with torch.jit.load, its attributes are sound, and for the noise
`gantrain sample --seed SEED` draws (drawn here again from the seed, as docs/export.md says) it
gives the samples that `gantrain sample --format npy` wrote, to 1e-5. Optionally the safetensors
file holds the same tensors and metadata (PyPI's safetensors), and the module converted to ONNX
draws the same in onnxruntime.

  check_export.py GENERATOR.pt SAMPLES.npy SEED [--safetensors FILE] [--onnx FILE.onnx]
"""
import argparse
import inspect
import sys

import numpy as np
import torch

TOLERANCE = 1e-5


def noise(kind, n, latent_dim, seed):
    """gantrain's fixed_noise(): a CPU generator seeded with `seed`, one draw of [n, latent_dim]."""
    g = torch.Generator().manual_seed(seed)
    if kind == "gaussian":
        return torch.randn(n, latent_dim, generator=g)
    z = torch.empty(n, latent_dim)
    if kind == "uniform":
        return z.uniform_(0, 1, generator=g).mul_(2).sub_(1)
    if kind == "bits":
        return z.random_(0, 2, generator=g)
    sys.exit(f"FAIL: unknown noise attribute {kind!r}")


def fail(message):
    sys.exit(f"FAIL: {message}")


def check_module(m):
    for name in ("latent_dim", "num_classes", "channels", "height", "width"):
        if not isinstance(getattr(m, name), int):
            fail(f"attribute {name} is {getattr(m, name)!r}, not an int")
    if m.noise not in ("gaussian", "uniform", "bits"):
        fail(f"attribute noise is {m.noise!r}")
    if "latent_dim: " + str(m.latent_dim) not in m.config:
        fail("attribute config does not hold the run's model.latent_dim")


def inputs_for(m, n, seed):
    z = noise(m.noise, n, m.latent_dim, seed)
    # `gantrain sample` without class flags: every class in turn.
    return (z, torch.arange(n) % m.num_classes) if m.num_classes > 0 else (z,)


def check_safetensors(path, m):
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        for name in ("latent_dim", "num_classes", "channels", "height", "width"):
            if meta[name] != str(getattr(m, name)):
                fail(f"{path}: metadata {name} = {meta[name]!r}, the module says {getattr(m, name)}")
        if meta["noise"] != m.noise or meta["config"] != m.config:
            fail(f"{path}: metadata noise or config differ from the module's")
        keys = list(f.keys())
        if not keys:
            fail(f"{path}: no tensors")
        for key in keys:
            t = f.get_tensor(key)
            if t.dtype not in (torch.float32, torch.int64):
                fail(f"{path}: {key} is {t.dtype}")
            # Spectral norm's vector, and the weight it divides: folded together in the module.
            if key.endswith("weight_u") or key + "_u" in keys:
                continue
            if not torch.equal(t, getattr(m, key.replace(".", "_"))):
                fail(f"{path}: {key} differs from the module's {key.replace('.', '_')}")
    print(f"{path}: {len(keys)} tensors, the module's; metadata {sorted(meta)}")


def check_onnx(path, m, args, want):
    import onnxruntime
    names = ["z", "labels"][: len(args)]
    options = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False  # the TorchScript exporter: this is a ScriptModule
    torch.onnx.export(m, args, path, input_names=names, output_names=["samples"],
                      dynamic_axes={name: {0: "n"} for name in names + ["samples"]},
                      opset_version=17, **options)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {name: a.numpy() for name, a in zip(names, args)})[0]
    diff = float(np.abs(got - want.numpy()).max())
    if not diff <= TOLERANCE:
        fail(f"{path}: onnxruntime differs from the module by {diff}")
    print(f"{path}: onnxruntime {onnxruntime.__version__} draws the same (max diff {diff:.2e})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("samples")
    parser.add_argument("seed", type=int)
    parser.add_argument("--safetensors")
    parser.add_argument("--onnx")
    a = parser.parse_args()

    m = torch.jit.load(a.module)
    check_module(m)
    want = np.load(a.samples)
    n = want.shape[0]
    args = inputs_for(m, n, a.seed)
    with torch.no_grad():
        got = m(*args)
    shape = (n, m.channels, m.height, m.width) if m.channels > 0 else (n, m.width)
    if tuple(got.shape) != shape or want.shape != shape:
        fail(f"shapes: module {tuple(got.shape)}, gantrain sample {want.shape}, attributes {shape}")
    if want.dtype != np.float32:
        fail(f"{a.samples} is {want.dtype}, not float32")
    diff = float(np.abs(got.numpy() - want).max())
    if not diff <= TOLERANCE:
        fail(f"the module's samples differ from gantrain sample's by {diff}")
    print(f"{a.module}: torch {torch.__version__}, {n} samples {shape[1:]} as gantrain's "
          f"(max diff {diff:.2e}), noise {m.noise}, classes {m.num_classes}")
    if a.safetensors:
        check_safetensors(a.safetensors, m)
    if a.onnx:
        with torch.no_grad():
            check_onnx(a.onnx, m, args, got)


if __name__ == "__main__":
    main()
