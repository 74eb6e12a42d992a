"""Is MediaPipe's palm detector alone enough to see a hand over the face? A probe on real recordings
(issue #16), a step towards running it in the kiosk.

`hand_over_face.py` ran MediaPipe's whole hand tracker (palm detection, then 21 hand landmarks) and
found the hand over the actress's face on 170 of 171 covered frames. The kiosk would rather run only
the palm detector (one small network, no tracking) on its identity samples. This runs
`palm_detection_lite.tflite` and `palm_detection_full.tflite` from the mediapipe 0.10.14 wheel
(Apache-2.0) directly on the LiteRT interpreter, with this file's own decoding, written from the
published configuration of MediaPipe's palm detection graph (facts, not code):
- input 192×192 RGB in [0, 1], the frame letterboxed (aspect kept, zero borders);
- 2016 SSD anchors: strides 8, 16, 16, 16 on the 192 input with fixed anchor size, layers of equal stride
  merged: 24×24 cells × 2 anchors, then 12×12 cells × 6 anchors, centres at (cell + 0.5) / cells;
- per anchor 18 values: box centre x, y, width, height (pixels of the 192 input, relative to the anchor
  centre), then 7 keypoints (x, y); one logit, a palm when sigmoid ≥ 0.5 (logits clipped to ±100);
- weighted non-maximum suppression at IoU 0.3.
The face box comes from MediaPipe's face detector (full range), the last box seen standing in for a face
the hand hides. A palm is "on the face" when its box's centre lies inside the face box widened by a
quarter of its size. Nothing of this runs in the kiosk.

Prints per video and model: the frames with a palm on the face at MediaPipe's score 0.5 (covered and
others, and which were missed or flagged), the counts at scores 0.5, 0.6 and 0.7, and the time a frame.

Usage: PYTHON vision/probes/palm_only.py [VIDEO ...]
(PYTHON: the venv of hand_over_face.py, ~/.cache/jiuzhu/mp-venv, with
 `pip install --no-deps ai-edge-litert==2.3.0` added: mediapipe's own deps cover it)
"""
import os
import sys
import time

import cv2
import mediapipe as mp
import numpy as np
from ai_edge_litert.interpreter import Interpreter

# the labelled covered frames and the face box of the whole-tracker probe (same directory)
from hand_over_face import COVER, face_box

SIZE = 192
# palm scores reported (MediaPipe's own threshold is 0.5)
SWEEP = (0.5, 0.6, 0.7)


def anchors():
    out = []
    for cells, per in ((24, 2), (12, 6)):
        for y in range(cells):
            for x in range(cells):
                out.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per)
    a = np.array(out, np.float32)
    assert a.shape == (2016, 2)
    return a


ANCHORS = anchors()


def letterbox(rgb):
    """The frame scaled into SIZE×SIZE, aspect kept, zero borders; returns (input, scale, pad_x, pad_y)
    with frame = (input - pad) / scale."""
    h, w = rgb.shape[:2]
    s = SIZE / max(w, h)
    nw, nh = round(w * s), round(h * s)
    img = np.zeros((SIZE, SIZE, 3), np.float32)
    px, py = (SIZE - nw) // 2, (SIZE - nh) // 2
    img[py:py + nh, px:px + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA) / 255.0
    return img, s, px, py


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def palms(interp, rgb, min_score=0.5):
    """Palm boxes (x0, y0, x1, y1, score) in frame pixels."""
    img, s, px, py = letterbox(rgb)
    inp = interp.get_input_details()[0]["index"]
    interp.set_tensor(inp, img[None])
    interp.invoke()
    outs = {d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}
    reg = next(v for v in outs.values() if v.shape[-1] == 18)[0]
    logit = next(v for v in outs.values() if v.shape[-1] == 1)[0, :, 0]
    score = 1 / (1 + np.exp(-np.clip(logit, -100, 100)))
    keep = np.nonzero(score >= min_score)[0]
    dets = []
    for i in keep:
        cx = reg[i, 0] / SIZE + ANCHORS[i, 0]
        cy = reg[i, 1] / SIZE + ANCHORS[i, 1]
        w, h = reg[i, 2] / SIZE, reg[i, 3] / SIZE
        box = [(cx - w / 2) * SIZE, (cy - h / 2) * SIZE, (cx + w / 2) * SIZE, (cy + h / 2) * SIZE]
        box = [(box[0] - px) / s, (box[1] - py) / s, (box[2] - px) / s, (box[3] - py) / s]
        dets.append((box, float(score[i])))
    dets.sort(key=lambda d: -d[1])
    out = []
    while dets:
        head, rest = dets[0], dets[1:]
        group = [head] + [d for d in rest if iou(head[0], d[0]) > 0.3]
        dets = [d for d in rest if iou(head[0], d[0]) <= 0.3]
        wsum = sum(d[1] for d in group)
        box = [sum(d[0][k] * d[1] for d in group) / wsum for k in range(4)]
        out.append((*box, head[1]))
    return out


