/* Posterior predictive checks of a count model, whatever the model: the caller supplies a
 * simulator that draws one machine's per-second counts from one posterior draw, and this module
 * compares the observed counts with those replicates, per machine and pooled over machines.
 *
 * Statistics T (CR_PPC_*): mean, sample variance (n-1 denominator), fraction of zero seconds,
 * 90th and 99th percentiles (R's quantile type 7: linear interpolation between order statistics
 * at h = (n-1)p), maximum, and the largest per-minute total. Each gets the posterior predictive
 * p-value with the mid-p convention, p = P(T_rep > T_obs) + P(T_rep == T_obs) / 2, so that a
 * statistic every replicate reproduces exactly (e.g. a zero fraction of 0 in both) scores 0.5
 * rather than 1: the plain P(T_rep >= T_obs) would flag discrete statistics as failures just
 * for being reproduced.
 *
 * Count classes 0, 1, ..., cap-1 and a final ">= cap" class, where cap is one more than the
 * larger of the observed and the replicated 99.9th percentile (inverse-CDF quantile of the
 * integer counts), at most CR_PPC_MAX_CLASSES: for each class the observed number of seconds
 * and the mean, median and central band (99%) of that number over replicates -- what a hanging
 * rootogram and a density overlay draw.
 *
 * Verdict: a statistic fails when its p-value is below p_lo or above p_hi (0.01, 0.99), a class
 * when its observed number of seconds lies outside the band. These are many checks: under a
 * correct model each statistic still fails with probability ~2%, so a few isolated failures are
 * expected on large tables; systematic ones (zeros, tails, variance) are the red flags.
 *
 * Replicate i (0-based, of nuse) comes from posterior draw cr_ppc_draw_index(i, ...) and its
 * random numbers from a generator seeded from (seed, i, machine) alone, so results depend only
 * on the inputs and the seed, never on the thread count. No global state: concurrent runs are
 * safe as long as the simulator is. */
#ifndef CR_PPC_H
#define CR_PPC_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "common/err.h"

enum { CR_PPC_MEAN, CR_PPC_VAR, CR_PPC_ZERO, CR_PPC_Q90, CR_PPC_Q99, CR_PPC_MAX,
       CR_PPC_MINUTE_MAX, CR_PPC_NSTATS };

/* "mean", "var", "zero_frac", "q90", "q99", "max", "minute_max". */
extern const char *const cr_ppc_stat_names[CR_PPC_NSTATS];

/* Largest cap: classes 0..63 and ">= 64" at most, so rootograms stay readable. */
#define CR_PPC_MAX_CLASSES 64

/* The observed counts, laid out like the CPS table (cr_cps_table columns can be passed as is):
 * rows ordered by machine, machine 1-based without gaps, minute 1-based within the machine. */
typedef struct {
    int nmachines;
    size_t nrows;
    const int *machine;
    const int *minute;
    const int *y;
} cr_ppc_data;

/* Fills y_rep[0..nrows-1] with counts for machine k's rows (0-based k; its rows are
 * row0..row0+nrows-1 of the data) drawn from posterior draw `draw`, using only r for
 * randomness. Called from several threads at once when nthreads > 1. */
typedef void (*cr_ppc_sim_fn)(void *ctx, int draw, int k, size_t row0, size_t nrows,
                              gsl_rng *r, int *y_rep);

/* The observed counts as sufficient statistics, what the PPC needs of them: for each
 * machine-minute cell, how many seconds had each count (ladder/ladder.h's cr_ladder_points can be
 * passed as is). Points ordered by machine (1-based, without gaps), minute (1-based), then
 * count; weight[i] seconds of cell (machine[i], minute[i]) had count y[i]. */
typedef struct {
    int nmachines;
    size_t npoints;
    const int *machine, *minute, *y;
    const double *weight;
} cr_ppc_cells;

/* A sample of counts kept as its histogram and its minutes' totals, from which every statistic
 * above follows whatever the order of the seconds: where a cell simulator puts a replicate's
 * seconds, and what other checks (a held-out machine's) can summarise a sample with. */
typedef struct cr_ppc_sink cr_ppc_sink;

cr_ppc_sink *cr_ppc_sink_new(void);
void cr_ppc_sink_free(cr_ppc_sink *s);
void cr_ppc_sink_reset(cr_ppc_sink *s);
/* `times` more seconds of count y (0 <= y <= 2^22, else the sink is marked bad) in the current
 * minute. */
void cr_ppc_sink_add(cr_ppc_sink *s, int y, long times);
/* The seconds added since the last call (or reset) were one minute: its total counts for the
 * busiest minute. */
void cr_ppc_sink_end_minute(cr_ppc_sink *s);
/* T[CR_PPC_NSTATS] of the sample; NAN when it is empty. */
void cr_ppc_sink_stats(const cr_ppc_sink *s, double *T);
/* Whether a count out of range was added since the reset; the first one into *y. */
int cr_ppc_sink_bad(const cr_ppc_sink *s, int *y);

