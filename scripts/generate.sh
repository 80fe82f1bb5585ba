#!/usr/bin/env bash
# Sets up whatever is missing, builds pictor, and generates with the embedded pictor-mini model.
# Usage: bash scripts/generate.sh "PROMPT" [pictor generate flags…]   (default -o out.png)
set -euo pipefail
cd "$(dirname "$0")/.."
PICTOR_BUILD_LOG=build-logs/build.log bash scripts/build.sh --target pictor
echo "pictor: generating" >&2
if [ $# -eq 0 ]; then
  set -- "two red circles above a blue square" -o out.png
fi
exec build/src/app/pictor generate "$@"
