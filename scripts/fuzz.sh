#!/usr/bin/env bash
# Builds the libFuzzer targets in build-sanitize/ (scripts/configure_sanitize.sh) and runs them
# (ctest label fuzz): each replays its regression inputs, then fuzzes its seed corpus for
# PICTOR_FUZZ_SECONDS (default 20) seconds. Extra arguments go to ctest (e.g. -R multipart).
# Longer runs by hand: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/configure_sanitize.sh
cmake -S . -B build-sanitize -DPICTOR_FUZZ_SECONDS="${PICTOR_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-sanitize -j"$(nproc 2>/dev/null || echo 2)" --target fuzzers
cd build-sanitize
exec ctest --output-on-failure -L fuzz "$@"
