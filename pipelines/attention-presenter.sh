#!/usr/bin/env bash
# Attention, presenter side: the presenter's video (here videotestsrc, live at 640x360/10 fps)
# goes through attentionoverlay, which subscribes to the viewers' MQTT topic. The class panel
# (alerted viewers, class average, lesson chart over previous lessons, distribution per
# viewer) is attached as overlay-composition meta: the local preview window shows it, the
# recorded (or streamed) video stays clean, so no viewer's name reaches the recording. The
# lesson report (SVG) and its numbers (JSON, same name) are written at EOS.
#
#   pipelines/attention-presenter.sh [MQTT_URL] [OUTPUT.mp4] [REPORT.svg] [SECONDS]
#     MQTT_URL  default mqtt://127.0.0.1:1883/course/42/attention
#     OUTPUT    default out/presenter.mp4        REPORT  default out/attention-report.svg
#     SECONDS   default 60 (recording length)
#   HISTORY=out/attention-history.jsonl ...   draw previous lessons of course-42 behind the curve
#   RTMP=rtmp://host/live/key ...             stream with rtmpsink instead of writing a file
#   PREVIEW=glimagesink ...                   the preview sink; it must render
#                                             GstVideoOverlayComposition meta (glimagesink
#                                             from gstreamer1.0-gl does). Default: glimagesink
#                                             when installed and a display is set, else none
#                                             (fakesink, with a note)
#   BURN=1 ...                                burn the panel into the recording instead
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
if [ -z "${PREVIEW:-}" ]; then
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    PREVIEW=fakesink
    echo "note: no display (DISPLAY or WAYLAND_DISPLAY), so no local preview of the panel" >&2
  elif gst-inspect-1.0 glimagesink >/dev/null 2>&1; then
    PREVIEW=glimagesink
  else
    PREVIEW=fakesink
    echo "note: no glimagesink (Debian: gstreamer1.0-gl), so no local preview of the panel; set PREVIEW=… to a sink that renders overlay-composition meta" >&2
  fi
fi
MODE=composition
[ -n "${BURN:-}" ] && MODE=burn
gst-launch-1.0 -m -e \
  videotestsrc is-live=true pattern=smpte num-buffers=$((SECONDS_LONG * 10)) \
  ! video/x-raw,format=I420,width=640,height=360,framerate=10/1 \
  ! attentionoverlay mode="$MODE" subscribe="$URL" course=course-42 report-location="$REPORT" "${HIST[@]}" \
  ! tee name=t \
  t. ! queue ! videoconvert ! x264enc speed-preset=veryfast tune=zerolatency key-int-max=20 ! h264parse \
     ! "${SINK[@]}" \
  t. ! queue leaky=downstream max-size-buffers=2 ! $PREVIEW sync=false
[ -n "${RTMP:-}" ] || echo "wrote $OUT"
echo "wrote $REPORT and ${REPORT%.*}.json"
