#!/bin/sh
# usage: bench/bench_real.sh [CONNRATE]  -- the nbh fit of a small real set against rstan, in one run.
#
# The CPS table of the 7 shared real captures (../shared/captures/real, read by `connrate cps`),
# and of the 6 among them that are pcap or pcapng, series tcp_new. connrate: `connrate fit
# --model nbh` with every default, so the leave-one-machine-out refits are in (a refit per
# machine, warm-started from the full fit, all at once on the thread pool); wall time of the
# whole command (reading, sampling with retries, checks, refits, writing), best of BENCH_REPEAT
# (3). rstan: bench/rstan_fit.R on the same table (nbh.stan of ../shared/reference, 4 chains of
# 1000 + 1000 on 2 cores, seed 42), wall time of the whole Rscript (R's start, reading, sampling;
# the compiled model comes from the cache, compiled once before the timing). Both sides print
# their minimum bulk ESS over alpha, sigma_machine, sigma_minute and phi, and the ratios are of
# the wall times and of those ESS per second. The load average is printed: the machine may be
# shared, and the two sides run one after the other. RSTAN=0 skips rstan.
set -eu
bin=${1:-build/connrate}
shared=${CONNRATE_SHARED:-../shared}
out=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-real}
repeat=${BENCH_REPEAT:-3}
mkdir -p "$out/six"
real=$shared/captures/real
for f in "$real"/*.pcap "$real"/*.pcapng; do ln -sfn "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$out/six/"; done
"$bin" cps -q -o "$out/seven.csv" "$real"/*.pcap "$real"/*.pcapng "$real"/*.cap
"$bin" cps -q -o "$out/six.csv" "$out/six"

now() { date +%s.%N; }
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }
ess_min() { # summary.csv -> min ess_bulk over the four top-level parameters
    awk -F, '$1 ~ /^(alpha|sigma_machine|sigma_minute|phi)$/ { if (m == "" || $9 < m) m = $9 } END { print m }' "$1"
}
# attempts and divergences of the full fit's attempts, from its loop logs
attempts() {
    for j in "$1"/loop_logs/tcp_new-nbh-*.json; do
        awk '/"divergences":/ && !d { gsub(/[^0-9]/, ""); d = $0 } END { printf "%s ", d }' "$j"
    done
}
if [ "${RSTAN:-1}" = 1 ]; then
    sh tests/fit/with_rstan.sh bench/rstan_fit.R "$shared/reference/nbh.stan" "$out/six.csv" tcp_new 10 10 \
        >/dev/null 2>"$out/rstan-compile.log" || { echo "rstan: unavailable, see $out/rstan-compile.log"; RSTAN=0; }
fi
load start
for table in six seven; do
    seconds=$(($(wc -l <"$out/$table.csv") - 1))
    best=""
    for i in $(seq "$repeat"); do
        t0=$(now)
        rc=0
        "$bin" fit "$out/$table.csv" -o "$out/fit-$table" --force --series tcp_new --model nbh --quiet || rc=$?
        [ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "connrate fit failed ($rc)"; exit 1; }
        t=$(echo "$(now) - $t0" | bc -l)
        best=$(echo "$best $t" | awk '{ b = $1; for (i = 2; i <= NF; i++) if (b == "" || $i < b) b = $i; print b }')
    done
    e=$(ess_min "$out/fit-$table/diagnostics/tcp_new_summary.csv")
    refits=$(ls "$out/fit-$table"/loop_logs/ | grep -c without || true)
    printf 'connrate %-5s (%d s) wall_s=%.2f (best of %d, %d refit attempts) min_ess_bulk=%.0f ess_per_s=%.0f divergences per attempt: %s\n' \
        "$table" "$seconds" "$best" "$repeat" "$refits" "$e" "$(echo "$e / $best" | bc -l)" "$(attempts "$out/fit-$table")"
    [ "${RSTAN:-1}" = 1 ] || continue
    t0=$(now)
    line=$(sh tests/fit/with_rstan.sh bench/rstan_fit.R "$shared/reference/nbh.stan" "$out/$table.csv" tcp_new 1000 1000 2>/dev/null | grep '^rstan')
    rt=$(echo "$(now) - $t0" | bc -l)
    re=$(echo "$line" | sed 's/.*min_ess_bulk=\([0-9.]*\).*/\1/')
    printf '%s wall_s=%.1f (R start included) ess_per_s=%.1f\n' "$line" "$rt" "$(echo "$re / $rt" | bc -l)"
    printf 'ratio %-5s wall: rstan/connrate = %.1fx; ESS per second: %.1fx\n' "$table" \
        "$(echo "$rt / $best" | bc -l)" "$(echo "($e / $best) / ($re / $rt)" | bc -l)"
done
load end
