#!/usr/bin/env bash
# How often faceocclude show-hands finds the hands in front of a covered face.
#
#   bash bench/hands-found.sh CLIP...     (e.g. ../shared/media/clips/intel_asl-*.mkv)
#
# Runs `facedetect ! faceocclude show-hands=true` on each clip and counts, from the element's
# debug log, the frames with a covered face, the frames where at least one hand was sure
# enough to show (hand presence >= 0.85) and the sure hands. A hand found in only some
# frames flickers between shown and covered. FACEKIT_PLUGIN=path/to/libgstfacekit.so
# compares another build (e.g. main's) in the same run; leaks are checked by bench/leaks.sh
# (its `hands` anonymiser).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
[ -f "$PLUGIN" ] || { echo "plugin not found: $PLUGIN (cargo build --release)" >&2; exit 1; }
export GST_PLUGIN_PATH="$(dirname "$PLUGIN")"
export GST_REGISTRY="${TMPDIR:-/tmp}/facekit-hands-found-$$.bin"
LOG="$(mktemp)"; trap 'rm -f "$LOG" "$GST_REGISTRY"' EXIT
printf '%-32s %14s %16s %11s\n' clip "covered frames" "frames w/ hand" "sure hands"
for clip in "$@"; do
  GST_DEBUG=faceocclude:5 gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! videoconvert \
    ! facedetect ! faceocclude show-hands=true ! fakesink 2>&1 | grep "hands (palm, presence)" >"$LOG" || true
  python3 - "$LOG" "$(basename "$clip")" <<'PY'
import re, sys
frames = with_hand = hands = 0
for line in open(sys.argv[1]):
    frames += 1
    sure = [float(p) for _, p in re.findall(r"\(([-0-9.e]+), ([-0-9.e]+)\)", line) if float(p) >= 0.85]
    with_hand += bool(sure)
    hands += len(sure)
print(f"{sys.argv[2]:<32} {frames:>14} {with_hand:>16} {hands:>11}")
PY
done
