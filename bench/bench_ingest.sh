#!/bin/sh
# Ingest speed on a synthetic capture set of at least 2 million packets, side by side with the
# peers the seed's pipeline used: R (readRDS + the seed's dplyr code, reference/seed_cps.R) on
# the same .Rds, and tshark's field export (the first half of reference/pcap2rds.sh) on the same
# pcaps. Prints wall time, peak RSS and the ratios.
set -eu
bin=${1:-build/connrate}
shared=${CONNRATE_SHARED:-../shared}
work=${BENCH_DIR:-/tmp/connrate-bench}
machines=${BENCH_MACHINES:-8}
minutes=${BENCH_MINUTES:-360}
mkdir -p "$work"
if [ ! -f "$work/pcap/ok" ]; then
    "$bin" synth -q --machines "$machines" --minutes "$minutes" --seed 7 -o "$work/pcap"
    "$bin" synth -q --machines "$machines" --minutes "$minutes" --seed 7 --format rds -o "$work/rds"
    touch "$work/pcap/ok"
fi
packets=$("$bin" packets -q "$work/pcap/ws01.pcap" | wc -l)
total=$(du -cb "$work"/pcap/*.pcap | tail -n 1 | cut -f1)

# measure NAME CMD...: prints "NAME seconds peak_kb" (best wall time of 3, max RSS)
measure() {
    name=$1; shift
    best=""; rss=0
    for i in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
            echo "bench: $name failed:" >&2; cat "$work/stderr" >&2; exit 1; }
        read -r t m < "$work/time"
        best=$(awk -v a="$best" -v b="$t" 'BEGIN{print (a=="" || b<a) ? b : a}')
        [ "$m" -gt "$rss" ] && rss=$m
        [ "${BENCH_REPEAT:-3}" -eq 1 ] && break
    done
    echo "$name $best $rss"
}

n_all=0
for f in "$work"/pcap/*.pcap; do
    n_all=$((n_all + $("$bin" packets -q "$f" | tail -n +2 | wc -l)))
done
echo "capture set: $machines machines x $minutes min, $n_all TCP/UDP packets, $((total / 1048576)) MiB of pcap (ws01 alone: $((packets - 1)) packets)"

c_rds=$(measure "connrate-cps-rds" "$bin" cps -q --tcp-end=seed -o "$work/c_rds.csv" "$work/rds")
c_pcap=$(measure "connrate-cps-pcap" "$bin" cps -q -o "$work/c_pcap.csv" "$work/pcap")
echo "$c_rds"; echo "$c_pcap"
if command -v Rscript >/dev/null && [ -f "$shared/reference/seed_cps.R" ]; then
    r=$(BENCH_REPEAT=1 measure "R-seed_cps" Rscript "$shared/reference/seed_cps.R" "$work/rds" "$work/r.csv" seed)
    echo "$r"
    cmp -s "$work/r.csv" "$work/c_rds.csv" && echo "  outputs byte-identical" || echo "  OUTPUTS DIFFER"
    echo "$c_rds $r" | awk '{printf "connrate cps (.Rds) vs seed R pipeline: %.1fx faster, %.2fx the memory (%.0f MB vs %.0f MB)\n", $5/$2, $3/$6, $3/1024, $6/1024}'
else
    echo "R not installed: skipping the seed pipeline"
fi
if command -v tshark >/dev/null; then
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/time.tshark" sh -c '
        for f in "$1"/pcap/*.pcap; do
            tshark -n -r "$f" -Y "(tcp || udp) && !icmp && !icmpv6" -T fields -E header=y -E separator=/t -E quote=n -E occurrence=f -e frame.number -e frame.time_epoch -e ip.version -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport -e tcp.time_relative -e tcp.completeness > "$1/tshark.tsv"
        done' sh "$work"
    end=$(date +%s.%N)
    tt=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
    tm=$(cat "$work/time.tshark")
    echo "tshark-fields $tt $tm"
    echo "$c_pcap $tt $tm" | awk '{printf "connrate cps (pcap) vs tshark -T fields export alone: %.1fx faster, %.2fx the memory (%.0f MB vs %.0f MB)\n", $4/$2, $3/$5, $3/1024, $5/1024}'
else
    echo "tshark not installed: skipping the tshark export"
fi
