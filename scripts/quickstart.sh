#!/usr/bin/env bash
# Fresh machine → running demo: Debian packages (the speech model and the test peers),
# npm packages, build, then `callscribe demo` (a sample SIPREC call, parked, started via
# PutEvents, transcribed live).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# Loaded through koffi at run time: libspandsp2 (G.722), libbcg729-0 (G.729), libopus0 (Opus),
# libre0 and libsrtp2-1 (SRTP). The rest are the test suite's peers (sipp, Chromium, ffmpeg, stunnel, sipsak,
# Redis), so that `npm test` runs whole after this script.
packages=(libpocketsphinx3 pocketsphinx-en-us libspandsp2 libbcg729-0 libopus0 libre0 libsrtp2-1
  sip-tester chromium sox openssl ffmpeg stunnel4 sipsak redis-server redis-tools)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
exec node bin/callscribe.js demo "$@"
