#!/usr/bin/env bash
# Benchmark: 30 viewer pipelines publishing to one mosquitto and one presenter overlay,
# together on this machine, for BENCH_SECONDS (default 30).
#
#   bash bench/attention-load.sh
#
# A private mosquitto on 127.0.0.1 (free port). Peer: the same presenter pipeline
# (videotestsrc live 640x360 @ 10 fps ! attentionoverlay ! x264enc ! mp4) run alone first.
# Then the presenter again while BENCH_VIEWERS (30) viewer processes run in real time:
# carphone 176x144 looped, analysed at BENCH_FPS (default 2) frames/s: attention samples 1
# frame/s, so a viewer device needs to analyse no more than that (30 viewers x 30 fps of face
# analysis would need ~15 cores here; at 5 fps ~3 cores), facedetect ! attentionmeter window=5
# sample-rate=1 publish=...; every third viewer looks away (yaw-range=80,90) and gets alerted.
# Prints: presenter CPU/wall/frames alone vs loaded, viewers' median/max CPU and whether they
# kept real time, messages each viewer posted vs what the presenter's report holds, broker CPU.
# A benchmark, not a test: it exits non-zero only when something cannot run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${BENCH_SECONDS:-30}"
VIEWERS="${BENCH_VIEWERS:-30}"
FPS="${BENCH_FPS:-2}"
export FACEKIT_THREADS="${FACEKIT_THREADS:-1}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$ROOT/target/release}"
[ -f "$GST_PLUGIN_PATH/libgstfacekit.so" ] || { echo "build first: cargo build --release" >&2; exit 1; }
MOSQ="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
[ -x "$MOSQ" ] || { echo "mosquitto missing: run scripts/setup.sh" >&2; exit 1; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
RAW="$TMP/carphone.i420"
gst-launch-1.0 -q filesrc location="$ROOT/samples/carphone_pristine.mp4" ! qtdemux ! h264parse ! avdec_h264 \
  ! videoconvert ! video/x-raw,format=I420 ! filesink location="$RAW"
/usr/bin/python3 - "$SECS" "$VIEWERS" "$RAW" "$MOSQ" "$TMP" "$FPS" <<'PY'
import os, re, socket, statistics, subprocess, sys, time
secs, nview, raw, mosq, tmp, fps = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
load0 = os.getloadavg()[0]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
conf = f"{tmp}/mosquitto.conf"
open(conf, "w").write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
broker = subprocess.Popen([mosq, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close(); break
    except OSError:
        if time.time() > deadline: sys.exit("mosquitto did not start")
        time.sleep(0.05)
url = f"mqtt://127.0.0.1:{port}/course/bench/attention"

def cpu_of(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def presenter(tag):
    out = f"{tmp}/{tag}.mp4"; rep = f"{tmp}/{tag}.svg"
    cmd = ["gst-launch-1.0", "-e", "videotestsrc", "is-live=true", f"num-buffers={secs * 10}", "!",
           "video/x-raw,format=I420,width=640,height=360,framerate=10/1", "!",
           "attentionoverlay", f"subscribe={url}", f"report-location={rep}", "!",
           "videoconvert", "!", "x264enc", "speed-preset=veryfast", "tune=zerolatency", "!",
           "mp4mux", "!", "filesink", f"location={out}"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out, rep

def finish(p, t0):
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, time.monotonic() - t0

def frames(mp4):
    r = subprocess.run(["gst-launch-1.0", "-m", "filesrc", f"location={mp4}", "!", "qtdemux", "!",
                        "h264parse", "!", "avdec_h264", "!", "fakesink", "silent=false", "-v"],
                       capture_output=True, text=True)
    return r.stdout.count("chain   ******")

print(f"== presenter alone ({secs} s)", file=sys.stderr)
t0 = time.monotonic(); p, mp4, _ = presenter("alone"); alone_cpu, alone_wall = finish(p, t0)
if p.returncode: sys.exit(f"presenter failed: {p.stderr.read()[-2000:]}")
alone_frames = frames(mp4)

print(f"== presenter + {nview} viewers ({secs} s)", file=sys.stderr)
import threading
t0 = time.monotonic(); p, mp4, rep = presenter("loaded")
loaded = {}
waiter = threading.Thread(target=lambda: loaded.update(r=finish(p, t0)))
waiter.start()
time.sleep(1.0)
loops = max(1, round(secs / 4.0))
viewers = []
for i in range(nview):
    away = "yaw-range=80,90" if i % 3 == 2 else ""
    cmd = (f"gst-launch-1.0 -m multifilesrc location={raw} loop=true num-buffers={loops} ! "
           f"rawvideoparse width=176 height=144 format=i420 framerate=30000/1001 ! videorate ! "
           f"video/x-raw,framerate={fps}/1 ! facedetect ! attentionmeter viewer-id=viewer-{i:02d} "
           f"course=bench window=5 sample-rate=1 {away} publish={url} ! fakesink sync=true")
    log = open(f"{tmp}/viewer-{i:02d}.log", "w+")
    viewers.append((subprocess.Popen(cmd.split(), stdout=log, stderr=subprocess.STDOUT), time.monotonic(), log))
vcpu, vwall, posted = [], [], []
for v, vt0, log in viewers:
    c, w = finish(v, vt0)
    vcpu.append(c); vwall.append(w)
    log.seek(0); out = log.read()
    if v.returncode: sys.exit(f"viewer failed: {out[-2000:]}")
    posted.append(len(re.findall(r"\(element\): attention,", out)))
    if "cannot reach the MQTT broker" in out: print("viewer warned: broker unreachable", file=sys.stderr)
viewers_cpu_total = sum(vcpu)
waiter.join()
loaded_cpu, loaded_wall = loaded["r"]
if p.returncode: sys.exit(f"presenter failed: {p.stderr.read()[-2000:]}")
broker_cpu = cpu_of(broker.pid)
broker.terminate(); broker.wait()
loaded_frames = frames(mp4)
svg = open(rep).read()
series = svg.count('class="series viewer"')
video_seconds = loops * 120 / (30000 / 1001)
print(f"\n{nview} viewers ({fps} fps analysed) + 1 presenter on one mosquitto, {secs} s, this machine ({os.cpu_count()} cores, load average at start: {load0:.1f})")
print(f"{'presenter':28s} {'cpu s':>8s} {'wall s':>8s} {'frames':>7s}")
print(f"{'alone (peer)':28s} {alone_cpu:8.2f} {alone_wall:8.2f} {alone_frames:7d}")
print(f"{'with viewers':28s} {loaded_cpu:8.2f} {loaded_wall:8.2f} {loaded_frames:7d}")
print(f"presenter CPU ratio loaded/alone: {loaded_cpu / alone_cpu:.2f}x; frames expected {secs * 10}")
print(f"viewers: video {video_seconds:.1f} s each; wall median {statistics.median(vwall):.1f} s "
      f"(max {max(vwall):.1f} s; real time kept when close to the video length)")
print(f"viewers: CPU per viewer median {statistics.median(vcpu):.2f} s (max {max(vcpu):.2f} s); "
      f"all together {viewers_cpu_total:.1f} s = {viewers_cpu_total / max(vwall):.2f} cores while running")
print(f"attention messages posted per viewer: median {statistics.median(posted)} (min {min(posted)})")
print(f"presenter report: {series} viewer series of {nview} viewers; broker CPU {broker_cpu:.2f} s")
PY
