"""Functional check of the converted models: known input -> recorded output, with Debian's OpenCV 4.6;
and of the ONNX Runtime library (loaded with ctypes; detector and the PRelu-rewritten mesh run through its C
API, compared with OpenCV).

tflite2onnx output is not byte-identical between runs, so the converted files are checked by what they
compute on the registry test photos rather than by hash. Usage: check.py CACHE_DIR [--print]
"""
import ctypes
import glob
import os
import sys

import cv2
import numpy as np

# Recorded with models/fetch.sh on OpenCV 4.6.0 (Debian 12); tolerances cover float reordering only.
EXPECTED = {
    "det_best_anchor": 109,
    "det_best_score": (0.9376, 0.005),
    "det_best_box": ([493.52, 279.05, 277.76], 1.0),
    "mesh_score_logit": (50.71, 0.5),
    "mesh_points": ([96.14, 109.29, -14.55, 95.9, 95.54, -29.51], 0.3),
    "cos_obama_obama2": (0.7628, 0.005),
    "cos_obama_biden": (0.3022, 0.005),
    "antispoof_obama": (0.5662, 0.005),
    "liveness_obama": (0.9902, 0.005),
}

# TF.js PAD models of npm @vladmandic/human: input 1x3xSxS RGB in 0..1 (the face box, as Human feeds them).
PAD = (("antispoof", 128), ("liveness", 32))


def fixed_input(h, w):
    """The fixed test pattern of models/tfjs2onnx.py, NCHW."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = [0.5 + 0.5 * np.sin(0.11 * x + 0.07 * y + 1.3 * c) * np.cos(0.05 * x - 0.13 * y + c) for c in range(3)]
    return np.stack(chans, 0)[None].astype(np.float32)


def pad_score(net, img, box, size):
    face = cv2.cvtColor(crop(img, box, 1.0, size), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    net.setInput(face.transpose(2, 0, 1)[None].copy())
    return float(net.forward().reshape(-1)[0])


def check_pad_reference(d):
    """OpenCV on the converted ONNX vs tfjs2onnx.py's numpy evaluation of the TF.js graph, same input."""
    bad = []
    for name, size in PAD:
        net = cv2.dnn.readNetFromONNX(f"{d}/{name}.onnx")
        net.setInput(fixed_input(size, size))
        got = net.forward().reshape(-1)
        with open(f"{d}/{name}.expect.txt") as f:
            want = np.array([float(v) for v in f.read().split()])
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-4):
            bad.append(f"{name}: OpenCV computes {got}, the TF.js graph {want}")
    return bad


def load(d, name):
    img = cv2.imread(f"{d}/testdata/{name}")
    if img is None:
        sys.exit(f"check.py: cannot read {name}")
    return img


def anchors():
    out = []
    for fm, per_cell in ((16, 2), (8, 6)):
        for y in range(fm):
            for x in range(fm):
                out += [((x + 0.5) / fm, (y + 0.5) / fm)] * per_cell
    return np.array(out)


ANCHORS = anchors()


def detect(net, img):
    """Best face on the zero-padded square image: (anchor, score, centre x, centre y, side) in pixels."""
    h, w = img.shape[:2]
    s = max(h, w)
    sq = cv2.copyMakeBorder(img, 0, s - h, 0, s - w, cv2.BORDER_CONSTANT)
    net.setInput(cv2.dnn.blobFromImage(sq, 1 / 127.5, (128, 128), (127.5, 127.5, 127.5), swapRB=True))
    scores, boxes = net.forward(["classificators", "regressors"])
    scores = 1 / (1 + np.exp(-np.clip(scores.reshape(-1).astype(np.float64), -100, 100)))
    best = int(np.argmax(scores))
    r = boxes.reshape(-1, 16)[best] / 128.0
    cx, cy = (ANCHORS[best, 0] + r[0]) * s, (ANCHORS[best, 1] + r[1]) * s
    return best, float(scores[best]), [float(cx), float(cy), float(max(r[2], r[3]) * s)]


# ONNX Runtime C API (onnxruntime_c_api.h): indices into the OrtApi function table, which only ever
# grows at its end, and the ABI of the calls used here. Facts from the public header; no code copied.
ORT_API_VERSION = 17
ORT_FN = {
    "GetErrorMessage": (2, ctypes.c_char_p, [ctypes.c_void_p]),
    "CreateEnv": (3, ctypes.c_void_p, [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]),
    "CreateSession": (7, ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "Run": (9, ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                 ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                                 ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]),
    "CreateSessionOptions": (10, ctypes.c_void_p, [ctypes.POINTER(ctypes.c_void_p)]),
    "SetIntraOpNumThreads": (24, ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int]),
    "CreateTensorWithDataAsOrtValue": (49, ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                                             ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t,
                                                             ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]),
    "GetTensorMutableData": (51, ctypes.c_void_p, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "CreateCpuMemoryInfo": (69, ctypes.c_void_p, [ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]),
}


