#!/usr/bin/env bash
# Scenario 3, face-first upload, closed loop. The capture side keeps only frames with a face,
# crops each to the camera's target size around the face centre and sends it as H.264 over
# RTP/UDP on loopback; the face server (examples/face-server) receives it, records it
# (Matroska, no re-encode), runs facedetect ! facequality ! faceidentify on it and, when the
# upload ends, answers the camera over MQTT: per person the best key frame of the whole
# upload (JPEG) and the identity. The capture side's faceanswer element posts the answer as
# 'faceanswer-person' / 'faceanswer-done' messages (printed, -m) before its EOS.
#
#   pipelines/face-upload.sh [RECORDING.mkv]          (default out/face-upload.mkv)
#
# Environment:
#   FACE_UPLOAD_SIZE      target size WxH (default 160x160; even sides for I420/H.264)
#   FACE_UPLOAD_CONFIG    instead of a size: camera table file or http:// URL (config-location)
#   FACE_UPLOAD_CAMERA    camera model for the table (camera-model; unset with a V4L2 device:
#                         read from the device)
#   FACE_UPLOAD_FIT       crop or scale (default scale: the whole face is sent, so the
#                         server can find it again; crop cuts faces larger than the target)
#   FACE_UPLOAD_DEVICE    capture from this V4L2 device (e.g. /dev/video0) instead of the
#                         sample clip (carphone scaled to 640x480)
#   FACE_UPLOAD_GALLERY   the server's known faces (faceidentify gallery: folder of labelled
#                         photos or SQLite file); unset: every person is "unknown"
#   FACE_UPLOAD_WINDOW    key frame window per track in seconds (default 0: the whole upload)
#   FACE_UPLOAD_BROKER    mqtt://HOST:PORT of a running broker (default: a mosquitto started
#                         here on a free loopback port)
#   FACE_UPLOAD_PORT      UDP port (default: a free one)
#   FACE_UPLOAD_QUANTIZER x264 constant-quality quantizer (default 23)
#
# Why MQTT for the answer: the camera only connects out (no listening port on a device that
# usually sits behind NAT), the broker is the one the attention elements already use, and
# the plugin already ships its client.
#
# Rate control follows the crop: x264enc runs at constant quality (pass=qual quantizer=23),
# so a 96x96 crop costs what its pixels need. x264enc's default is a constant 2048 kbit/s,
# which a small crop would spend just the same (no saving at all). The script also encodes
# the full frames the same way (not sent) and prints the RTP bytes/s of both:
#   "upload: N bytes/s cropped, M bytes/s full frame (ratio R)".
# Needs scripts/setup.sh to have run and the plugin and server built
# (cargo build --release --examples); GST_PLUGIN_PATH defaults to this tree's target/release.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/face-upload.mkv}"
BUILD=""
for p in "$ROOT/target/release" "$ROOT/target/debug"; do
  if [ -f "$p/libgstfacekit.so" ]; then BUILD="$p"; break; fi
