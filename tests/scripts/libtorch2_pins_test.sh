#!/usr/bin/env bash
# scripts/libtorch2.sh refuses wheels that differ from its sha256 pins before unpacking anything:
# run on a copy of scripts/ with pip pointed at a folder of look-alike wheels (the pinned names
# and versions, other bytes; no network), it must exit 1 with one line naming a downloaded wheel,
# its actual and its pinned sha256, and leave no deps/libtorch-* behind.
#   libtorch2_pins_test.sh SOURCE_DIR WORK_DIR
set -uo pipefail
src=$1 work=$2
rm -rf "$work"; mkdir -p "$work/index" "$work/repo"
cp -r "$src/scripts" "$work/repo/"
fail() { echo "FAIL: $*"; exit 1; }

# A look-alike of each pinned wheel: only the metadata pip reads (name, version, requirements).
python3 - "$src/scripts/libtorch2.sha256" "$work/index" <<'PY' || fail "cannot make the wheels"
import re, sys, zipfile
pins, index = sys.argv[1:]
names = [line.split()[1] for line in open(pins) if line.strip() and not line.startswith("#")]
def project(f): return f.split("-")[0].replace("_", "-")
def version(f): return f.split("-")[1]
for f in names:
    meta = f"Metadata-Version: 2.1\nName: {project(f)}\nVersion: {version(f)}\n"
    if project(f) == "torch":  # what libtorch2.sh reads from the real one's METADATA
        for g in names:
            if project(g).startswith(("nvidia-cusparselt", "nvidia-nvshmem")):
                meta += f"Requires-Dist: {project(g)}=={version(g)}\n"
            if project(g) == "cuda-toolkit":
                meta += f"Requires-Dist: cuda-toolkit[cufile]=={version(g)}\n"
    if project(f) == "cuda-toolkit":
        cufile = next(g for g in names if project(g) == "nvidia-cufile")
        meta += f'Provides-Extra: cufile\nRequires-Dist: nvidia-cufile=={version(cufile)}; extra == "cufile"\n'
    info = f"{f.split('-')[0]}-{version(f)}.dist-info"
    with zipfile.ZipFile(f"{index}/{f}", "w") as z:
        z.writestr(f"{info}/METADATA", meta)
        z.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
        z.writestr(f"{info}/RECORD", "")
PY

(cd "$work/repo" && PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/index" timeout 300 scripts/libtorch2.sh) \
  >"$work/out" 2>"$work/err"
code=$?
[ "$code" = 1 ] || fail "exit code $code, expected 1; stderr: $(cat "$work/err")"
last=$(tail -1 "$work/err")
grep -Eq '^deps/downloads/[^ ]+\.whl: sha256 is [0-9a-f]{64}, expected [0-9a-f]{64} \(pinned in scripts/libtorch2.sha256\)' \
  <<<"$last" || fail "the last line is not the pin mismatch: $(cat "$work/err")"
[ "$(grep -c 'sha256' "$work/err")" = 1 ] || fail "expected one sha256 line: $(cat "$work/err")"
[ ! -s "$work/out" ] || fail "printed a prefix: $(cat "$work/out")"
ls -d "$work"/repo/deps/libtorch-* 2>/dev/null && fail "unpacked despite the mismatch"
echo "refused before unpacking: $last"
