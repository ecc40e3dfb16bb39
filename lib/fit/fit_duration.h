/* The censored duration mixture of one protocol (lib/duration) fitted by the engine (fit.h):
 * 1 to CR_DUR_KMAX components are judged through their Laplace approximations, adapted once
 * to their importance weights' moments and corrected by importance sampling, PSIS-LOO and the
 * check against Kaplan-Meier (cr_duration_ppc_run) (fit_duration_approx.c); the number kept by the rule of the rate ladder (ladder/ladder.h) is
 * confirmed with NUTS, judged by the rate fits' criteria with their retries, and checked against
 * Kaplan-Meier again; one that fails drops out and the rule chooses again (cr_fit_select). The
 * kept fit is thinned to the draws the simulation pairs with the rate draws. The durations are
 * binned (CR_DURATION_COARSEN) and the chains start around the highest mode found
 * (cr_duration_find_start): docs/durations.md. Computing and writing are apart, as for the rate
 * fits: cr_duration_fit_write writes diagnostics/loo_NAME.csv (the candidates),
 * diagnostics/ppc_NAME.csv (the checks) and the loop logs of the NUTS attempts. */
#ifndef CR_FIT_DURATION_H
#define CR_FIT_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "duration/check.h"
#include "duration/start.h"
#include "fit/fit.h"
#include "loo/loo.h"

typedef struct {
    const char *name;   /* "duration_tcp": messages and file names */
    cr_fit_options fit; /* the NUTS fits' seed, threads and attempts (their other settings are
                         * the mixture's: fit_duration.c) */
    uint64_t seed;      /* of the kept fit's check (the approximations' streams are fixed) */
    int threads;        /* 0: one per CPU */
    double horizon;     /* the means are of durations cut here, seconds (INFINITY: not cut) */
    int draws;          /* thinned draws kept */
} cr_duration_fit_options;

/* One number of components. */
typedef struct {
    int k;
    cr_duration_start start;
    double approx_k;   /* Pareto k of p / g over the approximation's draws */
    int resolved;      /* every component's median at the mode is at least the data's resolution
                        * (a component centred below it describes durations the timestamps
                        * cannot tell apart: its place and spread are the prior's, a ridge the
                        * sampler cannot explore) */
    int one_mode;      /* no other mode near the highest (the approximation's one) */
    int usable;        /* resolved, one mode, and the approximation holds */
    double *elpd;      /* pointwise elpd_loo per observation */
    cr_loo_estimates loo;
    cr_duration_ppc ppc; /* of the approximation (nrep 0: not run, the candidate unusable) */
    double mean_s;     /* posterior mean of the mixture's mean cut at the horizon */
    double seconds[3]; /* wall time of the start, LOO, the check (stderr) */
    int fitted;        /* confirmed with NUTS: fit and fit_ppc are set */
    cr_fit_attempt fit;
    cr_duration_ppc fit_ppc; /* the check of the NUTS draws */
} cr_duration_candidate;

/* The candidate of k components for data d (its observations obs, weighted by weight[nobs]),
 * judged through its approximation with random streams from seed. */
void cr_duration_judge(cr_duration_candidate *c, int k, const cr_duration_data *d,
                       const double *weight, size_t nobs, const cr_duration_obs *obs,
                       double horizon, uint64_t seed, int threads);

typedef struct {
    const char *name;
    size_t censored;     /* durations still open at capture end */
    int fitted;          /* 0: no ended duration, nothing fitted */
    cr_duration_candidate cand[CR_DUR_KMAX];
    cr_ladder_choice choice; /* choice.chosen: the candidate kept */
    cr_fit_check check;  /* the kept fit's convergence and check against Kaplan-Meier */
    int attempts;
    double mean_s[3];    /* posterior q5, q50, q95 of the mixture's mean cut at the horizon */
    cr_duration_params *draws; /* [o->draws], evenly thinned */
    cr_fit_logs logs;    /* of every NUTS attempt, SERIES-duration_kK-N.json */
} cr_duration_fit;

/* Fits the durations obs (at least one ended, else out->fitted is 0). Fails only when a
 * sampler cannot run. */
int cr_duration_fit_run(const cr_duration_obs *obs, const cr_duration_fit_options *o,
                        cr_duration_fit *out, cr_err *e);
/* dir/diagnostics/loo_NAME.csv, dir/diagnostics/ppc_NAME.csv and dir/loop_logs/ of a fitted
 * f. */
int cr_duration_fit_write(const char *dir, const cr_duration_fit *f, cr_err *e);
/* Frees f, its draws too (a caller that keeps them sets f->draws to NULL first). */
void cr_duration_fit_free(cr_duration_fit *f);

#endif
