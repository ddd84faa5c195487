"""The PIL peer of bench/image_bench.cpp: the usual Python way to turn a folder of pictures into
square uint8 images (what torchvision's ImageFolder with CenterCrop and Resize does per item):
open, convert to RGB, centre-crop the long side, resize with an antialiasing filter, to a numpy
array. On 1 process and on a pool of every core, as gantrain decodes on 1 thread and on all.
    python pil_decode.py DIR [--resolution R]"""
import argparse
import multiprocessing
import os
import time

import numpy as np
from PIL import Image

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pnm", ".pgm", ".ppm"}


def decode(args):
    path, side = args
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            w, h = image.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            image = image.crop((left, top, left + s, top + s)).resize((side, side), Image.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except Exception:
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--resolution", type=int, default=32)
    a = parser.parse_args()
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(a.dir) for f in names
                   if os.path.splitext(f)[1].lower() in EXTENSIONS)
    work = [(f, a.resolution) for f in files]
    for processes in (1, os.cpu_count()):
        start = time.perf_counter()
        if processes == 1:
            out = [decode(w) for w in work]
        else:
            with multiprocessing.Pool(processes) as pool:
                out = pool.map(decode, work, chunksize=256)
        stacked = np.stack([o for o in out if o is not None])
        s = time.perf_counter() - start
        print("PIL %s: decode %dx%d, %d process(es): %.2f s, %.0f images/s (%d images)"
              % (Image.__version__, a.resolution, a.resolution, processes, s, len(files) / s,
                 len(stacked)))


if __name__ == "__main__":
    main()
