#!/usr/bin/env bash
# Soak: a level change every second on a live (clock-synced, 30 fps) looped carphone clip
# through facedetect ! faceocclude, checking that it neither stalls (frames every second)
# nor leaks (RSS after warm-up vs at the end, bounded growth), and that it keeps real-time
# pace (at least SOAK_MIN_FPS frames/s, default 27 = 90% of 30). Prints the figures. Run it on
# a quiet machine: the pace is the machine's as much as the code's. The peer, run right after
# for as long: the same live pipeline with `identity` in faceocclude's place (detection
# alone, no level changes), so faceocclude's own share of CPU ms per frame and RSS growth
# shows against it. SOAK_PEER=0 leaves the peer out.
#
#   bash bench/occlusion-soak.sh [SECONDS]     (default 600 = 10 minutes; tests run 30 s)
#
# It builds the tests of tests/faceocclude.rs (under the shared cargo lock) and runs their
# soak with FACEKIT_SOAK_SECONDS set (without holding the lock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-600}"
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || { echo "SECONDS must be a positive integer" >&2; exit 2; }
cd "$ROOT"
BIN="$(flock /tmp/facekit-cargo.lock cargo test --release --test faceocclude --no-run 2>&1 \
  | grep -o 'target/release/deps/faceocclude-[0-9a-f]*' | tail -1)"
[ -x "$BIN" ] || { echo "could not build the faceocclude tests" >&2; exit 1; }
soak() { # FACEKIT_SOAK_PEER value
  FACEKIT_SOAK_PEER="$1" FACEKIT_SOAK_MIN_FPS="${SOAK_MIN_FPS:-27}" FACEKIT_SOAK_SECONDS="$SECS" \
    "$BIN" level_changes_every_second_neither_leak_nor_stall --exact --nocapture 2>&1 \
    | grep -E "soak:|test result|panicked|soak failed"
}
rc=0
soak 0 || rc=$?
[ "${SOAK_PEER:-1}" = 0 ] || soak 1 || rc=$?
exit "$rc"
