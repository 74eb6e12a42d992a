"""Does w600k_mbf.onnx load and agree in OpenCV 4.6 dnn and in onnxruntime (both one thread)? Time per face.
Usage: nice -n 19 env OMP_NUM_THREADS=1 venv/bin/python check_engines.py tfjs_in/a112.f32"""
import sys, time
import cv2, numpy as np, onnxruntime as ort
cv2.setNumThreads(1)
x = np.fromfile(sys.argv[1], np.float32).reshape(-1, 112, 112, 3)  # RGB 0..1
blob = ((x * 255 - 127.5) / 127.5).transpose(0, 3, 1, 2).copy()
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
s = ort.InferenceSession("models/w600k_mbf.onnx", so, providers=["CPUExecutionProvider"])
net = cv2.dnn.readNetFromONNX("models/w600k_mbf.onnx")
a, b, ta, tb = [], [], [], []
for i in range(len(blob)):
    t0 = time.perf_counter(); a.append(s.run(None, {"input.1": blob[i:i + 1]})[0][0]); ta.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); net.setInput(blob[i:i + 1]); b.append(net.forward()[0].copy()); tb.append(time.perf_counter() - t0)
a, b = np.array(a), np.array(b)
cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
print(f"{len(a)} faces; cosine(ORT, cv2) min {cos.min():.6f}; max |diff| {np.abs(a - b).max():.2e}")
print(f"median ms/face: onnxruntime {1000 * np.median(ta):.2f}, OpenCV dnn {1000 * np.median(tb):.2f}")
