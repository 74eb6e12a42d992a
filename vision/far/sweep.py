"""For every embedding in an npz (or those whose names start with one of PREFIXES): the loosest threshold with
false accepts <= 0.1 % of all impostor pairs and the genuine pairs it rejects; then the threshold chosen on the
East Asian-heavy half B (its highest impostor) and what it gives on the other half A and on all pairs.
Scores are cosines (dlib's distances come out reversed: read score.py for dlib).
Usage: /usr/bin/python3 sweep.py emb.npz labels.tsv [PREFIX,PREFIX...]   e.g. fn_,facenet after fn_variants.py"""
import sys

import numpy as np

from labels_tsv import read_labels
from pairs import pairs

emb = np.load(sys.argv[1]); ids = list(emb["ids"]); lab = read_labels(sys.argv[2])
keys = [k for k in emb.files if k != "ids" and (len(sys.argv) < 4 or k.startswith(tuple(sys.argv[3].split(","))))]
P = pairs(ids, lab)
def loosest(imp):
    s = np.sort(imp)[::-1]; n = int(len(s) * 0.001)
    return s[n] + 1e-6 if n < len(s) else -1
print(f"pairs: imp {sum(p[2]=='imp' for p in P)}, gp {sum(p[2]=='gp' for p in P)}, gv {sum(p[2]=='gv' for p in P)}")
for k in keys:
    E = emb[k]
    if E.ndim != 2: continue
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    s = np.array([float(E[a] @ E[b]) for a, b, _, _ in P])
    kind = np.array([p[2] for p in P]); h = np.array([p[3] for p in P])
    imp, gp, gv = s[kind == "imp"], s[kind == "gp"], s[kind == "gv"]
    t = loosest(imp)
    # chosen on B (East Asian heavy) with zero false accept, reported on A
    tb = s[(kind == "imp") & (h == "B")].max() + 1e-6
    fa_a = ((s >= tb) & (kind == "imp") & (h == "A")).sum(); n_a = ((kind == "imp") & (h == "A")).sum()
    gpa = (kind == "gp") & (h == "A")
    print(f"{k:28s} t={t:.3f} FA {int((imp>=t).sum())}/{len(imp)} FRR photo {100*(gp<t).mean():5.1f}% video {int((gv<t).sum())}/{len(gv)}"
          f" | B-max {tb:.3f}: A FA {fa_a}/{n_a}, A FRR photo {100*(s[gpa]<tb).mean():5.1f}%, all FRR photo {100*(gp<tb).mean():5.1f}% video {int((gv<tb).sum())}")
