#!/usr/bin/env bash
# Attention, presenter side: the presenter's video (here videotestsrc, live at 640x360/10 fps)
# goes through attentionoverlay, which subscribes to the viewers' MQTT topic and draws the
# alerted viewers (id, attention), the class average and the lesson curve over previous
# lessons' curve; the result is recorded to MP4 and the lesson report (SVG) is written at EOS.
#
#   pipelines/attention-presenter.sh [MQTT_URL] [OUTPUT.mp4] [REPORT.svg] [SECONDS]
#     MQTT_URL  default mqtt://127.0.0.1:1883/course/42/attention
#     OUTPUT    default out/presenter.mp4        REPORT  default out/attention-report.svg
#     SECONDS   default 60 (recording length)
#   HISTORY=out/attention-history.jsonl ...   draw previous lessons of course-42 behind the curve
#   RTMP=rtmp://host/live/key ...             stream with rtmpsink instead of writing a file
#
# Needs scripts/setup.sh and the plugin built (cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URL="${1:-mqtt://127.0.0.1:1883/course/42/attention}"
OUT="${2:-$ROOT/out/presenter.mp4}"
REPORT="${3:-$ROOT/out/attention-report.svg}"
SECONDS_LONG="${4:-60}"
HISTORY="${HISTORY:-}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")" "$(dirname "$REPORT")"
HIST=()
[ -n "$HISTORY" ] && HIST=(history-location="$HISTORY")
if [ -n "${RTMP:-}" ]; then
  SINK=(flvmux streamable=true ! rtmpsink location="$RTMP")
else
  SINK=(mp4mux ! filesink location="$OUT")
fi
gst-launch-1.0 -m -e \
  videotestsrc is-live=true pattern=smpte num-buffers=$((SECONDS_LONG * 10)) \
  ! video/x-raw,format=I420,width=640,height=360,framerate=10/1 \
  ! attentionoverlay subscribe="$URL" course=course-42 report-location="$REPORT" "${HIST[@]}" \
  ! videoconvert ! x264enc speed-preset=veryfast tune=zerolatency key-int-max=20 ! h264parse \
  ! "${SINK[@]}"
[ -n "${RTMP:-}" ] || echo "wrote $OUT"
echo "wrote $REPORT"