/* Draws machine k's (0-based) `nseconds` seconds of `minute` from posterior draw `draw` into s
 * (cr_ppc_sink_add), using only r for randomness. Called from several threads at once when
 * nthreads > 1. */
typedef void (*cr_ppc_cell_fn)(void *ctx, int draw, int k, int minute, long nseconds,
                               gsl_rng *r, cr_ppc_sink *s);

typedef struct {
    int ndraws;          /* posterior draws available (required) */
    int nuse;            /* replicates, from evenly spaced draws: 400 (all draws when fewer) */
    unsigned long seed;  /* 42 */
    int nthreads;        /* 1 */
    double p_lo, p_hi;   /* 0.01, 0.99 */
    double band;         /* central predictive band of class frequencies: 0.99 */
} cr_ppc_options;

void cr_ppc_options_default(cr_ppc_options *o);

typedef struct {
    double obs;
    double p;                                /* mid-p, see above */
    double rep_mean, rep_median, rep_lo, rep_hi; /* T over replicates; lo/hi bound the band */
    int fail;
} cr_ppc_stat;

typedef struct {
    int machine;     /* 0-based, -1 for the pooled check */
    size_t nseconds;
    cr_ppc_stat stat[CR_PPC_NSTATS];
    int ncls;        /* classes 0..ncls-2 and ">= ncls-1" */
    /* Per class, numbers of seconds: observed, and over replicates mean, median, band. */
    double *cls_obs, *cls_mean, *cls_median, *cls_lo, *cls_hi;
    int *cls_fail;
    int nfail;       /* failing statistics and classes */
    double tail;     /* smallest min(p, 1-p) over the statistics: ranks machines by misfit */
} cr_ppc_check;

typedef struct {
    int machine;     /* 0-based, -1 pooled */
    int stat;        /* CR_PPC_*, or -1 for a count class */
    int cls;         /* class index when stat == -1 */
    double obs, lo, hi, p; /* p is NAN for classes; lo, hi the band */
} cr_ppc_failure;

typedef struct {
    int nmachines;
    int nuse;                 /* replicates used */
    double band, p_lo, p_hi;  /* the thresholds judged by (from the options) */
    cr_ppc_check *machines;   /* nmachines */
    cr_ppc_check pooled;      /* all rows, replicates concatenated per draw */
    int nfail;
    cr_ppc_failure *fail;     /* machines in order, then pooled */
} cr_ppc_result;

/* Runs the checks. Fails (no result to free) on malformed data or options. */
int cr_ppc_run(const cr_ppc_data *d, cr_ppc_sim_fn sim, void *ctx, const cr_ppc_options *o,
               cr_ppc_result *res, cr_err *e);

/* The same checks on sufficient statistics: every statistic, class and verdict as cr_ppc_run
 * computes them from the same replicated seconds, but each replicate handed over cell by cell
 * (machine k's cells in minute order, all from the generator cr_ppc_run gives machine k), so
 * that nothing is held or walked per second: memory and time follow the cells and what the
 * simulator draws. */
int cr_ppc_run_cells(const cr_ppc_cells *d, cr_ppc_cell_fn sim, void *ctx,
                     const cr_ppc_options *o, cr_ppc_result *res, cr_err *e);
void cr_ppc_free(cr_ppc_result *res);

/* Posterior draw behind replicate i of nuse out of ndraws: floor((i + 1/2) ndraws / nuse),
 * the midpoints of nuse equal slices (every draw when nuse == ndraws). */
int cr_ppc_draw_index(int i, int nuse, int ndraws);

/* Type 7 quantile of n ascending values (R's quantile(x, p, type = 7)). */
double cr_ppc_quantile7(const double *sorted, size_t n, double p);

/* Label of class c of a check: "3", or ">=12" for the last. */
void cr_ppc_class_label(const cr_ppc_check *c, int cls, char *buf, size_t n);

/* One line for a failure, e.g. "m2: zero_frac observed 0.41, p = 0.000" or
 * "pooled: count class 0 observed 1480 s outside 99% band [310, 402]". ids may be NULL
 * (machines are then named by number). */
void cr_ppc_failure_text(const cr_ppc_result *r, const cr_ppc_failure *f,
                         const char *const *ids, char *buf, size_t n);

/* Writes every statistic and class as CSV (atomically):
 * machine_id,kind,what,observed,rep_mean,rep_median,rep_lo,rep_hi,p_value,fail
 * kind is "stat" or "class"; machine_id "pooled" for the pooled check; p_value NA for classes. */
int cr_ppc_write_csv(const char *path, const cr_ppc_result *r, const char *const *ids,
                     cr_err *e);

#endif
