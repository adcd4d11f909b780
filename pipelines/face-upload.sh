#!/usr/bin/env bash
# Scenario 3, face-first upload: the capture side keeps only frames with a face, crops each
# to the camera's target size around the face centre and sends it as H.264 over RTP/UDP on
# loopback; the server side receives, records what arrived (Matroska, no re-encode) and
# decodes it and runs facedetect on it (the metadata does not travel over the network).
# Both halves run from this script; the capture side's facecrop messages are printed (-m).
#
#   pipelines/face-upload.sh [RECORDING.mkv]          (default out/face-upload.mkv)
#
# Environment:
#   FACE_UPLOAD_SIZE      target size WxH (default 160x160; even sides for I420/H.264)
#   FACE_UPLOAD_CONFIG    instead of a size: camera table file or http:// URL (config-location)
#   FACE_UPLOAD_CAMERA    camera model for the table (camera-model)
#   FACE_UPLOAD_FIT       crop or scale (default scale: the whole face is sent, so the
#                         server can find it again; crop cuts faces larger than the target)
#   FACE_UPLOAD_DEVICE    capture from this V4L2 device (e.g. /dev/video0) instead of the
#                         sample clip (carphone scaled to 640x480)
#   FACE_UPLOAD_SHOW=1    also show the received video (needs a display)
#   FACE_UPLOAD_PORT      UDP port (default: a free one)
# Needs scripts/setup.sh to have run and the plugin built (cargo build --release);
# GST_PLUGIN_PATH defaults to this tree's target/release (else target/debug).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/face-upload.mkv}"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")"
PORT="${FACE_UPLOAD_PORT:-$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

if [ -n "${FACE_UPLOAD_CONFIG:-}" ]; then
  CROP=(facecrop "config-location=$FACE_UPLOAD_CONFIG")
  [ -n "${FACE_UPLOAD_CAMERA:-}" ] && CROP+=("camera-model=$FACE_UPLOAD_CAMERA")
else
  CROP=(facecrop "size=${FACE_UPLOAD_SIZE:-160x160}")
fi
CROP+=("fit=${FACE_UPLOAD_FIT:-scale}")
if [ -n "${FACE_UPLOAD_DEVICE:-}" ]; then
  SOURCE=(v4l2src device="$FACE_UPLOAD_DEVICE" ! videoconvert ! videoscale ! video/x-raw,width=640,height=480)
else
  SOURCE=(filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264
    ! videoconvert ! videoscale ! video/x-raw,width=640,height=480)
fi
if [ "${FACE_UPLOAD_SHOW:-0}" = 1 ]; then SHOW=(autovideosink sync=false); else SHOW=(fakesink); fi

# --- server: receive RTP/H.264 on loopback, record it, decode it and look for faces -------
SERVER_LOG="$(mktemp /tmp/face-upload-server.XXXXXX)"
SERVER=""
# On any failure the server must not outlive the script.
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -f "$SERVER_LOG"' EXIT
gst-launch-1.0 -e -m \
  udpsrc address=127.0.0.1 port="$PORT" \
    caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" \
  ! rtpjitterbuffer latency=200 ! rtph264depay ! h264parse ! tee name=t \
  t. ! queue ! matroskamux ! filesink location="$OUT" \
  t. ! queue ! avdec_h264 ! videoconvert ! facedetect landmarks=false updates=every-frame ! "${SHOW[@]}" \
  >"$SERVER_LOG" 2>&1 &
SERVER=$!
# Wait until the server's socket is bound (/proc/net/udp lists ports in hex).
HEXPORT="$(printf ':%04X ' "$PORT")"
for _ in $(seq 100); do
  grep -q "$HEXPORT" /proc/net/udp 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$SERVER_LOG"; echo "server failed to start" >&2; exit 1; }
  sleep 0.1
done

# --- capture side: detect, keep and crop face frames, encode, send -------------------------
gst-launch-1.0 -m "${SOURCE[@]}" \
  ! facedetect landmarks=false updates=none ! "${CROP[@]}" \
  ! videoconvert ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=30 \
  ! rtph264pay config-interval=1 pt=96 ! udpsink host=127.0.0.1 port="$PORT" sync=true

# Let the last packets through the jitter buffer, then stop the server with EOS (-e).
sleep 0.5
kill -INT "$SERVER"
status=0; wait "$SERVER" || status=$?
SERVER=""
[ "$status" = 0 ] || { cat "$SERVER_LOG"; echo "server failed (exit $status)" >&2; exit 1; }
received="$(grep -c 'facedetect, timestamp' "$SERVER_LOG" || true)"
with_face="$(grep 'facedetect, timestamp' "$SERVER_LOG" | grep -c '"face\\,' || true)"
echo "server: decoded $received frames, facedetect found a face in $with_face"
echo "recorded what arrived in $OUT"
