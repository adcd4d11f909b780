#!/usr/bin/env bash
# Benchmark: facekit's `facedetect` vs OpenCV's `facedetect` (gstreamer1.0-opencv).
#
#   bash bench/facedetect-vs-opencv.sh
#
# Measures, for two inputs (carphone scaled to 640x480 and looped; astronaut.png frozen at
# 640x480), the frames/s of each element (raw, and net of the input's own cost measured with
# `identity` in its place) and the number of frames where it reported at least one face.
# This is a benchmark, not a test: it exits non-zero only when something cannot run.
#
# Environment:
#   FACEKIT_PLUGIN   our plugin (default: target/release/libgstfacekit.so; build it first)
#   BENCH_REPS       repetitions per measurement, median reported (default 3)
#   BENCH_FRAMES     frames per carphone run (default 600 = 5 loops of the 120-frame clip)
#   BENCH_STILL      frames per astronaut run (default 300)
#   BENCH_KEEP=1     keep the temporary directory (raw frames, registries, per-run JSON)
# Installs gstreamer1.0-opencv and opencv-data with apt when missing (needs root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
REPS="${BENCH_REPS:-3}"
FRAMES="${BENCH_FRAMES:-600}"
STILL="${BENCH_STILL:-300}"
CARPHONE="$ROOT/samples/carphone_pristine.mp4"
ASTRONAUT="$ROOT/samples/astronaut.png"
# Python with the distribution's GObject bindings (python3-gi), not a pyenv/venv one.
PY=/usr/bin/python3
OUR_LONGNAME="Face detector (facekit)"