class OrtApiBase(ctypes.Structure):
    _fields_ = [("GetApi", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint32)),
                ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]


def ort_run(lib_path, jobs):
    """Loads the ONNX Runtime shared library itself and runs each job (model, NCHW float32 blob, input
    name, [(output name, element count)]) on one thread through its C API; returns (version string,
    [outputs of each job as flat arrays])."""
    lib = ctypes.CDLL(lib_path)
    lib.OrtGetApiBase.restype = ctypes.POINTER(OrtApiBase)
    base = lib.OrtGetApiBase().contents
    version = base.GetVersionString().decode()
    table = ctypes.cast(base.GetApi(ORT_API_VERSION), ctypes.POINTER(ctypes.c_void_p))
    if not table:
        sys.exit(f"check.py: {lib_path} (version {version}) does not offer C API version {ORT_API_VERSION}")
    fn = {name: ctypes.CFUNCTYPE(res, *args)(table[i]) for name, (i, res, args) in ORT_FN.items()}

    def ok(status):
        if status:
            sys.exit(f"check.py: ONNX Runtime {lib_path}: {fn['GetErrorMessage'](status).decode()}")

    env, opts, mem = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    ok(fn["CreateEnv"](3, b"jiuzhu-check", ctypes.byref(env)))  # 3 = ORT_LOGGING_LEVEL_ERROR
    ok(fn["CreateSessionOptions"](ctypes.byref(opts)))
    ok(fn["SetIntraOpNumThreads"](opts, 1))
    ok(fn["CreateCpuMemoryInfo"](1, 0, ctypes.byref(mem)))  # OrtArenaAllocator, OrtMemTypeDefault
    results = []
    for model, blob, input_name, output_names in jobs:
        sess, val = ctypes.c_void_p(), ctypes.c_void_p()
        ok(fn["CreateSession"](env, model.encode(), opts, ctypes.byref(sess)))
        blob = np.ascontiguousarray(blob, dtype=np.float32)
        shape = (ctypes.c_int64 * blob.ndim)(*blob.shape)
        ok(fn["CreateTensorWithDataAsOrtValue"](mem, blob.ctypes.data, blob.nbytes, shape, blob.ndim, 1,
                                                ctypes.byref(val)))  # 1 = float
        outs = (ctypes.c_void_p * len(output_names))()
        ok(fn["Run"](sess, None, (ctypes.c_char_p * 1)(input_name.encode()), (ctypes.c_void_p * 1)(val), 1,
                     (ctypes.c_char_p * len(output_names))(*[n.encode() for n, _ in output_names]),
                     len(output_names), outs))
        result = []
        for o, (_, n) in zip(outs, output_names):
            ptr = ctypes.c_void_p()
            ok(fn["GetTensorMutableData"](o, ctypes.byref(ptr)))
            result.append(np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), (n,)).copy())
        results.append(result)
    return version, results


