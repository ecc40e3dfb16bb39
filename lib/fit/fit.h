/* Fitting the models of the ladder (ladder/ladder.h) to a count series with the project's NUTS
 * sampler, judged by the seed's convergence criteria (zero divergences, E-BFMI > 0.3 on every
 * chain, every R-hat < 1.01, every bulk and tail ESS > 400, over all output variables including
 * the latent z's). A fit that fails only on R-hat or ESS (no divergence, E-BFMI fine) is
 * retried by running its chains on for as many draws again (what Stan's users do: more
 * iterations); any other failure by a new run with adapt_delta 0.95 and then 0.99 (the steps
 * above the first run's), doubling the warmup each time. Every attempt is logged, and a fit that
 * still fails is reported as such.
 * The duration mixtures go through the same engine (cr_fit_model, cr_fit_select;
 * fit/fit_duration.h).
 *
 * Computing and writing are apart: cr_fit_ladder_series fits, checks and chooses in memory and
 * returns a cr_fit_result; cr_fit_result_write writes its files (the `connrate fit` layout
 * below, each file atomically) and cr_fit_write_notes the run's NOTES.md and status. A caller
 * that only needs the numbers (connrate run, validate) never touches the disk.
 *
 *   diagnostics/SERIES_summary.csv  variable,mean,sd,mcse_mean,q5,q50,q95,rhat,ess_bulk,ess_tail
 *   diagnostics/SERIES_sampler.csv  one row per chain: divergences, E-BFMI, tree depth
 *                                   saturations, step size, mean accept_stat and n_leapfrog
 *   diagnostics/ppc_SERIES.csv      the predictive checks of the kept model
 *   draws/SERIES.csv                saved draws: chain, iteration, sampler columns, variables
 *   plots/ppc_SERIES.{png,svg}, plots/ppc_density_SERIES.{png,svg}
 *   models/NAME/...                 the same for every model tried (no draws)
 *   loop_logs/SERIES-MODEL-ATTEMPT.json  settings, timings and diagnostics of each attempt
 *   diagnostics/status              `SERIES MODEL PASS` or `SERIES MODEL FAIL <reasons>`
 *   NOTES.md                        the investigation in plain sentences
 * Everything but loop_logs/ depends only on the data and the settings (seed included), never on
 * the thread count or the machine's speed: wall-clock timings live in loop_logs/ only. The
 * summary, sampler table and draws are those of the last attempt. */
#ifndef CR_FIT_H
#define CR_FIT_H

#include "common/err.h"
#include "diag/diag.h"
#include "series/cps_table.h"
#include "ladder/ladder.h"
#include "report/plot.h"
#include "model/model.h"
#include "sampler/chains.h"

typedef struct {
    cr_chains_config sampler; /* settings of the first attempt (cmdstan's defaults, seed 42) */
    int attempts;             /* 3: the first and at most two retries */
    int warm_warmup;          /* 150: warmup of a warm-started first attempt (sampler.init) */
    /* Where retrying stops for models whose failures more of the same rarely mends (a
     * mixture's modes): the retries that may start new runs (-1: any; 0: a retry may only run
     * the chains on), and an R-hat above which no retry is made at all (0: none). */
    int new_runs;
    double modes_rhat;
    /* A run with at most this many divergent transitions, a healthy E-BFMI and R-hat at most
     * modes_rhat (R-hat and ESS may fail below it) may start one new run where new_runs allows
     * none (0: never). */
    int rare_divergences;
} cr_fit_options;

void cr_fit_options_default(cr_fit_options *o);

/* Sampler settings of attempt a (1-based): attempt 1 is o->sampler, with o->warm_warmup
 * iterations of warmup when it is warm-started (sampler.init, sampler/chains.h); later
 * attempts start cold, take adapt_delta up the steps 0.95, 0.99 that lie above the first
 * attempt's (0.8: 0.95 then 0.99; 0.95: 0.99), never lower it, and double o->sampler.warmup
 * each time. */
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

/* Whether attempt n (1-based; its verdict c), after `runs` retries that started new runs, is
 * followed by another under o's retry rules. */
int cr_fit_retries(const cr_fit_options *o, const cr_fit_check *c, int n, int runs);

/* One attempt: its settings, the run and its verdict. */
typedef struct {
    const char *series; /* "tcp_new" */
    const char *model;  /* model name, "nbh", "duration_k2" */
    int number;         /* 1-based */
    int extends;        /* 0, or the attempt whose chains this one ran on (cfg.samples: all) */
    cr_chains_config cfg;
    cr_chains_result res;
    double *ebfmi;        /* [chain] */
    cr_diag_summary *sum; /* [nout] */
    cr_fit_check chk;
    double sampler_s, diagnostics_s; /* wall clock */
} cr_fit_attempt;

