"""Same models, same 640x480 frame, Python cv2 (Debian python3-opencv 4.6), one thread: the comparison for
vision/benches/pipeline.rs. Usage: /usr/bin/python3 vision/benches/pipeline_cv2.py [CACHE_DIR]"""
import os
import sys
import time

import cv2
import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/jiuzhu/models")
cv2.setNumThreads(1)
img = cv2.resize(cv2.imread(f"{d}/testdata/obama.jpg"), (384, 480), interpolation=cv2.INTER_AREA)
frame = np.full((480, 640, 3), 90, np.uint8)
frame[:, 128:512] = img
det = cv2.dnn.readNetFromONNX(f"{d}/blazeface_short.onnx")
mesh = cv2.dnn.readNetFromONNX(f"{d}/face_mesh.onnx")


def detect():
    sq = cv2.copyMakeBorder(frame, 0, 160, 0, 0, cv2.BORDER_CONSTANT)
    det.setInput(cv2.dnn.blobFromImage(sq, 1 / 127.5, (128, 128), (127.5, 127.5, 127.5), swapRB=True))
    return det.forward(["classificators", "regressors"])


def mesh_quality():
    m = np.float32([[192 / 300, 0, 96 - 192 / 300 * 320], [0, 192 / 300, 96 - 192 / 300 * 200]])
    crop = cv2.warpAffine(frame, m, (192, 192))
    mesh.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0, (192, 192), swapRB=True))
    pts, _ = mesh.forward(["conv2d_20", "conv2d_30"])
    g = cv2.cvtColor(cv2.resize(crop, (128, 128)), cv2.COLOR_BGR2GRAY)
    cv2.Laplacian(g, cv2.CV_64F).var()
    return pts


for name, f in [("detect_640x480", detect), ("tracked_mesh_quality_640x480", mesh_quality),
                ("detect_mesh_quality_640x480", lambda: (detect(), mesh_quality()))]:
    for _ in range(10):
        f()
    n, t0 = 200, time.perf_counter()
    for _ in range(n):
        f()
    print(f"python cv2 {name}: {(time.perf_counter() - t0) / n * 1000:.2f} ms/frame")
