/* Fitting one model of the ladder (ladder/ladder.h) to one CPS series with the project's NUTS
 * sampler, judged by the seed's convergence criteria (zero divergences, E-BFMI > 0.3 on every
 * chain, every R-hat < 1.01, every bulk and tail ESS > 400, over all output variables including
 * the latent z's). A fit that fails only on R-hat or ESS (no divergence, E-BFMI fine) is
 * retried by running its chains on for as many draws again (what Stan's users do: more
 * iterations); any other failure by a new run with adapt_delta 0.95 and then 0.99, doubling the
 * warmup each time. Every attempt is logged, and a fit that still fails is reported as such.
 *
 * Files written under DIR, each atomically:
 *   diagnostics/SERIES_summary.csv  variable,mean,sd,mcse_mean,q5,q50,q95,rhat,ess_bulk,ess_tail
 *   diagnostics/SERIES_sampler.csv  one row per chain: divergences, E-BFMI, tree depth
 *                                   saturations, step size, mean accept_stat and n_leapfrog
 *   draws/SERIES.csv                every saved draw: chain, iteration, sampler columns, variables
 *   loop_logs/SERIES-MODEL-ATTEMPT.json  settings, timings and diagnostics of each attempt
 *   diagnostics/status              `SERIES [MODEL] PASS` or `SERIES [MODEL] FAIL <reasons>`
 * Everything but loop_logs/ depends only on the data and the settings (seed included), never on
 * the thread count or the machine's speed: wall-clock timings live in loop_logs/ only. The
 * summary, sampler table and draws are those of the last attempt. */
#ifndef CR_FIT_H
#define CR_FIT_H

#include "common/err.h"
#include "diag/diag.h"
#include "model/cps_table.h"
#include "ladder/ladder.h"
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

/* Failures that only more draws can cure: R-hat or ESS, with no divergence and a healthy
 * E-BFMI. A higher adapt_delta would only make every iteration dearer, so a retry runs the same
 * chains on (cr_chains_extend) instead. */
int cr_fit_mixing_only(const cr_fit_check *c);

/* One attempt: its settings, the run and its verdict. */
typedef struct {
    const char *series; /* "tcp_new" */
    const char *model;  /* ladder model name, "nbh" */
    int number;         /* 1-based */
    int extends;        /* 0, or the attempt whose chains this one ran on (cfg.samples: all) */
    cr_chains_config cfg;
    cr_chains_result res;
    double *ebfmi;        /* [chain] */
    cr_diag_summary *sum; /* [nout] */
    cr_fit_check chk;
    double sampler_s, diagnostics_s; /* wall clock */
} cr_fit_attempt;

/* Fits ld's model to one series with retries, writing dir/loop_logs/SERIES-MODEL-N.json for
 * each attempt (no logs when dir is NULL), and leaves the last attempt in *last (free it with
 * cr_fit_attempt_free). Fails only when the sampler cannot run or a log cannot be written;
 * non-convergence is last->chk.pass == 0. */
int cr_fit_run(const cr_ladder_data *ld, const char *series, const cr_fit_options *o,
               const char *dir, cr_fit_attempt *last, cr_err *e);
void cr_fit_attempt_free(cr_fit_attempt *a);

/* Which columns of draws/SERIES.csv: none (no file), every output, or the population
 * parameters only (the names without an index: alpha, sigma_machine, phi, ...). */
enum { CR_FIT_DRAWS_NONE, CR_FIT_DRAWS_ALL, CR_FIT_DRAWS_POPULATION };

/* Writes dir/diagnostics/SERIES_summary.csv and SERIES_sampler.csv of an attempt, and
 * dir/draws/SERIES.csv with the columns `draws` says (CR_FIT_DRAWS_*). */
int cr_fit_write_outputs(const char *dir, const cr_model *m, const cr_fit_attempt *a, int draws,
                         cr_err *e);

