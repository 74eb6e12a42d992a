#!/bin/sh
# Every measurement of REPORT.md from the fetched data (after ./fetch_data.sh); output in $1 (default out/).
set -eu
O=${1:-out}; mkdir -p $O/tfjs
export OMP_NUM_THREADS=1
N="nice -n 19"
IMG="images.tsv images2.tsv images3.tsv images4.tsv"
$N venv/bin/python evaluate.py $IMG $O/emb.npz > $O/evaluate.log 2>&1
$N venv/bin/python prep_tfjs.py $IMG $O/tfjs > $O/prep.log 2>&1
$N /usr/bin/python3 -c "
import numpy as np; a = np.fromfile('$O/tfjs/a112.f32', np.float32)
(a * 255).astype(np.float32).tofile('$O/tfjs/a112_255.f32'); (a * 2 - 1).astype(np.float32).tofile('$O/tfjs/a112_pm1.f32')"
T=$(cd $O/tfjs && pwd)
cd hm
for v in tight loose; do
  $N node run.js package/models/faceres.json $T/c224_$v.f32 224 global_pooling/Mean $T/faceres_$v.out
  $N node run.js package/models/faceres-deep.json $T/c224_$v.f32 224 global_pooling/Mean $T/faceresdeep_$v.out
done
for v in "" _255 _pm1; do
  $N node run.js package/models/mobileface.json $T/a112$v.f32 112 batchnorm0/add_1 $T/mobileface$v.out
  $N node run.js package/models/mobilefacenet.json $T/a112$v.f32 112 embeddings $T/mobilefacenet$v.out
done
cd ..
$N venv/bin/python run_tflite_mfn.py models/MobileFaceNet.tflite $O/tfjs/a112.f32 $O/tfjs/expo_mfn.out
$N /usr/bin/python3 merge.py $O/emb.npz $O/tfjs $O/emb_all.npz
$N venv/bin/python variant_bf4.py $IMG $O/emb_all.npz > $O/bf4.log 2>&1
$N /usr/bin/python3 score.py $O/emb_all.npz labels.tsv > $O/score_all.txt
$N /usr/bin/python3 split.py $O/emb_all.npz labels.tsv > $O/split.txt
$N /usr/bin/python3 breakdown.py $O/emb_all.npz labels.tsv facenet 0.60 > $O/breakdown_facenet060.txt
[ -f models/expo_mobilefacenet.onnx ] || $N venv/bin/tflite2onnx models/MobileFaceNet.tflite models/expo_mobilefacenet.onnx
$N venv/bin/python check_engines.py $O/tfjs/a112.f32 > $O/check_engines.txt
$N venv/bin/python check_mfn_onnx.py $O > $O/check_mfn_onnx.txt
$N venv/bin/python timing.py > $O/timing.txt
for m in "arcface_mbf 0.226 0.30 0.35" "facenet 0.60 0.687 0.768" "expo_mobilefacenet 0.434 0.60"; do
  echo "== $m"; $N /usr/bin/python3 per_person.py $O/emb_all.npz labels.tsv $m; done > $O/per_person.txt
$N /usr/bin/python3 breakdown.py $O/emb_all.npz labels.tsv arcface_mbf 0.226 > $O/breakdown_arcface0226.txt
echo done
