#!/usr/bin/env python3
"""Reads the runs of bench/quality_run.sh back: FID, IS and modes against training wall time.

  bench/quality_table.py RUN_DIR... [--at 60,300] [--plot FILE.svg]

Training time at a row is the sum over the rows so far of (steps since the previous row) /
steps_per_s, gantrain's own speed of that interval: evaluation, sample grids and checkpoints are
left out. Prints, per run, every evaluation, then one line per run with the evaluation at or just
before each --at time. --plot writes FID against training time, log scale, as an SVG image.
"""
import argparse
import csv
import math
import os


def read_run(run_dir):
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    points, seconds, last_step = [], 0.0, 0
    for row in rows:
        step = int(row["step"])
        speed = float(row["steps_per_s"])
        seconds += (step - last_step) / speed
        last_step = step
        if row.get("fid"):
            points.append({"step": step, "epoch": int(row["epoch"]), "seconds": seconds,
                           "fid": float(row["fid"]), "is": float(row["inception_score"]),
                           "modes": int(float(row["modes_covered"])),
                           # conditional runs (eval.metrics with "classes") only
                           "fidelity": float(row["class_fidelity"]) if row.get("class_fidelity") else None,
                           "intra_fid": float(row["intra_fid"]) if row.get("intra_fid") else None})
    return points


def at_time(points, seconds):
    before = [p for p in points if p["seconds"] <= seconds * 1.02]
    return before[-1] if before else None


def svg_plot(runs, path):
    width, height, left, right, top, bottom = 640, 400, 60, 150, 20, 45
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    all_points = [p for _, pts in runs for p in pts]
    x_max = max(p["seconds"] for p in all_points) * 1.05
    lo = math.log10(min(p["fid"] for p in all_points) * 0.8)
    hi = math.log10(max(p["fid"] for p in all_points) * 1.2)
    px = lambda s: left + (width - left - right) * s / x_max
    py = lambda f: top + (height - top - bottom) * (hi - math.log10(f)) / (hi - lo)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for decade in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** decade
            if lo <= math.log10(v) <= hi:
                y = py(v)
                out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                           f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" '
                           f'text-anchor="end">{v:g}</text>')
    step = 60 if x_max > 240 else 30
    for s in range(0, int(x_max) + 1, step):
        x = px(s)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" '
                   f'stroke="#eee"/><text x="{x:.1f}" y="{height - bottom + 16}" '
                   f'text-anchor="middle">{s}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 8}" text-anchor="middle">'
               f'training wall time, s (2-core CPU)</text>')
    out.append(f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(top + height - bottom) / 2})">FID (log scale, lower is '
               f'better)</text>')
    for i, (name, pts) in enumerate(runs):
        color = colors[i % len(colors)]
        path_d = " ".join(f'{"M" if j == 0 else "L"}{px(p["seconds"]):.1f},{py(p["fid"]):.1f}'
                          for j, p in enumerate(pts))
        out.append(f'<path d="{path_d}" fill="none" stroke="{color}" stroke-width="2"/>')
        y = top + 16 + 18 * i
        out.append(f'<line x1="{width - right + 10}" x2="{width - right + 30}" y1="{y - 4}" '
                   f'y2="{y - 4}" stroke="{color}" stroke-width="2"/>'
                   f'<text x="{width - right + 35}" y="{y}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--at", default="60,300", help="training seconds to report, comma-separated")
    parser.add_argument("--plot", help="write FID against training time to this SVG file")
    args = parser.parse_args()
    times = [float(t) for t in args.at.split(",")]
    runs = [(os.path.basename(os.path.normpath(r)), read_run(r)) for r in args.runs]
    for name, points in runs:
        print(f"{name}:")
        for p in points:
            classes = (f"  class fidelity {100 * p['fidelity']:5.1f}%  intra-FID {p['intra_fid']:7.2f}"
                       if p["fidelity"] is not None else "")
            print(f"  step {p['step']:>6}  epoch {p['epoch']:>3}  {p['seconds']:7.1f} s  "
                  f"FID {p['fid']:8.2f}  IS {p['is']:5.2f}  modes {p['modes']}/10{classes}")
    header = "run".ljust(24) + "".join(f"  FID@{t:g}s  modes" for t in times)
    print(header + "  last: s, FID, modes")
    for name, points in runs:
        line = name.ljust(24)
        for t in times:
            p = at_time(points, t)
            line += f"  {p['fid']:8.2f}  {p['modes']:>2}/10" if p else "         -      -"
        last = points[-1]
        line += f"  {last['seconds']:.0f}, {last['fid']:.2f}, {last['modes']}/10"
        print(line)
    if args.plot:
        svg_plot(runs, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
