#!/usr/bin/env bash
# Anonymisation a privacy officer can rely on: decodes any video file GStreamer reads, covers
# every face in view (crowds, classrooms, profiles, small faces, faces cut by the frame's
# border) and writes an H.264 MP4. The input's first audio stream is carried over (AAC)
# unless ANONYMISE_AUDIO=drop: faces are covered, voices are not. Video is 4:2:0, which
# every player decodes.
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
# ANONYMISE_AUDIO (keep, the default, or drop),
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
AUDIO="${ANONYMISE_AUDIO:-keep}"
case "$AUDIO" in
  keep|drop) ;;
  *) echo "$0: ANONYMISE_AUDIO must be keep or drop, not '$AUDIO'" >&2; exit 2 ;;
esac
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")"
# What the input holds decides the pipeline: a mux pad for an audio stream that never comes
# would wait for it forever.
streams="$(gst-discoverer-1.0 "$IN" 2>&1)" ||
  { echo "$0: cannot read $IN as media: $(printf '%s' "$streams" | tail -1)" >&2; exit 1; }
grep -q "^ *video #" <<<"$streams" || { echo "$0: $IN has no video stream" >&2; exit 1; }
AUDIO_BRANCH=()
if [ "$AUDIO" = keep ] && grep -q "^ *audio #" <<<"$streams"; then
  AUDIO_BRANCH=(d. ! audio/x-raw ! queue max-size-time=3000000000 max-size-buffers=0
    ! audioconvert ! audioresample ! avenc_aac ! queue ! mux.)
fi
gst-launch-1.0 -q -e \
  filesrc location="$IN" ! decodebin name=d \
  d. ! video/x-raw ! queue max-size-buffers=4 ! videoconvert \
  ! facedetect model=centerface confidence-threshold="$THRESHOLD" max-detect-size=1920 \
      landmarks=false max-faces=1000 interval="$INTERVAL" lookahead="$((INTERVAL + 1))" \
      hold-frames=$((3 * INTERVAL + 3)) updates=none \
  ! queue max-size-buffers=4 ! faceocclude margin=0.25 \
  ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! queue ! mux. \
  "${AUDIO_BRANCH[@]}" \
  mp4mux name=mux ! filesink location="$OUT"
echo "wrote $OUT"
