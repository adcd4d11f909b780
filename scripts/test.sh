#!/usr/bin/env bash
# Quick start, part 2: set up (idempotent) and run the whole test suite: unit tests,
# element tests on the sample media, and the pipelines/ scripts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# The tests build the plugin in release mode so pipelines/ scripts can load it too.
cargo build --release
cargo test --release -- --test-threads=2