typedef struct {
    int series;        /* CR_CPS_TCP_NEW... */
    const char *model; /* ladder model kept, or NULL (cr_fit_series: nbh) */
    int attempts;      /* made for it */
    int pass;
    char reasons[512];
} cr_fit_status;

/* Fits nbh to one series of t and writes its files under dir (the loop of `connrate fit
 * --model nbh` without the checks that follow it). Fails only when the sampler cannot run or a
 * file cannot be written; non-convergence is a FAIL status, not an error. */
int cr_fit_series(const cr_cps_table *t, int series, const cr_fit_options *o, const char *dir,
                  cr_fit_status *st, cr_err *e);

/* Writes dir/diagnostics/status with one line per fitted series: `SERIES PASS` or
 * `SERIES FAIL reasons`, with the model after the series name when st->model is set. */
int cr_fit_write_status(const char *dir, const cr_fit_status *st, int n, cr_err *e);

/* ---- Leave one machine out (fit_holdout.c) ---- */

/* Statistics of a machine's seconds checked against the population predictive. */
enum { CR_HOLDOUT_MEAN, CR_HOLDOUT_Q99, CR_HOLDOUT_ZERO, CR_HOLDOUT_NSTATS };
extern const char *const cr_holdout_stat_names[CR_HOLDOUT_NSTATS];

typedef struct {
    int machine;   /* 1-based */
    int converged; /* the refit without it */
    double obs[CR_HOLDOUT_NSTATS], lo[CR_HOLDOUT_NSTATS], hi[CR_HOLDOUT_NSTATS];
    int inside[CR_HOLDOUT_NSTATS];
} cr_holdout_machine;

/* For each machine k of r (K >= 2): refits lm without it and asks whether its mean rate, 99th
 * percentile (type 7) and zero fraction fall in the central `interval` of the predictive of a
 * NEW machine with the same seconds (new z_machine, minute effects and per-machine values;
 * cr_ladder_new_machine_view) over up to 1000 evenly spaced draws. out[K]. Loop logs go to
 * dir/loop_logs/SERIES-without-mK-MODEL-N.json (none when dir is NULL). */
int cr_fit_holdout(const cr_ladder_model *lm, const cr_ladder_rows *r, const cr_fit_options *o,
                   double interval, const char *dir, const char *series,
                   cr_holdout_machine *out, cr_err *e);

/* ---- The ladder and the automatic choice (fit_ladder.c, fit_notes.c) ---- */

typedef struct {
    cr_fit_options fit;
    int model;       /* CR_LADDER_* to fit that model alone, or -1: the whole ladder (auto) */
    int holdout;     /* leave one machine out when there are at least 3 machines (1) */
    double interval; /* central predictive interval of the holdout check (0.9) */
    int per_model;   /* every model's summaries, PPC table and plots under DIR/models/NAME/ */
    int draws;       /* columns of the kept model's draws/SERIES.csv: CR_FIT_DRAWS_ALL */
    /* When set, called per series with the kept model and its last attempt's draws once their
     * files are written, before they are freed: a caller that needs the draws then does not
     * read draws/SERIES.csv back. A non-zero return stops the fit with that error. */
    int (*kept)(void *ctx, int series, const cr_model *m, const cr_chains_result *res,
                cr_err *e);
    void *kept_ctx;
} cr_fit_ladder_options;

void cr_fit_ladder_options_default(cr_fit_ladder_options *o);

/* Fits the ladder (or o->model) to each listed series of t, checks every model (convergence,
 * PPC, PSIS-LOO), keeps one per series (ladder/ladder.h, cr_ladder_choose), and writes under
 * dir: the fit files of fit.h for the kept model, plots/ppc_SERIES.{png,svg} (hanging
 * rootogram) and plots/ppc_density_SERIES.{png,svg}, diagnostics/ppc_SERIES.csv,
 * diagnostics/status, and NOTES.md: the investigation in plain sentences. st[nseries]. */
int cr_fit_ladder(const cr_cps_table *t, const int *series, int nseries,
                  const cr_fit_ladder_options *o, const char *dir, cr_fit_status *st, cr_err *e);

#endif
