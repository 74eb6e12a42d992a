#!/usr/bin/env bash
# Builds the Debian packages and checks them: file lists, control fields, conffiles, maintainer
# scripts (sh -n), the udev rules, and `systemd-analyze verify` of the units with the packaged
# binaries. Used by `make test`:  packaging/check-deb.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-debug}"
mapfile -t DEBS < <(bash packaging/build-deb.sh "$PROFILE" | grep '\.deb$')
fail() { echo "check-deb: $*" >&2; exit 1; }
[ "${#DEBS[@]}" -eq 2 ] || fail "expected 2 packages, got ${#DEBS[@]}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for deb in "${DEBS[@]}"; do
    pkg="$(dpkg-deb -f "$deb" Package)"
    dpkg-deb -x "$deb" "$WORK/$pkg"
    dpkg-deb -e "$deb" "$WORK/$pkg/DEBIAN"
    for field in Package Version Architecture Maintainer Depends Description; do
        [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "$pkg: control field $field is empty"
    done
    [ -x "$WORK/$pkg/usr/bin/$pkg" ] || fail "$pkg: /usr/bin/$pkg missing"
    [ -f "$WORK/$pkg/lib/systemd/system/$pkg.service" ] || fail "$pkg: unit missing"
    for s in postinst prerm postrm; do
        [ -x "$WORK/$pkg/DEBIAN/$s" ] || fail "$pkg: $s missing or not executable"
        sh -n "$WORK/$pkg/DEBIAN/$s" || fail "$pkg: $s has a syntax error"
    done
    # The unit, pointed at the packaged binaries, must pass systemd's own checks.
    sed -e "s#/usr/bin/$pkg#$WORK/$pkg/usr/bin/$pkg#g" "$WORK/$pkg/lib/systemd/system/$pkg.service" \
        > "$WORK/$pkg.service"
    out="$(systemd-analyze verify --man=no "$WORK/$pkg.service" 2>&1 || true)"
    if [ -n "$out" ]; then
        echo "$out" >&2
        fail "$pkg: systemd-analyze verify reported problems"
    fi
    echo "check-deb: $deb ok ($(dpkg-deb -c "$deb" | wc -l) entries)"
done

k="$WORK/jiuzhu-kiosk"
grep -qx /etc/jiuzhu/kiosk.toml "$k/DEBIAN/conffiles" || fail "kiosk.toml is not a conffile"
"$k/usr/bin/jiuzhu-kiosk" config check --file "$k/etc/jiuzhu/kiosk.toml" >/dev/null || fail "packaged kiosk.toml is invalid"
rules="$k/lib/udev/rules.d/60-jiuzhu.rules"
[ -f "$rules" ] || fail "udev rules missing"
grep -q 'GROUP="jiuzhu", MODE="0660"' "$rules" || fail "udev rules do not restrict to group jiuzhu"
! grep -q '0666' "$rules" || fail "udev rules make a device world-writable"
if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
    udevadm verify "$rules" || fail "udevadm verify rejected the rules"
fi
diff <("$k/usr/bin/jiuzhu-kiosk" packaging udev-rules) "$rules" >/dev/null \
    || fail "packaging/udev/60-jiuzhu.rules is stale: regenerate with jiuzhu-kiosk packaging udev-rules"
# The models and the ONNX Runtime library the installed kiosk loads (ModelPaths finds
# /usr/share/jiuzhu/models): the packaged binary enrols the registry photo with exactly these files.
MODELS="${JIUZHU_MODELS:-$HOME/.cache/jiuzhu/models}"
pm="$k/usr/share/jiuzhu/models"
if [ -d "$pm" ]; then
    lib="$(sed -n 's/^\(libonnxruntime\.so\.[^\t]*\)\t.*/\1/p' models/manifest.tsv)"
    [ -n "$lib" ] && [ -f "$pm/$lib" ] || fail "the package lacks the ONNX Runtime library ${lib:-?} of models/manifest.tsv"
    grep -q " $lib\$" "$pm/SHA256SUMS" || fail "$lib is not in the package's SHA256SUMS"
    litert="$(sed -n 's/^\(libLiteRt\.so\.[^\t]*\)\t.*/\1/p' models/manifest.tsv)"
    [ -n "$litert" ] && [ -f "$pm/$litert" ] || fail "the package lacks the LiteRT library ${litert:-?} of models/manifest.tsv"
    grep -q " $litert\$" "$pm/SHA256SUMS" || fail "$litert is not in the package's SHA256SUMS"
    if [ -f "$MODELS/testdata/obama.jpg" ]; then
        for engine in litert onnxruntime; do
            JIUZHU_MODELS="$pm" JIUZHU_VISION_ENGINE=$engine "$k/usr/bin/jiuzhu-kiosk" vision enroll \
                --image "$MODELS/testdata/obama.jpg" --out "$WORK/face.json" >/dev/null 2>"$WORK/enroll.err" \
                || { cat "$WORK/enroll.err" >&2; fail "the packaged kiosk cannot run the face pipeline on $engine with the packaged models"; }
        done
    fi
    echo "check-deb: packaged models, $litert and $lib load and run"
fi
echo "check-deb: all checks passed"
