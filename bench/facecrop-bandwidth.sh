#!/usr/bin/env bash
# Benchmark: upload bandwidth of face-first upload (facedetect ! facecrop ! encode) vs sending
# full frames, with the same encoder settings, and the frames/s of the capture pipeline.
#
#   bash bench/facecrop-bandwidth.sh
#
# Input: samples/carphone_pristine.mp4 (a face in every frame) decoded and scaled to 640x480
# I420 once, looped to BENCH_FRAMES frames at 30000/1001 fps. Each stream is encoded with
# x264enc at constant quality (pass=qual quantizer=23, tune=zerolatency, speed-preset=veryfast,
# key-int-max=30) and packetised with rtph264pay (mtu 1400): "bytes" are the RTP packets
# handed to the network (12-byte RTP headers included, UDP/IP headers not), bytes/s is per
# second of stream time. A constant bitrate would make every stream the same size, so the
# quality, not the rate, is held constant.
# fps: time PLAYING -> EOS after preroll (model loading excluded), median of BENCH_REPS.
# Peer: the full-frame stream (the same source and encoder without facedetect/facecrop).
# Each target size runs with fit=crop (a face larger than the target is cut: carphone's face
# is ~220 px wide at 640x480) and fit=scale (the whole face with its margin, scaled down).
# It is a benchmark, not a test: it exits non-zero only when something cannot run.
#
# Environment:
#   FACEKIT_PLUGIN   the plugin (default target/release/libgstfacekit.so; build it first)
#   BENCH_FRAMES     frames per run (default 600: the 120-frame clip 5 times)
#   BENCH_REPS       runs per measurement, median reported (default 3)
#   BENCH_KEEP=1     keep the temporary directory
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
FRAMES="${BENCH_FRAMES:-600}"
REPS="${BENCH_REPS:-3}"
CARPHONE="$ROOT/samples/carphone_pristine.mp4"
PY=/usr/bin/python3
die() { echo "facecrop-bandwidth: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
[[ -f "$PLUGIN" ]] || die "plugin not found: $PLUGIN (cargo build --release first, or set FACEKIT_PLUGIN)"
[[ -f "$CARPHONE" ]] || die "$CARPHONE missing (run scripts/setup.sh)"
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$FRAMES" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS and BENCH_FRAMES must be positive integers"
"$PY" -c 'import gi; gi.require_version("Gst", "1.0")' 2>/dev/null \
  || die "needs python3-gi and gir1.2-gstreamer-1.0 (apt-get install python3-gi gir1.2-gstreamer-1.0)"

TMP="$(mktemp -d /tmp/facecrop-bench.XXXXXX)"
if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "keeping $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi
mkdir -p "$TMP/plugin" "$TMP/clip"
ln -s "$(readlink -f "$PLUGIN")" "$TMP/plugin/libgstfacekit.so"
# OpenCV's plugin (gstreamer1.0-opencv, if installed) also has an element named facedetect:
# use a registry of the system plugins without it, plus ours.
SYS_PLUGINS="$(dirname "$(gst-inspect-1.0 coreelements | sed -n 's/^ *Filename *//p')")"
mkdir -p "$TMP/system"
for so in "$SYS_PLUGINS"/*.so; do
  [[ "$(basename "$so")" == libgstopencv.so ]] || ln -s "$so" "$TMP/system/"
done
unset GST_PLUGIN_PATH_1_0 GST_PLUGIN_SYSTEM_PATH_1_0 GST_REGISTRY_1_0
export GST_PLUGIN_PATH="$TMP/plugin" GST_PLUGIN_SYSTEM_PATH="$TMP/system" GST_REGISTRY="$TMP/registry.bin"
gst-inspect-1.0 facecrop >/dev/null 2>&1 || die "facecrop not found in $PLUGIN"
[[ "$(gst-inspect-1.0 facedetect | sed -n 's/^ *Long-name *//p')" == "Face detector (facekit)" ]] \
  || die "facedetect does not resolve to facekit's"

RAW_CAPS="video/x-raw,format=I420,width=640,height=480"
log "decoding carphone to raw 640x480 I420 frames"
gst-launch-1.0 -q filesrc location="$CARPHONE" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert \
  ! videoscale ! "$RAW_CAPS" ! multifilesink location="$TMP/clip/f%03d.yuv" >/dev/null
nclip=$(find "$TMP/clip" -name 'f*.yuv' | wc -l)
((nclip > 0)) || die "carphone decoded to no frames"
SRC="multifilesrc location=$TMP/clip/f%03d.yuv index=0 stop-index=$((nclip - 1)) loop=true num-buffers=$FRAMES caps=$RAW_CAPS,framerate=30000/1001 ! rawvideoparse use-sink-caps=true"
ENC="x264enc pass=qual quantizer=23 tune=zerolatency speed-preset=veryfast key-int-max=30 ! rtph264pay mtu=1400 config-interval=1 pt=96"

cat >"$TMP/run.py" <<'PY'
import json, os, statistics, sys, time
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
desc, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])

