"""FaceNet's (or any model's) false accepts and confirmed genuine pairs at given cosine thresholds, on all pairs
and on the two halves of split.py's population split (A: mostly non-East-Asian; B: East Asian-heavy; X: pairs
across the halves), as vision/README.md's confirm-threshold table gives them. Also prints the East Asian half's
genuine photo pair and its five highest impostors.
Usage: /usr/bin/python3 confirm.py emb_all.npz labels.tsv facenet 0.60 0.687 0.77"""
import sys

import numpy as np

from labels_tsv import read_labels
from pairs import pairs

emb = np.load(sys.argv[1]); ids = list(emb["ids"]); lab = read_labels(sys.argv[2]); key = sys.argv[3]; ts = [float(x) for x in sys.argv[4:]]
E = emb[key]; E = E / np.linalg.norm(E, axis=1, keepdims=True)
rows = [(float(E[a] @ E[b]), kind, h, ids[a], ids[b]) for a, b, kind, h in pairs(ids, lab)]
for t in ts:
    c = lambda k, h=None: sum(1 for s, kk, hh, *_ in rows if kk == k and (h is None or hh == h) and s >= t)
    n = lambda k, h=None: sum(1 for s, kk, hh, *_ in rows if kk == k and (h is None or hh == h))
    print(f"t {t}: imp all {c('imp')}/{n('imp')}, A {c('imp','A')}/{n('imp','A')}, B {c('imp','B')}/{n('imp','B')}, X {c('imp','X')}/{n('imp','X')};"
          f" genuine photo accepted {c('gp')}/{n('gp')} (A {c('gp','A')}/{n('gp','A')}, B {c('gp','B')}/{n('gp','B')}), video {c('gv')}/{n('gv')}")
print("B genuine photo pairs:", [(round(s,3), fa, fb) for s, k, h, fa, fb in rows if k == "gp" and h == "B"])
print("top B impostors:", sorted([(round(s,3), fa, fb) for s, k, h, fa, fb in rows if k == "imp" and h == "B"], reverse=True)[:5])
