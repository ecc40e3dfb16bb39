#!/bin/sh
# Ingest speed side by side with the peers the seed's pipeline used, measured in the same run:
# R (readRDS + the seed's dplyr code, reference/seed_cps.R) on the same .Rds, and tshark's field
# export (the first half of reference/pcap2rds.sh) on the same pcaps. Three cases:
#   (a) one .Rds of 916,697 rows (one synthetic workstation x 553 minutes, the size of the
#       917k-row file the issue measured);
#   (b) 8 synthetic workstations x 6 hours (2.2 million packets), as .Rds and as pcap;
#   (c) `connrate merge` of per-capture tables: the 8 tables of (b), each copied under
#       BENCH_MERGE_COPIES (default 25) machine ids, i.e. 200 machines x 6 h.
# Prints wall time (best of BENCH_REPEAT, default 3; R and tshark once), CPU time (user + system)
# and peak RSS, and the ratios. On a machine shared with other work, wall times follow the load;
# the CPU times and the ratios measured in the same run are the figures to compare.
# BENCH_BASELINE=OTHER_CONNRATE (a build of an earlier commit) measures it on (a) as well.
set -eu
bin=${1:-build/connrate}
shared=${CONNRATE_SHARED:-../shared}
work=${BENCH_DIR:-/tmp/connrate-bench}
machines=${BENCH_MACHINES:-8}
minutes=${BENCH_MINUTES:-360}
copies=${BENCH_MERGE_COPIES:-25}
mkdir -p "$work"
if [ ! -f "$work/pcap/ok" ]; then
    "$bin" synth -q --machines "$machines" --minutes "$minutes" --seed 7 -o "$work/pcap"
    "$bin" synth -q --machines "$machines" --minutes "$minutes" --seed 7 --format rds -o "$work/rds"
    touch "$work/pcap/ok"
fi
if [ ! -f "$work/one/ok" ]; then
    "$bin" synth -q --machines 1 --minutes 553 --seed 7 --format rds -o "$work/one"
    touch "$work/one/ok"
fi
have_r=0
command -v Rscript >/dev/null && [ -f "$shared/reference/seed_cps.R" ] && have_r=1

# measure NAME CMD...: prints "NAME wall_s cpu_s peak_kb" (best wall of BENCH_REPEAT runs, the CPU
# time of that run, the largest RSS of all)
measure() {
    name=$1; shift
    best=""; cpu=""; rss=0
    i=0
    while [ "$i" -lt "${BENCH_REPEAT:-3}" ]; do
        i=$((i + 1))
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
            echo "bench: $name failed:" >&2; cat "$work/stderr" >&2; exit 1; }
        read -r t u s m < "$work/time"
        if [ -z "$best" ] || [ "$(awk -v a="$t" -v b="$best" 'BEGIN{print (a < b)}')" = 1 ]; then
            best=$t
            cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u + s}')
        fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    echo "$name $best $cpu $rss"
}