/* The loop logs of a fit, one JSON text per attempt, kept in memory until written. */
typedef struct {
    int n;
    size_t cap;
    char **name; /* file name under loop_logs/, "tcp_new-nbh-1.json" */
    char **text;
} cr_fit_logs;

void cr_fit_logs_free(cr_fit_logs *l);
/* dir/loop_logs/NAME for every log. */
int cr_fit_logs_write(const char *dir, const cr_fit_logs *l, cr_err *e);

/* The engine's attempt loop, for any model of a registry (m->entry: model/model.h, rate or
 * duration): runs m with o's retries (cr_fit_attempt_config, cr_fit_mixing_only, o->new_runs,
 * o->modes_rhat), judges every attempt (cr_fit_assess), adds its loop log to logs (none when
 * logs is NULL; the data as m->entry->log_data describes them), and leaves the last attempt in
 * *last (free it with cr_fit_attempt_free). Messages and logs name the series and the model:
 * model, or m->entry->name when model is NULL. Fails only when the sampler cannot run;
 * non-convergence is last->chk.pass == 0. */
int cr_fit_model(const cr_model *m, const char *series, const char *model,
                 const cr_fit_options *o, cr_fit_logs *logs, cr_fit_attempt *last, cr_err *e);
void cr_fit_attempt_free(cr_fit_attempt *a);

/* The posterior predictive check of attempt a of m (its registry entry's ppc: check and out
 * are of the entry's types) on all its draws. 1 when they pass, 0 when they fail, -1 when the
 * check cannot run (e names the series and model). */
int cr_fit_ppc(const cr_model *m, const void *check, const cr_fit_attempt *a, uint64_t seed,
               int threads, void *out, cr_err *e);

/* Which draws a result keeps (and draws/SERIES.csv holds): none, every output, or the
 * population parameters (the names without an index: alpha, sigma_machine, phi, ...) and the
 * machine effects z_machine[k] (one per machine, not the thousands of minute effects). */
enum { CR_FIT_DRAWS_NONE, CR_FIT_DRAWS_ALL, CR_FIT_DRAWS_POPULATION };

/* A count series of a table, named by what it counts. */
typedef struct {
    const char *name; /* "tcp_new", or "new" for tcp_new + udp_new */
    const int *y;     /* one count per row of the table */
} cr_series;

typedef struct {
    const char *series; /* its name */
    const char *model;  /* ladder model kept */
    int attempts;       /* made for it */
    int pass;
    char reasons[512];
} cr_fit_status;

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

/* A fit of all machines that the refits start from: its model (the refits sample in its
 * coordinates) and its chains (each refit chain starts at the last draw of the same chain
 * without the held-out machine's coordinates, with its step size and metric). */
typedef struct {
    const cr_ladder_data *ld;
    const cr_chains_result *res;
} cr_fit_warm;

/* For each machine k of r (K >= 2): refits lm without it and asks whether its mean rate, 99th
 * percentile (type 7) and zero fraction fall in the central `interval` of the predictive of a
 * NEW machine with the same seconds (new z_machine, minute effects and per-machine values;
 * cr_ladder_new_machine_view) over up to 1000 evenly spaced draws. out[K]. The refits run at
 * once on the thread pool (o->sampler.threads in all), and warm-started from warm when it is
 * not NULL (first attempts of o->warm_warmup warmup iterations; a retry starts cold). Loop
 * logs are named SERIES-without-mK-MODEL-N.json (none when logs is NULL), in machine order;
 * the results do not depend on the number of threads. */
int cr_fit_holdout(const cr_ladder_model *lm, const cr_ladder_rows *r, const cr_fit_options *o,
                   double interval, const cr_fit_warm *warm, cr_fit_logs *logs,
                   const char *series, cr_holdout_machine *out, cr_err *e);

/* ---- One kept among candidates (fit_select.c) ---- */

/* Candidates, simplest first, judged one by one and then one kept by the choice rule
 * (cr_ladder_choose). A rate model is judged by its NUTS fit, and that judgement stands; a
 * duration mixture is judged by a cheap approximation, and only the candidate chosen is then
 * confirmed: sampled with NUTS and checked again. A confirmation that fails convergence, or
 * fails the check while some candidate still passes, drops the candidate, and the rule chooses
 * again among the rest; so the kept one fails only when none passes. */