die() { echo "facedetect-vs-opencv: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ -f "$PLUGIN" ]] || die "plugin not found: $PLUGIN (cargo build --release first, or set FACEKIT_PLUGIN)"
[[ -f "$CARPHONE" && -f "$ASTRONAUT" ]] || die "samples missing under $ROOT/samples (run scripts/setup.sh)"
[[ "$REPS" =~ ^[1-9][0-9]*$ && "$FRAMES" =~ ^[1-9][0-9]*$ && "$STILL" =~ ^[1-9][0-9]*$ ]] \
  || die "BENCH_REPS, BENCH_FRAMES and BENCH_STILL must be positive integers"

# --- packages ------------------------------------------------------------------------------
APT_PKGS=(gstreamer1.0-opencv opencv-data gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav python3-gi gir1.2-gstreamer-1.0)
missing=()
for p in "${APT_PKGS[@]}"; do
  # (sed, not grep -q: an early-closed pipe would fail the check under pipefail)
  [[ "$(dpkg -s "$p" 2>/dev/null | sed -n 's/^Status: //p')" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  ((EUID == 0)) || die "need root to apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt cannot already install them.
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi

# --- two plugin registries -----------------------------------------------------------------
TMP="$(mktemp -d /tmp/facedetect-bench.XXXXXX)"
if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "keeping $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi
unset GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0 GST_PLUGIN_SYSTEM_PATH GST_PLUGIN_SYSTEM_PATH_1_0 \
  GST_REGISTRY GST_REGISTRY_1_0 FACEKIT_THREADS
export GST_REGISTRY_FORK=yes

SYS_PLUGINS="$(dirname "$(gst-inspect-1.0 coreelements | sed -n 's/^ *Filename *//p')")"
[[ -f "$SYS_PLUGINS/libgstopencv.so" ]] || die "libgstopencv.so not in $SYS_PLUGINS"

# OpenCV: system plugins only.
opencv_env() { env GST_REGISTRY="$TMP/opencv.bin" "$@"; }

# facekit: our plugin plus every system plugin except OpenCV's (same factory name).
mkdir -p "$TMP/facekit-plugin" "$TMP/system-no-opencv"
ln -s "$(readlink -f "$PLUGIN")" "$TMP/facekit-plugin/libgstfacekit.so"
for so in "$SYS_PLUGINS"/*.so; do
  [[ "$(basename "$so")" == libgstopencv.so ]] || ln -s "$so" "$TMP/system-no-opencv/"
done
facekit_env() {
  env GST_REGISTRY="$TMP/facekit.bin" GST_PLUGIN_PATH="$TMP/facekit-plugin" \
    GST_PLUGIN_SYSTEM_PATH="$TMP/system-no-opencv" "$@"
}

inspect_field() { sed -n "s/^ *$1  *//p" | head -1; }
ocv_info="$(opencv_env gst-inspect-1.0 facedetect 2>/dev/null)" || die "OpenCV facedetect not found"
ocv_file="$(inspect_field Filename <<<"$ocv_info")"
[[ "$(basename "$ocv_file")" == libgstopencv.so ]] \
  || die "in the OpenCV registry 'facedetect' comes from '$ocv_file', not libgstopencv.so"
our_info="$(facekit_env gst-inspect-1.0 facedetect 2>/dev/null)" || die "our facedetect not found (plugin failed to load?)"
our_file="$(inspect_field Filename <<<"$our_info")"
our_long="$(inspect_field Long-name <<<"$our_info")"
[[ "$our_long" == "$OUR_LONGNAME" && "$(readlink -f "$our_file")" == "$(readlink -f "$PLUGIN")" ]] \
  || die "in the facekit registry 'facedetect' is '$our_long' from '$our_file', not ours"
if facekit_env gst-inspect-1.0 opencv >/dev/null 2>&1; then die "OpenCV plugin visible in the facekit registry"; fi
log "OpenCV facedetect: $ocv_file"
log "facekit facedetect: $our_file ($our_long)"

# --- inputs --------------------------------------------------------------------------------
RAW_CAPS="video/x-raw,format=RGB,width=640,height=480"
log "decoding carphone to raw 640x480 RGB frames"
mkdir -p "$TMP/carphone"
opencv_env gst-launch-1.0 -q filesrc location="$CARPHONE" ! qtdemux ! avdec_h264 ! videoconvert \
  ! videoscale ! "$RAW_CAPS" ! multifilesink location="$TMP/carphone/f%03d.rgb" >/dev/null
nclip=$(find "$TMP/carphone" -name 'f*.rgb' | wc -l)
((nclip > 0)) || die "carphone decoded to no frames"
log "carphone: $nclip frames, looped to $FRAMES"

# Both sources end in the same RGB caps; the element under test goes between SRC and fakesink.
SRC_CARPHONE="multifilesrc location=$TMP/carphone/f%03d.rgb index=0 stop-index=$((nclip - 1)) loop=true num-buffers=$FRAMES caps=$RAW_CAPS,framerate=30/1 ! rawvideoparse use-sink-caps=true"
# Scaled once, then frozen (the per-frame cost is the element's alone).
SRC_ASTRONAUT="filesrc location=$ASTRONAUT ! pngdec ! videoconvert ! videoscale ! $RAW_CAPS ! imagefreeze num-buffers=$STILL"

# --- runner --------------------------------------------------------------------------------
# Each job: runs a pipeline REPS times. Per run: PAUSED (loads models, prerolls the first frame),
# then time PLAYING -> EOS, which covers frames 2..N. Element messages are kept and parsed after
# the run so the bus reader costs as little as possible while timing.
cat >"$TMP/run.py" <<'PY'
import json, re, resource, sys, time
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst

Gst.init(None)
# A message's `faces` list serialises as `faces=(structure){ "face\,\ x\=...", ... }`
# (`faces=(int){  }` when empty, on both elements); count its top-level "face" entries.
ENTRY = re.compile(r'"face\\,')
POLL = 10 * Gst.SECOND

def pump(bus, pipe, until, msgs):
    while True:
        m = bus.timed_pop(POLL)
        if m is None:
            raise SystemExit("timeout waiting for %s" % until)
        if m.type == Gst.MessageType.ERROR:
            err, dbg = m.parse_error()
            raise SystemExit("pipeline error: %s (%s)" % (err.message, dbg))
        if m.type == Gst.MessageType.ELEMENT and m.src.get_name() == "dut":
            msgs.append(m.get_structure().to_string())
        elif m.type == until and (until != Gst.MessageType.ASYNC_DONE or m.src == pipe):
            return

def run(desc):
    pipe = Gst.parse_launch(desc)
    bus = pipe.get_bus()
    msgs = []
    if pipe.set_state(Gst.State.PAUSED) == Gst.StateChangeReturn.FAILURE:
        raise SystemExit("cannot pause: " + desc)
    pump(bus, pipe, Gst.MessageType.ASYNC_DONE, msgs)
    t0, c0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    pipe.set_state(Gst.State.PLAYING)
    pump(bus, pipe, Gst.MessageType.EOS, msgs)
    secs, c1 = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    rendered = pipe.get_by_name("sink").get_property("stats").get_value("rendered")
    pipe.set_state(Gst.State.NULL)
    counts = [len(ENTRY.findall(s)) for s in msgs if s.startswith("facedetect,")]
    return dict(frames=rendered, timed_frames=rendered - 1, secs=secs, cpu=cpu, messages=len(counts),
                face_frames=sum(1 for c in counts if c), faces=sum(counts))

jobs = json.load(open(sys.argv[1]))
for job in jobs:
    for rep in range(job["reps"]):
        r = run(job["pipeline"])
        r.update(input=job["input"], element=job["element"], rep=rep)
        print(json.dumps(r), flush=True)
        print("   %-9s %-26s rep %d: %4d frames in %6.2f s (%6.1f fps), face in %d"
              % (r["input"], r["element"], rep + 1, r["frames"], r["secs"],
                 r["timed_frames"] / r["secs"], r["face_frames"]), file=sys.stderr)
PY

# jobs <element label> <element description or "identity"> -> JSON list over both inputs
jobs() {
  "$PY" - "$1" "$2" "$REPS" "$SRC_CARPHONE" "$SRC_ASTRONAUT" <<'PY'
import json, sys
label, el, reps, carphone, astronaut = sys.argv[1:]
print(json.dumps([dict(input=name, element=label, reps=int(reps),
                       pipeline="%s ! %s name=dut ! fakesink name=sink sync=false" % (src, el))
                  for name, src in (("carphone", carphone), ("astronaut", astronaut))]))
PY
}
# OpenCV: draws nothing (display=false; ours does not draw by default), a message every frame.
OCV_EL="facedetect display=false updates=every_frame"
# Ours: defaults (blazeface-full, landmarks and head pose on, detector every 10th frame and
# whenever FaceMesh loses a face); updates=every-frame is its default.
OUR_EL="facedetect updates=every-frame"
# Rows: label, element, thread budget (FACEKIT_THREADS stays unset; "threads" is the property).
FACEKIT_ROWS=(
  "facekit-default|$OUR_EL|default"
  "facekit-1thread|$OUR_EL threads=1|1"
  "facekit-every|$OUR_EL interval=1|default"
  "facekit-short|$OUR_EL model=blazeface-short|default"
)
"$PY" - >"$TMP/opencv-jobs.json" <<PY
import json
print(json.dumps($(jobs identity identity) + $(jobs opencv "$OCV_EL")))
PY
facekit_jobs=()
for row in "${FACEKIT_ROWS[@]}"; do
  IFS='|' read -r label el _ <<<"$row"
  facekit_jobs+=("$(jobs "$label" "$el")")
done
"$PY" - "${facekit_jobs[@]}" >"$TMP/facekit-jobs.json" <<'PY'
import json, sys
print(json.dumps([job for arg in sys.argv[1:] for job in json.loads(arg)]))
PY

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "running OpenCV and baseline (identity) pipelines, $REPS reps each"
# OpenCV prints errors for the eye/nose/mouth cascades Debian does not ship; keep them out.
opencv_env "$PY" "$TMP/run.py" "$TMP/opencv-jobs.json" >"$TMP/results.jsonl" \
  2> >(grep -v "persistence.cpp.*Can't open file: '.*haarcascade_mcs_" >&2)
log "running facekit pipelines, $REPS reps each"
facekit_env "$PY" "$TMP/run.py" "$TMP/facekit-jobs.json" >>"$TMP/results.jsonl"

# --- report --------------------------------------------------------------------------------
our_ver="$(inspect_field Version <<<"$our_info")"
ort="$(basename "$(readlink -f "$ROOT/models/runtime/libonnxruntime.so" 2>/dev/null || echo unknown)")"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo n/a)"
ROW_THREADS="$(printf '%s\n' "${FACEKIT_ROWS[@]}" | cut -d'|' -f1,3 | tr '\n' ' ')"
"$PY" - "$TMP/results.jsonl" <<PY
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(xs): return statistics.median(xs)
def group(i, e): return [r for r in rows if r["input"] == i and r["element"] == e]
print()
print("machine : nproc=$(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), "
      "load average before the runs $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)")
print("versions: GStreamer $(gst-launch-1.0 --version | sed -n 's/^GStreamer //p'), "
      "gstreamer1.0-opencv $(dpkg-query -W -f '${Version}' gstreamer1.0-opencv), "
      "OpenCV $(dpkg-query -W -f '${Version}' opencv-data), "
      "facekit $our_ver (git $commit), ONNX Runtime $ort")
print("runs    : median of $REPS; carphone = $nclip-frame clip looped to $FRAMES frames, "
      "astronaut = $STILL frozen frames; 640x480 RGB")
print("          net fps = 1 / (time per frame - time per frame with identity in its place)")
print("          cpu ms = process CPU time (all threads) per frame, net of identity's; steadier than")
print("          fps when other work shares the machine (then compare cpu ratios)")
threads = dict(r.split("|") for r in "$ROW_THREADS".split())
threads.update(opencv="default", identity="")
print()
cols = "%-10s %-16s %7s %8s %8s %7s %13s %9s %9s %9s %10s"
hdr = cols % ("input", "element", "threads", "raw fps", "net fps", "cpu ms", "face frames",
              "faces/frm", "fps ratio", "cpu ratio", "face ratio")
print(hdr); print("-" * len(hdr))
warn = []
for inp in ("carphone", "astronaut"):
    base = med([r["secs"] / r["timed_frames"] for r in group(inp, "identity")])
    cpu_base = med([r["cpu"] / r["timed_frames"] for r in group(inp, "identity")])
    ref = None
    for el in ["opencv"] + [k for k in threads if k.startswith("facekit")]:
        g = group(inp, el)
        per = [r["secs"] / r["timed_frames"] for r in g]
        raw = med([1 / p for p in per])
        net = med([1 / max(p - base, 1e-9) for p in per])
        cpu = med([max(r["cpu"] / r["timed_frames"] - cpu_base, 1e-9) for r in g])
        ff, tot = med([r["face_frames"] for r in g]), med([r["frames"] for r in g])
        per_face = med([r["faces"] / r["face_frames"] if r["face_frames"] else 0 for r in g])
        warn += ["%s/%s rep %d: %d messages for %d frames" % (inp, el, r["rep"] + 1, r["messages"], r["frames"])
                 for r in g if r["messages"] != r["frames"]]
        if ref is None:
            ref, ratios = (net, cpu, ff), ("", "", "")
        else:
            ratios = ("%.2fx" % (net / ref[0]), "%.2fx" % (ref[1] / cpu),
                      "%.2fx" % (ff / ref[2]) if ref[2] else "n/a")
        print((cols % (inp, el, threads[el], "%.1f" % raw, "%.1f" % net, "%.2f" % (cpu * 1e3),
                       "%g / %g" % (ff, tot), "%.2f" % per_face, *ratios)).rstrip())
    print((cols % (inp, "(identity)", "", "%.0f" % (1 / base), "", "%.2f" % (cpu_base * 1e3),
                   "", "", "", "", "")).rstrip())
print()
print("ratio = facekit / OpenCV (fps: net fps; cpu: OpenCV cpu ms / ours; face: frames with >= 1 face);")
print("threads: default = one per core (OpenCV's parallel backend; ONNX Runtime's shared pool), 1 = threads=1")
print("faces/frm = mean faces reported per frame with a face (1 face is visible in every frame)")
for w in warn:
    print("WARNING:", w)
PY
