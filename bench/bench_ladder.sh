#!/bin/sh
# usage: bench/bench_ladder.sh [CONNRATE]  -- the whole model ladder against rstan.
#
# connrate: `fit --model auto` (pois, nb_machine, nbh, nbh_ar1, hurdle_nbh_ar1: sampling with
# retries, posterior predictive checks, PSIS-LOO and the choice) on the synthetic table of
# 8 machines x 8 hours (230,400 seconds, tests/fit/gen_cps.R, shared with bench_fit.sh), all
# four series, 4 x (1000 + 1000); leave-one-machine-out is off (--no-holdout: it refits the
# kept model once per machine, a separate question). Wall time per series and in all.
#
# rstan: running Stan's NUTS on these models takes hours per model at 1000 + 1000 on this table,
# and a few iterations extrapolated say little (early warmup trajectories are not the later
# ones). NUTS time is gradients: each leapfrog step is one gradient of the log density. So the
# comparison is by gradient cost, on tcp_new. From connrate's loop_logs, per model, the leapfrog
# steps its sampler took over every attempt and the seconds they took; from rstan
# (bench/rstan_grad.R), the seconds per gradient of each model's Stan twin (models/NAME.stan)
# on the same data. rstan's seconds per gradient x connrate's leapfrogs is what rstan's NUTS
# would spend on the same trajectories: an estimate that leaves out Stan's sampler overhead
# (small next to a gradient over 230,400 seconds) and charges rstan connrate's trajectory
# lengths, where Stan's own run of its (non-centred) twin may take longer or shorter ones.
# The logs count leapfrogs of the saved draws only; warmup's are estimated from each chain's
# warmup seconds at its sampling rate, and printed as estimated.
#
# Seconds are chain-seconds: summed over the 4 chains, which run two at a time on 2 cores, as
# rstan's cores = 2 would (connrate's sampler wall time is printed next to them). The load
# average is printed: the machine may be shared. R's loo() would also need the whole S x N
# pointwise log-likelihood matrix in memory: its size is printed, which is why it is not run.
# RSTAN=0 skips rstan.
set -eu
bin=${1:-build/connrate}
out=${BENCH_DIR:-${TMPDIR:-/tmp}/connrate-bench-fit}
mkdir -p "$out"
table="$out/synthetic8h.csv"
[ -f "$table" ] || Rscript tests/fit/gen_cps.R "$table" 28800,28800,28800,28800,28800,28800,28800,28800 1
# loop_logs of an earlier run would be counted as attempts of this one
rm -rf "$out/ladder"

now() { date +%s.%N; }
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }
load start
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
load "after connrate"

# Per model on tcp_new, over its attempts: an attempt that runs an earlier one's chains on logs
# their totals, so only the last attempt of each run is counted (the wall times of all are).
# Out: model coordinates attempts sampling_leapfrogs warmup_leapfrogs_est chain_s sampling_s wall_s
models=""
: >"$out/connrate-grad.txt"
for m in pois nb_machine nbh nbh_ar1 hurdle_nbh_ar1; do
    set -- "$out"/ladder/loop_logs/tcp_new-"$m"-*.json
    [ -f "$1" ] || continue
    models="$models $m"
    awk -v model="$m" '
        function num(s, key, i) {
            i = index(s, "\"" key "\": ")
            return i ? substr(s, i + length(key) + 4) + 0 : ""
        }
        FNR == 1 { n++ }
        /"attempt":/ { att[n] = num($0, "attempt") }
        /"settings":/ { samples[n] = num($0, "samples"); ext[num($0, "extends_attempt")] = 1 }
        /"coordinates":/ { coords = $0; sub(/.*"coordinates": "/, "", coords); sub(/".*/, "", coords) }
        /"sampler_s":/ { wall += num($0, "sampler_s") }
        /"n_leapfrog_mean":/ {
            c = ++nc[n]
            lf[n, c] = num($0, "n_leapfrog_mean"); ws[n, c] = num($0, "warmup_s")
            ss[n, c] = num($0, "sampling_s")
        }
        END {
            for (i = 1; i <= n; i++) {
                if (att[i] in ext)
                    continue
                for (c = 1; c <= nc[i]; c++) {
                    l = samples[i] * lf[i, c]
                    ls += l; lw += ss[i, c] > 0 ? ws[i, c] * l / ss[i, c] : 0
                    chain += ws[i, c] + ss[i, c]; samp += ss[i, c]
                }
            }
            printf "%s %s %d %.0f %.0f %.3f %.3f %.3f\n", model, coords, n, ls, lw, chain, samp, wall
        }' "$@" >>"$out/connrate-grad.txt"
