#!/usr/bin/env bash
# A streamer's sticker look: the whole head under a sticker pack (rabbit ears standing on the
# head, a bunny face) or any mix of a style per region, written to an H.264 MP4 to look at.
#
#   pipelines/sticker-pack.sh INPUT OUTPUT.mp4 [FACEOCCLUDE PROPERTIES...]
#
# Default look: style=sticker sticker-set=bunny (a bunny face over the face, rabbit ears on
# top of the head that follow its position, size, roll and turn). Examples:
#   pipelines/sticker-pack.sh in.mp4 out.mp4 style=sticker sticker-set=panda
#   pipelines/sticker-pack.sh in.mp4 out.mp4 priority=eyes,mouth,face,head,neck \
#       styles=eyes=sticker,mouth=blur:40,face=pixelate,head=blur sticker-set=cat
#   pipelines/sticker-pack.sh in.mp4 out.mp4 style=sticker sticker-set=none \
#       "stickers=extra=/path/ears.png anchor=head-top scale=0.6 offset=0:0.2"
# (a property value holding spaces goes in one quoted argument, as above.)
# Needs scripts/setup.sh (models) and the plugin built (cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ]; then
  echo "usage: $0 INPUT OUTPUT.mp4 [FACEOCCLUDE PROPERTIES...]" >&2
  exit 2
fi
IN="$1" OUT="$2"; shift 2
[ -r "$IN" ] || { echo "$0: cannot read $IN" >&2; exit 1; }
PROPS=("$@")
[ ${#PROPS[@]} -gt 0 ] || PROPS=(style=sticker sticker-set=bunny)
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
mkdir -p "$(dirname "$OUT")"
gst-launch-1.0 -q \
  filesrc location="$IN" ! decodebin ! videoconvert ! facedetect updates=none \
  ! faceocclude "${PROPS[@]}" \
  ! videoconvert ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$OUT"
echo "wrote $OUT"
