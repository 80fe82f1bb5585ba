#!/usr/bin/env bash
# Configures build-sanitize/ (once): clang-14, AddressSanitizer + UndefinedBehaviorSanitizer and
# libFuzzer coverage, the torch-free libraries only (PICTOR_WITH_TORCH=OFF), their unit tests and
# the fuzzers. scripts/sanitize.sh and scripts/fuzz.sh share it, so CI compiles the libraries
# under sanitizers once. -O1 -g: readable reports, assertions kept (no NDEBUG).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=build-sanitize
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DPICTOR_WITH_TORCH=OFF -DPICTOR_SANITIZE=ON -DPICTOR_FUZZ=ON >/dev/null
fi
