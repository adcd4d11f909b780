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
#   FACE_UPLOAD_QUANTIZER x264 constant-quality quantizer (default 23)
#
# Rate control follows the crop: x264enc runs at constant quality (pass=qual quantizer=23),
# so a 96x96 crop costs what its pixels need. x264enc's default is a constant 2048 kbit/s,
# which a small crop would spend just the same (no saving at all). The script also encodes
# the full frames the same way (not sent) and prints the RTP bytes/s of both:
#   "upload: N bytes/s cropped, M bytes/s full frame (ratio R)".
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
ENCODE=(x264enc pass=qual "quantizer=${FACE_UPLOAD_QUANTIZER:-23}" tune=zerolatency
  speed-preset=veryfast key-int-max=30 ! rtph264pay config-interval=1 pt=96 mtu=1400)
WIRE="$(mktemp /tmp/face-upload-wire.XXXXXX)"; FULL="$(mktemp /tmp/face-upload-full.XXXXXX)"
CAPTURE_LOG="$(mktemp /tmp/face-upload-capture.XXXXXX)"
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -f "$SERVER_LOG" "$WIRE" "$FULL" "$CAPTURE_LOG"' EXIT
gst-launch-1.0 -m "${SOURCE[@]}" \
  ! facedetect landmarks=false updates=none ! "${CROP[@]}" \
  ! videoconvert ! "${ENCODE[@]}" ! tee name=wire \
  wire. ! queue ! udpsink host=127.0.0.1 port="$PORT" sync=true \
  wire. ! queue ! filesink location="$WIRE" | tee "$CAPTURE_LOG"

# Let the last packets through the jitter buffer, then stop the server with EOS (-e).
sleep 0.5
kill -INT "$SERVER"
status=0; wait "$SERVER" || status=$?
SERVER=""
[ "$status" = 0 ] || { cat "$SERVER_LOG"; echo "server failed (exit $status)" >&2; exit 1; }
received="$(grep -c 'facedetect, timestamp' "$SERVER_LOG" || true)"
with_face="$(grep 'facedetect, timestamp' "$SERVER_LOG" | grep -c '"face\\,' || true)"
echo "server: decoded $received frames, facedetect found a face in $with_face"
# The peer: the same frames, encoded and packetised the same way, uncropped (not sent).
if [ -z "${FACE_UPLOAD_DEVICE:-}" ]; then
  gst-launch-1.0 -q "${SOURCE[@]}" ! videoconvert ! "${ENCODE[@]}" ! filesink location="$FULL"
  # Seconds of video: the frames facecrop saw over the clip's frame rate.
  FRAMES="$(grep -c 'facecrop, ' "$CAPTURE_LOG" || true)"
  RATE="$(gst-launch-1.0 -v filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux \
    ! fakesink num-buffers=1 2>/dev/null | grep -o 'framerate=(fraction)[0-9]*/[0-9]*' | head -n1 | cut -d')' -f2)"
  SECONDS_OF_VIDEO="$(awk -v n="$FRAMES" -v r="$RATE" 'BEGIN { split(r, q, "/"); print n * q[2] / q[1] }')"
  awk -v c="$(stat -c %s "$WIRE")" -v f="$(stat -c %s "$FULL")" -v s="$SECONDS_OF_VIDEO" \
    'BEGIN { printf "upload: %.0f bytes/s cropped, %.0f bytes/s full frame (ratio %.3f)\n", c / s, f / s, c / f }'
fi
echo "recorded what arrived in $OUT"
