# Sourced by the benchmarks that compare with deface (the peer for anonymisation): one
# install and one invocation. deface 1.5.0 from PyPI with ONNX Runtime, in
# models/.cache/deface-venv; its defaults (CenterFace, blur) with threshold 0.2 and libx264
# preset ultrafast, as our side encodes. Needs ROOT.
DEFACE_VENV="$ROOT/models/.cache/deface-venv"

# Installs deface into DEFACE_VENV unless it is there.
ensure_deface() {
  if [ ! -x "$DEFACE_VENV/bin/deface" ] \
      || ! "$DEFACE_VENV/bin/python" -c "import onnx, onnxruntime" 2>/dev/null; then
    echo "== installing deface 1.5.0 + onnxruntime into $DEFACE_VENV" >&2
    python3 -m venv "$DEFACE_VENV"
    "$DEFACE_VENV/bin/pip" install -q deface==1.5.0 onnxruntime onnx
  fi
}

# run_deface IN OUT.mp4
run_deface() {
  "$DEFACE_VENV/bin/deface" "$1" -o "$2" --backend onnxrt --thresh 0.2 \
    --ffmpeg-config '{"codec": "libx264", "ffmpeg_params": ["-preset", "ultrafast"]}'
}
