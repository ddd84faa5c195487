#!/usr/bin/env python3
"""Runs the command transcripts of Markdown files and compares them with what the docs show.

  tests/docs/check_docs.py [--gantrain BIN] [--update] [--only NAME] [--keep] FILE.md...

A checked transcript is a fenced block right after an HTML comment:

    <!-- check: NAME [exit=N] [timeout=S] -->
    ```
    $ gantrain --task even-bits
    [11:12:01] even-bits on cpu: 500 steps, ...
    ```

Lines starting with "$ " are commands (run by bash); the lines after each one are its expected
output, stdout and stderr together. Every command must exit with N (default 0). A block after
<!-- file: PATH --> is written to PATH first, so a transcript can read a file the doc shows.

All blocks of one Markdown file run in order, in one fresh scratch directory holding
build/gantrain (a link to BIN) and configs/ (the repository's); BIN's folder comes first on
PATH, so "gantrain" and "build/gantrain" are the same binary. No GPU is visible to them
(CUDA_VISIBLE_DEVICES is empty): the docs show CPU runs. Before comparing, the volatile
parts of both sides are masked (MASKS: clock times, run directory time stamps, speeds,
durations, ETA, TensorBoard file names). A run directory time stamp that a command names is
replaced by the one the earlier output printed at that place.

--update rewrites each checked block (and its exit=) from the real output, keeping the doc's
own value of each masked part where the line is still there, so an update only changes what
really changed. --only NAME checks that block alone (the blocks before it still run).
Exit code: 0 when every block matches, 1 when one does not, 2 for a malformed doc.
"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What differs from run to run, in the order tried at each position.
MASKS = [
    ("clock", r"\[\d\d:\d\d:\d\d\]"),
    ("stamp", r"(?<=-)\d{8}-\d{6}\b"),
    ("tfevents", r"(?<=tfevents\.)[^\s:/]+"),
    ("speed", r" *\d[\d,]*(?:\.\d+)? (?:steps|img|images|samples)/s\b"),
    ("eta", r"ETA +(?:\d+h)?(?:\d+m)?\d+s"),
    ("duration", r"\b\d+(?:\.\d+)? (?:s|ms)\b"),
]
MASK_RE = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in MASKS))
MARKER_RE = re.compile(r"^( *)<!-- (check|file): (\S+)((?: \w+=\S+)*) -->$")


class DocError(Exception):
    pass


def mask(line):
    return MASK_RE.sub(lambda m: f"<{m.lastgroup}>", line)


def tokens(line):
    """The masked parts of a line, by kind, in order."""
    found = {}
    for m in MASK_RE.finditer(line):
        found.setdefault(m.lastgroup, []).append(m.group())
    return found


def carry(new_line, old_line):
    """new_line with each masked part replaced by the old line's part of that kind and index."""
    old = tokens(old_line)
    seen = {}

    def replace(m):
        i = seen.get(m.lastgroup, 0)
        seen[m.lastgroup] = i + 1
        parts = old.get(m.lastgroup, [])
        return parts[i] if i < len(parts) else m.group()

    return MASK_RE.sub(replace, new_line)


