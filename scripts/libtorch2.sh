#!/usr/bin/env bash
# Puts LibTorch 2.x, taken from PyPI's `torch` wheel (a CUDA build), into deps/ inside the
# project: the whole wheel, unpacked as pip lays it out in site-packages (the C++ build uses its
# headers, libraries and CMake files; scripts/torch2_venv.sh's venv imports the same copy), plus
# the three CUDA libraries it links that the CUDA toolkit does not ship (cuFile, cuSPARSELt,
# NVSHMEM, from their own wheels). Every downloaded wheel must match its sha256 pin in scripts/libtorch2.sha256 before
# anything is unpacked. No Python environment is touched. Idempotent: a finished install is reused.
# Prints the LibTorch prefix (for -DCMAKE_PREFIX_PATH) as its last line.
#   scripts/libtorch2.sh            install if missing, print the prefix
#   scripts/libtorch2.sh --version  print the pinned torch version
set -euo pipefail
cd "$(dirname "$0")/.."

# The one pin of the 2.x build. 2.11.0's wheel is built with CUDA 13.0, cuDNN 9.19, NCCL 2.28:
# the versions of the CUDA toolkit on the project's machines, which provide the other libraries.
version=2.11.0
[ "${1:-}" = --version ] && { echo "$version"; exit 0; }

root=deps/libtorch-$version   # torch/, torchgen/, functorch/, nvidia/*/lib: site-packages' layout
downloads=deps/downloads
pins=scripts/libtorch2.sha256
# An install without torch/__init__.py holds only the C++ half of the wheel: unpack it again.
if [ -f "$root/.complete" ] && [ -f "$root/torch/__init__.py" ]; then
  echo "$PWD/$root/torch"
  exit 0
fi

say() { echo "libtorch2: $*" >&2; }
die() { say "$*"; exit 1; }
command -v python3 >/dev/null || die "needs python3 (with pip) to download the torch wheel"
python3 -m pip --version >/dev/null 2>&1 ||
  die "needs pip: apt-get install python3-pip (only to download; nothing is installed into Python)"

# The wheel's C++ parts are the same for every Python version: ask for one explicitly so the
# download does not depend on the local Python.
pip_download() {
  python3 -m pip download --quiet --no-cache-dir --only-binary=:all: --implementation cp \
    --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$downloads" "$@"
}
mkdir -p "$downloads"
say "downloading torch==$version from PyPI (about 530 MB)"
pip_download --no-deps "torch==$version" || die "cannot download torch==$version from PyPI"
wheels=("$downloads"/torch-"$version"-*.whl)
[ -f "${wheels[0]}" ] || die "pip left no torch-$version wheel in $downloads"
wheel=${wheels[0]}

# The companion libraries, at the exact versions the wheel itself requires (from its METADATA).
mapfile -t companions < <(python3 - "$wheel" <<'EOF'
import re, sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
for line in wheel.read(meta).decode().splitlines():
    m = re.match(r"Requires-Dist: (nvidia-cusparselt-cu\d+|nvidia-nvshmem-cu\d+)==([\w.]+)", line)
    if m:
        print(f"{m[1]}=={m[2]}")
    m = re.match(r"Requires-Dist: cuda-toolkit\[[^\]]*\bcufile\b[^\]]*\]==([\w.]+)", line)
    if m:  # cuFile comes through the cuda-toolkit meta-package's extra
        print(f"cuda-toolkit[cufile]=={m[1]}")
EOF
)
[ ${#companions[@]} = 3 ] || die "$wheel: expected cuSPARSELt, NVSHMEM and cuFile requirements, found: ${companions[*]:-none}"
say "downloading ${companions[*]}"
for c in "${companions[@]}"; do
  # With its dependencies: cuda-toolkit[cufile] is a meta-package that brings nvidia-cufile.
  pip_download "$c" || die "cannot download $c from PyPI"
done
# Only wheels pinned in $pins, each with its pinned sha256 (one line naming the file otherwise).
scripts/verify_sha256.sh "$pins" "$downloads"/*.whl || exit 1

say "unpacking into $root"
rm -rf "$root.partial"
python3 - "$root.partial" "$wheel" "$downloads" "${companions[@]}" <<'EOF' ||
import glob, re, sys, zipfile
dest, torch_wheel, downloads, *companions = sys.argv[1:]

def unpack(wheel, keep):
    try:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(dest, [n for n in z.namelist() if keep(n)])
    except (zipfile.BadZipFile, OSError) as e:
        sys.exit(f"{wheel}: {e} (a damaged download? delete it and run again)")

# All of it: the C++ build reads torch/{include,lib,share}, the venv's Python the rest.
unpack(torch_wheel, lambda n: True)
for c in companions:
    project, version = re.sub(r"\[.*\]", "", c).split("==")
    if project == "cuda-toolkit":  # a meta-package: the library is in nvidia-cufile
        project, version = "nvidia-cufile", "*"
    wheels = sorted(glob.glob(f"{downloads}/{project.replace('-', '_')}-{version}-*.whl"))
    if not wheels:
        sys.exit(f"no wheel for {c} in {downloads}")
    unpack(wheels[-1], lambda n: re.match(r"nvidia/[^/]+/lib/[^/]+\.so[.\d]*$", n))
EOF
  die "unpacking failed"

# The rest (cuDNN, cuBLAS, NCCL, ...) must come from a CUDA 13 toolkit on the loader's path.
missing=$(ldd "$root.partial/torch/lib/libtorch_cuda.so" | awk '/not found/ {print $1}' | tr '\n' ' ')
[ -z "$missing" ] || die "LibTorch $version needs these CUDA 13 libraries, not found: $missing(install the CUDA toolkit 13.0 with cuDNN 9 and NCCL 2, or add their folder to LD_LIBRARY_PATH)"

rm -rf "$root"
mv "$root.partial" "$root"
touch "$root/.complete"
rm -rf "$downloads"  # nothing reads the wheels again: the venv imports the unpacked copy
say "done: $(du -sh "$root" | cut -f1) in $root"
echo "$PWD/$root/torch"
