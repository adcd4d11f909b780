"""Independent leak checker for bench/leaks.sh: MTCNN (the `mtcnn` PyPI wheel, TensorFlow
CPU), a detector no anonymiser of the benchmark uses.

Reads raw RGB frames (GStreamer's RGB layout: rows padded to 4 bytes) from stdin, runs MTCNN
on every STEP-th frame and prints one line: `checked=N hits=M` (frames with at least one face
of confidence >= MIN_CONFIDENCE). For every hit it saves the frame with the found boxes drawn
in red with the best hit zoomed beside it, and at the end one contact sheet (a grid of those frames, each labelled with its
frame number and confidence) as SHEET, so a person can tell real leaks from false positives.

    python leaks_check.py WIDTH HEIGHT STEP SHEET.png LABEL < frames.rgb
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

MIN_CONFIDENCE = float(os.environ.get("LEAKS_MIN_CONFIDENCE", "0.9"))
THUMB_WIDTH = 480
ZOOM = 240
COLUMNS = 4


def main():
    width, height, step = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sheet_path, label = sys.argv[4], sys.argv[5]
    from mtcnn import MTCNN

    detector = MTCNN(device="CPU:0")
    stride = (width * 3 + 3) // 4 * 4
    frame_bytes = stride * height
    stdin = sys.stdin.buffer
    index = checked = 0
    hits = []
    while True:
        data = stdin.read(frame_bytes)
        if len(data) < frame_bytes:
            break
        if index % step == 0:
            rows = np.frombuffer(data, np.uint8).reshape(height, stride)
            rgb = np.ascontiguousarray(rows[:, : width * 3].reshape(height, width, 3))
            faces = [
                f
                for f in detector.detect_faces(rgb)
                if f["confidence"] >= MIN_CONFIDENCE
            ]
            checked += 1
            if faces:
                hits.append((index, faces, thumbnail(rgb, faces, index, label)))
        index += 1
    print(f"checked={checked} hits={len(hits)} frames={index}")
    if hits:
        save_sheet([h[2] for h in hits], sheet_path)
        print(f"sheet={sheet_path}")
        print("hit frames: " + " ".join(str(h[0]) for h in hits))


def thumbnail(rgb, faces, index, label):
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    best = max(f["confidence"] for f in faces)
    for f in faces:
        x, y, w, h = f["box"]
        for grow in range(3):
            draw.rectangle([x - grow, y - grow, x + w + grow, y + h + grow], outline=(255, 0, 0))
    # The best hit at full resolution beside the frame, to judge it by eye.
    x, y, w, h = max(faces, key=lambda f: f["confidence"])["box"]
    pad = max(w, h) // 2
    crop = Image.fromarray(rgb).crop((x - pad, y - pad, x + w + pad, y + h + pad))
    scale = THUMB_WIDTH / image.width
    image = image.resize((THUMB_WIDTH, max(1, round(image.height * scale))))
    tile = Image.new("RGB", (THUMB_WIDTH + ZOOM, max(image.height, ZOOM)), (40, 40, 40))
    tile.paste(image, (0, 0))
    tile.paste(crop.resize((ZOOM, ZOOM)), (THUMB_WIDTH, 0))
    image = tile
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, THUMB_WIDTH + ZOOM, 14], fill=(0, 0, 0))
    draw.text((3, 1), f"{label} frame {index}  mtcnn {best:.3f}", fill=(255, 255, 0))
    return image


def save_sheet(thumbs, path):
    rows = (len(thumbs) + COLUMNS - 1) // COLUMNS
    w = max(t.width for t in thumbs)
    h = max(t.height for t in thumbs)
    sheet = Image.new("RGB", (COLUMNS * w, rows * h), (40, 40, 40))
    for i, t in enumerate(thumbs):
        sheet.paste(t, ((i % COLUMNS) * w, (i // COLUMNS) * h))
    sheet.save(path)


if __name__ == "__main__":
    main()
