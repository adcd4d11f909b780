#!/usr/bin/env bash
# Benchmark: what attentionmeter adds to a facedetect pipeline (CPU time), at 30 fps 640x480.
#
#   bash bench/attention-cpu.sh
#
# The carphone clip scaled to 640x480, looped and played in real time (30 fps, sink sync=true)
# through three pipelines, interleaved BENCH_REPS times, CPU time (user+sys) of each run:
#   peer     ... ! facedetect ! fakesink
#   meter    ... ! facedetect ! attentionmeter ! fakesink
#   meter20  ... ! facedetect ! attentionmeter x20 ! fakesink   (20 meters in a row: the
#            meter's own cost stands out of the run-to-run noise of facedetect)
# Prints medians and attentionmeter's added share of the peer's CPU time, per meter.
# Process CPU time on a shared 2-core machine varies by several % from run to run, far more
# than the meter costs, so the bench also times each element per frame in one run with
# GStreamer's latency tracer (flags=element):
#   ... ! facedetect ! identity ! attentionmeter ! identity ! fakesink
# and reports the meter's median time per frame net of `identity` (a no-op element, the peer
# for "an element that does nothing"), as a share of facedetect's median time per frame.
# A benchmark, not a test: it exits non-zero only when something cannot run.
#
# Environment: BENCH_REPS (default 3), BENCH_SECONDS per run (default 10),
#   FACEKIT_THREADS (default 1 here: inference threads, fewer spinning threads = steadier figures).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPS="${BENCH_REPS:-3}"
SECS="${BENCH_SECONDS:-10}"
export FACEKIT_THREADS="${FACEKIT_THREADS:-1}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$ROOT/target/release}"
[ -f "$GST_PLUGIN_PATH/libgstfacekit.so" ] || { echo "build first: cargo build --release" >&2; exit 1; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
RAW="$TMP/carphone-640x480.i420"
gst-launch-1.0 -q filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264 \
  ! videoconvert ! videoscale ! video/x-raw,format=I420,width=640,height=480 ! filesink location="$RAW"
FRAMES=$((SECS * 30))
LOOPS=$(( (FRAMES + 119) / 120 ))
SRC="multifilesrc location=$RAW loop=true num-buffers=$LOOPS ! rawvideoparse width=640 height=480 format=i420 framerate=30/1"
METERS20=$(for _ in $(seq 20); do printf '! attentionmeter '; done)
/usr/bin/python3 - "$REPS" "$SRC" "$METERS20" "$TMP" <<'PY'
import os, re, resource, statistics, subprocess, sys, time
reps, src, meters20, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
variants = {
    "peer (facedetect)": f"{src} ! facedetect ! fakesink sync=true",
    "facedetect ! attentionmeter": f"{src} ! facedetect ! attentionmeter ! fakesink sync=true",
    "facedetect ! 20 x attentionmeter": f"{src} ! facedetect {meters20} ! fakesink sync=true",
}
cpu = {k: [] for k in variants}
wall = {k: [] for k in variants}
for r in range(reps):
    for name, desc in variants.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run(["gst-launch-1.0", "-q", *desc.split()], capture_output=True, text=True)
        t1 = time.monotonic()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"{name} failed: {p.stderr[-2000:]}")
        c = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu[name].append(c); wall[name].append(t1 - t0)
        print(f"  rep {r + 1} {name:34s} cpu {c:7.3f} s  wall {t1 - t0:6.2f} s", file=sys.stderr)
med = {k: statistics.median(v) for k, v in cpu.items()}
print(f"\nattentionmeter CPU share, 640x480 @ 30 fps, median of {reps} runs")
print(f"{'pipeline':36s} {'cpu s':>8s} {'wall s':>8s} {'vs peer':>9s}")
peer = med["peer (facedetect)"]
for k in variants:
    print(f"{k:36s} {med[k]:8.3f} {statistics.median(wall[k]):8.2f} {med[k] / peer:8.4f}x")
one = (med["facedetect ! attentionmeter"] - peer) / peer * 100
per = (med["facedetect ! 20 x attentionmeter"] - peer) / 20 / peer * 100
print(f"\nadded by one attentionmeter (direct difference, noisy): {one:+.3f} % of facedetect's CPU")
print(f"added per attentionmeter (20 in a row / 20):           {per:+.3f} % of facedetect's CPU")

# Per-element time per frame, same run, latency tracer.
env = dict(os.environ, GST_TRACERS="latency(flags=element)", GST_DEBUG="GST_TRACER:7",
           GST_DEBUG_FILE=f"{tmp}/trace.log", GST_DEBUG_NO_COLOR="1")
desc = f"{src} ! facedetect ! identity name=peer0 ! attentionmeter name=meter ! identity name=peer1 ! fakesink sync=true"
p = subprocess.run(["gst-launch-1.0", "-q", *desc.split()], env=env, capture_output=True, text=True)
if p.returncode != 0:
    sys.exit(f"traced run failed: {p.stderr[-2000:]}")
times = {}
for m in re.finditer(r"element-latency, element-id=\(string\)\S+ element=\(string\)(\w+), src=\(string\)src, time=\(guint64\)(\d+)",
                     open(f"{tmp}/trace.log").read()):
    times.setdefault(m.group(1), []).append(int(m.group(2)) / 1000.0)
fd = next(v for k, v in times.items() if "facedetect" in k)
med_t = {k: statistics.median(v) for k, v in times.items()}
print("\nper-frame time by element (latency tracer, one run, median over frames)")
for k in sorted(med_t, key=lambda k: -med_t[k]):
    print(f"  {k:28s} {med_t[k]:10.1f} us  ({len(times[k])} frames)")
net = med_t["meter"] - med_t["peer1"]
print(f"attentionmeter net of identity: {net:.1f} us per frame = {net / statistics.median(fd) * 100:.3f} % of facedetect's time per frame")
print("(peer0, right after facedetect, also absorbs facedetect's hand-over; peer1 is the clean no-op baseline)")
PY
