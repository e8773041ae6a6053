#!/usr/bin/env bash
# Rebuilds samples/support-call-wideband from samples/support-call/dialog.tsv: the same two-party
# call, the same voices and timings (flite's rms for the caller, slt for the agent), kept at the
# voices' native 16 kHz and band-limited to 100-7000 Hz like a wideband (G.722/Opus) phone line.
# Needs flite and sox (apt-get install flite sox); the output is committed, so tests do not.
set -euo pipefail
cd "$(dirname "$0")/.."
src=samples/support-call
out=samples/support-call-wideband
total_s=44.63
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for channel in CALLER AGENT; do
  voice=$([ "$channel" = CALLER ] && echo rms || echo slt)
  sox -n -r 16000 -c 1 -b 16 "$work/base-$channel.wav" trim 0 "$total_s"
  inputs=(-v 1 "$work/base-$channel.wav")
  while IFS=$'\t' read -r id chan start _end text; do
    [ "$chan" = "$channel" ] || continue
    flite -voice "$voice" -t "$text" -o "$work/$id.wav"
    sox "$work/$id.wav" "$work/$id-at.wav" pad "$start" 0
    inputs+=(-v 1 "$work/$id-at.wav")
  done < <(tail -n +2 "$src/dialog.tsv")
  name=$(echo "$channel" | tr '[:upper:]' '[:lower:]')
  sox -m "${inputs[@]}" -r 16000 -c 1 -b 16 "$out/$name.flac" highpass 100 lowpass 7000 trim 0 "$total_s"
done
cp "$src/dialog.tsv" "$out/dialog.tsv"
