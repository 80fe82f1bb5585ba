#!/usr/bin/env bash
# Sets up whatever is missing, builds pictor and its tests, and runs the default test suite
# (every label but slow, bench, sanitize and fuzz: the sanitizer build and the fuzzers run in CI
# after it, .ci/run, and would take this suite past its 30-minute budget).
# Extra arguments go to ctest (e.g. -L unit, -R world).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
# Two tests at a time: most of the suite waits on processes it starts (servers, workers, the
# database, chromium), so on 2 cores this takes ~415 s instead of ~644 s (2026-12-07). Tests that
# must not overlap hold a RESOURCE_LOCK (the PostgreSQL cluster, build-sanitize/).
exec ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" -LE "slow|bench|sanitize|fuzz" "$@"
