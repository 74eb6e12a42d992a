#!/usr/bin/env bash
# `make run`: a local central service with demo data, and the kiosk on simulated devices.
# State lives in out/run/ (delete it to start over). The central service stops when the kiosk exits.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="${JIUZHU_RUN_DIR:-$PWD/out/run}"
PORT="${JIUZHU_CENTRAL_PORT:-8640}"
URL="http://127.0.0.1:$PORT"
TOWNSHIP=500102900   # the demo township of `jiuzhu-central seed-demo`

cargo build -p jiuzhu-kiosk -p jiuzhu-central
BIN="${CARGO_TARGET_DIR:-target}/debug"
mkdir -p "$RUN"
chmod 700 "$RUN"
# The central service's keys (audit chain, personal data, district key) live apart from its
# database; kept when out/run/ is deleted to start over.
export JIUZHU_CENTRAL_KEYS_DIR="${JIUZHU_CENTRAL_KEYS_DIR:-$PWD/out/central-keys}"
if [ -f "$RUN/central.db.district-key" ] && [ ! -f "$JIUZHU_CENTRAL_KEYS_DIR/district.key" ]; then
    # a run from before the keys directory: its district key moves there
    mkdir -p -m 700 "$JIUZHU_CENTRAL_KEYS_DIR"
    mv "$RUN/central.db.district-key" "$JIUZHU_CENTRAL_KEYS_DIR/district.key"
fi

if [ ! -f "$RUN/kiosk.key" ]; then
    "$BIN/jiuzhu-kiosk" enroll --central "$URL" --township "$TOWNSHIP" --key-file "$RUN/kiosk.key" >/dev/null
fi
if [ ! -f "$RUN/central.db" ]; then
    "$BIN/jiuzhu-central" seed-demo --db "$RUN/central.db"
    KIOSK_ID="$(cat "$RUN/kiosk.id" 2>/dev/null || true)"
    if [ -n "$KIOSK_ID" ]; then
        "$BIN/jiuzhu-central" kiosk add --db "$RUN/central.db" --township "$TOWNSHIP" \
            --name "$KIOSK_ID" --pubkey "$RUN/kiosk.pub"
    fi
    # The demo residents whose cards the ID-card simulator holds get a fingerprint enrolled from
    # the fingerprint simulator (through the real R30x driver), as a township office would.
    for pair in 500102195805202427:p1_1 500102194110020032:p2_1 500102194603081546:gen-1; do
        id="${pair%%:*}"; finger="${pair##*:}"
        "$BIN/jiuzhu-kiosk" devices fingerprint --sim "$finger" enroll --out "$RUN/$finger.tpl" >/dev/null
        "$BIN/jiuzhu-central" template import --db "$RUN/central.db" --id-number "$id" \
            --modality fingerprint --file "$RUN/$finger.tpl"
        rm -f "$RUN/$finger.tpl"
    done
    # Face references, enrolled from registry photos. The simulated camera shows a man rendered
    # from obama2.jpg. 陈淑芬 and 谭永贵 (seed-demo registers him as 王德福's guardian) are
    # enrolled from that same photo: FaceNet gives 0.90-0.91, the face alone confirms them, and the
    # guardian's check passes before the on-site photo of 王德福 is taken. 王德福 himself is enrolled
    # from another photo of the same man (obama.jpg): 0.61-0.68, live but under FaceNet's confirm
    # threshold 0.77 (false accepts <= 0.1 %), so his own face check asks for his fingerprint
    # (p2_1), as it would for most residents on the default FaceNet (vision/README.md).
    MODELS="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
    for photo in obama2.jpg obama.jpg; do
        "$BIN/jiuzhu-kiosk" vision enroll --image "$MODELS/testdata/$photo" --out "$RUN/face-$photo.json" >/dev/null
    done
    for pair in 500102195805202427:obama2.jpg 500102193706110018:obama2.jpg 500102194110020032:obama.jpg; do
        id="${pair%%:*}"; photo="${pair##*:}"
        "$BIN/jiuzhu-central" template import --db "$RUN/central.db" --id-number "$id" \
            --modality face --file "$RUN/face-$photo.json"
    done
    rm -f "$RUN"/face-*.json
fi

bash packaging/local-config.sh "$RUN" "$URL" "$TOWNSHIP" > "$RUN/kiosk.toml"

"$BIN/jiuzhu-central" serve --db "$RUN/central.db" --listen "127.0.0.1:$PORT" > "$RUN/central.log" 2>&1 &
CENTRAL=$!
trap 'kill $CENTRAL 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
echo "central service: $URL (log: $RUN/central.log)"

KIOSK_ARGS=(run)
if "$BIN/jiuzhu-kiosk" run --help | grep -q -- '--config'; then
    KIOSK_ARGS+=(--config "$RUN/kiosk.toml")
fi
"$BIN/jiuzhu-kiosk" "${KIOSK_ARGS[@]}" "$@"