done
[ -n "$BUILD" ] || { echo "build the plugin first: cargo build --release --examples" >&2; exit 1; }
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$BUILD}"
SERVER_BIN="$BUILD/examples/face-server"
[ -x "$SERVER_BIN" ] || { echo "$SERVER_BIN missing: cargo build --release --example face-server" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
free_port() {
  python3 -c 'import socket, sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

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

TMP="$(mktemp -d /tmp/face-upload.XXXXXX)"
PIDS=()
# On any failure the broker and the server must not outlive the script.
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT

# --- broker: the one the camera and the server share ---------------------------------------
if [ -n "${FACE_UPLOAD_BROKER:-}" ]; then
  BROKER="$FACE_UPLOAD_BROKER"
else
  MQTT_PORT="$(free_port tcp)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MQTT_PORT" >"$TMP/mosquitto.conf"
  MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
  [ -x "$MOSQUITTO" ] || { echo "mosquitto missing: run scripts/setup.sh" >&2; exit 1; }
  "$MOSQUITTO" -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MQTT_PORT") 2>/dev/null && break
    sleep 0.1
  done
  BROKER="mqtt://127.0.0.1:$MQTT_PORT"
fi
ANSWERS="$BROKER/facekit/upload/camera-$$"

# --- server: receive, record, identify, answer ---------------------------------------------
# The recording name must hold {upload}: with the default name this one upload is upload 1.
RECORD="${OUT%.mkv}-{upload}.mkv"
SERVER_ARGS=(--rtp-port "${FACE_UPLOAD_PORT:-0}" --answers "$ANSWERS" --record "$RECORD"
  --window "${FACE_UPLOAD_WINDOW:-0}")
[ -n "${FACE_UPLOAD_GALLERY:-}" ] && SERVER_ARGS+=(--gallery "$FACE_UPLOAD_GALLERY")
"$SERVER_BIN" "${SERVER_ARGS[@]}" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
PORT=""
for _ in $(seq 600); do
  PORT="$(sed -n 's|^UPLOAD udp://[0-9.]*:\([0-9]*\) .*|\1|p' "$TMP/server.log")"
  [ -n "$PORT" ] && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$TMP/server.log"; echo "face-server failed to start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { cat "$TMP/server.log"; echo "face-server did not listen" >&2; exit 1; }

# --- capture side: detect, keep and crop face frames, encode, send; wait for the answer ----
ENCODE=(x264enc pass=qual "quantizer=${FACE_UPLOAD_QUANTIZER:-23}" tune=zerolatency
  speed-preset=veryfast key-int-max=30 ! rtph264pay config-interval=1 pt=96 mtu=1400)
gst-launch-1.0 -m "${SOURCE[@]}" \
  ! facedetect landmarks=false updates=none ! "${CROP[@]}" \
  ! videoconvert ! "${ENCODE[@]}" ! faceanswer location="$ANSWERS" \
  ! udpsink host=127.0.0.1 port="$PORT" sync=true | tee "$TMP/capture.log" | grep -v 'faceanswer-person, '
# The key image (the last field) prints as a long serialised sample: show the answer without it.
sed -n 's/^.*\(faceanswer-person, .*\), image=(sample).*/\1/p' "$TMP/capture.log"
grep -q 'faceanswer-done, answered=(boolean)true' "$TMP/capture.log" \
  || { cat "$TMP/server.log"; echo "the face server did not answer" >&2; exit 1; }
grep '^ANSWER\|^DONE' "$TMP/server.log" | sed 's/^/server: /'
mv "${OUT%.mkv}-1.mkv" "$OUT"
# The server already waits for upload 2 (its recording exists, empty): stop it.
kill "${PIDS[-1]}" 2>/dev/null || true
wait "${PIDS[-1]}" 2>/dev/null || true
rm -f "${OUT%.mkv}-2.mkv"

# The peer: the same frames, encoded and packetised the same way, uncropped (not sent).
if [ -z "${FACE_UPLOAD_DEVICE:-}" ]; then
  gst-launch-1.0 -q "${SOURCE[@]}" ! videoconvert ! "${ENCODE[@]}" ! filesink location="$TMP/full.rtp"
  SENT="$(sed -n 's/.*faceanswer-done, .*bytes-sent=(guint64)\([0-9]*\).*/\1/p' "$TMP/capture.log")"
  # Seconds of video: the frames facecrop saw over the clip's frame rate.
  FRAMES="$(grep -c 'facecrop, ' "$TMP/capture.log" || true)"
  RATE="$(gst-launch-1.0 -v filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux \
    ! fakesink num-buffers=1 2>/dev/null | grep -o 'framerate=(fraction)[0-9]*/[0-9]*' | head -n1 | cut -d')' -f2)"
  SECONDS_OF_VIDEO="$(awk -v n="$FRAMES" -v r="$RATE" 'BEGIN { split(r, q, "/"); print n * q[2] / q[1] }')"
  awk -v c="$SENT" -v f="$(stat -c %s "$TMP/full.rtp")" -v s="$SECONDS_OF_VIDEO" \
    'BEGIN { printf "upload: %.0f bytes/s cropped, %.0f bytes/s full frame (ratio %.3f)\n", c / s, f / s, c / f }'
fi
echo "recorded what arrived in $OUT"
