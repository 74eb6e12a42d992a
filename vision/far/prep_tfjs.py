"""Face crops for Human's TF.js embedding models (run by hm/run.js), one raw float32 NHWC RGB file per
variant, for the same faces (same ids, same order) as evaluate.py.

- c224_tight: eye-levelled square crop, side 1.0 x the BlazeFace box's longer side, 224x224, 0..255
- c224_loose: the same with side 1.3 x (the FaceNet crop, rotated so that the eyes are level), 0..255
- a112: the ArcFace five-point aligned 112x112 crop (evaluate.py), values 0..1
Usage: nice -n 19 env OMP_NUM_THREADS=1 venv/bin/python prep_tfjs.py images.tsv ... outdir
"""
import os
import sys

import cv2
import numpy as np

import jz
from evaluate import ARC_DST, Mesh, five_points, similarity


def eye_level_crop(bgr, pts5, cx, cy, side, size):
    (rx, ry), (lx, ly) = pts5[0], pts5[1]
    ang = np.degrees(np.arctan2(ly - ry, lx - rx))
    k = size / side
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), float(ang), float(k))
    m[0, 2] += size / 2 - cx
    m[1, 2] += size / 2 - cy
    return cv2.warpAffine(bgr, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)


def main():
    *tsvs, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    det, mesh = jz.BlazeFace(), Mesh()
    ids, var = [], {"c224_tight": [], "c224_loose": [], "a112": []}
    rgb = lambda im: cv2.cvtColor(im, cv2.COLOR_BGR2RGB).astype(np.float32)  # noqa: E731
    for _, stem, bgr, found in jz.listed_images(tsvs, det, mesh):
        for k, d in enumerate(found):
            ids.append(f"{stem}#{k}")
            p5 = five_points(mesh.points(bgr, d.cx, d.cy, max(d.w, d.h) * 1.5))
            side = max(d.w, d.h)
            var["c224_tight"].append(rgb(eye_level_crop(bgr, p5, d.cx, d.cy, side, 224)))
            var["c224_loose"].append(rgb(eye_level_crop(bgr, p5, d.cx, d.cy, side * 1.3, 224)))
            a = cv2.warpAffine(bgr, similarity(p5, ARC_DST), (112, 112), flags=cv2.INTER_LINEAR, borderValue=0)
            var["a112"].append(rgb(a) / 255.0)
    for name, arr in var.items():
        a = np.ascontiguousarray(np.stack(arr).astype(np.float32))
        a.tofile(os.path.join(out, f"{name}.f32"))
        print(name, a.shape)
    with open(os.path.join(out, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()
