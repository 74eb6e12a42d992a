"""FaceNet variants on the same faces as evaluate.py: crop scale, eye-levelled rotation, flip average.
Writes fn_s<scale×10>_r<eyes levelled 0|1>_f<mirrored crop averaged 0|1> arrays into a copy of the embeddings file.
Usage: venv/bin/python fn_variants.py images.tsv ... in.npz out.npz"""
import math
import sys
import cv2
import numpy as np
import jz

*tsvs, inp, out = sys.argv[1:]
det, mesh, fn = jz.BlazeFace(), jz.FaceMesh(), jz.FaceNet()

def crop(bgr, d, scale, rot):
    side = max(d.w, d.h) * scale
    k = 160 / max(side, 1.0)
    ang = 0.0
    if rot:
        (rx, ry), (lx, ly) = d.kp[0], d.kp[1]
        ang = math.degrees(math.atan2(ly - ry, lx - rx))
    m = cv2.getRotationMatrix2D((float(d.cx), float(d.cy)), ang, k)
    m[0, 2] += 80 - d.cx
    m[1, 2] += 80 - d.cy
    return cv2.warpAffine(bgr, m, (160, 160), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

def emb(c):
    c = c.astype(np.float32)
    mean, std = float(c.mean()), float(c.std())
    adj = max(std, 1.0 / np.sqrt(160 * 160 * 3))
    fn.net.setInput(cv2.dnn.blobFromImage(c, 1.0 / adj, (160, 160), (mean, mean, mean), True, False))
    v = fn.net.forward().reshape(-1).astype(np.float64)
    return v / np.linalg.norm(v)

VARS = {}
for s in (1.1, 1.2, 1.3, 1.4, 1.5):
    for rot in (0, 1):
        for flip in (0, 1):
            VARS[f"fn_s{int(s*10)}_r{rot}_f{flip}"] = (s, rot, flip)
res = {k: [] for k in VARS}
ids = []
for _, stem, bgr, found in jz.listed_images(tsvs, det, mesh):
    for k, d in enumerate(found):
        ids.append(f"{stem}#{k}")
        cache = {}
        for name, (s, rot, flip) in VARS.items():
            key = (s, rot)
            if key not in cache:
                cache[key] = crop(bgr, d, s, rot)
            c = cache[key]
            v = emb(c)
            if flip:
                v = v + emb(cv2.flip(c, 1))
                v /= np.linalg.norm(v)
            res[name].append(v)
z = np.load(inp)
assert list(z["ids"]) == ids, (len(ids), len(z["ids"]))
d = {k: z[k] for k in z.files}
for k, v in res.items():
    d[k] = np.array(v)
np.savez(out, **d)
print(len(ids), "faces")
