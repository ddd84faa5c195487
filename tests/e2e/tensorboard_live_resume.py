#!/usr/bin/env python3
"""What a TensorBoard that is watching a run shows across a resume from an older checkpoint.

usage: tensorboard_live_resume.py RUN_DIR -- RESUME_COMMAND [ARGS...]

Loads RUN_DIR with TensorBoard's own EventAccumulator (its default purging on), as a running
`tensorboard` holds it; runs RESUME_COMMAND, which resumes the run from an earlier checkpoint;
reloads the same accumulator, and asserts that loss/d then shows each step once with the value
the resumed run wrote to metrics.csv: the SessionLog START of the new session made it drop the
stale steps it already held. Exits 1 with a message otherwise.
"""
import csv
import os
import subprocess
import sys

from tensorboard.backend.event_processing import event_accumulator


def loss_d(accumulator):
    accumulator.Reload()
    return [(e.step, e.value) for e in accumulator.Scalars("loss/d")]


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__.strip().splitlines()[2])
    run_dir, command = sys.argv[1], sys.argv[3:]
    guidance = {kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance=guidance)
    before = loss_d(accumulator)
    subprocess.run(command, check=True)
    after = loss_d(accumulator)
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        expected = [(int(r["step"]), float(r["d_loss"])) for r in csv.DictReader(f)]
    steps = [step for step, _ in after]
    if steps != sorted(set(steps)):
        sys.exit(f"FAIL: after the resume, the live view holds loss/d steps {steps}")
    if steps != [step for step, _ in expected]:
        sys.exit(f"FAIL: live view steps {steps}, metrics.csv {[s for s, _ in expected]}")
    for (step, value), (_, want) in zip(after, expected):
        if abs(value - want) > 1e-5 * max(1.0, abs(want)):
            sys.exit(f"FAIL: live view loss/d at step {step} is {value}, metrics.csv says {want}")
    print(f"live view: loss/d steps {[s for s, _ in before]} before the resume, {steps} after, "
          f"values as in metrics.csv")


if __name__ == "__main__":
    main()