typedef struct {
    const char *label;        /* for messages, "duration_tcp" */
    int n;                    /* candidates, at most CR_LADDER_NMODELS */
    const char *const *names; /* [n] */
    const double *weight;     /* of the points of the pointwise elpd (cr_loo_compare) */
    size_t npoints;
    /* Judges candidate i into *c (converged, ppc_pass, elpd, usable); 0 or an error. */
    int (*judge)(void *ctx, int i, cr_ladder_candidate *c, cr_err *e);
    /* NULL, or confirms candidate ch->chosen (at most once each): sets c->converged and
     * c->ppc_pass from its new fit; fallback is set when the candidate is confirmed as the
     * fallback below rather than chosen. 0 or an error. */
    int (*confirm)(void *ctx, const cr_ladder_choice *ch, int fallback, cr_ladder_candidate *c,
                   cr_err *e);
    /* Kept when, after a confirmation failed, the rule chooses a candidate that is not usable
     * or whose confirmation failed convergence: the one whose posterior is simplest to sample. */
    int fallback;
    void *ctx;
} cr_fit_selection;

/* Judges every candidate of s into c[s->n] and chooses (confirming when s->confirm is set);
 * out->chosen is the candidate kept. Fails only when a judgement or confirmation fails. */
int cr_fit_select(const cr_fit_selection *s, cr_ladder_candidate *c, cr_ladder_choice *out,
                  cr_err *e);

/* ---- The ladder and the automatic choice (fit_ladder.c, fit_notes.c) ---- */

typedef struct {
    cr_fit_options fit;
    int model;       /* CR_LADDER_* to fit that model alone, or -1: the whole ladder (auto) */
    int holdout;     /* leave one machine out when there are at least 3 machines (1) */
    double interval; /* central predictive interval of the holdout check (0.9) */
    int draws;       /* draws the result keeps of the kept model: CR_FIT_DRAWS_ALL */
    int logs;        /* keep the loop logs in the result (1) */
    /* When set, called with the kept model and all its draws before the result trims them to
     * o->draws. A non-zero return stops the fit with that error. */
    int (*kept)(void *ctx, const cr_model *m, const cr_chains_result *res, cr_err *e);
    void *kept_ctx;
} cr_fit_ladder_options;

void cr_fit_ladder_options_default(cr_fit_ladder_options *o);

/* One model of the ladder fitted to one series and checked. */
typedef struct {
    cr_ladder_data ld;     /* the model, alive for the names of its outputs */
    cr_fit_attempt fit;    /* its last attempt; res.draws as the result keeps them */
    int *draw_cols;        /* outputs res.draws holds per draw (NULL: all m.nout of them) */
    int ndraw_cols;
    cr_ppc_result ppc;
    double *elpd;          /* pointwise elpd_loo (when models were compared) */
    cr_loo_estimates loo;
} cr_fit_rung;

/* Everything the fit of one series found, in memory. */
typedef struct {
    const char *series;
    const char *const *machine_ids; /* K, borrowed from the table */
    int nmachines;
    int nrungs;                     /* models tried, in ladder order */
    cr_fit_rung rung[CR_LADDER_NMODELS];
    int kept;                       /* rung kept */
    cr_ladder_choice choice;
    cr_fit_status status;
    cr_holdout_machine *holdout;    /* leave one machine out (NULL: not run) */
    char *notes;                    /* this series' section of NOTES.md */
    cr_fit_logs logs;
} cr_fit_result;

/* Fits the ladder (or o->model) to series s of table t (its rows, machines and minutes),
 * checks every model (convergence, PPC, PSIS-LOO), keeps one (ladder/ladder.h,
 * cr_ladder_choose), runs the leave-one-machine-out check when asked and there are 3 or more
 * machines, and calls o->kept. Writes nothing. Fails only when a sampler cannot run; a series
 * that fails its checks has out->status.pass == 0. */
int cr_fit_ladder_series(const cr_cps_table *t, const cr_series *s,
                         const cr_fit_ladder_options *o, cr_fit_result *out, cr_err *e);
void cr_fit_result_free(cr_fit_result *r);

/* The kept model and its draws (as kept: see draw_cols). */
const cr_fit_rung *cr_fit_kept(const cr_fit_result *r);

/* Runs the kept model's chains on by `more` draws each, from where they stopped and with their
 * step sizes and metrics (no new warmup): more draws of the same posterior, for a caller whose
 * Monte Carlo error the draws limit (connrate run's simulation). They are kept as the result
 * keeps the others (draw_cols). The summaries, checks and loop logs stay those of the draws
 * that were checked; a divergent transition among the new ones fails the status. Fails only
 * when the sampler cannot go on. */
int cr_fit_run_on(cr_fit_result *r, int more, int threads, cr_err *e);
/* Writes r's files under dir (the layout above, but NOTES.md and status); models/NAME/ for
 * every model tried when per_model is set. The kept model's rootogram SVG goes to *rootogram
 * when it is not NULL. */
int cr_fit_result_write(const char *dir, const cr_fit_result *r, int per_model,
                        cr_plot_svg *rootogram, cr_err *e);
/* dir/NOTES.md (intro, then each result's section) and dir/diagnostics/status. */
int cr_fit_write_notes(const char *dir, const char *intro, const cr_fit_result *const *r, int n,
                       cr_err *e);

#endif
