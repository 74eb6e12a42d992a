"""Python replica of the project's face pipeline (vision/src/detect.rs, mesh.rs, image.rs, embed.rs and the
tiling of vision/examples/far_report.rs), written for this measurement; runs Debian's OpenCV 4.6 `dnn`,
single-threaded. Written from reading the Rust code, not copied from anywhere else."""
import os

import cv2
import numpy as np

cv2.setNumThreads(1)
MODELS = os.path.expanduser("~/.cache/jiuzhu/models")

INPUT = 128
MIN_SCORE = 0.5
NMS_IOU = 0.3
ZOOM = 0.6


def anchors():
    out = []
    for fm, per in ((16, 2), (8, 6)):
        for y in range(fm):
            for x in range(fm):
                for _ in range(per):
                    out.append(((x + 0.5) / fm, (y + 0.5) / fm))
    return np.array(out, np.float32)


ANCHORS = anchors()


class Det:
    __slots__ = ("cx", "cy", "w", "h", "score", "kp")

    def __init__(self, cx, cy, w, h, score, kp):
        self.cx, self.cy, self.w, self.h, self.score, self.kp = cx, cy, w, h, score, kp

    def edges(self):
        return self.cx - self.w / 2, self.cy - self.h / 2, self.cx + self.w / 2, self.cy + self.h / 2

    def iou(self, o):
        ix = max(0.0, min(self.cx + self.w / 2, o.cx + o.w / 2) - max(self.cx - self.w / 2, o.cx - o.w / 2))
        iy = max(0.0, min(self.cy + self.h / 2, o.cy + o.h / 2) - max(self.cy - self.h / 2, o.cy - o.h / 2))
        inter = ix * iy
        union = self.w * self.h + o.w * o.h - inter
        return 0.0 if union <= 0 else inter / union

    def shifted(self, dx, dy):
        return Det(self.cx + dx, self.cy + dy, self.w, self.h, self.score, self.kp + np.array([dx, dy], np.float32))

    def scaled(self, s):
        return Det(self.cx * s, self.cy * s, self.w * s, self.h * s, self.score, self.kp * s)


def weighted_nms(dets, iou):
    dets = sorted(dets, key=lambda d: -d.score)
    out = []
    while dets:
        best = dets[0]
        group = [d for d in dets if d.iou(best) > iou]
        dets = [d for d in dets if not d.iou(best) > iou]
        tot = sum(d.score for d in group)
        avg = lambda f: sum(f(d) * d.score for d in group) / tot  # noqa: E731
        kp = sum(d.kp * d.score for d in group) / tot
        out.append(Det(avg(lambda d: d.cx), avg(lambda d: d.cy), avg(lambda d: d.w), avg(lambda d: d.h), best.score, kp))
    return out


class BlazeFace:
    def __init__(self):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(MODELS, "blazeface_short.onnx"))

    def _whole(self, bgr):
        h, w = bgr.shape[:2]
        side = max(w, h)
        sq = cv2.copyMakeBorder(bgr, 0, side - h, 0, side - w, cv2.BORDER_CONSTANT, value=0)
        blob = cv2.dnn.blobFromImage(sq, 1 / 127.5, (INPUT, INPUT), (127.5, 127.5, 127.5), True, False)
        self.net.setInput(blob)
        logits, regs = self.net.forward(["classificators", "regressors"])
        logits = logits.reshape(-1)
        regs = regs.reshape(-1, 16)
        score = 1 / (1 + np.exp(-np.clip(logits, -100, 100)))
        dets = []
        for i in np.nonzero(score >= MIN_SCORE)[0]:
            ax, ay = ANCHORS[i]
            r = regs[i] / INPUT
            kp = np.array([(ax + r[4 + 2 * k], ay + r[5 + 2 * k]) for k in range(6)], np.float32)
            dets.append(Det(ax + r[0], ay + r[1], r[2], r[3], float(score[i]), kp))
        return [d.scaled(side) for d in weighted_nms(dets, NMS_IOU)]

    def detect(self, bgr):
        found = self._whole(bgr)
        h, w = bgr.shape[:2]
        side = int(min(w, h) * ZOOM)
        if found or side < 2 * INPUT:
            return found
        x0, y0 = (w - side) // 2, (h - side) // 2
        return [d.shifted(x0, y0) for d in self._whole(bgr[y0:y0 + side, x0:x0 + side].copy())]


