#!/usr/bin/env bash
# Anonymisation a privacy officer can rely on: decodes any video file GStreamer reads, covers
# every face in view (crowds, classrooms, profiles, small faces, faces cut by the frame's
# border) and writes an H.264 MP4 (video only: audio is not carried over).
#
#   pipelines/anonymise.sh INPUT OUTPUT.mp4
#
# What it sets, and why (measured in notes/issue-10.md; guarantees in docs/faceocclude.md):
# - facedetect model=centerface at the frame's own resolution (up to 1920 px on the long
#   side) with a low confidence-threshold: small, far and turned faces are found;
# - landmarks=false: every face is covered by an ellipse around its detector box grown to
#   the head (margin), a rectangle when the box touches the frame's border; a face is never
#   lost because a landmark fit failed;
# - interval + lookahead: the detector runs every ANONYMISE_INTERVAL-th frame, frames wait
#   ANONYMISE_LOOKAHEAD frames, and every frame is covered with the boxes of the detector
#   runs before and after it, so a face is covered from its first visible frame;
# - hold-frames: a face the detector loses stays covered for that many frames;
# - max-faces=1000: more faces than that and faceocclude covers the frame whole.
# Frames facedetect could not analyse are blurred whole (faceocclude on-missing=blur-frame).
#
# Environment: ANONYMISE_INTERVAL (default 3), ANONYMISE_THRESHOLD (default 0.25),
# FACEKIT_THREADS (inference threads; default one per core). Needs scripts/setup.sh and the
# plugin built (cargo build --release); GST_PLUGIN_PATH defaults to this tree's target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -ne 2 ]; then
  echo "usage: $0 INPUT OUTPUT.mp4" >&2
  exit 2
fi
IN="$1"
OUT="$2"
[ -r "$IN" ] || { echo "$0: cannot read $IN" >&2; exit 1; }
INTERVAL="${ANONYMISE_INTERVAL:-3}"
THRESHOLD="${ANONYMISE_THRESHOLD:-0.25}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")"
gst-launch-1.0 -q \
  filesrc location="$IN" ! decodebin ! queue max-size-buffers=4 ! videoconvert \
  ! facedetect model=centerface confidence-threshold="$THRESHOLD" max-detect-size=1920 \
      landmarks=false max-faces=1000 interval="$INTERVAL" lookahead="$((INTERVAL + 1))" \
      hold-frames=$((3 * INTERVAL + 3)) updates=none \
  ! queue max-size-buffers=4 ! faceocclude margin=0.25 \
  ! videoconvert ! x264enc speed-preset=ultrafast ! mp4mux \
  ! filesink location="$OUT"
echo "wrote $OUT"
