"""Side-by-side time per face, one thread, interleaved so that machine load hits all alike.
Usage: nice -n 19 env OMP_NUM_THREADS=1 venv/bin/python timing.py"""
import time
import cv2, numpy as np, onnxruntime as ort
import jz
cv2.setNumThreads(1)
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
r = np.random.RandomState(0)
fn = jz.FaceNet().net
arc_cv = cv2.dnn.readNetFromONNX("models/w600k_mbf.onnx")
arc_ort = ort.InferenceSession("models/w600k_mbf.onnx", so, providers=["CPUExecutionProvider"])
mfn_cv = cv2.dnn.readNetFromONNX("models/expo_mobilefacenet.onnx")
mfn_ort = ort.InferenceSession("models/expo_mobilefacenet.onnx", so, providers=["CPUExecutionProvider"])
x160 = r.rand(1, 3, 160, 160).astype(np.float32); x112 = r.rand(1, 3, 112, 112).astype(np.float32)
x112b = r.rand(2, 3, 112, 112).astype(np.float32)
def cvrun(n, x): n.setInput(x); n.forward()
cases = {
    "FaceNet (facenet.pb), OpenCV dnn": lambda: cvrun(fn, x160),
    "w600k_mbf, OpenCV dnn": lambda: cvrun(arc_cv, x112),
    "w600k_mbf, onnxruntime": lambda: arc_ort.run(None, {"input.1": x112}),
    "expo MobileFaceNet (2 faces / run), OpenCV dnn": lambda: cvrun(mfn_cv, x112b),
    "expo MobileFaceNet (2 faces / run), onnxruntime": lambda: mfn_ort.run(None, {"input": x112b}),
}
t = {k: [] for k in cases}
for it in range(40):
    for k, f in cases.items():
        t0 = time.perf_counter(); f(); t[k].append(time.perf_counter() - t0)
for k, v in t.items():
    print(f"{k}: median {1000 * np.median(v[5:]):.1f} ms per run")
