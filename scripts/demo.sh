#!/usr/bin/env bash
# Quick start, part 1: set up (apt packages, ONNX Runtime, models, samples; idempotent),
# build, and run facedetect on the bundled sample clip. Prints one line per frame (faces,
# track ids, head pose) and writes the annotated video to out/carphone-faces.mp4.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
cargo build --release --example faces
mkdir -p out
./target/release/examples/faces samples/carphone_pristine.mp4 out/carphone-faces.mp4
