"""Finds the faces of every image listed in images.tsv (columns: path, mode), embeds each with FaceNet the way
the Rust code does, writes crops (crops/<stem>-<k>.png) and faces.npz (ids, embeddings, boxes).
mode `group`: every face (far_report.rs tiling); mode `single`: the first detection of `detect()` (cli.rs
embed_photo). Usage: nice -n 19 env OMP_NUM_THREADS=1 /usr/bin/python3 faces.py images.tsv out_dir"""
import os
import sys

import cv2
import numpy as np

import jz

rows = [ln.rstrip("\n").split("\t") for ln in open(sys.argv[1]) if ln.strip() and not ln.startswith("#")]
out = sys.argv[2]
os.makedirs(os.path.join(out, "crops"), exist_ok=True)
det, mesh, net = jz.BlazeFace(), jz.FaceMesh(), jz.FaceNet()
ids, embs, boxes, kps = [], [], [], []
for path, mode in rows:
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        sys.exit(f"cannot read {path}")
    found = jz.find_faces(det, mesh, bgr, mode)
    stem = path.replace("/", "_").rsplit(".", 1)[0]
    for k, d in enumerate(found):
        fid = f"{stem}#{k}"
        ids.append(fid)
        embs.append(net.embed(bgr, d))
        boxes.append([d.cx, d.cy, d.w, d.h, d.score])
        kps.append(d.kp)
        l, t, r, b = (int(round(v)) for v in d.edges())
        crop = bgr[max(t, 0):b, max(l, 0):r]
        cv2.imwrite(os.path.join(out, "crops", f"{stem}-{k}.png"), cv2.resize(crop, (112, 112)))
    print(f"{path}: {len(found)} faces", flush=True)
np.savez(os.path.join(out, "faces.npz"), ids=np.array(ids), embs=np.array(embs), boxes=np.array(boxes), kps=np.array(kps))
print(len(ids), "faces")
