#!/bin/sh
# usage: bench/bench_run.sh [CONNRATE]  -- `connrate run` end to end, stage by stage, next to the
# seed's pipeline on the same data.
#
# Data: `connrate synth` of 8 workstations x 8 hours (230,400 seconds), as pcaps for connrate and
# as .Rds exports for the seed. connrate: one `run` with its defaults and --users
# 1,10,50,100,10000; its stage times come from its stderr (wall clock never goes into its
# outputs). The seed: its extraction (seed_cps.R on the
# .Rds) and rstan's fit of one series (bench/rstan_fit.R on models/nbh.stan, compilation
# excluded). rstan on 230,400 seconds takes hours at the seed's 1000 + 1000, so it runs
# RSTAN_WARMUP + RSTAN_SAMPLES (default 20 + 20) iterations per chain and the 1000 + 1000 time
# is extrapolated linearly in iterations (labelled as such: early warmup iterations may run
# longer or shorter trajectories than later ones). RSTAN=0 skips rstan; without R or rstan the
# seed's parts are skipped. BENCH_DIR keeps the data between runs.
#
# On the loaded 2-core machine rstan's 50 + 50 took 41 minutes, hence the default of 20 + 20;
# connrate's run, N = 10,000 included, about two (BENCH_USERS sets the N).
set -eu
bin=${1:-build/connrate}
shared=${CONNRATE_SHARED:-../shared}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-run}
users=${BENCH_USERS:-1,10,50,100,10000}
series=${RSTAN_SERIES:-tcp_new}
rw=${RSTAN_WARMUP:-20}
rs=${RSTAN_SAMPLES:-20}
mkdir -p "$work"
if [ ! -f "$work/data-ok" ]; then
    "$bin" synth -q --machines 8 --minutes 480 --seed 7 -o "$work/pcap"
    "$bin" synth -q --machines 8 --minutes 480 --seed 7 --format rds -o "$work/rds"
    touch "$work/data-ok"
fi
echo "data: 8 synthetic workstations x 8 h, $(du -cb "$work"/pcap/*.pcap | tail -n 1 | cut -f1 |
    awk '{printf "%.0f", $1 / 1048576}') MiB of pcap"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# connrate run: every stage line of stderr ("stage NAME SECONDS s") and the per-N lines
rm -rf "$work/run"
t0=$(now)
# exit status 3: the run finished but a fit failed its checks (its status line says which); the
# time is still the run's
rc=0
"$bin" run "$work/pcap" -o "$work/run" --users "$users" >/dev/null 2>"$work/run.log" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "bench: connrate run failed:" >&2
    tail -n 5 "$work/run.log" >&2
    exit 1
fi
wall=$(since "$t0")
status=$(sed -n 's/^status: //p' "$work/run.log")
echo "connrate run (defaults, --users $users): wall ${wall} s, status: $status"
sed -n 's/^stage \(.*[^ ]\)  *\([0-9.]*\) s$/\1|\2/p' "$work/run.log" >"$work/stages"
awk -F'|' '{ printf "  %-12s %8.1f s\n", $1, $2 }' "$work/stages"
ours=$(awk -F'|' '$1 == "load" || $1 == "tables" || $1 == "fit new" { t += $2 }
    END { printf "%.1f", t }' "$work/stages")
echo "  load + tables + fit new (what the seed's extraction + one fit do): ${ours} s"

# The seed's pipeline on the same data: R extraction, then rstan on one series.
if ! command -v Rscript >/dev/null 2>&1 || [ ! -f "$shared/reference/seed_cps.R" ]; then
    echo "seed pipeline: skipped (needs Rscript and $shared/reference/seed_cps.R)"
    exit 0
fi
t0=$(now)
Rscript "$shared/reference/seed_cps.R" "$work/rds" "$work/seed.csv" seed >/dev/null 2>&1
extract=$(since "$t0")
echo "seed extraction (seed_cps.R on the .Rds): ${extract} s"
[ "${RSTAN:-1}" = 1 ] || { echo "rstan: skipped (RSTAN=0)"; exit 0; }
rc=0
sh tests/fit/with_rstan.sh bench/rstan_fit.R models/nbh.stan "$work/seed.csv" "$series" "$rw" \
    "$rs" >"$work/rstan.out" 2>"$work/rstan.log" || rc=$?
line=$(grep '^rstan' "$work/rstan.out" || true)
if [ "$rc" != 0 ] || [ -z "$line" ]; then
    if [ "$rc" = 77 ]; then echo "rstan: skipped (rstan unusable here)"; else
        echo "rstan: failed, see $work/rstan.log"; fi
    exit 0
fi
st=$(echo "$line" | sed 's/.*sample_s=\([0-9.]*\).*/\1/')
echo "rstan nbh $series, 4 chains x ($rw warmup + $rs samples), measured: ${st} s ($line)"
awk -v t="$st" -v n="$((rw + rs))" -v e="$extract" 'BEGIN {
    x = t * 2000 / n
    printf "rstan nbh, 4 chains x (1000 + 1000), EXTRAPOLATED linearly in iterations: "
    printf "%.0f s (%.1f h)\n", x, x / 3600
    printf "seed pipeline (extraction + one series fit at 1000 + 1000, extrapolated): "
    printf "%.0f s\n", e + x }'
echo "connrate for the same (load + tables + fit new, 4 chains x (1000 + 1000)): ${ours} s"
