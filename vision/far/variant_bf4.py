"""ArcFace w600k_mbf aligned with the BlazeFace detector's own keypoints only (eyes, nose tip, mouth centre;
no face mesh), for the same faces as evaluate.py. Adds `arcface_mbf_bf4` to an embeddings file.
Usage: nice -n 19 env OMP_NUM_THREADS=1 venv/bin/python variant_bf4.py images.tsv ... emb_all.npz"""
import sys
import cv2
import numpy as np
import jz
from evaluate import ARC_DST, ArcMbf, similarity

*tsvs, out = sys.argv[1:]
dst4 = np.vstack([ARC_DST[:3], ARC_DST[3:].mean(0)])
det, mesh, arc = jz.BlazeFace(), jz.FaceMesh(), ArcMbf()
ids, e = [], []
for _, stem, bgr, found in jz.listed_images(tsvs, det, mesh):
    for k, d in enumerate(found):
        ids.append(f"{stem}#{k}")
        m = similarity(d.kp[:4].astype(np.float64), dst4)
        face = cv2.warpAffine(bgr, m, (112, 112), flags=cv2.INTER_LINEAR, borderValue=0)
        blob = cv2.dnn.blobFromImage(face, 1 / 127.5, (112, 112), (127.5, 127.5, 127.5), True, False)
        v = arc.sess.run(None, {arc.inp: blob})[0].reshape(-1).astype(np.float64)
        e.append(v / np.linalg.norm(v))
z = np.load(out)
assert list(z["ids"]) == ids, "face ids differ from the embeddings file"
d = {k: z[k] for k in z.files}
d["arcface_mbf_bf4"] = np.array(e)
np.savez(out, **d)
print(len(ids), "faces")
