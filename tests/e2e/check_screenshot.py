#!/usr/bin/env python3
"""Checks a screenshot of a `gantrain report` page (standard library only).

    check_screenshot.py SCREENSHOT_PNG [--images]

Passes when the page is not blank, pixels of at least two plot palette colours are on screen (the
inline SVG rendered) and, with --images, a 16x4 block of pure black is (the sample grids
rendered: MNIST grids have black backgrounds and padding; the page itself never uses black).
"""
import collections
import struct
import sys
import zlib

# svg_plot.cpp's palette (Tableau 10), less its grey: text and greyscale images have that.
PALETTE = ["1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "17becf", "bcbd22"]


def read_png(path):
    """(width, height, channels, rows): 8-bit RGB or RGBA, non-interlaced, rows unfiltered."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"FAIL: {path} is not a PNG")
    at, idat, header = 8, [], None
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        sys.exit(f"FAIL: {path}: unsupported PNG (bit depth {depth}, colour type {color}, interlace {interlace})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        # The five PNG filters (PNG spec, section 9.2); each undoes a prediction from the left (a),
        # above (b) and upper-left (c) bytes.
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif kind == 2:
            for i in range(stride):
                row[i] = (row[i] + previous[i]) & 255
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                row[i] = (row[i] + predictor) & 255
        elif kind != 0:
            sys.exit(f"FAIL: {path}: bad filter type {kind} in row {y}")
        rows.append(bytes(row))
        previous = row
    return width, height, bpp, rows


def has_black_block(rows, bpp, width=16, height=4):
    """True if some width x height block is pure black (0, 0, 0). Not a square: in a grid of
    noisy early samples the black is the 2-pixel padding between tiles (4 px on the page)."""
    run = (b"\x00\x00\x00" + (b"\xff" if bpp == 4 else b"")) * width
    streak = {}  # pixel column -> rows in a row that have a black run starting there
    for row in rows:
        found, at = {}, row.find(run)
        while at >= 0:
            if at % bpp == 0:
                x = at // bpp
                found[x] = streak.get(x, 0) + 1
                if found[x] >= height:
                    return True
            at = row.find(run, at + bpp)
        streak = found
    return False


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path, want_images = sys.argv[1], "--images" in sys.argv[2:]
    width, height, bpp, rows = read_png(path)
    colours = collections.Counter()
    for row in rows:
        colours.update(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    total = width * height
    white = sum(n for c, n in colours.items() if min(c) >= 245)
    failures = []
    if total - white < total // 100:
        failures.append(f"blank page: only {total - white} of {total} pixels are not white")
    seen = []
    for hex_colour in PALETTE:
        target = tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
        near = sum(n for c, n in colours.items() if max(abs(c[k] - target[k]) for k in range(3)) <= 16)
        if near >= 40:
            seen.append(f"#{hex_colour} ({near} px)")
    if len(seen) < 2:
        failures.append(f"plots not rendered: palette colours on screen: {seen or 'none'}")
    black = colours.get((0, 0, 0), 0)
    if want_images and not has_black_block(rows, bpp):
        failures.append(f"sample images not rendered: no 16x4 block of pure black ({black} black px)")
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print(f"ok: {width}x{height}, {total - white} non-white px, palette {', '.join(seen)}, {black} pure black px")


if __name__ == "__main__":
    main()
