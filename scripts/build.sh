#!/usr/bin/env bash
# Configures and builds pictor into build/ (Release). Extra arguments go to cmake --build.
# With PICTOR_BUILD_LOG=FILE the compiler's output goes to FILE and only one line per stage is
# printed (scripts/generate.sh does this); on a failure the end of the log is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
log="${PICTOR_BUILD_LOG:-}"
if [ -z "$log" ]; then
  bash scripts/setup.sh
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  exec cmake --build build -j"$jobs" "$@"
fi

mkdir -p "$(dirname "$log")"
: >"$log"
failed() {
  echo "pictor: $1 failed; the last lines of $log:" >&2
  tail -n 25 "$log" >&2
  exit 1
}
echo "pictor: checking Debian packages" >&2
bash scripts/setup.sh >>"$log" || failed "setup"
if [ ! -f build/CMakeCache.txt ]; then
  echo "pictor: configuring" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1 || failed "configuring"
fi
echo "pictor: building on $jobs cores (a first build takes several minutes; log: $log)" >&2
cmake --build build -j"$jobs" "$@" >>"$log" 2>&1 || failed "the build"
