#!/usr/bin/env bash
# Does facequality order faces as a person would? Prints, per series, every component
# (symmetry incl. neutrality, sharpness, illumination, resolution), the neutrality, the face
# size and what the mesh says (mouth gap, eye aspect ratio, yaw/pitch), and the order found.
#
#   bash bench/quality-order.sh MEDIA_DIR [OUT_DIR]
#
# MEDIA_DIR: a folder laid out as /work/shared/media (quality/degradation_image2,
# quality/resolution_ladder, clips/, headpose/aflw2000_dev); OUT_DIR (default
# /tmp/quality-order) gets the contact sheets. Series:
#   1. one face as original, low-resolution and blurred: expected in that order;
#   2. one photo at 1080p, 720p, 480p, 240p: expected non-increasing (faces of 112 px and
#      more all get resolution 1, so steps under 0.02 count as ties);
#   3. photos against degraded copies of themselves: JPEG quality 50/20/10/5, Gaussian blur,
#      down-and-up scaling, and blur + shrink + JPEG + upscale (how restoration datasets make
#      their inputs); blur and scale strengths are relative to the face size;
#   4. the bundled talking-head clip and real clips: the best and worst faces, with a
#      contact sheet each (top row best, bottom row worst).
# Exits 1 when an expected order is violated (after printing everything).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEDIA="${1:?usage: bench/quality-order.sh MEDIA_DIR [OUT_DIR]}"
OUT="${2:-/tmp/quality-order}"
Q="$MEDIA/quality"
for d in "$Q/degradation_image2" "$Q/resolution_ladder"; do
  [[ -d "$d" ]] || { echo "quality-order: $d missing" >&2; exit 2; }
done
mkdir -p "$OUT"
cd "$ROOT"
flock /tmp/facekit-cargo.lock cargo build --release --example quality_order >&2
BIN="$ROOT/target/release/examples/quality_order"
echo "facekit : $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown); weights <0.2, 0.3, 0.2, 0.3> (default)"
echo
status=0
run() { "$@" || status=1; echo; }
run "$BIN" order "$Q/degradation_image2/image2.jpg" "$Q/degradation_image2/image2_lowres.jpg" \
  "$Q/degradation_image2/image2_blur.jpg"
run "$BIN" order --ties 0.02 "$Q"/resolution_ladder/obama-{1080p,720p,480p,240p}.jpg
photos=("$Q/resolution_ladder/obama-1080p.jpg" "$Q/degradation_image2/image2.jpg")
for f in "$ROOT"/samples/faces/biden.jpg; do [[ -f "$f" ]] && photos+=("$f"); done
if [[ -d "$MEDIA/headpose/aflw2000_dev" ]]; then
  # Two near-frontal AFLW2000 faces (|yaw|, |pitch| < 10 degrees), the first in file order.
  while read -r f; do photos+=("$MEDIA/headpose/aflw2000_dev/$f"); done < <(
    awk -F, 'NR > 1 && $2 < 10 && $2 > -10 && $3 < 10 && $3 > -10 { print $1 }' \
      "$MEDIA/headpose/aflw2000_dev/labels.csv" | head -2)
fi
run "$BIN" degrade "${photos[@]}"
run "$BIN" clip "$ROOT/samples/carphone_pristine.mp4" "$OUT/carphone.png" 4
for c in intel_head-pose-female_480x270.mkv intel_head-pose-male_480x270.mkv intel_asl-eat_640x480.mkv; do
  [[ -f "$MEDIA/clips/$c" ]] && run "$BIN" clip "$MEDIA/clips/$c" "$OUT/${c%.*}.png" 4
done
echo "orders: $([[ $status == 0 ]] && echo "all as expected" || echo "some VIOLATED (see above)")"
exit $status
