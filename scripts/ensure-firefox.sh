#!/usr/bin/env bash
# The offline file's Firefox check (tests/e2e/offline.e2e.ts) needs Debian's
# Firefox ESR (test tools may not download browsers here). Installs it when
# missing and this user can; prints its path, or nothing (the check is then
# skipped) when it is missing and cannot be installed.
set -euo pipefail
for name in firefox-esr firefox; do
  if bin="$(command -v "$name")"; then echo "$bin"; exit 0; fi
done
if [ "$(id -u)" = "0" ]; then
  echo "Installing Debian's firefox-esr for the offline file's Firefox check..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >&2
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq >&2
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >&2
else
  echo "firefox-esr is missing and this user cannot install it (apt-get install firefox-esr): the Firefox check is skipped" >&2
  exit 0
fi
command -v firefox-esr
