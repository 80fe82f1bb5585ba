#!/usr/bin/env bash
# Sets up whatever is missing, builds pictor and its tests, and runs the default test suite
# (every label but slow, bench and sanitize: the sanitizer build runs in CI beside it, .ci/run).
# Extra arguments go to ctest (e.g. -L unit, -R world).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
exec ctest --output-on-failure -LE "slow|bench|sanitize" "$@"
