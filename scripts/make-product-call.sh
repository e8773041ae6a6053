#!/usr/bin/env bash
# Rebuilds samples/product-call: a short support call that names products ("fibermax",
# "zenpay") that are in neither the CMU dictionary nor the generic language model. Same
# tools and channel as samples/support-call: flite voices (caller rms, agent slt), 300-3400 Hz
# band, 8 kHz µ-law. Needs: apt-get install flite sox.
set -euo pipefail
cd "$(dirname "$0")/../samples/product-call"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lines=(
  "AGENT|thank you for calling how can i help you"
  "CALLER|i want to upgrade my internet to fibermax gold"
  "AGENT|sure fibermax gold is forty dollars a month"
  "CALLER|can i pay for fibermax with zenpay"
  "AGENT|yes zenpay works with every fibermax plan"
  "CALLER|great please switch me to fibermax today"
)
gap=0.6
printf 'id\tchannel\tstart_s\tend_s\ttext\n' > dialog.tsv
t=0
: > "$tmp/caller.list"; : > "$tmp/agent.list"
for i in "${!lines[@]}"; do
  channel=${lines[$i]%%|*}; text=${lines[$i]#*|}
  voice=$([ "$channel" = CALLER ] && echo rms || echo slt)
  flite -voice "$voice" -t "$text" -o "$tmp/u$i.raw.wav"
  sox "$tmp/u$i.raw.wav" -r 8000 -c 1 -b 16 "$tmp/u$i.wav" highpass 300 lowpass 3400
  len=$(soxi -D "$tmp/u$i.wav")
  sox -n -r 8000 -c 1 -b 16 "$tmp/s$i.wav" trim 0 "$len"
  if [ "$channel" = CALLER ]; then
    echo "$tmp/u$i.wav" >> "$tmp/caller.list"; echo "$tmp/s$i.wav" >> "$tmp/agent.list"
  else
    echo "$tmp/s$i.wav" >> "$tmp/caller.list"; echo "$tmp/u$i.wav" >> "$tmp/agent.list"
  fi
  sox -n -r 8000 -c 1 -b 16 "$tmp/g$i.wav" trim 0 "$gap"
  echo "$tmp/g$i.wav" >> "$tmp/caller.list"; echo "$tmp/g$i.wav" >> "$tmp/agent.list"
  end=$(echo "$t + $len" | bc -l)
  printf 'utt%02d\t%s\t%.3f\t%.3f\t%s\n' "$i" "$channel" "$t" "$end" "$text" >> dialog.tsv
  t=$(echo "$end + $gap" | bc -l)
done
for side in caller agent; do
  # shellcheck disable=SC2046
  sox $(cat "$tmp/$side.list") "$tmp/$side.wav"
  sox "$tmp/$side.wav" -t ul "$side.pcmu"
done
