#!/usr/bin/env bash
# Per-level renditions over real RTMP: one ingest -> facedetect -> tee -> one faceocclude
# per level -> x264enc -> flvmux -> rtmpsink into a local nginx (RTMP module) that this
# script starts on 127.0.0.1 with a generated config and stops on exit.
# Viewers play rtmp://127.0.0.1:PORT/live/level-N (e.g. with ffplay, vlc, or
# gst-launch-1.0 rtmpsrc location=... ! flvdemux ! h264parse ! avdec_h264 ! autovideosink).
#
#   pipelines/live-occlusion-rtmp.sh [options]
#     --levels "0 1 2 8"   levels to publish, one rendition each (default "0 1 2 3")
#     --priority LIST      regions in uncovering order (default eyes,mouth,nose,brows,cheeks,forehead,chin,face)
#     --style STYLE        blur | pixelate | fill | sticker (default blur)
#     --source SRC         carphone (sample clip, looped; default) | astronaut (still image)
#                          | rtmp://... (an RTMP ingest)
#     --width W --height H scale the ingest (default: carphone 352x288, astronaut 512x512)
#     --seconds N          stop after N seconds (default 30; 0 = until Ctrl-C)
#     --port P             RTMP port on 127.0.0.1 (default 19350)
#     --ready-file F       created once nginx listens and the pipeline is PLAYING
#
# Needs nginx + libnginx-mod-rtmp (scripts/setup.sh installs them), scripts/setup.sh's
# models and samples, and the plugin built (cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEVELS="0 1 2 3"
PRIORITY="eyes,mouth,nose,brows,cheeks,forehead,chin,face"
STYLE=blur
SOURCE=carphone
WIDTH="" HEIGHT=""
SECONDS_TO_RUN=30
PORT=19350
READY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --levels) LEVELS="$2"; shift 2 ;;
    --priority) PRIORITY="$2"; shift 2 ;;
    --style) STYLE="$2"; shift 2 ;;
    --source) SOURCE="$2"; shift 2 ;;
    --width) WIDTH="$2"; shift 2 ;;
    --height) HEIGHT="$2"; shift 2 ;;
    --seconds) SECONDS_TO_RUN="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --ready-file) READY="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "live-occlusion-rtmp.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
command -v nginx >/dev/null || { echo "nginx missing: run scripts/setup.sh (Debian nginx)" >&2; exit 1; }
[ -f "$MODULE" ] || { echo "$MODULE missing: run scripts/setup.sh (Debian libnginx-mod-rtmp)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/facekit-rtmp.XXXXXX)"
NGINX_PID=""
GST_PID=""
stop_pid() { # pid: SIGINT (gst-launch -e sends EOS), then SIGKILL after 5 s
  kill -INT "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  [ -n "$GST_PID" ] && stop_pid "$GST_PID"
  # SIGTERM: nginx's fast shutdown (SIGQUIT would wait for connected players).
  if [ -f "$WORK/nginx.pid" ]; then kill -TERM "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
  [ -n "$NGINX_PID" ] && wait "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$WORK/nginx.conf" <<EOF
load_module $MODULE;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:$PORT;
    chunk_size 4096;
    application live {
      live on;
      record off;
      allow publish 127.0.0.1;
      deny publish all;
      allow play 127.0.0.1;
      deny play all;
    }
  }
}
EOF
nginx -p "$WORK" -e "$WORK/error.log" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$WORK/error.log" >&2; echo "nginx failed to start" >&2; exit 1; }
  sleep 0.1
done
echo "nginx RTMP on rtmp://127.0.0.1:$PORT/live"

case "$SOURCE" in
  carphone)
    # Decoded once; multifilesrc loops the raw frames with continuous timestamps.
    RAW="$WORK/carphone.i420"
    gst-launch-1.0 -q filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse \
      ! avdec_h264 ! video/x-raw,format=I420,width=176,height=144 ! filesink location="$RAW"
    INGEST="multifilesrc location=$RAW loop=true ! rawvideoparse format=i420 width=176 height=144 framerate=30/1"
    WIDTH="${WIDTH:-352}" HEIGHT="${HEIGHT:-288}" ;;
  astronaut)
    INGEST="filesrc location=$ROOT/samples/astronaut.png ! pngdec ! imagefreeze ! videorate ! video/x-raw,framerate=30/1"
    WIDTH="${WIDTH:-512}" HEIGHT="${HEIGHT:-512}" ;;
  rtmp://*)
    INGEST="rtmpsrc location=$SOURCE ! flvdemux name=in in.video ! h264parse ! avdec_h264"
    WIDTH="${WIDTH:-1280}" HEIGHT="${HEIGHT:-720}" ;;
  *) echo "unknown --source '$SOURCE'" >&2; exit 2 ;;
esac

BRANCHES=""
for L in $LEVELS; do
  BRANCHES="$BRANCHES t. ! queue max-size-buffers=30 ! faceocclude name=occlude$L level=$L priority=$PRIORITY style=$STYLE \
    ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=800 \
    ! video/x-h264,profile=constrained-baseline ! flvmux streamable=true ! rtmpsink sync=true location=rtmp://127.0.0.1:$PORT/live/level-$L"
done

# shellcheck disable=SC2086
gst-launch-1.0 -e $INGEST ! videoconvert ! videoscale ! video/x-raw,format=I420,width=$WIDTH,height=$HEIGHT \
  ! facedetect updates=none ! tee name=t $BRANCHES &
GST_PID=$!
echo "publishing levels: $LEVELS (rtmp://127.0.0.1:$PORT/live/level-N)"
sleep 1
kill -0 "$GST_PID" 2>/dev/null || { wait "$GST_PID"; echo "pipeline failed" >&2; exit 1; }
[ -n "$READY" ] && touch "$READY"
if [ "$SECONDS_TO_RUN" = 0 ]; then
  wait "$GST_PID"
else
  for _ in $(seq "$SECONDS_TO_RUN"); do
    kill -0 "$GST_PID" 2>/dev/null || break
    sleep 1
  done
fi
kill -0 "$GST_PID" 2>/dev/null || { wait "$GST_PID" || { echo "pipeline failed" >&2; exit 1; }; }
echo "done"
