#!/usr/bin/env bash
# Benchmark: cost of viewers. Runs pipelines/live-occlusion-rtmp.sh with 4 levels (one
# facedetect, 4 faceocclude + x264enc renditions, local nginx RTMP on 127.0.0.1) and
# measures the CPU time of the server side (publisher pipeline + nginx) over a fixed window
# with 4 viewers, then with 100 viewers (curl RTMP clients spread over the 4 renditions,
# reading and discarding), alternating BENCH_ROUNDS times. Prints CPU seconds per window,
# medians and their ratio (goal: under 10% apart), and the bytes the viewers received.
#
#   bash bench/occlusion-viewers.sh
#
# Environment: BENCH_WINDOW (seconds per measurement, default 20), BENCH_ROUNDS (default 2),
# BENCH_PORT (default 19390). Needs nginx + libnginx-mod-rtmp (scripts/setup.sh), curl
# with RTMP support (Debian's), the plugin built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WINDOW="${BENCH_WINDOW:-20}"
ROUNDS="${BENCH_ROUNDS:-2}"
PORT="${BENCH_PORT:-19390}"
TCK="$(getconf CLK_TCK)"
WORK="$(mktemp -d /tmp/facekit-viewers.XXXXXX)"
SCRIPT_PID=""
cleanup() {
  [ -n "$SCRIPT_PID" ] && kill -INT "$SCRIPT_PID" 2>/dev/null && wait "$SCRIPT_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
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
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
M4=$(printf '%s\n' "${R4[@]}" | median); M100=$(printf '%s\n' "${R100[@]}" | median)
awk -v a="$M4" -v b="$M100" 'BEGIN {printf "median server CPU: 4 viewers %.2f s, 100 viewers %.2f s, difference %+.1f%% (goal: under 10%%)\n", a, b, (b - a) / a * 100}'
