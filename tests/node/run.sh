#!/usr/bin/env bash
# Runs the official openai npm client against the real `pictor serve`
# (docs/testing-openai-client.md). Usage: tests/node/run.sh PATH/TO/pictor
# Installs the pinned packages (package-lock.json) into tests/node/node_modules when missing.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/pictor" >&2
  exit 2
fi
PICTOR_BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
export PICTOR_BINARY
if [ ! -x "$PICTOR_BINARY" ]; then
  echo "openai_node_compat: pictor binary not found: $1" >&2
  exit 1
fi
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "openai_node_compat: FAILED: '$tool' is not installed; run scripts/setup.sh (Debian packages nodejs and npm)" >&2
    exit 1
  fi
done

wanted="$(node -p 'require("./package-lock.json").packages["node_modules/openai"].version')"
installed="$(node -p 'try { require("./node_modules/openai/package.json").version } catch { "" }')"
if [ "$installed" != "$wanted" ]; then
  echo "openai_node_compat: installing openai@$wanted (npm ci)" >&2
  if ! npm ci --no-audit --no-fund --loglevel=error >&2; then
    echo "openai_node_compat: FAILED: npm ci could not install the packages (is the npm registry reachable?)" >&2
    exit 1
  fi
fi

echo "openai_node_compat: node $(node --version), openai@$wanted" >&2
exec node --test --test-reporter=spec openai_compat.test.mjs
