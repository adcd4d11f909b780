#!/usr/bin/env bash
# Benchmark: cost of `facequality` per face, and its share of `facedetect ! facequality`.
#
#   bash bench/facequality-cost.sh [REPS]      (default 3 repetitions of the 120-frame clip)
#
# The carphone clip (one face per frame) is decoded and scaled once to 640x480 and to
# 1280x720, in I420 (what decoders give) and RGB. Each frame goes through a `facedetect`
# harness and then through a `facequality` harness, each push timed on its own; the peer
# in the same run is facedetect, the element facequality always follows. Printed medians:
#   facedetect ms   per frame (BlazeFace full range + FaceMesh + pose, default settings)
#   facequality ms  per frame, the whole element: metadata read and rewrite, mask, scores,
#                   key frame bookkeeping (1 face per frame)
#   per face ms     facequality ms / faces on the frame (goal: < 1 ms at 640x480)
#   scoring ms      the GStreamer-free part alone (FaceRegion::new + score_face)
#   share           facequality / (facedetect + facequality)
# A benchmark, not a test: it exits non-zero only when something cannot run. Figures move
# with the machine's load (2 cores shared): run it on a quiet machine and compare the
# columns of one run rather than runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPS="${1:-3}"
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "facequality-cost: REPS must be a positive integer" >&2; exit 2; }
[[ -f "$ROOT/samples/carphone_pristine.mp4" ]] || { echo "facequality-cost: samples missing (run scripts/setup.sh)" >&2; exit 1; }
cd "$ROOT"
flock /tmp/facekit-cargo.lock cargo build --release --example facequality_cost >&2
echo "machine : nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "facekit : $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown); $REPS x 120 carphone frames per row"
echo
./target/release/examples/facequality_cost "$REPS"
