#!/usr/bin/env bash
# scripts/verify_sha256.sh, the check scripts/libtorch2.sh runs on its downloads before unpacking,
# on files made here: pinned files pass; a changed, an unpinned and a missing file each stop it
# with one line naming the file (a changed one: the expected and the actual hash) and exit code 1.
# Also: the pins hold a torch wheel of the version libtorch2.sh pins, and only well-formed lines.
#   verify_sha256_test.sh SOURCE_DIR WORK_DIR
set -uo pipefail
src=$1 work=$2
verify=$src/scripts/verify_sha256.sh
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
sha256() { python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"; }
# expect_failure WANT_LINE_REGEX FILE...: exit code 1 and exactly one line on stderr, matching.
expect_failure() {
  local regex=$1
  shift
  "$verify" "$work/pins" "$@" >"$work/out" 2>"$work/err"
  local code=$?
  [ "$code" = 1 ] || fail "exit code $code for $*, expected 1"
  [ ! -s "$work/out" ] || fail "wrote to stdout: $(cat "$work/out")"
  [ "$(wc -l <"$work/err")" = 1 ] || fail "expected one line on stderr, got: $(cat "$work/err")"
  grep -Eq -- "$regex" "$work/err" || fail "stderr does not match /$regex/: $(cat "$work/err")"
}

head -c 100000 /dev/urandom >"$work/a-1.0-py3-none-any.whl"
echo "a small one" >"$work/b-2.0-py3-none-any.whl"
a=$(sha256 "$work/a-1.0-py3-none-any.whl")
b=$(sha256 "$work/b-2.0-py3-none-any.whl")
printf '# a comment\n%s  a-1.0-py3-none-any.whl\n%s  b-2.0-py3-none-any.whl\n' "$a" "$b" >"$work/pins"

"$verify" "$work/pins" "$work"/*.whl 2>"$work/err" || fail "pinned files refused: $(cat "$work/err")"
[ ! -s "$work/err" ] || fail "pinned files passed but printed: $(cat "$work/err")"
echo "pinned files pass"

# One byte changed in the middle of the large file.
printf 'X' | dd of="$work/a-1.0-py3-none-any.whl" bs=1 seek=50000 conv=notrunc 2>/dev/null
changed=$(sha256 "$work/a-1.0-py3-none-any.whl")
[ "$changed" != "$a" ] || fail "the change left the hash as it was"
expect_failure "^$work/a-1.0-py3-none-any.whl: sha256 is $changed, expected $a \\(pinned in $work/pins\\)" \
  "$work/b-2.0-py3-none-any.whl" "$work/a-1.0-py3-none-any.whl"
echo "a changed file: $(cat "$work/err")"

echo extra >"$work/c-3.0-py3-none-any.whl"
expect_failure "^$work/c-3.0-py3-none-any.whl: no sha256 pin in $work/pins" "$work/c-3.0-py3-none-any.whl"
echo "an unpinned file: $(cat "$work/err")"
expect_failure "^$work/d.whl: not found" "$work/d.whl"
echo "a missing file: $(cat "$work/err")"

# The real pins: well-formed, and the torch wheel is the version libtorch2.sh installs.
pins=$src/scripts/libtorch2.sha256
bad=$(grep -Ev '^#|^[0-9a-f]{64}  [A-Za-z0-9_.+-]+\.whl$' "$pins")
[ -z "$bad" ] || fail "$pins: malformed lines: $bad"
version=$("$src/scripts/libtorch2.sh" --version)
grep -Eq "  torch-$version-" "$pins" || fail "$pins pins no torch-$version wheel"
echo "$pins: $(grep -vc '^#' "$pins") wheels, torch $version among them"
