"""Where facedetect's head-pose error comes from, from a `bench/headpose.sh --dump` file.

    bash bench/headpose.sh DIR --dump /tmp/headpose.jsonl
    models/.venv/bin/python bench/headpose_study.py /tmp/headpose.jsonl

Standard subset only (all truth angles within 99 deg). Prints, per |truth yaw| band:
 1. the pitch and roll errors split along s*pitch + roll and s*pitch - roll (s = sign of yaw;
    angles in facedetect's convention): near 90 deg of yaw only one of the two combinations
    is a well-defined rotation, so a small rotation error becomes large, opposite pitch and
    roll errors;
 2. what a perfect yaw would give (pitch and roll kept): the ceiling of any yaw correction;
 3. a yaw correction fitted on one half of the images and measured on the other (both
    ways): a monotone piecewise-linear stretch of |yaw| beyond 30 deg, fitted with an L1 loss,
    applied as a turn about the camera's vertical axis. Nothing here is used by the element;
    it shows how much calibrating against these labels could gain.
Needs only numpy (models/.venv has it).
"""
import json
import sys

import numpy as np

BANDS = [(0, 30), (30, 60), (60, 100), (0, 1000)]
KNOTS = [30.0, 45.0, 55.0]


def rot(pose):
    """facedetect's R = Rx(-pitch) Ry(-yaw) Rz(roll) (src/facedetect/pose.rs)."""
    a, b, g = np.radians([-pose[0], -pose[1], pose[2]])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(g), -np.sin(g), 0], [np.sin(g), np.cos(g), 0], [0, 0, 1]])
    return rx @ ry @ rz


def euler(r):
    b = np.arcsin(np.clip(r[0, 2], -1, 1))
    a = np.arctan2(-r[1, 2], r[2, 2])
    g = np.arctan2(-r[0, 1], r[0, 0])
    return np.array([-np.degrees(a), -np.degrees(b), np.degrees(g)])


def turn(pose, degrees):
    """The pose turned by `degrees` more yaw about the camera's vertical axis."""
    a = np.radians(-degrees)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return euler(ry @ rot(pose))


def azimuth(pose):
    """Yaw of the face's direction about the camera's vertical axis (degrees, our sign)."""
    r = rot(pose)
    return -np.degrees(np.arctan2(r[0, 2], r[2, 2]))


def table(title, rows, preds):
    print(title)
    print(f"{'|yaw|':<8} {'images':>6} {'pose':>5} {'yaw':>6} {'pitch':>6} {'roll':>6} {'mean':>6}"
          f" {'s*p+r':>6} {'s*p-r':>6}")
    for lo, hi in BANDS:
        err, split, n = [], [], 0
        for r, p in zip(rows, preds):
            t = np.array(r["truth"])
            if not lo <= abs(t[1]) < hi:
                continue
            n += 1
            if p is None:
                continue
            d = np.array(p) - t
            s = np.sign(t[1]) or 1.0
            err.append(np.abs(d))
            split.append([abs(s * d[0] + d[2]) / 2, abs(s * d[0] - d[2]) / 2])
        e = np.mean(err, 0) if err else np.zeros(3)
        sp = np.mean(split, 0) if split else np.zeros(2)
        name = "all" if hi == 1000 else f"{lo}-{min(hi, 99)}"
        print(f"{name:<8} {n:>6} {len(err):>5} {e[1]:>6.2f} {e[0]:>6.2f} {e[2]:>6.2f}"
              f" {e.mean():>6.2f} {sp[0]:>6.2f} {sp[1]:>6.2f}")
    print()


def basis(y):
    return np.array([max(0.0, y - k) for k in KNOTS])


def fit_stretch(rows):
    x, y = [], []
    for r in rows:
        if r["pose"] is None:
            continue
        e, t = azimuth(r["pose"]), azimuth(r["truth"])
        x.append(basis(abs(e)))
        y.append(np.sign(e) * t - abs(e))
    x, y = np.array(x), np.array(y)
    c = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(50):  # iteratively reweighted least squares for an L1 fit
        w = np.sqrt(1.0 / np.maximum(np.abs(x @ c - y), 1.0))
        c = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)[0]
    return c


def stretched(pose, c):
    if pose is None:
        return None
    e = azimuth(pose)
    return turn(pose, np.sign(e) * (basis(abs(e)) @ c))


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    rows = [r for r in rows if max(abs(v) for v in r["truth"]) <= 99]
    preds = [r["pose"] for r in rows]
    table("facedetect as dumped (s*p+r, s*p-r: pitch/roll error along the two combinations)",
          rows, preds)
    perfect = [None if p is None else [p[0], r["truth"][1], p[2]] for r, p in zip(rows, preds)]
    table("ceiling: yaw replaced by the truth, pitch and roll as estimated", rows, perfect)
    halves = [rows[0::2], rows[1::2]]
    for k in (0, 1):
        fit, test = halves[k], halves[1 - k]
        c = fit_stretch(fit)
        at = ", ".join(f"{y:.0f}->{y + basis(y) @ c:.0f}" for y in (40, 50, 60, 70))
        table(f"yaw stretch fitted on half {k + 1} ({at}), half {2 - k} before", test,
              [r["pose"] for r in test])
        table(f"half {2 - k} after", test, [stretched(r["pose"], c) for r in test])


if __name__ == "__main__":
    main()
