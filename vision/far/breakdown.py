"""Where do the false accepts come from? Impostor pairs at or above a threshold, grouped by the two faces'
sources (first path component after data/). Usage: /usr/bin/python3 breakdown.py emb_all.npz labels.tsv MODEL T"""
import collections, itertools, sys
import numpy as np
from labels_tsv import read_labels
emb = np.load(sys.argv[1]); ids = list(emb["ids"]); model, t = sys.argv[3], float(sys.argv[4])
x = emb[model] / np.linalg.norm(emb[model], axis=1, keepdims=True)
lab = read_labels(sys.argv[2])
src = lambda f: "video" if f.startswith("data_frames") else f.split("_")[1] + ("/" + f.split("_")[2].split("#")[0] if f.startswith(("data_vectron", "data_nsface")) else "")  # noqa: E731
tot, fa = collections.Counter(), collections.Counter()
for a, b in itertools.combinations([i for i, f in enumerate(ids) if f in lab], 2):
    fa_, fb_ = ids[a], ids[b]
    (la, ca), (lb, cb) = lab[fa_], lab[fb_]
    if la == lb or (ca != "-" and ca == cb and fa_.rsplit("#", 1)[0] != fb_.rsplit("#", 1)[0]):
        continue
    key = " x ".join(sorted([src(fa_), src(fb_)]))
    tot[key] += 1
    fa[key] += float(x[a] @ x[b]) >= t
for k, v in sorted(fa.items(), key=lambda kv: -kv[1]):
    if v:
        print(f"{v:3d} / {tot[k]:4d}  {k}")
print(f"total {sum(fa.values())} / {sum(tot.values())}")
