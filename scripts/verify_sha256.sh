#!/usr/bin/env bash
# Checks downloaded files against their pinned sha256: PINS holds lines "HASH  NAME" (as sha256sum
# writes them; '#' starts a comment). The first file that is missing, not pinned or different
# stops it with one line on stderr naming the file (and the expected and actual hash) and exit
# code 1.
#   scripts/verify_sha256.sh PINS FILE...
set -euo pipefail
pins=$1
shift
[ -r "$pins" ] || { echo "$pins: cannot read the sha256 pins" >&2; exit 2; }
for file in "$@"; do
  [ -f "$file" ] || { echo "$file: not found" >&2; exit 1; }
  expected=$(awk -v name="$(basename "$file")" '$1 !~ /^#/ && $2 == name { print $1 }' "$pins")
  [ -n "$expected" ] ||
    { echo "$file: no sha256 pin in $pins (an unexpected file: remove it, or pin it)" >&2; exit 1; }
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  [ "$actual" = "$expected" ] || {
    echo "$file: sha256 is $actual, expected $expected (pinned in $pins): the download is" \
         "damaged, or the file changed on the index" >&2
    exit 1
  }
done