def check_onnxruntime(d, det, mesh, img):
    """The cached ONNX Runtime library, loaded by itself, computes what OpenCV computes: the detector on
    the registry photo, and the PRelu-rewritten face mesh (face_mesh_ort.onnx) on the face crop against
    OpenCV's original face_mesh.onnx (the Rust tests compare both networks on all four photos)."""
    libs = sorted(glob.glob(f"{d}/libonnxruntime.so.*"))
    if len(libs) != 1:
        return [f"onnxruntime: want one libonnxruntime.so.* in {d}, found {libs}"]
    want_version = os.path.basename(libs[0])[len("libonnxruntime.so."):]
    h, w = img.shape[:2]
    s = max(h, w)
    sq = cv2.copyMakeBorder(img, 0, s - h, 0, s - w, cv2.BORDER_CONSTANT)
    blob = cv2.dnn.blobFromImage(sq, 1 / 127.5, (128, 128), (127.5, 127.5, 127.5), swapRB=True)
    det.setInput(blob)
    cv_scores, cv_boxes = (o.reshape(-1) for o in det.forward(["classificators", "regressors"]))
    _, _, box = detect(det, img)
    mblob = cv2.dnn.blobFromImage(crop(img, box, 1.5, 192), 1 / 255.0, (192, 192), swapRB=True)
    mesh.setInput(mblob)
    cv_pts, cv_logit = (o.reshape(-1) for o in mesh.forward(["conv2d_20", "conv2d_30"]))
    version, [(ort_scores, ort_boxes), (ort_pts, ort_logit)] = ort_run(libs[0], [
        (f"{d}/blazeface_short.onnx", blob, "input", [("classificators", 896), ("regressors", 896 * 16)]),
        (f"{d}/face_mesh_ort.onnx", mblob, "input_1", [("conv2d_20", 1404), ("conv2d_30", 1)]),
    ])
    sig = lambda v: 1 / (1 + np.exp(-np.clip(v.astype(np.float64), -100, 100)))
    bad = []
    if version != want_version:
        bad.append(f"onnxruntime: the library reports version {version}, its file name says {want_version}")
    if int(np.argmax(ort_scores)) != int(np.argmax(cv_scores)):
        bad.append("onnxruntime: best detector anchor differs from OpenCV's")
    ds = float(np.abs(sig(ort_scores) - sig(cv_scores)).max())
    dr = float(np.abs(ort_boxes - cv_boxes).max())
    if ds > 1e-3 or dr > 0.05:
        bad.append(f"onnxruntime: detector differs from OpenCV by {ds:.2e} (score), {dr:.2e} px (regressors)")
    dp = float(np.abs(ort_pts - cv_pts).max())
    dl = float(abs(ort_logit[0] - cv_logit[0]))
    if dp > 0.01 or dl > 0.01:
        bad.append(f"onnxruntime: face_mesh_ort.onnx differs from OpenCV's face_mesh.onnx by {dp:.2e} px "
                   f"(points), {dl:.2e} (face logit)")
    print(f"check.py: ONNX Runtime {version} vs OpenCV dnn: detector max |d score| {ds:.1e}, "
          f"max |d regressor| {dr:.1e} px; mesh max |d point| {dp:.1e} px, |d logit| {dl:.1e}",
          file=sys.stderr)
    return bad


def crop(img, box, scale, size):
    cx, cy, side = box
    k = size / (side * scale)
    m = np.array([[k, 0, size / 2 - k * cx], [0, k, size / 2 - k * cy]])
    return cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def embed(net, img, det):
    _, _, box = detect(det, img)
    face = cv2.cvtColor(crop(img, box, 1.3, 160), cv2.COLOR_BGR2RGB).astype(np.float32)
    face = (face - face.mean()) / max(face.std(), 1 / np.sqrt(face.size))
    net.setInput(face.transpose(2, 0, 1)[None])
    v = net.forward().reshape(-1)
    return v / np.linalg.norm(v)


def main():
    d = sys.argv[1]
    record = "--print" in sys.argv
    det = cv2.dnn.readNetFromONNX(f"{d}/blazeface_short.onnx")
    mesh = cv2.dnn.readNetFromONNX(f"{d}/face_mesh.onnx")
    fnet = cv2.dnn.readNetFromTensorflow(f"{d}/facenet.pb")
    obama = load(d, "obama.jpg")
    best, score, box = detect(det, obama)
    face = crop(obama, box, 1.5, 192)
    mesh.setInput(cv2.dnn.blobFromImage(face, 1 / 255.0, (192, 192), swapRB=True))
    pts, logit = mesh.forward(["conv2d_20", "conv2d_30"])
    pts = pts.reshape(-1)
    pad = {name: cv2.dnn.readNetFromONNX(f"{d}/{name}.onnx") for name, _ in PAD}
    got = {
        "det_best_anchor": best,
        "det_best_score": score,
        "det_best_box": [round(v, 2) for v in box],
        "mesh_score_logit": float(logit.reshape(-1)[0]),
        "mesh_points": [round(float(v), 2) for v in pts[:6]],
        "cos_obama_obama2": float(embed(fnet, obama, det) @ embed(fnet, load(d, "obama2.jpg"), det)),
        "cos_obama_biden": float(embed(fnet, obama, det) @ embed(fnet, load(d, "biden.jpg"), det)),
        **{f"{name}_obama": pad_score(pad[name], obama, box, size) for name, size in PAD},
    }
    if record:
        print(got)
        return
    bad = check_pad_reference(d) + check_onnxruntime(d, det, mesh, obama)
    for k, want in EXPECTED.items():
        if isinstance(want, int):
            ok = got[k] == want
        else:
            ref, tol = want
            ok = np.allclose(np.asarray(got[k], dtype=float), np.asarray(ref, dtype=float), atol=tol)
        if not ok:
            bad.append(f"{k}: got {got[k]}, want {want}")
    if bad:
        sys.exit("check.py: converted models do not compute the recorded outputs:\n  " + "\n  ".join(bad))
    print("check.py: blazeface, face mesh, facenet, antispoof and liveness outputs match the recorded values; "
          "ONNX Runtime matches OpenCV", file=sys.stderr)


main()