def on_face(p, box):
    bw, bh = box[2] - box[0], box[3] - box[1]
    cx, cy = (p[0] + p[2]) / 2, (p[1] + p[3]) / 2
    return box[0] - bw / 4 <= cx <= box[2] + bw / 4 and box[1] - bh / 4 <= cy <= box[3] + bh / 4


def probe(path, models):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    cover = COVER.get(os.path.basename(path), (-1, -2))
    interps = {}
    for name, m in models.items():
        it = Interpreter(model_path=m, num_threads=1)
        it.allocate_tensors()
        interps[name] = it
    res = {n: {"in": [0, 0], "out": [0, 0], "missed": [], "false": [], "ms": 0.0, "scores": ([], [])}
           for n in interps}
    last = None
    with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5) as faces:
        frame = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            h, w = bgr.shape[:2]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            box = face_box(faces.process(rgb).detections, w, h)
            if box is not None:
                last = box
            covered = cover[0] <= frame <= cover[1]
            for n, it in interps.items():
                t0 = time.perf_counter()
                found = palms(it, rgb, SWEEP[0])
                res[n]["ms"] += (time.perf_counter() - t0) * 1e3
                score = max([p[4] for p in found if last is not None and on_face(p, last)] or [0.0])
                res[n]["scores"][0 if covered else 1].append(score)
                hit = score >= 0.5
                c = res[n]["in" if covered else "out"]
                c[0] += 1
                c[1] += hit
                if covered and not hit:
                    res[n]["missed"].append(frame)
                if not covered and hit:
                    res[n]["false"].append(frame)
            frame += 1
    for n, r in res.items():
        print(
            f"{os.path.basename(path)} {n}: covered {r['in'][1]}/{r['in'][0]} frames with a palm on the face; "
            f"others {r['out'][1]}/{r['out'][0]}; {r['ms'] / max(frame, 1):.1f} ms a frame (letterbox + net + decode)"
        )
        print(f"  missed covered frames: {compress(r['missed'])}; flagged others: {compress(r['false'])}")
        ins, outs = (np.array(v) for v in r["scores"])
        print("  by palm score: " + "; ".join(
            f">= {t}: covered {(ins >= t).sum()}/{len(ins)}, others {(outs >= t).sum()}/{len(outs)}" for t in SWEEP
        ))


def compress(frames):
    if not frames:
        return "none"
    out, start, prev = [], frames[0], frames[0]
    for f in frames[1:] + [None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(out)


def main():
    cache = os.environ.get("JIUZHU_MODELS", os.path.expanduser("~/.cache/jiuzhu/models"))
    mdir = os.path.join(os.path.dirname(mp.__file__), "modules", "palm_detection")
    models = {n: os.path.join(mdir, f"palm_detection_{n}.tflite") for n in ("lite", "full")}
    paths = sys.argv[1:] or [
        os.path.join(cache, "testdata", "pyfeat_WolfgangLanger_Pexels.mp4"),
        os.path.join(cache, "testdata", "pyfeat_single_face.mp4"),
    ]
    for p in paths:
        probe(p, models)


if __name__ == "__main__":
    main()
