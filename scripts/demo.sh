#!/bin/sh
# make demo: synthetic captures of 3 workstations (60 minutes each), then `connrate run` on them:
# per-second table, flows, fits, N-user simulation, sizing table and report. Prints where
# everything is. Every setting is the default (about 40 s on 2 cores).
set -eu
bin=${1:-build/connrate}
out=${DEMO_OUT:-demo-out}
rm -rf "$out"
"$bin" synth --machines 3 --minutes 60 --seed 42 -o "$out/captures"
# exit status 3: the run finished but a fit failed its checks; the report says which and why
status=0
"$bin" run "$out/captures" -o "$out/run" --users 1,10,50,100 || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || exit "$status"
echo
echo "demo outputs:"
echo "  captures (pcap) and their true event log: $out/captures/ (truth in $out/captures/truth/)"
echo "  per-second CPS table and flows:           $out/run/cps.csv, $out/run/flows.csv"
echo "  fits (draws, diagnostics):                $out/run/fit/"
echo "  sizing table:                             $out/run/sizing.csv (and sizing.json)"
echo "  figures:                                  $out/run/plots/"
echo "report: $(cd "$out/run" && pwd)/report.html"
[ "$status" -eq 0 ] || echo "status: FAIL (a fit failed its checks: see the report's Checks section)"
