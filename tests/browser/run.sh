#!/usr/bin/env bash
# Runs the web pages' browser tests against the real `pictor serve` (docs/web.md).
# Usage: tests/browser/run.sh PATH/TO/pictor [ARTIFACTS_DIR]
# Installs what it needs when missing: Debian's chromium (apt-get, as root) and the pinned npm
# packages (package-lock.json: playwright-core, axe-core) into tests/browser/node_modules.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 PATH/TO/pictor [ARTIFACTS_DIR]" >&2
  exit 2
fi
PICTOR_BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
export PICTOR_BINARY
export PICTOR_BROWSER_ARTIFACTS="${2:-${PICTOR_BROWSER_ARTIFACTS:-$(pwd)/browser-artifacts}}"
if [ ! -x "$PICTOR_BINARY" ]; then
  echo "web_browser: pictor binary not found: $1" >&2
  exit 1
fi
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "web_browser: FAILED: '$tool' is not installed; run scripts/setup.sh (Debian packages nodejs and npm)" >&2
    exit 1
  fi
done

CHROMIUM="${PICTOR_CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "web_browser: installing Debian's chromium (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 ||
           { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; }; then
      echo "web_browser: FAILED: apt-get could not install chromium" >&2
      exit 1
    fi
    CHROMIUM="$(command -v chromium)"
  else
    echo "web_browser: FAILED: chromium is not installed; run scripts/setup.sh (Debian package chromium)" >&2
    exit 1
  fi
fi
export PICTOR_CHROMIUM="$CHROMIUM"

stale=0
for pkg in playwright-core axe-core; do
  wanted="$(node -p "require('./package-lock.json').packages['node_modules/$pkg'].version")"
  installed="$(node -p "try { require('./node_modules/$pkg/package.json').version } catch { '' }")"
  [ "$installed" = "$wanted" ] || stale=1
done
if [ "$stale" -eq 1 ]; then
  echo "web_browser: installing playwright-core and axe-core (npm ci)" >&2
  if ! npm ci --no-audit --no-fund --loglevel=error >&2; then
    echo "web_browser: FAILED: npm ci could not install the packages (is the npm registry reachable?)" >&2
    exit 1
  fi
fi

echo "web_browser: node $(node --version), $("$CHROMIUM" --version 2>/dev/null | head -1), artifacts in $PICTOR_BROWSER_ARTIFACTS" >&2
exec node --test --test-concurrency=1 --test-reporter=spec web.test.mjs
