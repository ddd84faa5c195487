#!/usr/bin/env bash
# Runs a command and checks its exit code and that its output matches a regex.
#   expect.sh EXIT_CODE REGEX -- COMMAND [ARGS...]
set -u
want_code=$1 want_text=$2
shift 3
out=$("$@" 2>&1)
code=$?
status=0
if [ "$code" != "$want_code" ]; then
  echo "FAIL: exit code $code, expected $want_code"; status=1
fi
if ! grep -Eq -- "$want_text" <<<"$out"; then
  echo "FAIL: output does not match /$want_text/"; status=1
fi
if grep -Eq 'terminate called|Segmentation fault|core dumped|Aborted' <<<"$out"; then
  echo "FAIL: crashed"; status=1
fi
[ $status = 0 ] || { echo "--- command: $*"; echo "--- output:"; echo "$out" | tail -20; }
exit $status
