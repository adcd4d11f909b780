#!/usr/bin/env python3
"""Check models/dlib_face_recognition_resnet_model_v1.onnx against dlib itself.

Both run on the same aligned 150x150 chips: the ONNX model in ONNX Runtime and the original
.dat in dlib's face_recognition_model_v1.compute_face_descriptor(chip) (dlib-bin wheel).
Passes when every descriptor value agrees to 1e-4.

    verify_dlib_resnet.py              chips made by dlib (HOG detector, 5-point landmarks,
                                       get_face_chip(size=150, padding=0.25)) from
                                       samples/faces/*.jpg
    verify_dlib_resnet.py --chips DIR  also every DIR/*.png (150x150 RGB), e.g. the chips
                                       facekit's own alignment writes (bench/faceidentify-verify.sh)

Prints the largest difference per chip and the descriptor distances between the photos.
"""
import glob
import os
import sys

import dlib
import numpy as np
import onnxruntime as ort
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONNX = f"{ROOT}/models/dlib_face_recognition_resnet_model_v1.onnx"
DAT = f"{ROOT}/models/.cache/dlib_face_recognition_resnet_model_v1.dat"
PREDICTOR = f"{ROOT}/models/.cache/shape_predictor_5_face_landmarks.dat"
TOLERANCE = 1e-4


def main():
    extra = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--chips" else None
    dlib_net = dlib.face_recognition_model_v1(DAT)
    session = ort.InferenceSession(ONNX, providers=["CPUExecutionProvider"])
    chips = {}
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(PREDICTOR)
    for path in sorted(glob.glob(f"{ROOT}/samples/faces/*.jpg")):
        img = np.array(Image.open(path).convert("RGB"))
        faces = detector(img, 1)
        if not faces:
            print(f"{path}: dlib finds no face")
            continue
        shape = predictor(img, faces[0])
        chips["dlib-chip " + os.path.basename(path)] = dlib.get_face_chip(img, shape, size=150, padding=0.25)
    if extra:
        for path in sorted(glob.glob(f"{extra}/*.png")):
            chip = np.array(Image.open(path).convert("RGB"))
            if chip.shape != (150, 150, 3):
                sys.exit(f"{path}: chip is {chip.shape}, expected 150x150 RGB")
            chips["facekit-chip " + os.path.basename(path)] = chip

    worst, descriptors = 0.0, {}
    print(f"{'chip':44s} {'max |onnx - dlib|':>18s}")
    for name, chip in chips.items():
        want = np.array(dlib_net.compute_face_descriptor(np.ascontiguousarray(chip)))
        got = session.run(None, {"chip": chip.transpose(2, 0, 1)[None].astype(np.float32)})[0][0]
        diff = float(np.abs(want - got).max())
        worst = max(worst, diff)
        descriptors[name] = want
        print(f"{name:44s} {diff:18.2e}")
    names = list(descriptors)
    print("\ndistances (dlib descriptors; same person < 0.6):")
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            print(f"  {a:40s} {b:40s} {np.linalg.norm(descriptors[a] - descriptors[b]):.3f}")
    verdict = "PASS" if worst <= TOLERANCE and chips else "FAIL"
    print(f"\nverify_dlib_resnet: {verdict}: {len(chips)} chips, largest difference {worst:.2e} "
          f"(tolerance {TOLERANCE:g})")
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
