#!/usr/bin/env bash
# Installs what pictor needs to build and test, from Debian 12 packages only. Idempotent: does
# nothing when everything is present. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libtorch-dev libopenblas-dev          # engine (libtorch CPU) + fast fp32 GEMM
  libdnnl-dev                           # engine: oneDNN's own API (the library libtorch uses)
  libpng-dev libjpeg-dev libwebp-dev    # codecs
  nlohmann-json3-dev libcli11-dev       # JSON, command line
  libsqlite3-dev libssl-dev             # store (SQLite), API key hashing (SHA-256)
  libpqxx-dev postgresql                # store (PostgreSQL); tests: a throwaway cluster (label pg)
  libcpp-httplib-dev                    # server, pictor pull
  libcld2-dev libcld2-0                 # arena axes: prompt language detection (CLD2)
  ca-certificates                       # pictor pull: HTTPS certificates of the model hub
  libgtest-dev libgmock-dev             # tests
  clang-14 libclang-rt-14-dev libfuzzer-14-dev  # scripts/fuzz.sh, scripts/sanitize.sh: libFuzzer, ASan, UBSan
  nodejs npm                            # tests/node: the official openai npm client against pictor serve
  chromium                              # tests/browser: the web pages in a real browser (playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  # A node/npm already on PATH (e.g. NodeSource's nodejs, which bundles npm) is kept: Debian's
  # packages would conflict with it.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
