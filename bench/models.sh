#!/usr/bin/env bash
# Benchmark: milliseconds per inference of every model facekit runs, per backend and thread count.
#
#   bash bench/models.sh
#
# Runs examples/model_bench.rs (the plugin's own inference code: ONNX Runtime loaded at run
# time, one global thread pool, no spinning) once with FACEKIT_THREADS=1 and once with the
# default budget (one thread per core). Per model: median, 10th and 90th percentile of
# BENCH_RUNS timed runs after 10 untimed ones, and CPU time per run (all threads, user+system).
# CenterFace is measured at the three input sizes facedetect uses for 640x360/480, 1280x720
# and 1920x1080 frames (multiples of 32). "face_landmark (as converted)" is FaceMesh before
# models/rewrite_for_ort.py, kept by the set-up in models/.cache.
# This is a benchmark, not a test: it exits non-zero only when something cannot run.
#
# Environment: BENCH_RUNS (default 300), FACEKIT_MODEL_DIR (default: models/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-300}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "models.sh: BENCH_RUNS must be a positive integer" >&2; exit 2; }

SPECS=(
  "face_detection_short_range=face_detection_short_range.onnx:128x128"
  "face_detection_full_range=face_detection_full_range.onnx:192x192"
  "face_landmark=face_landmark.onnx:192x192"
  "iris_landmark=iris_landmark.onnx:64x64"
  "centerface=centerface.onnx:384x640"
  "centerface=centerface.onnx:736x1280"
  "centerface=centerface.onnx:1088x1920"
)
# The unrewritten FaceMesh, for the before/after row (present after scripts/setup.sh).
MODEL_DIR="${FACEKIT_MODEL_DIR:-$ROOT/models}"
if [[ -f "$MODEL_DIR/.cache/face_landmark.tflite2onnx.onnx" ]]; then
  SPECS=("face_landmark (as converted)=.cache/face_landmark.tflite2onnx.onnx:192x192" "${SPECS[@]}")
fi

echo "== building examples/model_bench.rs" >&2
(cd "$ROOT" && cargo build --release --example model_bench >&2)
BIN="$ROOT/target/release/examples/model_bench"

ort="$(basename "$(readlink -f "$ROOT/models/runtime/libonnxruntime.so" 2>/dev/null || echo unknown)")"
echo "machine : nproc=$(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "backend : onnxruntime (CPU execution provider, $ort), through gstfacekit::inference"
echo "runs    : $RUNS timed runs per row after 10 untimed; ms per run; cpu = process CPU time per run"
echo
printf '%-28s %9s %10s %8s %8s %8s %9s %7s\n' model "input" threads median p10 p90 "cpu ms" "cpu%"
printf '%s\n' "------------------------------------------------------------------------------------------------"
unset FACEKIT_THREADS
export FACEKIT_MODEL_DIR="$MODEL_DIR"
for threads in 1 default; do
  if [[ "$threads" == default ]]; then
    "$BIN" "$RUNS" "${SPECS[@]}"
  else
    FACEKIT_THREADS="$threads" "$BIN" "$RUNS" "${SPECS[@]}"
  fi
done
echo
echo "threads: the shared ONNX Runtime pool size (FACEKIT_THREADS=1, or the default: one per core)."
echo "cpu% above 100 means the extra threads were busy; compare median with cpu ms to see what they bought."
echo "load average above nproc means other work shared the CPU: figures are then upper bounds."