done

: >"$out/rstan-grad.txt"
if [ "${RSTAN:-1}" = 1 ]; then
    seconds=$(($(wc -l <"$table") - 1))
    printf "R loo() on one model: a %d x %d log-likelihood matrix, %.1f GB of doubles\n" 4000 "$seconds" \
        "$(echo "4000 * $seconds * 8 / 10^9" | bc -l)"
    stanfiles=""
    for m in $models; do
        [ -f "models/$m.stan" ] && stanfiles="$stanfiles models/$m.stan"
    done
    rc=0
    # shellcheck disable=SC2086 # one argument per model
    sh tests/fit/with_rstan.sh bench/rstan_grad.R "$table" tcp_new $stanfiles \
        >"$out/rstan-grad.out" 2>"$out/rstan-grad.log" || rc=$?
    if [ "$rc" = 77 ]; then echo "rstan: unavailable here, skipped"
    elif [ "$rc" != 0 ]; then echo "rstan: failed, see $out/rstan-grad.log"
    else
        grep '^rstan version' "$out/rstan-grad.out" || true
        grep '^rstan_grad ' "$out/rstan-grad.out" >"$out/rstan-grad.txt" || true
    fi
    load "after rstan"
fi

awk -v whole="$first" '
    function num(s) { sub(/^[^=]*=/, "", s); return s + 0 }
    FILENAME ~ /rstan-grad/ { rg[$2] = num($5); next }
    {
        row[++n] = $1; co[$1] = $2; at[$1] = $3; ls[$1] = $4; lw[$1] = $5
        ch[$1] = $6; sp[$1] = $7; wl[$1] = $8
    }
    END {
        print "tcp_new, per model: leapfrogs = gradient evaluations of connrate'"'"'s sampler over every"
        print "attempt (sampling counted from the logs + warmup ESTIMATED from warmup seconds at the"
        print "sampling rate; (warmup) = that estimate); chain-s = connrate'"'"'s sampler seconds summed"
        print "over the 4 chains; wall-s = its sampler wall time; cr s/grad = its sampling seconds /"
        print "sampling leapfrogs (its NUTS overhead included); rs s/grad = rstan'"'"'s grad_log_prob;"
        print "rs chain-s = rs s/grad x the same leapfrogs (gradient-cost estimate; excludes Stan'"'"'s"
        print "sampler overhead, which is small); ratio = rs chain-s / chain-s; grad x = rs s/grad / cr s/grad"
        printf "%-15s %-11s %3s %10s %10s %9s %8s %11s %11s %10s %7s %7s\n", "model", "coords",
            "att", "leapfrogs", "(warmup)", "chain-s", "wall-s", "cr s/grad", "rs s/grad",
            "rs chain-s", "ratio", "grad x"
        for (i = 1; i <= n; i++) {
            m = row[i]; l = ls[m] + lw[m]; g = sp[m] / ls[m]
            printf "%-15s %-11s %3d %10.0f %10.0f %9.1f %8.1f %11.3e", m, co[m], at[m], l, lw[m],
                ch[m], wl[m], g
            tl += l; tc += ch[m]; tw += wl[m]
            if (m in rg) {
                printf " %11.3e %10.0f %6.0fx %6.0fx\n", rg[m], rg[m] * l, rg[m] * l / ch[m], rg[m] / g
                tr += rg[m] * l; nr++
            } else
                printf " %11s %10s %7s %7s\n", "-", "-", "-", "-"
        }
        printf "ladder on tcp_new, sampling: connrate %.0f leapfrogs in %.1f chain-s (%.1f s wall)\n",
            tl, tc, tw
        if (nr == n && n > 0) {
            printf "ladder on tcp_new, sampling: rstan %.0f chain-s (gradient-cost estimate; excludes ", tr
            printf "Stan'"'"'s sampler overhead, which is small), %.0f s wall at 2 chains at a time: ", tr / 2
            printf "%.0fx connrate\n", tr / tc
            printf "ladder on tcp_new, connrate all of it (sampling, PPC, LOO, choice): %.1f s wall; ", whole
            printf "rstan'"'"'s sampling alone (estimate, 2 cores): %.0fx that\n", tr / 2 / whole
        }
    }' "$out/connrate-grad.txt" "$out/rstan-grad.txt"
