#!/bin/sh
# usage: bench/bench_fit.sh [CONNRATE]  -- connrate fit against rstan, side by side.
#
# (a) the seed's CPS table of ../shared/captures/real (seed_cps.R), (b) a synthetic table of
# 8 machines x 8 hours (230,400 seconds) drawn from the model by tests/fit/gen_cps.R. For each,
# wall time and minimum bulk ESS per second (over alpha, sigma_machine, sigma_minute, phi, the
# quantities rstan's fit_nbh.R summarises). connrate: all four series, full 4 x (1000 + 1000),
# time = whole command per series (read, sample, diagnostics, writing). rstan: sampling time only
# (compilation excluded), with the seed's 1000 + 1000 on (a); on (b) that would take hours, so
# RSTAN_B_WARMUP / RSTAN_B_SAMPLES (default 150 / 100) shorten it and ESS/s is taken from that run.
# RSTAN=0 skips rstan; SERIES limits the series (default all four).
set -eu
bin=${1:-build/connrate}
shared=${CONNRATE_SHARED:-../shared}
out=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-fit}
series=${SERIES:-tcp_new udp_new tcp_end udp_end}
mkdir -p "$out"
Rscript "$shared/reference/seed_cps.R" "$shared/captures/real" "$out/real.csv" seed >/dev/null
Rscript tests/fit/gen_cps.R "$out/synthetic8h.csv" 28800,28800,28800,28800,28800,28800,28800,28800 1

now() { date +%s.%N; }
ess_min() { # summary.csv -> min ess_bulk over the four top-level parameters
    awk -F, '$1 ~ /^(alpha|sigma_machine|sigma_minute|phi)$/ { if (m == "" || $9 < m) m = $9 } END { print m }' "$1"
}
for table in real synthetic8h; do
    echo "== $table ($(($(wc -l <"$out/$table.csv") - 1)) seconds)"
    total=0
    for s in $series; do
        t0=$(now)
        "$bin" fit "$out/$table.csv" -o "$out/fit-$table" --series "$s" --model nbh --no-holdout --quiet
        t=$(echo "$(now) - $t0" | bc -l)
        total=$(echo "$total + $t" | bc -l)
        e=$(ess_min "$out/fit-$table/diagnostics/${s}_summary.csv")
        printf 'connrate %-8s wall_s=%6.1f min_ess_bulk=%6.0f ess_per_s=%8.1f status=%s\n' "$s" "$t" "$e" \
            "$(echo "$e / $t" | bc -l)" "$(cat "$out/fit-$table/diagnostics/status")"
    done
    printf 'connrate all series wall_s=%.1f\n' "$total"
    [ "${RSTAN:-1}" = 1 ] || continue
    if [ "$table" = real ]; then w=1000 n=1000; else w=${RSTAN_B_WARMUP:-150} n=${RSTAN_B_SAMPLES:-100}; fi
    for s in $series; do
        line=$(sh tests/fit/with_rstan.sh bench/rstan_fit.R "$shared/reference/nbh.stan" "$out/$table.csv" "$s" $w $n 2>/dev/null | grep '^rstan')
        st=$(echo "$line" | sed 's/.*sample_s=\([0-9.]*\).*/\1/')
        e=$(echo "$line" | sed 's/.*min_ess_bulk=\([0-9.]*\).*/\1/')
        printf '%s (warmup %s, samples %s) ess_per_s=%.2f\n' "$line" $w $n "$(echo "$e / $st" | bc -l)"
    done
done
