#!/usr/bin/env bash
# Fresh machine → running demo: Debian packages (the speech model and the test peers),
# npm packages, build, then `callscribe demo` (a sample SIPREC call, parked, started via
# PutEvents, transcribed live).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# libsrtp2-1: SRTP (SDES) media, loaded through koffi.
packages=(libpocketsphinx3 pocketsphinx-en-us sip-tester chromium sox openssl stunnel4 sipsak libsrtp2-1)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
exec node bin/callscribe.js demo "$@"