def square_crop(img, cx, cy, side, size):
    k = size / max(side, 1.0)
    tx, ty = size / 2 - k * cx, size / 2 - k * cy
    m = np.array([[k, 0, tx], [0, k, ty]], np.float64)
    return cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


class FaceMesh:
    def __init__(self):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(MODELS, "face_mesh.onnx"))

    def score(self, bgr, cx, cy, side):
        crop = square_crop(bgr, cx, cy, side, 192)
        self.net.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0, (192, 192), (0, 0, 0), True, False))
        _, logit = self.net.forward(["conv2d_20", "conv2d_30"])
        return float(1 / (1 + np.exp(-np.clip(logit.reshape(-1)[0], -100, 100))))


class FaceNet:
    """vision/src/embed.rs: 160x160 crop of 1.3x the box's longer side, prewhitened, L2-normalised."""

    def __init__(self):
        self.net = cv2.dnn.readNetFromTensorflow(os.path.join(MODELS, "facenet.pb"))

    def embed(self, bgr, d):
        side = max(d.w, d.h) * 1.3
        crop = square_crop(bgr, d.cx, d.cy, side, 160).astype(np.float32)
        mean, std = float(crop.mean()), float(crop.std())
        adj = max(std, 1.0 / np.sqrt(160 * 160 * 3))
        blob = cv2.dnn.blobFromImage(crop, 1.0 / adj, (160, 160), (mean, mean, mean), True, False)
        self.net.setInput(blob)
        v = self.net.forward().reshape(-1).astype(np.float64)
        return v / np.linalg.norm(v)


TILES = (384, 768, 1536)
MIN_MESH_SCORE = 0.5
MIN_FACE_PX = 48.0


def tiled_faces(det, mesh, bgr):
    """vision/examples/far_report.rs `faces`: every face of a group photo."""
    h, w = bgr.shape[:2]
    allf = []
    for ts in TILES:
        stride = ts // 2
        y = 0
        while True:
            x = 0
            th = min(ts, h - y)
            while True:
                tw = min(ts, w - x)
                tile = bgr[y:y + th, x:x + tw].copy()
                for d in det.detect(tile):
                    l, t, r, b = d.edges()
                    cut = (l < 1 and x > 0) or (t < 1 and y > 0) or (r > tw - 1 and x + tw < w) or (b > th - 1 and y + th < h)
                    if not cut:
                        allf.append(d.shifted(x, y))
                if x + tw >= w:
                    break
                x += stride
            if y + th >= h:
                break
            y += stride
    out = []
    for d in weighted_nms(allf, 0.3):
        if d.w < MIN_FACE_PX:
            continue
        if mesh.score(bgr, d.cx, d.cy, max(d.w, d.h) * 1.5) < MIN_MESH_SCORE:
            continue
        l, t, r, b = d.edges()
        if l >= 0 and t >= 0 and r <= w and b <= h:
            out.append(d)
    return out


def listed_images(tsvs, det, mesh):
    """The images listed in `tsvs` (lines `path<TAB>mode`, `#` comments; modes as `find_faces`), in order:
    yields (path, stem, image, faces). A face's id is f"{stem}#{k}", k its index in `faces` (labels.tsv)."""
    for tsv in tsvs:
        for ln in open(tsv):
            if not ln.strip() or ln.startswith("#"):
                continue
            path, mode = ln.rstrip("\n").split("\t")
            bgr = cv2.imread(path, cv2.IMREAD_COLOR)
            if bgr is None:
                raise SystemExit(f"{tsv}: cannot read {path}")
            yield path, path.replace("/", "_").rsplit(".", 1)[0], bgr, find_faces(det, mesh, bgr, mode)


def find_faces(det, mesh, bgr, mode):
    """Faces of one image for the evaluation scripts. `group`: every face (tiled_faces); `single`: the first
    detection of `detect()` (as cli.rs embed_photo); `only1`: that detection only when `detect()` finds exactly
    one face (images of a named person that may show other people too)."""
    if mode == "group":
        return tiled_faces(det, mesh, bgr)
    found = det.detect(bgr)
    if mode == "only1":
        return found if len(found) == 1 else []
    if mode == "single":
        return found[:1]
    raise ValueError(f"unknown mode {mode}")
