"""The peer the issue names: MediaPipe 0.10.14's FaceMesh (PyPI, TFLite with XNNPACK) on the same
640x480 frame as vision/benches/pipeline.rs (obama.jpg letterboxed on grey), one core (run it under
`taskset -c 0`, as vision/benches/side_by_side.sh does).

  detect_mesh_640x480   static_image_mode=True: the face detector and the mesh on every frame
  tracked_mesh_640x480  static_image_mode=False: the mesh tracked from the previous frame's landmarks

Usage: PYTHON vision/benches/pipeline_mediapipe.py [CACHE_DIR] (PYTHON: a venv with mediapipe==0.10.14)."""
import os
import sys
import time

import cv2
import mediapipe as mp
import numpy as np

d = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/jiuzhu/models")
img = cv2.resize(cv2.imread(f"{d}/testdata/obama.jpg"), (384, 480), interpolation=cv2.INTER_AREA)
frame = np.full((480, 640, 3), 90, np.uint8)
frame[:, 128:512] = img
rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

print(f"mediapipe {mp.__version__}")
for name, static in [("detect_mesh_640x480", True), ("tracked_mesh_640x480", False)]:
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=static, max_num_faces=1, refine_landmarks=False
    ) as fm:
        for _ in range(20):
            out = fm.process(rgb)
        if not out.multi_face_landmarks:
            sys.exit(f"{name}: MediaPipe found no face in the frame")
        n, t0 = 300, time.perf_counter()
        for _ in range(n):
            fm.process(rgb)
        print(f"mediapipe {name}: {(time.perf_counter() - t0) / n * 1000:.2f} ms/frame")
