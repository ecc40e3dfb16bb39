#!/bin/sh
# usage: bench/bench_flowscale.sh [CONNRATE]  -- `connrate run` on a flow-record file of many
# hosts over a day (docs/scale.md, "Flow-log scale"): ingest, fit and simulation within bounded
# memory, however many hosts the file has.
#
# For each population (BENCH_FLOWSCALE, default "10000x1440 1000x1440": hosts x minutes), awk
# writes a Zeek conn.log of workstations, host after host: each host a busy-hour rate
# (lognormal around 0.1 new connections/s) from a start between 07:00 and 10:00 for 8 to 10
# hours and 5% of it otherwise, each minute its own lognormal effect, counts Poisson, 30% UDP
# (about 3,600 connections per host and day, 127 bytes a record). Then `connrate run` with
# every default (plus $FLOWSCALE_ARGS) under /usr/bin/time: records, file size, wall and CPU time, peak RSS, and the
# wall time of each stage as the run logs it.
set -eu
bin=${1:-build/connrate}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench}/flowscale
mkdir -p "$work"
echo "load average (start): $(cut -d' ' -f1-3 /proc/loadavg)"
for pop in ${BENCH_FLOWSCALE:-10000x1440 1000x1440}; do
    hosts=${pop%x*} minutes=${pop#*x}
    log=$work/conn-$pop.log
    if [ ! -f "$log" ]; then
        awk -v seed=1 -v hosts="$hosts" -v minutes="$minutes" -v busy=0.1 -v night=0.05 '
        function gauss() { return sqrt(-2 * log(1 - rand())) * cos(6.283185307 * rand()) }
        function poisson(mu,   k, p, l) {
            if (mu > 30) { k = int(mu + sqrt(mu) * gauss() + 0.5); return k < 0 ? 0 : k }
            l = exp(-mu); k = 0; p = rand()
            while (p > l) { k++; p *= rand() }
            return k
        }
        BEGIN {
            srand(seed)
            print "#separator \\x09"; print "#set_separator\t,"; print "#empty_field\t(empty)"
            print "#unset_field\t-"; print "#path\tconn"; print "#open\t2023-11-24-00-00-00"
            print "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"
            print "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]"
            t0 = 1700006400; uid = 0
            for (h = 0; h < hosts; h++) {
                rate = busy * exp(0.8 * gauss() - 0.32)
                start = 7 + 3 * rand(); stop = start + 8 + 2 * rand()
                for (m = 0; m < minutes; m++) {
                    hour = (m / 60) % 24
                    r = (hour >= start && hour < stop) ? rate : rate * night
                    n = poisson(r * 60 * exp(0.7 * gauss() - 0.245))
                    for (i = 0; i < n; i++) {
                        udp = rand() < 0.3
                        printf "%.6f\tC%d\t10.%d.%d.%d\t%d\t%d.%d.%d.%d\t%d\t%s\t-\t%.6f\t%d\t%d\tSF\tT\tF\t0\tShADadFf\t%d\t%d\t%d\t%d\t(empty)\n",
                            t0 + 60 * (m + rand()), uid++, int(h / 62500), int(h / 250) % 250,
                            h % 250 + 1, 1024 + int(rand() * 60000), int(rand() * 200) + 1,
                            int(rand() * 255), int(rand() * 255), int(rand() * 254) + 1,
                            udp ? 53 : 443, udp ? "udp" : "tcp",
                            udp ? -log(rand()) * 0.05 : exp(1.5 * gauss()), int(rand() * 9000),
                            int(rand() * 90000), int(rand() * 20) + 1, int(rand() * 9000),
                            int(rand() * 20), int(rand() * 90000)
                    }
                }
            }
            print "#close\t2023-11-25-00-00-00"
        }' > "$log.tmp"
        mv "$log.tmp" "$log"
    fi
    records=$(grep -vc '^#' "$log")
    size=$(du -m "$log" | cut -f1)
    rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" run "$log" -o "$work/run-$pop" \
        --force ${FLOWSCALE_ARGS:-} 2> "$work/run-$pop.log" || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "connrate run failed ($rc): $work/run-$pop.log"; exit 1; }
    read -r wall user sys kb <<EOF2
$(tail -n 1 "$work/time")
EOF2
    printf 'run %s: %s records, %s MB; wall_s=%s cpu_s=%.0f peak_rss=%d MB; %s\n' "$pop" \
        "$records" "$size" "$wall" "$(echo "$user + $sys" | bc -l)" "$((kb / 1024))" \
        "$(grep -o '"sample": {[^}]*}' "$work/run-$pop/sizing.json")"
    awk '/^stage / { w = $(NF - 1); $1 = $(NF - 1) = $NF = ""; gsub(/^ +| +$/, "")
                     printf "  stage %s %s s\n", $0, w }' "$work/run-$pop.log"
done
echo "load average (end): $(cut -d' ' -f1-3 /proc/loadavg)"
