#!/usr/bin/env bash
# Scenario base: find, track and pose the face in the sample talking-head clip, draw the
# boxes, 468 landmarks and pose axes, and write an annotated MP4; the facedetect messages
# go to the bus (-m prints them).
#
#   pipelines/facedetect-carphone.sh [OUTPUT.mp4]     (default out/carphone-faces.mp4)
#
# Needs scripts/setup.sh to have run and the plugin built (cargo build --release);
# GST_PLUGIN_PATH defaults to this tree's target/release (else target/debug).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/carphone-faces.mp4}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")"
gst-launch-1.0 -m \
  filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264 \
  ! videoconvert ! videoscale ! video/x-raw,width=528,height=432 \
  ! facedetect draw=true updates=on-change \
  ! videoconvert ! x264enc speed-preset=veryfast tune=zerolatency ! mp4mux \
  ! filesink location="$OUT"
echo "wrote $OUT"
