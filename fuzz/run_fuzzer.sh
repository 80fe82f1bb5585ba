#!/usr/bin/env bash
# Runs one fuzzer the way ctest does (fuzz/CMakeLists.txt):
#   run_fuzzer.sh FUZZER NAME FUZZ_DIR WORK_DIR SECONDS
# 1. replays every input under FUZZ_DIR/regressions/NAME/ once (each crashed before a fix);
# 2. fuzzes for SECONDS from FUZZ_DIR/corpus/NAME/ (and the dictionary FUZZ_DIR/dict/NAME.dict
#    when there is one). New inputs go to WORK_DIR/corpus, never into the committed corpus; a
#    crash is saved as WORK_DIR/crash-* and fails the test.
set -euo pipefail
fuzzer=$1 name=$2 dir=$3 work=$4 seconds=$5
mkdir -p "$work/corpus"
# A leak or a slow input is a failure too; the RSS cap keeps a runaway input from taking the box.
opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/")
[ -f "$dir/dict/$name.dict" ] && opts+=(-dict="$dir/dict/$name.dict")

shopt -s nullglob
regressions=("$dir/regressions/$name"/*)
if [ ${#regressions[@]} -gt 0 ]; then
  echo "== $name: replaying ${#regressions[@]} regression inputs"
  "$fuzzer" "${opts[@]}" "${regressions[@]}"
fi
echo "== $name: fuzzing for ${seconds}s from $dir/corpus/$name"
exec "$fuzzer" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work/corpus" "$dir/corpus/$name"
