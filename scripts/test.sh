#!/usr/bin/env bash
# Quick start, part 2: set up (idempotent) and run the whole test suite: unit tests,
# element tests on the sample media, and the pipelines/ scripts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# Build first: the pipelines/ scripts the tests run load target/release/libgstfacekit.so.
cargo build --release
mkdir -p target
log=target/test-output.txt
set +e
cargo test --release -- --test-threads=2 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite.
awk '/^test result:/ {p += $4; f += $6} END {printf "tests: %d passed, %d failed\n", p, f}' "$log" \
  | tee target/test-summary.txt
exit "$status"