def wait(bus, pipe, kind):
    while True:
        m = bus.timed_pop(60 * Gst.SECOND)
        if m is None:
            raise SystemExit("timeout")
        if m.type == Gst.MessageType.ERROR:
            err, dbg = m.parse_error()
            raise SystemExit("pipeline error: %s (%s)" % (err.message, dbg))
        if m.type == kind and (kind != Gst.MessageType.ASYNC_DONE or m.src == pipe):
            return

times, sizes, packets = [], [], []
for _ in range(reps):
    pipe = Gst.parse_launch(desc + " ! fakesink name=out sync=false")
    counted = {"bytes": 0, "packets": 0, "frames": 0}
    def count(pad, info):
        counted["bytes"] += info.get_buffer().get_size()
        counted["packets"] += 1
        return Gst.PadProbeReturn.OK
    pipe.get_by_name("out").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PAUSED)
    wait(bus, pipe, Gst.MessageType.ASYNC_DONE)
    t0 = time.perf_counter()
    pipe.set_state(Gst.State.PLAYING)
    wait(bus, pipe, Gst.MessageType.EOS)
    times.append(time.perf_counter() - t0)
    crop = pipe.get_by_name("crop")
    counted["frames"] = crop.get_property("frames-out") if crop else -1
    pipe.set_state(Gst.State.NULL)
    sizes.append(counted["bytes"]); packets.append(counted["packets"])
json.dump({"secs": statistics.median(times), "bytes": statistics.median(sizes),
           "packets": statistics.median(packets), "frames_out": counted["frames"]}, open(out, "w"))
PY

run() { # name, pipeline
  log "$1"
  "$PY" "$TMP/run.py" "$2" "$TMP/$1.json" "$REPS"
}
run full "$SRC ! $ENC"
for size in 160 60; do
  for fit in crop scale; do
    run "$fit$size" "$SRC ! facedetect landmarks=false updates=none ! facecrop name=crop size=${size}x$size fit=$fit post-messages=false ! $ENC"
  done
done
run detect "$SRC ! facedetect landmarks=false updates=none ! $ENC"

"$PY" - "$TMP" "$FRAMES" "$REPS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'PY'
import json, sys
tmp, frames, reps, commit = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
r = {k: json.load(open("%s/%s.json" % (tmp, k)))
     for k in ("full", "detect", "crop160", "scale160", "crop60", "scale60")}
stream_secs = frames * 1001 / 30000
full_bps = r["full"]["bytes"] / stream_secs
full_fps = (frames - 1) / r["full"]["secs"]
print("facecrop bandwidth: carphone 640x480 I420 looped to %d frames (%.1f s of stream), median of %s runs, commit %s"
      % (frames, stream_secs, reps, commit))
print("encoder: x264enc pass=qual quantizer=23 tune=zerolatency speed-preset=veryfast key-int-max=30 ! rtph264pay mtu=1400")
print()
print("%-34s %8s %12s %10s %9s %9s %9s" % ("stream", "frames", "bytes/s", "kbit/s", "bw ratio", "fps", "fps ratio"))
print("-" * 97)
rows = [("full frame 640x480 (peer)", "full"), ("facedetect + full frame (no crop)", "detect"),
        ("facecrop 160x160 fit=crop", "crop160"), ("facecrop 160x160 fit=scale", "scale160"),
        ("facecrop 60x60 fit=crop", "crop60"), ("facecrop 60x60 fit=scale", "scale60")]
for label, k in rows:
    bps = r[k]["bytes"] / stream_secs
    fps = (frames - 1) / r[k]["secs"]
    sent = r[k]["frames_out"] if r[k]["frames_out"] >= 0 else frames
    print("%-34s %8d %12.0f %10.1f %8.3fx %9.1f %8.2fx" % (label, sent, bps, bps * 8 / 1000,
          bps / full_bps, fps, fps / full_fps))
print()
print("bw ratio = bytes/s / full-frame bytes/s (lower is better); fps ratio = fps / full-frame pipeline fps;")
print("fps counts frames 2..N after preroll (model loading excluded); frames = frames sent;")
print("facecrop rows run facedetect landmarks=false ! facecrop; fit=scale keeps the whole face (margin 0.5)")
PY