def parse(path):
    """The marked blocks of a Markdown file: dicts with kind, name, options, indent, the
    marker's line index, the content's first and end line indexes, and the content (without
    the indent: a block may sit in a list item)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, i, fence = [], 0, None
    while i < len(lines):
        stripped = lines[i].strip()
        if fence:  # inside an unmarked fenced block: a marker there is an example
            if stripped.startswith(fence) and set(stripped) == {"`"}:
                fence = None
            i += 1
            continue
        m = MARKER_RE.match(lines[i])
        if not m:
            if re.match(r" *<!-- (check|file)\b", lines[i]):
                raise DocError(f"{path}:{i + 1}: malformed marker: {lines[i]}")
            if stripped.startswith("```"):
                fence = re.match("`+", stripped).group()
            i += 1
            continue
        indent, kind, name = m.group(1), m.group(2), m.group(3)
        if i + 1 >= len(lines) or not lines[i + 1].startswith(indent + "```"):
            raise DocError(f"{path}:{i + 1}: a fenced block must follow the marker")
        end = i + 2
        while end < len(lines) and lines[end].rstrip() != indent + "```":
            end += 1
        if end == len(lines):
            raise DocError(f"{path}:{i + 2}: the fenced block is not closed")
        options = dict(o.split("=", 1) for o in m.group(4).split())
        for key in options:
            if key not in ("exit", "timeout") or kind == "file":
                raise DocError(f"{path}:{i + 1}: unknown option '{key}'")
        content = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                   for line in lines[i + 2:end]]
        blocks.append({"kind": kind, "name": name, "options": options, "indent": indent,
                       "marker": i, "start": i + 2, "end": end, "content": content})
        i = end + 1
    names = [b["name"] for b in blocks if b["kind"] == "check"]
    for name in names:
        if names.count(name) > 1:
            raise DocError(f"{path}: two blocks are named '{name}'")
    return lines, blocks


def commands_of(block, path):
    """[(command, expected output lines)] of a check block."""
    out = []
    for n, line in enumerate(block["content"]):
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif not out:
            raise DocError(f"{path}:{block['start'] + n + 1}: a transcript starts with '$ command'")
        else:
            out[-1][1].append(line.rstrip())
    if not out:
        raise DocError(f"{path}:{block['start'] + 1}: the block has no '$ command' line")
    return out


def make_scratch(gantrain):
    scratch = tempfile.mkdtemp(prefix="gantrain-docs-")
    os.makedirs(os.path.join(scratch, "build"))
    os.symlink(gantrain, os.path.join(scratch, "build", "gantrain"))
    os.symlink(os.path.join(ROOT, "configs"), os.path.join(scratch, "configs"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(gantrain) + os.pathsep + env.get("PATH", "")
    env["GANTRAIN_CACHE"] = os.path.join(scratch, "cache")
    env["CUDA_VISIBLE_DEVICES"] = ""  # the docs show CPU runs, also where a GPU is present
    for name in ("GANTRAIN_DATA", "GANTRAIN_FASHION_MNIST"):
        env.pop(name, None)
    return scratch, env


def run(command, scratch, env, timeout):
    try:
        p = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        text, code = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        text, code = (e.output or b"").decode("utf-8", "replace"), f"timeout after {timeout} s"
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines, code


def pair_lines(old, new):
    """For each new line, the old line at its place (or, for an added line, the nearest one;
    None when there is none) and whether the two are at the same place."""
    matcher = difflib.SequenceMatcher(None, [mask(x) for x in old], [mask(x) for x in new],
                                      autojunk=False)
    partner = [(None, False)] * len(new)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag in ("equal", "replace"):
                partner[j] = (min(i1 + (j - j1), i2 - 1), True)
            elif old:
                partner[j] = (min(i1, len(old) - 1), False)
    return partner


def check_file(path, gantrain, update, only, keep):
    """Runs the blocks of one file; returns the number of blocks that differ."""
    lines, blocks = parse(path)
    checks = [b for b in blocks if b["kind"] == "check"]
    if only and only not in [b["name"] for b in checks]:
        return None
    if not checks:
        print(f"{path}: no checked transcripts")
        return 0
    scratch, env = make_scratch(gantrain)
    stamps = {}  # a time stamp the doc shows -> the one this run printed
    failures, edits = 0, []
    try:
        for block in blocks:
            if block["kind"] == "file":
                target = os.path.join(scratch, block["name"])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as f:
                    f.write("\n".join(block["content"]) + "\n")
                continue
            want_code = int(block["options"].get("exit", "0"))
            timeout = int(block["options"].get("timeout", "120"))
            new_content, codes, problems = [], [], []
            for command, expected in commands_of(block, path):
                actual_command = command
                for doc_stamp, run_stamp in stamps.items():
                    actual_command = actual_command.replace(doc_stamp, run_stamp)
                actual, code = run(actual_command, scratch, env, timeout)
                codes.append(code)
                partner = pair_lines(expected, actual)
                for j, (i, same_place) in enumerate(partner):
                    if same_place:
                        for d, r in zip(tokens(expected[i]).get("stamp", []),
                                        tokens(actual[j]).get("stamp", [])):
                            stamps.setdefault(d, r)
                if code != want_code:
                    problems.append(f"'$ {command}' exited with {code}, the doc says {want_code}")
                if [mask(x) for x in expected] != [mask(x) for x in actual]:
                    diff = difflib.unified_diff([mask(x) for x in expected],
                                                [mask(x) for x in actual],
                                                "doc", "output", lineterm="", n=2)
                    problems.append(f"'$ {command}' printed something else "
                                    "(volatile parts masked):\n" + "\n".join(diff))
                new_content.append("$ " + command)
                for j, (i, _) in enumerate(partner):
                    line = (actual[j] if i is None else
                            expected[i] if mask(expected[i]) == mask(actual[j]) else
                            carry(actual[j], expected[i]))
                    for doc_stamp, run_stamp in stamps.items():  # the doc's names for its runs
                        line = line.replace(run_stamp, doc_stamp)
                    new_content.append(line)
            if only and block["name"] != only:
                continue
            where = f"{path}:{block['marker'] + 1}: {block['name']}"
            if update:
                marker = lines[block["marker"]]
                if any(code != want_code for code in codes):
                    if len(set(codes)) > 1 or not isinstance(codes[0], int):
                        print(f"{where}: cannot update: the commands exited with {codes}; "
                              "one exit code a block (split it)")
                        failures += 1
                        continue
                    marker = re.sub(r" exit=\S+", "", marker)
                    if codes[0]:
                        marker = marker.replace(" -->", f" exit={codes[0]} -->")
                edits.append((block, marker, new_content))
                changed = new_content != block["content"] or marker != lines[block["marker"]]
                print(f"{where}: {'updated' if changed else 'unchanged'}")
            elif problems:
                failures += 1
                print(f"{where}: FAILED")
                for p in problems:
                    print("  " + p.replace("\n", "\n  "))
            else:
                print(f"{where}: ok")
            if only:
                break
    finally:
        if keep:
            print(f"{path}: scratch directory kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if update and edits:
        for block, marker, content in reversed(edits):
            lines[block["start"]:block["end"]] = [
                block["indent"] + line if line else line for line in content]
            lines[block["marker"]] = marker
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", metavar="FILE.md")
    parser.add_argument("--gantrain", default=os.path.join(ROOT, "build", "gantrain"),
                        help="the binary the transcripts run (default: build/gantrain)")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the blocks from the real output")
    parser.add_argument("--only", metavar="NAME", help="check this block only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    args = parser.parse_args()
    gantrain = os.path.abspath(args.gantrain)
    if not os.access(gantrain, os.X_OK):
        print(f"error: {gantrain}: no such binary (build it: scripts/setup.sh)", file=sys.stderr)
        return 2
    failures, found = 0, False
    try:
        for path in args.files:
            result = check_file(path, gantrain, args.update, args.only, args.keep)
            if result is not None:
                found = True
                failures += result
    except DocError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.only and not found:
        print(f"error: no checked block is named '{args.only}'", file=sys.stderr)
        return 2
    if failures and not args.update:
        print(f"{failures} transcript(s) differ from the docs. If the change is intended, "
              f"update them: tests/docs/check_docs.py --update {' '.join(args.files)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
