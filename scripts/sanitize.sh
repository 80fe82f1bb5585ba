#!/usr/bin/env bash
# Builds the tests of the torch-free libraries with ASan + UBSan in build-sanitize/
# (scripts/configure_sanitize.sh) and runs them all but the fuzzers: the unit tests, the CLIP
# tokenizer's parity (golden) and the hub's downloads against an in-process hub (integration).
# Any sanitizer report fails the test that hit it. Not covered: the engine's tests
# (libtorch is not instrumented, and full models under ASan take too long) and the integration
# tests (they run the pictor binary, which this build does not have). See docs/fuzzing.md.
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/configure_sanitize.sh
cmake --build build-sanitize -j"$(nproc 2>/dev/null || echo 2)"
cd build-sanitize
# halt_on_error: the first report ends the test with a failure. detect_leaks: leaks count too.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
# One known leak inside libpqxx 6.4 is suppressed; the file says which and why.
export LSAN_OPTIONS="suppressions=$PWD/../tests/sanitizers/lsan.supp:print_suppressions=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
exec ctest --output-on-failure -LE fuzz "$@"
