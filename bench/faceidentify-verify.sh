#!/usr/bin/env bash
# faceidentify's descriptor against dlib itself, on the chips facekit's own alignment makes
# (FaceMesh landmarks -> dlib's 150x150 chip geometry, padding 0.25) and on dlib's own chips.
# Prints, per chip, the largest |ONNX - dlib| descriptor difference (must be <= 1e-4) and
# the distances between all photos (same person < 0.6).
#
#   bench/faceidentify-verify.sh [PHOTO...]     (default: samples/faces/*.jpg)
#
# Needs scripts/setup.sh --verify to have run once (dlib-bin in models/.venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
[ $# -gt 0 ] || set -- samples/faces/*.jpg
models/.venv/bin/python -c 'import dlib' 2>/dev/null ||
  { echo "dlib missing in models/.venv: run scripts/setup.sh --verify" >&2; exit 1; }
mkdir -p "$OUT/gallery"
cp samples/faces/obama.jpg "$OUT/gallery/obama.jpg"
echo "== faceidentify, gallery = obama.jpg"
cargo run -q --release --example identify -- --gallery "$OUT/gallery" --chips "$OUT/chips" "$@"
[ -z "${KEEP_CHIPS:-}" ] || cp -r "$OUT/chips" "$KEEP_CHIPS"
echo
echo "== the same chips through dlib 20.0.1 (dlib-bin) and the converted ONNX model"
models/.venv/bin/python models/verify_dlib_resnet.py --chips "$OUT/chips"
