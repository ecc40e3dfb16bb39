#!/bin/sh
# usage: bench/bench_scale.sh [CONNRATE]  -- what a fit costs as machines grow (docs/scale.md, "Many machines").
#
# For each population (BENCH_POPULATIONS, default "200x60 1000x60": machines x minutes), the
# ground-truth CPS table of `connrate synth` and `connrate fit --series tcp_new --model nbh
# --no-holdout` on it (the fit of the lead's figures; the 1000-machine one takes the better part
# of an hour on 2 cores). Prints the table's size, wall time, peak RSS (/usr/bin/time) and peak
# RSS per machine-minute and per second, the sampler's and the diagnostics' share from the loop
# logs, what the rest (reading, PPC, writing) took, and the size of the files written.
set -eu
bin=${1:-build/connrate}
out=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-scale}
mkdir -p "$out"
echo "load average (start): $(cut -d' ' -f1-3 /proc/loadavg)"
for pop in ${BENCH_POPULATIONS:-200x60 1000x60}; do
    k=${pop%x*} m=${pop#*x}
    table=$out/synth-$pop/truth/cps.csv
    if [ ! -f "$table" ]; then
        "$bin" synth -q --machines "$k" --minutes "$m" --seed 1 -o "$out/synth-$pop" --force
        rm -f "$out/synth-$pop"/*.pcap
    fi
    seconds=$(($(wc -l <"$table") - 1))
    rc=0
    /usr/bin/time -f "%e %M" -o "$out/time" "$bin" fit "$table" -o "$out/fit-$pop" --force \
        --series tcp_new --model nbh --no-holdout --quiet || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "connrate fit failed ($rc)"; exit 1; }
    # the last line: GNU time puts "Command exited with non-zero status 3" (a FAIL verdict) first
    read -r wall kb <<EOF
$(tail -n 1 "$out/time")
EOF
    inner=$(awk '/"sampler_s":/ { gsub(/[^0-9. ]/, " "); s += $1; d += $2 } END { printf "%.1f %.1f", s, d }' \
        "$out/fit-$pop"/loop_logs/*.json)
    set -- $inner
    printf 'fit %s: %d seconds, %d cells; wall_s=%.1f (sampler %.1f, diagnostics %.1f, the rest %.1f) peak_rss=%d MB = %.0f B per machine-minute, %.0f B per second; files %s\n' \
        "$pop" "$seconds" "$((k * m))" "$wall" "$1" "$2" "$(echo "$wall - $1 - $2" | bc -l)" \
        "$((kb / 1024))" "$(echo "$kb * 1024 / ($k * $m)" | bc -l)" "$(echo "$kb * 1024 / $seconds" | bc -l)" \
        "$(du -sh "$out/fit-$pop" | cut -f1)"
done
echo "load average (end): $(cut -d' ' -f1-3 /proc/loadavg)"
