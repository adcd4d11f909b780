#!/usr/bin/env bash
# Scenario 3, server side: name the person in a photo against a gallery of labelled photos.
# Prints the faceidentify message (track id, identity, distance, verified/unknown).
#
#   pipelines/face-identify.sh [GALLERY_DIR] [PHOTO]
#     default gallery: a folder holding samples/faces/obama.jpg and biden.jpg
#     default photo:   samples/faces/obama2.jpg
#
# Needs scripts/setup.sh to have run and the plugin built (cargo build --release);
# GST_PLUGIN_PATH defaults to this tree's target/release (else target/debug).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  for p in "$ROOT/target/release" "$ROOT/target/debug"; do
    if [ -f "$p/libgstfacekit.so" ]; then export GST_PLUGIN_PATH="$p"; break; fi
  done
fi
GALLERY="${1:-}"
if [ -z "$GALLERY" ]; then
  GALLERY="$(mktemp -d)"
  trap 'rm -rf "$GALLERY"' EXIT
  cp "$ROOT/samples/faces/obama.jpg" "$ROOT/samples/faces/biden.jpg" "$GALLERY/"
fi
PHOTO="${2:-$ROOT/samples/faces/obama2.jpg}"
gst-launch-1.0 -m \
  filesrc location="$PHOTO" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
  ! imagefreeze num-buffers=1 \
  ! facedetect updates=none ! facequality post-messages=false keyframes=false \
  ! faceidentify gallery="$GALLERY" \
  ! fakesink 2>&1 | grep -o 'faceidentify, track-id.*frames=(uint)[0-9]*'
