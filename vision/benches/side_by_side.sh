#!/bin/sh
# Our face pipeline (on LiteRT, the default engine, and on ONNX Runtime) and MediaPipe 0.10.14's
# FaceMesh on the same frame, one after the other in one run, each pinned to the same single core
# (taskset -c 0): vision/README.md, "Speed against MediaPipe".
#   sh vision/benches/side_by_side.sh [ROUNDS]
# Installs mediapipe==0.10.14 into ~/.cache/jiuzhu/mp-venv on first use (PyPI).
set -eu
rounds=${1:-3}
cache=${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}
venv=$HOME/.cache/jiuzhu/mp-venv
here=$(dirname "$0")
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mediapipe' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q mediapipe==0.10.14
fi
cargo bench -p jiuzhu-vision --bench pipeline --no-run
i=1
while [ "$i" -le "$rounds" ]; do
    echo "== round $i, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    taskset -c 0 cargo bench -p jiuzhu-vision --bench pipeline -- --measurement-time 4 \
        '^(litert|ort)/(detect_mesh_quality|tracked_mesh_quality)_640x480' 2>/dev/null |
        grep -E '^(litert|ort)/|time:'
    taskset -c 0 "$venv/bin/python" "$here/pipeline_mediapipe.py" "$cache"
    i=$((i + 1))
done
