#!/usr/bin/env bash
# Sets up whatever is missing, builds pictor and its tests, and runs the default test suite
# (every label but slow, bench, sanitize and fuzz: the sanitizer build and the fuzzers run in CI
# after it, .ci/run, and would take this suite past its 30-minute budget).
# Extra arguments go to ctest (e.g. -L unit, -R world).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
exec ctest --output-on-failure -LE "slow|bench|sanitize|fuzz" "$@"
