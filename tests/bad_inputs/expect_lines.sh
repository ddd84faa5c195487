#!/usr/bin/env bash
# Runs a command; checks its exit code, that its output matches every regex, and that it did
# not crash (an abort, a signal or a sanitizer report instead of an answer).
#   expect_lines.sh EXIT_CODE REGEX [REGEX...] -- COMMAND [ARGS...]
set -u
want_code=$1
shift
regexes=()
while [ "$1" != "--" ]; do regexes+=("$1"); shift; done
shift
out=$("$@" 2>&1)
code=$?
status=0
[ "$code" = "$want_code" ] || { echo "FAIL: exit code $code, expected $want_code"; status=1; }
for re in "${regexes[@]}"; do
  grep -Eq -- "$re" <<<"$out" || { echo "FAIL: output does not match /$re/"; status=1; }
done
if grep -Eq 'terminate called|Segmentation fault|core dumped|Aborted|ERROR: AddressSanitizer|runtime error:' <<<"$out"; then
  echo "FAIL: crashed"; status=1
fi
# An error is one line: a single "error:" line and no backtrace after it.
if [ "$want_code" != 0 ] && [ "$(grep -c 'error:' <<<"$out")" != 1 ]; then
  echo "FAIL: expected exactly one error line"; status=1
fi
[ $status = 0 ] || { echo "--- command: $*"; echo "--- output:"; echo "$out" | tail -20; }
exit $status