# vs A B WHAT: the ratio line of two measure lines
vs() {
    echo "$1 $2" | awk -v what="$3" '{printf "%s: %.1fx faster in wall time (%.2f s vs %.2f s), %.1fx in CPU time (%.2f s vs %.2f s), %.2fx the memory (%.0f MB vs %.0f MB)\n", what, $6/$2, $2, $6, $7/$3, $3, $7, $4/$8, $4/1024, $8/1024}'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

echo "-- (a) one .Rds of $(Rscript -e "cat(nrow(readRDS('$work/one/ws01.Rds')))" 2>/dev/null || echo '?') rows"
c1=$(measure "connrate-cps-rds-917k" "$bin" cps -q --tcp-end=seed -o "$work/c_one.csv" "$work/one")
c1t=$(measure "connrate-cps-rds-917k-1thread" "$bin" cps -q --threads 1 --tcp-end=seed -o "$work/c_one1.csv" "$work/one")
echo "$c1"; echo "$c1t"
if [ "$have_r" = 1 ]; then
    r1=$(BENCH_REPEAT=1 measure "R-seed_cps-917k" Rscript "$shared/reference/seed_cps.R" "$work/one" "$work/r_one.csv" seed)
    echo "$r1"
    cmp -s "$work/r_one.csv" "$work/c_one.csv" && echo "  outputs byte-identical" || echo "  OUTPUTS DIFFER"
    vs "$c1" "$r1" "connrate cps (917k-row .Rds) vs seed R pipeline"
    vs "$c1t" "$r1" "  the same on one thread"
fi
if [ -n "${BENCH_BASELINE:-}" ]; then
    b1=$(measure "baseline-cps-rds-917k" "$BENCH_BASELINE" cps -q --tcp-end=seed -o "$work/b_one.csv" "$work/one")
    echo "$b1"
    cmp -s "$work/b_one.csv" "$work/c_one.csv" && echo "  outputs byte-identical" || echo "  OUTPUTS DIFFER"
    [ "$have_r" = 1 ] && vs "$b1" "$r1" "baseline cps (917k-row .Rds) vs seed R pipeline"
    vs "$c1" "$b1" "connrate cps vs baseline"
fi

n_all=0
for f in "$work"/pcap/*.pcap; do
    n_all=$((n_all + $("$bin" packets -q "$f" | tail -n +2 | wc -l)))
done
total=$(du -cb "$work"/pcap/*.pcap | tail -n 1 | cut -f1)
echo "-- (b) capture set: $machines machines x $minutes min, $n_all TCP/UDP packets, $((total / 1048576)) MiB of pcap"
c_rds=$(measure "connrate-cps-rds" "$bin" cps -q --tcp-end=seed -o "$work/c_rds.csv" "$work/rds")
c_rds1=$(measure "connrate-cps-rds-1thread" "$bin" cps -q --threads 1 --tcp-end=seed -o "$work/c_rds1.csv" "$work/rds")
c_pcap=$(measure "connrate-cps-pcap" "$bin" cps -q -o "$work/c_pcap.csv" "$work/pcap")
c_pcap1=$(measure "connrate-cps-pcap-1thread" "$bin" cps -q --threads 1 -o "$work/c_pcap1.csv" "$work/pcap")
echo "$c_rds"; echo "$c_rds1"; echo "$c_pcap"; echo "$c_pcap1"
echo "$c_rds $c_rds1" | awk '{printf "  .Rds on all CPUs vs one thread: %.2fx faster\n", $6/$2}'
echo "$c_pcap $c_pcap1" | awk '{printf "  pcap on all CPUs vs one thread: %.2fx faster\n", $6/$2}'
if [ "$have_r" = 1 ]; then
    r=$(BENCH_REPEAT=1 measure "R-seed_cps" Rscript "$shared/reference/seed_cps.R" "$work/rds" "$work/r.csv" seed)
    echo "$r"
    cmp -s "$work/r.csv" "$work/c_rds.csv" && echo "  outputs byte-identical" || echo "  OUTPUTS DIFFER"
    vs "$c_rds" "$r" "connrate cps (.Rds) vs seed R pipeline"
else
    echo "R not installed: skipping the seed pipeline"
fi
if command -v tshark >/dev/null; then
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/time.tshark" sh -c '
        for f in "$1"/pcap/*.pcap; do
            tshark -n -r "$f" -Y "(tcp || udp) && !icmp && !icmpv6" -T fields -E header=y -E separator=/t -E quote=n -E occurrence=f -e frame.number -e frame.time_epoch -e ip.version -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport -e tcp.time_relative -e tcp.completeness > "$1/tshark.tsv" 2>/dev/null
        done' sh "$work"
    end=$(date +%s.%N)
    tt=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
    tm=$(cat "$work/time.tshark")
    echo "tshark-fields $tt $tm"
    echo "$c_pcap $tt $tm" | awk '{printf "connrate cps (pcap) vs tshark -T fields export alone: %.1fx faster, %.2fx the memory (%.0f MB vs %.0f MB)\n", $5/$2, $4/$6, $4/1024, $6/1024}'
else
    echo "tshark not installed: skipping the tshark export"
fi

# (c) one table per capture, as a cluster would compute them, each copied under new machine ids
rm -rf "$work/tables"
mkdir -p "$work/tables"
for f in "$work"/rds/*.Rds; do
    b=$(basename "$f" .Rds)
    "$bin" cps -q --tcp-end=seed -o "$work/tables/$b.csv" "$f"
    k=1
    while [ "$k" -lt "$copies" ]; do
        awk -F, -v OFS=, -v id="${b}_$k" 'NR > 1 { $1 = id } { print }' "$work/tables/$b.csv" > "$work/tables/${b}_$k.csv"
        k=$((k + 1))
    done
done
rows=$(cat "$work"/tables/*.csv | wc -l)
ntables=$(ls "$work/tables" | wc -l)
echo "-- (c) merge: $ntables tables, $((rows - ntables)) rows"
m=$(measure "connrate-merge" "$bin" merge -q -o "$work/merged.csv" "$work"/tables/*.csv)
m1=$(measure "connrate-merge-1thread" "$bin" merge -q --threads 1 -o "$work/merged1.csv" "$work"/tables/*.csv)
echo "$m"; echo "$m1"
cmp -s "$work/merged.csv" "$work/merged1.csv" && echo "  outputs byte-identical" || echo "  OUTPUTS DIFFER"
echo "$m $rows" | awk '{printf "  %.1f million rows per second\n", $5 / $2 / 1e6}'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
