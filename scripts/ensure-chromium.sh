#!/usr/bin/env bash
# Browser tests need Debian's Chromium (test tools may not download browsers here).
# Installs it when missing; prints its path.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$bin" ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's chromium for the browser tests..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "chromium is missing at $bin and this user cannot install it (apt-get install chromium)" >&2
    exit 1
  fi
fi
echo "$bin"
