/* Fitting the hierarchical negative binomial model to one CPS series with the project's NUTS
 * sampler, judged by the seed's convergence criteria (zero divergences, E-BFMI > 0.3 on every
 * chain, every R-hat < 1.01, every bulk and tail ESS > 400, over all output variables including
 * the latent z's). A failing fit is retried with adapt_delta 0.95 and then 0.99, doubling the
 * warmup each time; every attempt is logged, and a fit that still fails is reported as such.
 *
 * Files written under DIR, each atomically:
 *   diagnostics/SERIES_summary.csv  variable,mean,sd,mcse_mean,q5,q50,q95,rhat,ess_bulk,ess_tail
 *   diagnostics/SERIES_sampler.csv  one row per chain: divergences, E-BFMI, tree depth
 *                                   saturations, step size, mean accept_stat and n_leapfrog
 *   draws/SERIES.csv                every saved draw: chain, iteration, sampler columns, variables
 *   loop_logs/SERIES-ATTEMPT.json   settings, timings and diagnostics of each attempt
 *   diagnostics/status              `SERIES PASS` or `SERIES FAIL <reasons>` (cr_fit_write_status)
 * Everything but loop_logs/ depends only on the data and the settings (seed included), never on
 * the thread count or the machine's speed: wall-clock timings live in loop_logs/ only. The
 * summary, sampler table and draws are those of the last attempt. */
#ifndef CR_FIT_H
#define CR_FIT_H

#include "common/err.h"
#include "diag/diag.h"
#include "model/cps_table.h"
#include "model/model.h"
#include "sampler/chains.h"

typedef struct {
    cr_chains_config sampler; /* settings of the first attempt (cmdstan's defaults, seed 42) */
    int attempts;             /* 3: the first and at most two retries */
} cr_fit_options;

void cr_fit_options_default(cr_fit_options *o);

/* Sampler settings of attempt a (1-based): attempt 1 is o->sampler; later attempts raise
 * adapt_delta to at least 0.95, then 0.99, and double the warmup each time. */
void cr_fit_attempt_config(const cr_fit_options *o, int a, cr_chains_config *cfg);

/* The verdict on one run by the seed's criteria. Worst variables are output indices. */
typedef struct {
    int divergences;
    double min_ebfmi, max_rhat, min_ess_bulk, min_ess_tail;
    int worst_rhat, worst_bulk, worst_tail;
    int pass;
    char reasons[512]; /* "" when passing; e.g. "divergences=3 rhat=1.02(z_minute[1,4])" */
} cr_fit_check;

/* Judges a run from its per-chain E-BFMI and per-variable summaries (NA R-hat or ESS fail). */
void cr_fit_assess(const cr_model *m, const cr_chains_result *res, const double *ebfmi,
                   const cr_diag_summary *sum, cr_fit_check *chk);

typedef struct {
    int series;   /* CR_CPS_TCP_NEW... */
    int attempts; /* made */
    int pass;
    char reasons[512];
} cr_fit_status;

/* Fits one series of t and writes its files under dir. Fails only when the sampler cannot run
 * or a file cannot be written; non-convergence is a FAIL status, not an error. */
int cr_fit_series(const cr_cps_table *t, int series, const cr_fit_options *o, const char *dir,
                  cr_fit_status *st, cr_err *e);

/* Writes dir/diagnostics/status with one line per fitted series. */
int cr_fit_write_status(const char *dir, const cr_fit_status *st, int n, cr_err *e);

#endif
