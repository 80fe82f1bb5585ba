#!/usr/bin/env bash
# Continues the run that produces the shipped pictor-mini weights (recipe in
# docs/models/pictor-mini.md). Resumes runs/pictor-mini when its checkpoint is there; otherwise
# starts from the committed weights with a fresh optimizer. Extra flags go to `pictor train`
# (e.g. --hours 2). Copy runs/pictor-mini/pictor-mini.safetensors to models/pictor-mini/ to ship.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --target pictor >/dev/null
init=()
if [ ! -f runs/pictor-mini/checkpoint.safetensors ]; then
  init=(--init-from models/pictor-mini/pictor-mini.safetensors)
fi
exec build/src/app/pictor train --out runs/pictor-mini --preset base --steps 200000 --batch 32 \
  --lr 5e-4 --warmup 200 --ema 0.998 --checkpoint-every 100 --eval-every 500 --log-every 20 \
  "${init[@]}" "$@"
