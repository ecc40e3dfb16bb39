#!/bin/sh
# usage: bench/bench_ladder.sh [CONNRATE]  -- the whole model ladder against rstan.
#
# connrate: `fit --model auto` (pois, nb_machine, nbh, nbh_ar1, hurdle_nbh_ar1: sampling with
# retries, posterior predictive checks, PSIS-LOO and the choice) on the synthetic table of
# 8 machines x 8 hours (230,400 seconds, tests/fit/gen_cps.R, shared with bench_fit.sh), all
# four series, 4 x (1000 + 1000); leave-one-machine-out is off (--no-holdout: it refits the
# kept model once per machine, a separate question). Wall time per series and in all.
#
# rstan: every model's Stan twin (models/*.stan) on tcp_new. At 1000 + 1000 that takes hours per
# model on this table, so each runs RSTAN_WARMUP + RSTAN_SAMPLES (default 10 + 10) iterations and
# the time per iteration is extrapolated to 2000: an estimate, printed as such (early warmup
# iterations may run longer or shorter trajectories than later ones). R's loo() would also need
# the whole S x N pointwise log-likelihood matrix in memory: its size is printed, which is why it
# is not run.
# RSTAN=0 skips rstan.
set -eu
bin=${1:-build/connrate}
out=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-fit}
w=${RSTAN_WARMUP:-10} n=${RSTAN_SAMPLES:-10}
mkdir -p "$out"
table="$out/synthetic8h.csv"
[ -f "$table" ] || Rscript tests/fit/gen_cps.R "$table" 28800,28800,28800,28800,28800,28800,28800,28800 1

now() { date +%s.%N; }
total=0
for s in tcp_new udp_new tcp_end udp_end; do
    t0=$(now)
    "$bin" fit "$table" -o "$out/ladder" --series "$s" --no-holdout --quiet
    t=$(echo "$(now) - $t0" | bc -l)
    total=$(echo "$total + $t" | bc -l)
    [ "$s" = tcp_new ] && first=$t
    printf 'connrate ladder %-8s wall_s=%6.1f kept: %s\n' "$s" "$t" "$(cat "$out/ladder/diagnostics/status")"
done
printf 'connrate ladder all series wall_s=%.1f\n' "$total"
[ "${RSTAN:-1}" = 1 ] || exit 0
seconds=$(($(wc -l <"$table") - 1))
printf "R loo() on one model: a %d x %d log-likelihood matrix, %.1f GB of doubles\n" 4000 "$seconds" \
    "$(echo "4000 * $seconds * 8 / 10^9" | bc -l)"
rtotal=0
for m in pois nb_machine nbh nbh_ar1 hurdle_nbh_ar1; do
    line=$(sh tests/fit/with_rstan.sh bench/rstan_fit.R "models/$m.stan" "$table" tcp_new "$w" "$n" \
        2>/dev/null | grep '^rstan') || { echo "rstan unavailable: skipped"; exit 0; }
    st=$(echo "$line" | sed 's/.*sample_s=\([0-9.]*\).*/\1/')
    ext=$(echo "$st * 2000 / ($w + $n)" | bc -l)
    rtotal=$(echo "$rtotal + $ext" | bc -l)
    printf 'rstan %-15s tcp_new %d+%d iterations: %.1f s; extrapolated to 1000+1000: %.0f s\n' \
        "$m" "$w" "$n" "$st" "$ext"
done
printf 'ladder on tcp_new: rstan %.0f s (extrapolated, sampling only: no PPC, no LOO) vs connrate %.1f s (all of it): %.0fx\n' \
    "$rtotal" "$first" "$(echo "$rtotal / $first" | bc -l)"
