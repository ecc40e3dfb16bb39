#!/bin/sh
# make demo: synthetic captures of 3 workstations (60 minutes each), then the per-second table
# and the flow list from them. Prints where everything is.
set -eu
bin=${1:-build/connrate}
out=${DEMO_OUT:-demo-out}
rm -rf "$out"
"$bin" synth --machines 3 --minutes 60 --seed 42 -o "$out/captures"
"$bin" cps -o "$out/cps.csv" "$out/captures"
"$bin" flows -q -o "$out/flows.csv" "$out/captures"
echo
echo "demo outputs:"
echo "  captures (pcap) and their true event log: $out/captures/ (truth in $out/captures/truth/)"
echo "  per-second CPS table:                     $out/cps.csv"
echo "  outbound connections:                     $out/flows.csv"
