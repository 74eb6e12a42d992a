"""FaceNet's (or any model's) false accepts and confirmed genuine pairs at given cosine thresholds, on all pairs
and on the two halves of split.py's population split (A: mostly non-East-Asian; B: East Asian-heavy; X: pairs
across the halves), as vision/README.md's confirm-threshold table gives them. Also prints the East Asian half's
genuine photo pair and its five highest impostors.
Usage: /usr/bin/python3 confirm.py emb_all.npz labels.tsv facenet 0.60 0.687 0.77"""
import itertools, sys
import numpy as np
from labels_tsv import read_labels
emb = np.load(sys.argv[1]); ids = list(emb["ids"]); lab = read_labels(sys.argv[2]); key = sys.argv[3]; ts = [float(x) for x in sys.argv[4:]]
A_POP = ("data_faceapi", "data_facerec", "data_insightface", "data_pyfeat", "data_human", "data_frames_WolfgangLanger", "data_celeb5")
half = lambda f: "A" if f.startswith(A_POP) else "B"
photo = lambda f: f.rsplit("#", 1)[0]
use = [i for i, f in enumerate(ids) if f in lab]
E = emb[key]; E = E / np.linalg.norm(E, axis=1, keepdims=True)
rows = []
for a, b in itertools.combinations(use, 2):
    fa, fb = ids[a], ids[b]; (la, ca), (lb, cb) = lab[fa], lab[fb]
    if la != lb and ca != "-" and ca == cb and photo(fa) != photo(fb): continue
    kind = "imp" if la != lb else ("gv" if fa.startswith("data_frames_") and fb.startswith("data_frames_") else "gp")
    h = half(fa) if half(fa) == half(fb) else "X"
    rows.append((float(E[a] @ E[b]), kind, h, fa, fb))
for t in ts:
    c = lambda k, h=None: sum(1 for s, kk, hh, *_ in rows if kk == k and (h is None or hh == h) and s >= t)
    n = lambda k, h=None: sum(1 for s, kk, hh, *_ in rows if kk == k and (h is None or hh == h))
    print(f"t {t}: imp all {c('imp')}/{n('imp')}, A {c('imp','A')}/{n('imp','A')}, B {c('imp','B')}/{n('imp','B')}, X {c('imp','X')}/{n('imp','X')};"
          f" genuine photo accepted {c('gp')}/{n('gp')} (A {c('gp','A')}/{n('gp','A')}, B {c('gp','B')}/{n('gp','B')}), video {c('gv')}/{n('gv')}")
print("B genuine photo pairs:", [(round(s,3), fa, fb) for s, k, h, fa, fb in rows if k == "gp" and h == "B"])
print("top B impostors:", sorted([(round(s,3), fa, fb) for s, k, h, fa, fb in rows if k == "imp" and h == "B"], reverse=True)[:5])
