#!/usr/bin/env python3
"""Prints a run's eval.json as the row of the eval table in docs/metrics.md (and README.md):

  bench/eval_row.py LABEL RUN_DIR [--real]

--real prints the real-data reference row instead (the *_real columns of the same file).
"""
import json
import os
import sys


def main():
    args = [a for a in sys.argv[1:] if a != "--real"]
    if len(args) != 2:
        sys.exit(__doc__.strip())
    label, run_dir = args
    with open(os.path.join(run_dir, "eval.json")) as f:
        m = json.load(f)["metrics"]
    if "--real" in sys.argv:
        cells = [f"{m['fid_real']:.2f}", f"{m['inception_score_real']:.2f}", "—", "—", "—", "—",
                 f"{m['parzen_ll_real']:.1f} (real train)"]
    else:
        cells = [f"{m['fid']:.2f}", f"{m['inception_score']:.2f}",
                 f"{m['modes_covered']:.0f}/10", f"{m['class_kl']:.3f}", f"{m['precision']:.3f}",
                 f"{m['recall']:.3f}",
                 f"{m['parzen_ll']:.1f} ± {m['parzen_se']:.1f} (σ {m['parzen_sigma']:.3f})"]
    print("| " + " | ".join([label] + cells) + " |")
    print(f"(classifier test accuracy {100 * m['classifier_accuracy']:.2f}%)", file=sys.stderr)


if __name__ == "__main__":
    main()
