#!/usr/bin/env bash
# Benchmark: cost of viewers, per egress.
#
# RTMP (default): runs pipelines/live-occlusion-rtmp.sh with 4 levels (one facedetect, 4
# faceocclude + x264enc renditions, local nginx RTMP on 127.0.0.1) and measures the CPU time
# of the server side (publisher pipeline + nginx) over a fixed window with 4 viewers, then
# with 100 viewers (curl RTMP clients spread over the 4 renditions, reading and discarding),
# alternating BENCH_ROUNDS times. Prints CPU seconds per window, medians and their ratio
# (goal: under 10% apart), and the bytes the viewers received.
#
# WebRTC (--webrtc): runs examples/occlusion-server with --egress webrtc and a Janus it
# starts on loopback; viewers are real WebRTC receivers (bench/webrtc-viewers.py: GStreamer
# webrtcbin, ICE + DTLS-SRTP, RTP discarded without decoding) signalled like the viewer page,
# spread over 4 levels. Measures our pipeline's CPU (the occlusion-server process: detection,
# 4 encodes, RTP to Janus) and Janus' CPU separately, with 4 levels x 4 viewers vs 4 levels x
# 50 viewers; our pipeline is compared per ingest frame (a loaded machine slows the live
# pipeline, so CPU seconds per window alone would also measure the starvation). Goal: our
# pipeline under 20% apart; Janus' cost is the fan-out, it grows with viewers.
#
#   bash bench/occlusion-viewers.sh            # RTMP
#   bash bench/occlusion-viewers.sh --webrtc   # WebRTC through Janus
#
# Environment: BENCH_WINDOW (seconds per measurement, default 20), BENCH_ROUNDS (default 2),
# BENCH_PORT (default 19390), BENCH_VIEWERS (WebRTC large count, default 50). Needs nginx +
# libnginx-mod-rtmp and curl with RTMP support (RTMP), janus, python3-gi,
# gir1.2-gst-plugins-bad-1.0, gstreamer1.0-nice (WebRTC; all from scripts/setup.sh), the
# plugin built (RTMP) or the example built (WebRTC: cargo build --release --example
# occlusion-server).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WINDOW="${BENCH_WINDOW:-20}"
ROUNDS="${BENCH_ROUNDS:-2}"
PORT="${BENCH_PORT:-19390}"
TCK="$(getconf CLK_TCK)"
MODE=rtmp
case "${1:-}" in
  "") ;;
  --webrtc) MODE=webrtc ;;
  -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
  *) echo "occlusion-viewers.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ticks() { # pid... -> utime + stime of those processes (all their threads), in ticks
  local sum=0 p f
  for p in "$@"; do
    f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
    sum=$((sum + ${f% *} + ${f#* }))
  done
  echo "$sum"
}
WORK="$(mktemp -d /tmp/facekit-viewers.XXXXXX)"
SCRIPT_PID="" SERVER_PID="" HOLDER_PID="" CLIENT_PID=""
cleanup() {
  [ -n "$SCRIPT_PID" ] && kill -INT "$SCRIPT_PID" 2>/dev/null && wait "$SCRIPT_PID" 2>/dev/null || true
  [ -n "$CLIENT_PID" ] && kill -TERM "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then
    # Closing its stdin stops the occlusion server, which stops Janus; then the group.
    [ -n "$HOLDER_PID" ] && kill "$HOLDER_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$MODE" = webrtc ]; then
  BIN="$ROOT/target/release/examples/occlusion-server"
  [ -x "$BIN" ] || { echo "$BIN missing: cargo build --release --example occlusion-server" >&2; exit 1; }
  command -v janus >/dev/null || { echo "janus missing: run scripts/setup.sh" >&2; exit 1; }
  LARGE="${BENCH_VIEWERS:-50}"
  mkfifo "$WORK/stdin"
  sleep 100000 > "$WORK/stdin" & HOLDER_PID=$!
  setsid "$BIN" --egress webrtc --start-janus --source carphone --http "127.0.0.1:$PORT" \
    --policy "tips >= 1 -> level 1; tips >= 2 -> level 2; tips >= 3 -> level 3" \
    < "$WORK/stdin" > "$WORK/server.out" 2> "$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/list" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$PORT/list" >/dev/null || { cat "$WORK/server.log" >&2; echo "server did not start" >&2; exit 1; }
  JANUS_PID=$(sed -n 's/^janus on .* (pid \([0-9]*\))$/\1/p' "$WORK/server.log")
  [ -n "$JANUS_PID" ] || { cat "$WORK/server.log" >&2; echo "no Janus pid in the server log" >&2; exit 1; }
  sleep 3
  # viewers -> "pipeline-seconds janus-seconds client-seconds" over WINDOW in $WORK/result,
  # the viewers' packet counts in $WORK/received
  measure_webrtc() {
    local n=$1 tag=$2 a b
    rm -f "$WORK/ready"
    # niced: on one machine the viewers stand in for remote clients; they must not starve the
    # server side being measured.
    nice -n 19 /usr/bin/python3 "$ROOT/bench/webrtc-viewers.py" --server "http://127.0.0.1:$PORT" \
      --viewers "$n" --levels 4 --prefix "$tag-" --ready "$WORK/ready" > "$WORK/client.log" 2>&1 &
    CLIENT_PID=$!
    for _ in $(seq 1800); do [ -f "$WORK/ready" ] && break; kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 0.1; done
    [ -f "$WORK/ready" ] || { cat "$WORK/client.log" "$WORK/server.log" >&2; echo "viewers did not connect" >&2; exit 1; }
    sleep 3
    frames() { curl -sf "http://127.0.0.1:$PORT/stats" | awk '{print $2}'; }
    a="$(ticks "$SERVER_PID") $(ticks "$JANUS_PID") $(ticks "$CLIENT_PID") $(frames)"
    sleep "$WINDOW"
    b="$(ticks "$SERVER_PID") $(ticks "$JANUS_PID") $(ticks "$CLIENT_PID") $(frames)"
    kill -TERM "$CLIENT_PID"; wait "$CLIENT_PID" || true; CLIENT_PID=""
    grep 'received over' "$WORK/client.log" | sed 's/^webrtc-viewers: //' > "$WORK/received"
    sleep 2 # renditions torn down, Janus handles detached
    # CPU seconds of each, frames ingested, our pipeline's CPU milliseconds per frame
    echo "$a $b" | awk -v t="$TCK" '{f = $8 - $4; printf "%.2f %.2f %.2f %d %.2f\n",
      ($5-$1)/t, ($6-$2)/t, ($7-$3)/t, f, (f > 0 ? ($5-$1)/t*1000/f : 0)}' > "$WORK/result"
  }
  P4=(); J4=(); PL=(); JL=()
  echo "WebRTC egress through Janus: 4 levels (one facedetect, 4 faceocclude + x264enc), CPU seconds in ${WINDOW} s windows"
  echo "(our pipeline = the occlusion-server process; frames = ingest frames in the window; the"
  echo " per-frame figure is what to compare when a loaded machine slows the live pipeline down)"
  printf '%-6s %-8s %17s %7s %14s %10s %20s\n' round viewers "our pipeline (s)" frames "(ms/frame)" "Janus (s)" "webrtcbin viewers (s)"
  for r in $(seq "$ROUNDS"); do
    for n in 4 "$LARGE"; do
      measure_webrtc "$n" "r$r-n$n"; read -r p j c f pf < "$WORK/result"
      printf '%-6s %-8s %17s %7s %14s %10s %20s   %s\n' "$r" "$n" "$p" "$f" "$pf" "$j" "$c" "$(cat "$WORK/received")"
      if [ "$n" = 4 ]; then P4+=("$pf"); J4+=("$j"); else PL+=("$pf"); JL+=("$j"); fi
    done
  done
  MP4=$(printf '%s\n' "${P4[@]}" | median); MPL=$(printf '%s\n' "${PL[@]}" | median)
  MJ4=$(printf '%s\n' "${J4[@]}" | median); MJL=$(printf '%s\n' "${JL[@]}" | median)
  awk -v a="$MP4" -v b="$MPL" -v n="$LARGE" 'BEGIN {printf "median our pipeline CPU per frame: 4 viewers %.2f ms, %d viewers %.2f ms, difference %+.1f%% (goal: under 20%%)\n", a, n, b, (b - a) / a * 100}'
  awk -v a="$MJ4" -v b="$MJL" -v n="$LARGE" -v w="$WINDOW" 'BEGIN {printf "median Janus CPU: 4 viewers %.2f s, %d viewers %.2f s in %d s (the fan-out: ICE, DTLS-SRTP per viewer)\n", a, n, b, w}'
  exit 0
fi
curl -V | grep -qw rtmp || { echo "curl without RTMP support" >&2; exit 1; }

TOTAL=$(( (WINDOW + 8) * 2 * ROUNDS + 20 ))
bash "$ROOT/pipelines/live-occlusion-rtmp.sh" --levels "0 1 2 3" --port "$PORT" \
  --seconds "$TOTAL" --ready-file "$WORK/ready" > "$WORK/script.log" 2>&1 &
SCRIPT_PID=$!
for _ in $(seq 300); do [ -f "$WORK/ready" ] && break; sleep 0.1; done
[ -f "$WORK/ready" ] || { cat "$WORK/script.log" >&2; echo "pipeline did not start" >&2; exit 1; }
sleep 3

descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
cpu_ticks() { # sum of utime + stime of the server processes
  local sum=0 p f
  for p in $(descendants "$SCRIPT_PID"); do
    f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
    sum=$((sum + ${f% *} + ${f#* }))
  done
  echo "$sum"
}
measure() { # viewers -> CPU seconds of the server during WINDOW; viewers' bytes in $WORK/lastbytes
  local n=$1 i pids=()
  rm -f "$WORK"/bytes.*
  for i in $(seq "$n"); do
    ( curl -s --max-time $((WINDOW + 4)) "rtmp://127.0.0.1:$PORT/live/level-$((i % 4))" \
        | wc -c > "$WORK/bytes.$i" ) 2>/dev/null &
    pids+=($!)
  done
  sleep 3
  local a b
  a=$(cpu_ticks); sleep "$WINDOW"; b=$(cpu_ticks)
  wait "${pids[@]}" 2>/dev/null || true
  cat "$WORK"/bytes.* 2>/dev/null | awk '{s+=$1} END {print s+0}' > "$WORK/lastbytes"
  echo "$a $b" | awk -v t="$TCK" '{printf "%.2f", ($2 - $1) / t}'
}

R4=(); R100=()
for r in $(seq "$ROUNDS"); do
  c=$(measure 4); R4+=("$c"); echo "round $r:   4 viewers: server CPU ${c} s in ${WINDOW} s (viewers received $(cat "$WORK/lastbytes") bytes)"
  c=$(measure 100); R100+=("$c"); echo "round $r: 100 viewers: server CPU ${c} s in ${WINDOW} s (viewers received $(cat "$WORK/lastbytes") bytes)"
done
M4=$(printf '%s\n' "${R4[@]}" | median); M100=$(printf '%s\n' "${R100[@]}" | median)
awk -v a="$M4" -v b="$M100" 'BEGIN {printf "median server CPU: 4 viewers %.2f s, 100 viewers %.2f s, difference %+.1f%% (goal: under 10%%)\n", a, b, (b - a) / a * 100}'
