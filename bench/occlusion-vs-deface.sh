#!/usr/bin/env bash
# Benchmark: facekit (facedetect ! faceocclude) vs deface (PyPI, CenterFace) anonymising
# the carphone clip scaled to 1280x720, with the same number of threads.
#
#   bash bench/occlusion-vs-deface.sh
#
# For each: wall-clock frames/s for decode + detect + anonymise + H.264 encode (libx264
# preset ultrafast on both sides) of the same MP4 (median of BENCH_REPS runs), deface with
# its defaults otherwise (blur, threshold 0.2, CenterFace at the input's size); facekit
# with facedetect's and faceocclude's defaults (BlazeFace full range + FaceMesh, blur); and the frames in which an independent facedetect run
# (BlazeFace full range and CenterFace, each counted) still finds a face in the output.
# deface is installed from PyPI into models/.cache/deface-venv by bench/deface.sh.
#
# Environment: BENCH_REPS (default 3), BENCH_THREADS (default: nproc), BENCH_LOOPS (clip
# repetitions in the input, default 2 = 240 frames), FACEKIT_PLUGIN (default
# target/release/libgstfacekit.so), BENCH_KEEP=1 keeps the temporary directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
REPS="${BENCH_REPS:-3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
LOOPS="${BENCH_LOOPS:-2}"
# shellcheck source=bench/deface.sh
. "$ROOT/bench/deface.sh"
[ -f "$PLUGIN" ] || { echo "plugin not found: $PLUGIN (cargo build --release)" >&2; exit 1; }
export GST_PLUGIN_PATH="$(dirname "$PLUGIN")"
export FACEKIT_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"
WORK="$(mktemp -d /tmp/facekit-deface.XXXXXX)"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

ensure_deface

echo "== input: carphone x$LOOPS scaled to 1280x720" >&2
SRC="filesrc location=$ROOT/samples/carphone_pristine.mp4 ! qtdemux ! h264parse ! avdec_h264"
CONCAT="concat name=c ! videoconvert ! videoscale ! video/x-raw,format=I420,width=1280,height=720"
PARTS=""
for _ in $(seq "$LOOPS"); do PARTS="$PARTS $SRC ! c."; done
# shellcheck disable=SC2086
gst-launch-1.0 -q $CONCAT ! x264enc speed-preset=fast qp-min=10 qp-max=20 ! mp4mux ! filesink location="$WORK/in.mp4" $PARTS
FRAMES=$((120 * LOOPS))

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

run_facekit() {
  gst-launch-1.0 -q filesrc location="$WORK/in.mp4" ! qtdemux ! h264parse ! avdec_h264 \
    ! facedetect updates=none threads="$THREADS" ! faceocclude \
    ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$WORK/facekit.mp4"
}
run_deface_input() { run_deface "$WORK/in.mp4" "$WORK/deface.mp4"; }

echo "== timing ($REPS runs each, $THREADS threads, $FRAMES frames)" >&2
FK=(); DF=()
for _ in $(seq "$REPS"); do FK+=("$(secs run_facekit)"); DF+=("$(secs run_deface_input)"); done
[ -s "$WORK/facekit.mp4" ] || { echo "facekit run failed" >&2; run_facekit; exit 1; }
[ -s "$WORK/deface.mp4" ] || { echo "deface run failed" >&2; run_deface_input; exit 1; }
FK_S="$(printf '%s\n' "${FK[@]}" | median)"
DF_S="$(printf '%s\n' "${DF[@]}" | median)"

leaks() { # file model -> frames with a face
  gst-launch-1.0 -m filesrc location="$1" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert \
    ! facedetect model="$2" updates=on-face ! fakesink 2>/dev/null | grep -c "facedetect, timestamp" || true
}
echo "== leak check with an independent facedetect run" >&2
IN_B="$(leaks "$WORK/in.mp4" blazeface-full)"; IN_C="$(leaks "$WORK/in.mp4" centerface)"
FK_B="$(leaks "$WORK/facekit.mp4" blazeface-full)"; FK_C="$(leaks "$WORK/facekit.mp4" centerface)"
DF_B="$(leaks "$WORK/deface.mp4" blazeface-full)"; DF_C="$(leaks "$WORK/deface.mp4" centerface)"

printf '\n%-28s %10s %10s %22s\n' "anonymiser (1280x720)" "median s" "frames/s" "frames with a face (blazeface / centerface)"
printf '%-28s %10s %10s %22s\n' "input (no anonymiser)" "-" "-" "$IN_B / $IN_C of $FRAMES"
printf '%-28s %10.2f %10.1f %22s\n' "facekit" "$FK_S" "$(echo "$FRAMES / $FK_S" | bc -l)" "$FK_B / $FK_C"
printf '%-28s %10.2f %10.1f %22s\n' "deface 1.5.0 (onnxrt)" "$DF_S" "$(echo "$FRAMES / $DF_S" | bc -l)" "$DF_B / $DF_C"
printf 'speed ratio facekit / deface: %.1fx (goal >= 10x); runs: facekit %s, deface %s\n' \
  "$(echo "$DF_S / $FK_S" | bc -l)" "${FK[*]}" "${DF[*]}"
