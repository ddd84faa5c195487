#!/usr/bin/env python3
"""Tests of check_docs.py against a stand-in gantrain whose times, speeds and run directory
names change at every run: a doc that matches passes, any other difference fails with a diff,
and --update makes a failing doc pass while keeping the doc's own volatile values."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_docs.py")

FAKE = r"""#!/usr/bin/env bash
# A stand-in for gantrain: prints what changes from run to run, and a value VALUE sets.
now() { date +%H:%M:%S; }
case "$1" in
  train) dir=runs/toy-$(date +%Y%m%d-%H%M%S); mkdir -p "$dir"; echo "${VALUE:-1.5}" > "$dir/value"
         echo "[$(now)] run directory $dir"
         echo "[$(now)] step 10/10  $((RANDOM + 100)) steps/s  ETA  $((RANDOM % 9))s  value ${VALUE:-1.5}"
         echo "[$(now)] done: 10 steps in 0.$RANDOM s" ;;
  show) echo "reading $2"; cat "$2/value" ;;
  read) cat "$2" ;;
  fail) echo "[$(now)] error: no such thing" >&2; exit 2 ;;
esac
"""

GOOD = """# Toy
<!-- check: train -->
```
$ gantrain train
[10:00:00] run directory runs/toy-20260101-100000
[10:00:01] step 10/10    999 steps/s  ETA  1s  value 1.5
[10:00:01] done: 10 steps in 0.5 s
```
The run again:
<!-- check: show -->
```
$ build/gantrain show runs/toy-20260101-100000
reading runs/toy-20260101-100000
1.5
```
<!-- file: notes/a.txt -->
```
a file the doc shows
```
  <!-- check: errors exit=2 -->
  ```
  $ gantrain fail
  [10:00:02] error: no such thing
  $ gantrain fail && echo not reached
  [10:00:02] error: no such thing
  ```
An example of a marker, not checked:
````
<!-- check: example -->
```
$ false
```
````
<!-- check: read-file -->
```
$ gantrain read notes/a.txt
a file the doc shows
```
"""


class CheckDocsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.fake = os.path.join(self.dir.name, "gantrain")
        with open(self.fake, "w") as f:
            f.write(FAKE)
        os.chmod(self.fake, 0o755)

    def tearDown(self):
        self.dir.cleanup()

    def doc(self, text):
        path = os.path.join(self.dir.name, "doc.md")
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, path, *options, env=None):
        p = subprocess.run([sys.executable, CHECKER, "--gantrain", self.fake, *options, path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=dict(os.environ, **(env or {})))
        return p.returncode, p.stdout

    def test_a_matching_doc_passes(self):
        code, out = self.check(self.doc(GOOD))
        self.assertEqual(code, 0, out)
        self.assertEqual(out.count(": ok"), 4, out)

    def test_a_changed_value_fails_with_a_diff(self):
        code, out = self.check(self.doc(GOOD), env={"VALUE": "2.5"})
        self.assertEqual(code, 1, out)
        self.assertIn("-<clock> step 10/10<speed>  <eta>  value 1.5", out)
        self.assertIn("+<clock> step 10/10<speed>  <eta>  value 2.5", out)
        self.assertIn("doc.md:2: train: FAILED", out)
        self.assertIn("doc.md:10: show: FAILED", out)

    def test_a_missing_or_extra_line_fails(self):
        code, out = self.check(self.doc(GOOD.replace("[10:00:01] done: 10 steps in 0.5 s\n", "")))
        self.assertEqual(code, 1, out)
        code, out = self.check(self.doc(GOOD.replace("1.5\n```", "1.5\nmore\n```")))
        self.assertEqual(code, 1, out)

    def test_a_wrong_exit_code_fails(self):
        code, out = self.check(self.doc(GOOD.replace("errors exit=2", "errors")))
        self.assertEqual(code, 1, out)
        self.assertIn("exited with 2, the doc says 0", out)

    def test_update_rewrites_only_what_changed(self):
        path = self.doc(GOOD)
        code, out = self.check(path, "--update", env={"VALUE": "2.5"})
        self.assertEqual(code, 0, out)
        with open(path) as f:
            updated = f.read()
        self.assertEqual(updated, GOOD.replace("1.5", "2.5"))
        self.assertEqual(self.check(path, env={"VALUE": "2.5"})[0], 0)

    def test_update_writes_new_lines_and_exit_codes(self):
        path = self.doc(GOOD.replace("[10:00:01] done: 10 steps in 0.5 s\n", "")
                        .replace("reading runs/toy-20260101-100000\n", "")
                        .replace("errors exit=2", "errors exit=1"))
        code, out = self.check(path, "--update")
        self.assertEqual(code, 0, out)
        with open(path) as f:
            updated = f.read()
        self.assertIn("errors exit=2 -->", updated)
        # The new line takes the doc's time from its neighbour and the run's duration.
        self.assertRegex(updated, r"\n\[10:00:01\] done: 10 steps in 0\.\d+ s\n")
        # A new line naming the run uses the doc's name for it.
        self.assertIn("\nreading runs/toy-20260101-100000\n", updated)
        self.assertEqual(self.check(path)[0], 0)

    def test_only_checks_one_block(self):
        code, out = self.check(self.doc(GOOD), "--only", "show", env={"VALUE": "2.5"})
        self.assertEqual(code, 1, out)
        self.assertNotIn("train:", out)
        code, out = self.check(self.doc(GOOD), "--only", "nothing")
        self.assertEqual(code, 2, out)

    def test_a_malformed_doc_is_an_error(self):
        code, out = self.check(self.doc("<!-- check: x -->\nno block\n"))
        self.assertEqual(code, 2, out)
        code, out = self.check(self.doc("<!-- check: x -->\n```\noutput first\n```\n"))
        self.assertEqual(code, 2, out)
        code, out = self.check(self.doc("<!-- check: x exits=2 -->\n```\n$ true\n```\n"))
        self.assertEqual(code, 2, out)


if __name__ == "__main__":
    unittest.main()
