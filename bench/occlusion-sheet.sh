#!/usr/bin/env bash
# Contact sheet of faceocclude looks: one row per property set, one column per sampled frame,
# to look at what a viewer would see (stickers, regions, styles) frame by frame.
#
#   bench/occlusion-sheet.sh CLIP OUT.png [--frames N] [--every K] [--size WxH] \
#       [--detect "facedetect props"] [--format I420] -- "faceocclude props" ["faceocclude props" ...]
#
# e.g. bench/occlusion-sheet.sh samples/carphone_pristine.mp4 /tmp/sheet.png --every 20 -- \
#        "style=sticker sticker-set=panda" "style=fill priority=head,ears,neck level=0"
# Each row starts at the clip's first frame; the rows' property sets are printed in order.
# --format: the raw format faceocclude works on (default RGB; I420 shows chroma effects).
# Needs the plugin built (cargo build --release) and python3 (standard library only).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
CLIP="$1" OUT="$2"; shift 2
FRAMES=6 EVERY=15 SIZE=352x288 DETECT="facedetect" FORMAT=RGB
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) FRAMES="$2"; shift 2 ;;
    --every) EVERY="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --detect) DETECT="$2"; shift 2 ;;
    --format) FORMAT="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "occlusion-sheet.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ $# -ge 1 ] || { echo "occlusion-sheet.sh: give at least one faceocclude property set after --" >&2; exit 2; }
W="${SIZE%x*}" H="${SIZE#*x}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$ROOT/target/release}"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
i=0
for props in "$@"; do
  echo "row $((i + 1)): faceocclude ${props:-(defaults)}"
  gst-launch-1.0 -q filesrc location="$CLIP" ! decodebin ! videoconvert ! videoscale \
    ! "video/x-raw,format=$FORMAT,width=$W,height=$H" ! $DETECT ! faceocclude $props \
    ! videoconvert ! video/x-raw,format=RGB ! filesink location="$TMP/row$i.rgb" >/dev/null
  i=$((i + 1))
done
python3 - "$TMP" "$i" "$W" "$H" "$FRAMES" "$EVERY" "$OUT" <<'EOF'
import struct, sys, zlib
tmp, rows, w, h, frames, every, out = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7]
stride = (w * 3 + 3) // 4 * 4  # GStreamer pads RGB rows to 4 bytes (odd widths)
size = stride * h
grid = []
for r in range(rows):
    data = open(f"{tmp}/row{r}.rgb", "rb").read()
    count = len(data) // size
    tiles = [data[f * size:(f + 1) * size] for f in range(0, count, every)][:frames]
    tiles += [bytes(size)] * (frames - len(tiles))
    for y in range(h):
        grid.append(b"".join(t[y * stride:y * stride + w * 3] + b"\xff\xff\xff" for t in tiles))
    grid += [b"\xff" * ((w + 1) * 3 * frames)]
width, height = (w + 1) * frames, len(grid)
raw = b"".join(b"\x00" + row for row in grid)
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
open(out, "wb").write(png)
print(f"{out}: {rows} rows x {frames} frames (every {every}th), {width}x{height}")
EOF
