#!/usr/bin/env bash
# Scenario 3, server side: score every face of the sample talking-head clip (symmetry,
# sharpness inside the landmark mask, illumination, resolution, weighted overall), print the
# facequality messages (one per second of running time) and write the best face of each
# track as a JPEG key frame named with its track id and running time.
#
#   pipelines/face-quality.sh [OUTPUT_DIR]     (default out/keyframes)
#
# Needs scripts/setup.sh to have run and the plugin built (cargo build --release);
# GST_PLUGIN_PATH defaults to this tree's target/release (else target/debug).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/keyframes}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$OUT"
# keyframe-window=0: the key frame of a track is posted when the track ends (here at EOS).
gst-launch-1.0 -m \
  filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264 \
  ! facedetect updates=none \
  ! facequality message-interval=1000000000 keyframe-window=0 \
      keyframe-location="$OUT/carphone-track{track}-{time}ms.jpg" \
  ! fakesink
echo "key frames in $OUT:"
ls -1 "$OUT"
