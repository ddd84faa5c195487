#!/usr/bin/env python3
"""Checks a run's TensorBoard event files with TensorBoard's own reader.

usage: check_tensorboard.py RUN_DIR [--expect-image] [--expect-no-duplicates]

Needs the `tensorboard` package (pip install tensorboard); no TensorFlow. Asserts that the
training scalars exist with strictly increasing steps, that every column of RUN_DIR/metrics.csv
is a scalar with exactly its steps and values, that the resolved config is there as text, and
with --expect-image that a "samples" PNG is. --expect-no-duplicates reads the files
without TensorBoard's purging of orphaned steps, so steps a resume should have trimmed show up as
duplicates. Prints one summary line; exits 1 with a message on the first failure.
"""
import argparse
import csv
import math
import os
import sys

# The scalar tag of each metrics.csv column (tensorboard_tag in src/io/tensorboard.cpp); other
# columns are eval/<name> or metrics/<name>.
TAGS = {
    "d_loss": "loss/d",
    "g_loss": "loss/g",
    "d_real": "D/real",
    "d_fake": "D/fake",
    "steps_per_s": "speed/steps_per_s",
    "images_per_s": "speed/images_per_s",
    "elapsed_s": "time/elapsed_s",
    "epoch": "progress/epoch",
}
# Every run has these.
REQUIRED = ["loss/d", "loss/g", "D/real", "D/fake", "speed/images_per_s"]


class CheckError(Exception):
    pass


def event_dir(run_dir):
    """The one directory under run_dir holding event files."""
    found = sorted({root for root, _, files in os.walk(run_dir)
                    if any("tfevents" in f for f in files)})
    if len(found) != 1:
        raise CheckError(f"{run_dir}: expected event files in one directory, found {found or 'none'}")
    return found[0]


def read_csv(path):
    """{column: {step: value}} for the non-empty fields of metrics.csv."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise CheckError(f"{path}: cannot read: {e}")
    if not rows:
        raise CheckError(f"{path}: no rows")
    table = {}
    for row in rows:
        step = int(row["step"])
        for column, field in row.items():
            if column != "step" and field not in (None, ""):
                table.setdefault(column, {})[step] = float(field)
    return table


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-30)


def check(run_dir, expect_image, expect_no_duplicates):
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea_module
    except ImportError as e:
        raise CheckError(f"cannot import tensorboard ({e}); pip install tensorboard")

    directory = event_dir(run_dir)
    guidance = {kind: 0 for kind in ea_module.DEFAULT_SIZE_GUIDANCE}  # 0: keep every event
    ea = ea_module.EventAccumulator(directory, size_guidance=guidance,
                                    purge_orphaned_data=not expect_no_duplicates)
    ea.Reload()
    tags = ea.Tags()

    for tag in REQUIRED:
        if tag not in tags["scalars"]:
            raise CheckError(f"{directory}: no scalar {tag}; scalars: {sorted(tags['scalars'])}")
    for tag in tags["scalars"]:
        steps = [e.step for e in ea.Scalars(tag)]
        for a, b in zip(steps, steps[1:]):
            if b <= a:
                what = "duplicate" if a == b else "decreasing"
                raise CheckError(f"{directory}: scalar {tag}: {what} step {b} after {a}")

    # Every metrics.csv column is a scalar with the same steps and values.
    csv_table = read_csv(os.path.join(run_dir, "metrics.csv"))
    for column, expected in csv_table.items():
        candidates = [TAGS[column]] if column in TAGS else ["eval/" + column, "metrics/" + column]
        tag = next((t for t in candidates if t in tags["scalars"]), None)
        if tag is None:
            raise CheckError(f"{directory}: metrics.csv column {column} has no scalar "
                             f"({' or '.join(candidates)})")
        events = {e.step: e.value for e in ea.Scalars(tag)}
        if set(events) != set(expected):
            raise CheckError(f"{directory}: scalar {tag}: steps "
                             f"{sorted(set(events) ^ set(expected))} are in only one of the event "
                             f"files and metrics.csv column {column}")
        for step, value in expected.items():
            if not same(events[step], value):
                raise CheckError(f"{directory}: scalar {tag} at step {step} is {events[step]}, "
                                 f"metrics.csv {column} says {value}")

    if expect_no_duplicates:
        # Every tag of every kind, texts and images included: one event per step.
        for kind, events_of in (("scalars", ea.Scalars), ("images", ea.Images),
                                ("tensors", ea.Tensors)):
            for tag in tags[kind]:
                steps = [e.step for e in events_of(tag)]
                if len(set(steps)) != len(steps):
                    raise CheckError(f"{directory}: {kind} {tag}: a step appears twice: {steps}")

    if expect_image:
        if "samples" not in tags["images"]:
            raise CheckError(f"{directory}: no image 'samples'; images: {tags['images']}")
        for image in ea.Images("samples"):
            if not image.encoded_image_string.startswith(b"\x89PNG"):
                raise CheckError(f"{directory}: image 'samples' at step {image.step} is not a PNG")
            if image.width <= 0 or image.height <= 0:
                raise CheckError(f"{directory}: image 'samples' at step {image.step} is "
                                 f"{image.width}x{image.height}")

    # EventAccumulator keeps text summaries as string tensors, marked for the "text" plugin.
    if "config" not in tags["tensors"]:
        raise CheckError(f"{directory}: no text 'config'; tensors: {tags['tensors']}")
    if "config" not in ea.PluginTagToContent("text"):
        raise CheckError(f"{directory}: tensor 'config' is not marked for the text plugin")
    texts = [s for t in ea.Tensors("config") for s in t.tensor_proto.string_val]
    if not any(b"task:" in s for s in texts):
        raise CheckError(f"{directory}: text 'config' does not hold 'task:'")

    scalars = sum(len(ea.Scalars(t)) for t in tags["scalars"])
    images = sum(len(ea.Images(t)) for t in tags["images"])
    text_tags = ea.PluginTagToContent("text")
    texts = sum(len(ea.Tensors(t)) for t in tags["tensors"] if t in text_tags)
    print(f"{directory}: ok: {scalars} scalars in {len(tags['scalars'])} tags, {images} images, "
          f"{texts} texts")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--expect-image", action="store_true")
    parser.add_argument("--expect-no-duplicates", action="store_true")
    args = parser.parse_args()
    try:
        check(args.run_dir, args.expect_image, args.expect_no_duplicates)
    except CheckError as e:
        print(f"check_tensorboard: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # TensorBoard's reader on a corrupt file, say
        print(f"check_tensorboard: {args.run_dir}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
