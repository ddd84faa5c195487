#!/usr/bin/env python3
"""Every test a doc names exists: the docs cite tests as evidence (robustness.md's table of bad
inputs, monitoring.md, performance.md), and a renamed or deleted test must not leave a citation
to nothing behind.

  check_test_names.py BUILD_DIR SOURCE_DIR FILE.md [FILE.md ...]

A name counts when it looks like a test: `Suite.Test` (a GoogleTest case; `Suite.*` and
`Suite.Prefix*` match several) or a CTest name (e2e_*, bad_*, docs_*, fuzz_*, scripts_*; a
trailing * matches several). They are looked up in `ctest -N` of BUILD_DIR; a CTest name this
build does not have (the other LibTorch build's own tests) passes when the tests' sources spell
it whole.
"""
import fnmatch
import pathlib
import re
import subprocess
import sys

GTEST = re.compile(r"\b([A-Z][A-Za-z0-9]*)\.([A-Z*][A-Za-z0-9_*]*)")
CTEST = re.compile(r"(?<![\w:])((?:e2e|bad|docs|fuzz|scripts)_[A-Za-z0-9_.*-]+)")


def ctest_names(build):
    out = subprocess.run(["ctest", "-N"], cwd=build, capture_output=True, text=True, check=True)
    return set(re.findall(r"Test +#\d+: (\S+)", out.stdout))


def spelled_in_sources(name, source):
    return any(name in p.read_text(errors="replace")
               for pattern in ("CMakeLists.txt", "*.cpp")
               for p in (source / "tests").rglob(pattern))


def main(argv):
    build, source = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    tests = ctest_names(build)
    missing = []
    for doc in argv[3:]:
        for number, line in enumerate(pathlib.Path(doc).read_text().splitlines(), 1):
            cited = [f"{suite}.{test}" for suite, test in GTEST.findall(line) if suite.endswith("Test")]
            cited += [c.rstrip(".-") for c in CTEST.findall(line)]
            for name in cited:
                if name.endswith((".md", ".py", ".sh", ".cpp")):
                    continue  # a file, not a test
                if any(fnmatch.fnmatchcase(t, name) for t in tests):
                    continue
                if "." not in name and "*" not in name and spelled_in_sources(name, source):
                    continue  # a CTest name of the other LibTorch build
                missing.append(f"{doc}:{number}: {name}")
    for m in missing:
        print(f"{m}: no such test")
    if missing:
        print(f"{len(missing)} test name(s) in the docs name no test: rename them there too")
        return 1
    print("every test the docs name exists")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
