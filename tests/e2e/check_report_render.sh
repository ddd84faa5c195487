#!/usr/bin/env bash
# Renders a `gantrain report` page with headless Chromium and checks the screenshot: the page is
# self-contained (no script, no external URL), loads without console messages, and its plots
# (and, with --images, its sample grids) are on screen.
#   check_report_render.sh REPORT_HTML OUT_PNG [--images]
# Exit 0 pass, 1 fail (also when Chromium is missing: scripts/test.sh installs it).
set -uo pipefail
html=$1 png=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*"; exit 1; }

[ -s "$html" ] || fail "no report at $html"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || fail "no chromium (scripts/test.sh installs Debian's chromium)"

# Self-contained: nothing that could fetch or run anything; every image a data: URI.
outside=$( (grep -Eio '<script|https?://[^" ]*|<link|<iframe|url\([^)]*\)' "$html"
            grep -Po '\ssrc="(?!data:)[^"]*' "$html") | head -3)
[ -z "$outside" ] || fail "$html references something outside itself: $outside"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
# Root needs --no-sandbox; a private HOME and profile keep Chromium off the user's. Its stderr is
# noisy (D-Bus, GPU, sandbox warnings): only console messages count, and a page without scripts
# has none unless something failed.
HOME=$profile timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile/data" --no-first-run --host-resolver-rules='MAP * ~NOTFOUND' \
  --window-size=1280,4000 --enable-logging=stderr --v=0 --screenshot="$png" "file://$abs" \
  >"$profile/out.log" 2>"$profile/err.log"
code=$?
[ $code = 124 ] && fail "chromium took more than 120 s"
[ -s "$png" ] || { tail -20 "$profile/err.log"; fail "chromium (exit $code) wrote no screenshot"; }
if grep -E 'CONSOLE|Uncaught|Failed to load' "$profile/err.log"; then
  fail "console messages while rendering $html"
fi
python3 "$here/check_screenshot.py" "$png" "$@"
