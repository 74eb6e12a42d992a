"""Genuine photo pairs per identity: FRR at given thresholds, and each identity's least alike pairs.
Usage: /usr/bin/python3 per_person.py emb_all.npz labels.tsv MODEL T1 [T2 ...]"""
import collections, itertools, sys
import numpy as np
from labels_tsv import read_labels
emb = np.load(sys.argv[1]); ids = list(emb["ids"]); model = sys.argv[3]; ts = [float(t) for t in sys.argv[4:]]
x = emb[model] / np.linalg.norm(emb[model], axis=1, keepdims=True)
lab = {f: l for f, (l, _) in read_labels(sys.argv[2]).items()}
by = collections.defaultdict(list)
for i, f in enumerate(ids):
    if f in lab and not f.startswith("data_frames_"):
        by[lab[f]].append(i)
for person, idx in sorted(by.items()):
    if len(idx) < 2:
        continue
    s = [(float(x[a] @ x[b]), ids[a], ids[b]) for a, b in itertools.combinations(idx, 2)]
    fr = " ".join(f"FRR@{t:.2f} {sum(v < t for v, _, _ in s)}/{len(s)}" for t in ts)
    print(f"{person:16s} {len(idx):3d} faces {len(s):4d} pairs  median {np.median([v for v, _, _ in s]):.3f}  {fr}")
    # the face most often in failing pairs
    worst = collections.Counter()
    for v, a, b in s:
        if v < ts[0]:
            worst[a] += 1; worst[b] += 1
    print("   most often below", ts[0], ":", ", ".join(f"{k.split('_')[-1][:40]} ({n})" for k, n in worst.most_common(3)))
