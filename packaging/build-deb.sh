#!/usr/bin/env bash
# Builds the Debian packages jiuzhu-kiosk and jiuzhu-central into out/deb/.
#   packaging/build-deb.sh [release|debug]      (default: release)
# The staging trees are assembled by hand and packed with dpkg-deb, so no extra tool is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-release}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
ARCH="$(dpkg --print-architecture)"
OUT="out/deb"
if [ "$PROFILE" = release ]; then
    cargo build --release -p jiuzhu-kiosk -p jiuzhu-central
else
    # The binaries `cargo test --workspace` builds (same features, so `make test` compiles nothing
    # again here; `cargo build -p …` would resolve other features and rebuild half the tree).
    cargo test --workspace --no-run
fi
BIN="$TARGET_DIR/$PROFILE"
rm -rf "$OUT" && mkdir -p "$OUT"

stage() { # package
    local pkg="$1" root="$OUT/$1"
    install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/doc/$pkg"
    sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" "packaging/deb/$pkg/control" > "$root/DEBIAN/control"
    for s in postinst prerm postrm conffiles; do
        if [ -f "packaging/deb/$pkg/$s" ]; then
            install -m "$([ "$s" = conffiles ] && echo 0644 || echo 0755)" "packaging/deb/$pkg/$s" "$root/DEBIAN/$s"
        fi
    done
    install -m 0755 "$BIN/$pkg" "$root/usr/bin/$pkg"
    install -m 0644 "packaging/systemd/$pkg.service" "$root/lib/systemd/system/$pkg.service"
    install -m 0644 README.md "$root/usr/share/doc/$pkg/README.md"
}

stage jiuzhu-kiosk
install -d "$OUT/jiuzhu-kiosk/etc/jiuzhu"
install -m 0640 packaging/kiosk.toml "$OUT/jiuzhu-kiosk/etc/jiuzhu/kiosk.toml"
if [ -f packaging/udev/60-jiuzhu.rules ]; then
    install -d "$OUT/jiuzhu-kiosk/lib/udev/rules.d"
    install -m 0644 packaging/udev/60-jiuzhu.rules "$OUT/jiuzhu-kiosk/lib/udev/rules.d/60-jiuzhu.rules"
fi
MODELS="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
if [ -f models/manifest.tsv ] && [ -d "$MODELS" ]; then
    # The fetched and converted models, LiteRT's library (ai-edge-litert wheel) and ONNX Runtime's
    # (onnxruntime wheel): the kiosk loads them from here at run time (Debian 12 packages neither), with
    # a SHA256SUMS that postinst checks on the kiosk.
    install -d "$OUT/jiuzhu-kiosk/usr/share/jiuzhu/models"
    (cd "$MODELS" && find . -maxdepth 1 -type f \( -name '*.onnx' -o -name '*.pb' -o -name '*.tflite' -o -name 'libonnxruntime.so.*' -o -name 'libLiteRt.so.*' \) -printf '%P\n' | sort) |
        while read -r f; do install -m 0644 "$MODELS/$f" "$OUT/jiuzhu-kiosk/usr/share/jiuzhu/models/$f"; done
    install -m 0644 models/manifest.tsv "$OUT/jiuzhu-kiosk/usr/share/jiuzhu/models/manifest.tsv"
    (cd "$OUT/jiuzhu-kiosk/usr/share/jiuzhu/models" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs -r sha256sum > SHA256SUMS)
fi
stage jiuzhu-central
# PostgreSQL for a city-wide central: the systemd drop-in and the database's setup, as examples
install -d "$OUT/jiuzhu-central/usr/share/doc/jiuzhu-central/examples"
install -m 0644 packaging/central/postgres.conf packaging/central/postgres-setup.sql \
    "$OUT/jiuzhu-central/usr/share/doc/jiuzhu-central/examples/"

for pkg in jiuzhu-kiosk jiuzhu-central; do
    (cd "$OUT/$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort | xargs -r md5sum) > "$OUT/$pkg/DEBIAN/md5sums"
    # debug builds are only for checking: compress fast
    dpkg-deb --root-owner-group $([ "$PROFILE" = debug ] && echo "-Zgzip -z1") --build "$OUT/$pkg" "$OUT/${pkg}_${VERSION}_${ARCH}.deb" >/dev/null
    echo "$OUT/${pkg}_${VERSION}_${ARCH}.deb"
done
