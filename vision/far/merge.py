"""Adds the TF.js / TFLite embeddings (raw float32 files written by hm/run.js and run_tflite_mfn.py) to the
evaluate.py embeddings. Usage: /usr/bin/python3 merge.py emb.npz tfjs_dir emb_all.npz"""
import sys
import numpy as np
z = np.load(sys.argv[1]); d = {k: z[k] for k in z.files}; t = sys.argv[2]
for name, dim in [("faceres_tight", 1024), ("faceres_loose", 1024), ("faceresdeep_tight", 1024), ("faceresdeep_loose", 1024),
                  ("mobileface", 256), ("mobilefacenet", 192), ("mobileface_255", 256), ("mobilefacenet_255", 192),
                  ("mobileface_pm1", 256), ("mobilefacenet_pm1", 192)]:
    d["human_" + name] = np.fromfile(f"{t}/{name}.out", np.float32).reshape(-1, dim).astype(np.float64)
d["expo_mobilefacenet"] = np.fromfile(f"{t}/expo_mfn.out", np.float32).reshape(-1, 192).astype(np.float64)
assert all(len(v) == len(d["ids"]) for v in d.values())
np.savez(sys.argv[3], **d)
