#!/usr/bin/env bash
# Benchmark: WebRTC switch time. One viewer in headless Chromium plays the viewer page of
# examples/occlusion-server (Janus started on loopback, the looped sample clip); the viewer
# is switched up (payment -> top level) and back down (reset -> level 0) SWITCHES times on
# the same PeerConnection. The page draws every decoded frame to a canvas and reports the
# face region's sharpness; a switch is done at the first of five frames on the new side of
# the midpoint between covered and uncovered. Prints each switch and the medians (event sent
# -> first frame of the new rendition drawn in the browser). Each switch here also creates
# the target rendition (the viewer is alone), the slow case.
#
#   bash bench/webrtc-switch.sh          # SWITCHES=10
#
# Needs what tests/webrtc.rs needs: janus and chromium (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --release --example occlusion-server
# Switch times depend on how busy the machine is (the browser decodes and draws every frame).
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
SWITCHES="${SWITCHES:-10}" cargo test --release --test webrtc -- --ignored webrtc_switch_time_bench --nocapture \
  2>&1 | grep -E '^(round|switch time)|panicked|FAILED'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
