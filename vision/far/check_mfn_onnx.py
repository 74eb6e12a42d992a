"""Does the tflite2onnx conversion of expo's MobileFaceNet.tflite load in OpenCV 4.6 dnn / onnxruntime and agree
with the TFLite interpreter's output (run_tflite_mfn.py)? Usage: venv/bin/python check_mfn_onnx.py DIR (run_all.sh output dir: DIR/tfjs/a112.f32, DIR/tfjs/expo_mfn.out)"""
import sys
import time
import cv2, numpy as np, onnxruntime as ort
cv2.setNumThreads(1)
x = np.fromfile(sys.argv[1] + "/tfjs/a112.f32", np.float32).reshape(-1, 112, 112, 3)
x = ((x * 255 - 127.5) / 128).astype(np.float32)
ref = np.fromfile(sys.argv[1] + "/tfjs/expo_mfn.out", np.float32).reshape(-1, 192)
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
s = ort.InferenceSession("models/expo_mobilefacenet.onnx", so, providers=["CPUExecutionProvider"])
i0 = s.get_inputs()[0]
print("onnx input", i0.name, i0.shape)
def cos(a, b): return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
nchw = i0.shape[1] == 3
out, t = [], []
for i in range(0, len(x) - 1, 2):
    b = x[i:i + 2].transpose(0, 3, 1, 2) if nchw else x[i:i + 2]
    t0 = time.perf_counter(); out.append(s.run(None, {i0.name: b})[0]); t.append(time.perf_counter() - t0)
out = np.concatenate(out)
print(f"ORT vs TFLite: min cosine {cos(out, ref[:len(out)]).min():.6f}, {1000 * np.median(t) / 2:.2f} ms/face")
try:
    net = cv2.dnn.readNetFromONNX("models/expo_mobilefacenet.onnx")
    b = x[0:2].transpose(0, 3, 1, 2) if nchw else x[0:2]
    net.setInput(b); o = net.forward()
    print(f"OpenCV dnn vs TFLite: min cosine {cos(o.reshape(2, -1), ref[:2]).min():.6f}")
except cv2.error as e:
    print("OpenCV 4.6 dnn cannot run it:", str(e).splitlines()[-1][:200])
