#!/usr/bin/env bash
# Attention, viewer side: the viewer's camera (here the sample talking-head clip) goes
# through facedetect and attentionmeter, which posts attention / reminder / alert / recovered /
# stats messages (-m prints them), draws the attention bar and reminder banner, and publishes
# every message as JSON to the course's MQTT topic for the presenter's attentionoverlay.
#
#   pipelines/attention-viewer.sh [MQTT_URL] [VIEWER_ID] [HISTORY.jsonl]
#     MQTT_URL   default mqtt://127.0.0.1:1883/course/42/attention
#     VIEWER_ID  default $USER or "viewer"
#     HISTORY    default out/attention-history.jsonl (lesson curve appended at EOS)
#   CAMERA=/dev/video0 pipelines/attention-viewer.sh ...   live camera, 60 s windows (defaults)
#
# The sample clip lasts 4 s, so it uses 1 s windows at 5 samples/s; a real lesson keeps the
# defaults (60 s windows, 1 sample/s). A broker that is down only gives a warning.
# Needs scripts/setup.sh and the plugin built (cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URL="${1:-mqtt://127.0.0.1:1883/course/42/attention}"
VIEWER="${2:-${USER:-viewer}}"
HISTORY="${3:-$ROOT/out/attention-history.jsonl}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$HISTORY")"
if [ -n "${CAMERA:-}" ]; then
  SRC=(v4l2src device="$CAMERA" ! videoconvert)
  TIMING=()
  SINK=(autovideosink)
else
  SRC=(filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264
    ! videoconvert ! videoscale ! video/x-raw,width=352,height=288)
  TIMING=(window=1 sample-rate=5)
  SINK=(fakesink sync=false)
fi
gst-launch-1.0 -m "${SRC[@]}" \
  ! facedetect \
  ! attentionmeter viewer-id="$VIEWER" course=course-42 "${TIMING[@]}" draw=true \
      history-location="$HISTORY" publish="$URL" \
  ! videoconvert ! "${SINK[@]}"
