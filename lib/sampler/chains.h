/* Runs several NUTS chains with Stan's warmup (cmdstan's `sample` with its defaults) on a pool
 * of threads. Each chain draws from its own random stream derived from (seed, chain), so the
 * output depends on the seed only, never on the number of threads or their scheduling.
 *
 *     cr_chains_config cfg;
 *     cr_chains_config_default(&cfg);
 *     cfg.seed = 7;
 *     cr_chains_result res;
 *     cr_err e;
 *     if (cr_chains_run(model, &cfg, &res, &e) < 0) { fprintf(stderr, "%s\n", e.msg); ... }
 *     // output j of draw i of chain c:
 *     double x = res.draws[((size_t)c * res.samples + i) * res.nout + j];
 *     int divergent = res.stats[(size_t)c * res.samples + i].divergent;
 *     cr_chains_result_free(&res);
 */
#ifndef CR_CHAINS_H
#define CR_CHAINS_H

#include <stdint.h>

#include "common/err.h"
#include "model/model.h"
#include "sampler/nuts.h"

typedef struct {
    int chains;  /* 4 */
    int warmup;  /* 1000 iterations per chain, not saved */
    int samples; /* 1000 saved draws per chain */
    uint64_t seed;
    double adapt_delta; /* 0.8: target mean acceptance statistic */
    int max_depth;      /* 10 */
    int threads;        /* 0: one per CPU (never more than chains) */
    double init_radius; /* 2: inits uniform in (-r, r) on the unconstrained scale; 0: all zero */
    double stepsize;    /* 1: where the step size search starts */
    unsigned init_buffer, term_buffer, window; /* 75, 50, 25: metric adaptation stages */
    int keep_unconstrained; /* 0; when set, the unconstrained draws are kept too */
    /* A warm start from an earlier fit of a nearby posterior (NULL: Stan's cold start): init,
     * [chain][dim] starting points (a chain whose point has no finite density starts from
     * random inits instead); inv_metric, [chain][dim] inverse metrics, and stepsizes,
     * [chain], to start from. With inv_metric, warmup adapts the step size only (dual
     * averaging from the given one, or cfg->stepsize), keeping the metric: a short warmup then
     * suffices where a cold start needs Stan's windows to learn the metric. */
    const double *init, *inv_metric, *stepsizes;
    /* Called from the chains' threads, so it must be thread-safe: iterations done out of
     * warmup + samples, and whether the chain is still warming up. When NULL, a status line
     * with every chain's progress goes to stderr if it is a terminal (common/progress.h). */
    void (*progress)(void *ctx, int chain, int done, int total, int warmup);
    void *progress_ctx;
} cr_chains_config;

void cr_chains_config_default(cr_chains_config *cfg);

typedef struct {
    int chains, warmup, samples, nout, dim;
    double *draws;               /* [chain][sample][nout]: model->constrain of each draw */
    double *unconstrained;       /* [chain][sample][dim], NULL unless keep_unconstrained */
    cr_nuts_stats *stats;        /* [chain][sample] */
    cr_nuts_stats *warmup_stats; /* [chain][warmup] */
    double *stepsize;            /* [chain]: adapted step size used for sampling */
    double *inv_metric;          /* [chain][dim]: adapted diagonal inverse metric */
    double *last;                /* [chain][dim]: unconstrained position after the last draw */
    double *time_warmup;         /* [chain] seconds */
    double *time_sampling;       /* [chain] seconds */
} cr_chains_result;

/* Fails (with res zeroed) when a chain finds no finite initial point in 100 tries, its step
 * size search fails or its metric overflows; the message names the chain. */
int cr_chains_run(const cr_model *m, const cr_chains_config *cfg, cr_chains_result *res,
                  cr_err *e);
void cr_chains_result_free(cr_chains_result *res);

/* Continues every chain of res for `more` iterations from its last position, with its adapted
 * step size and metric (no new warmup), appending the draws: res->samples grows by `more`.
 * This is what "run the chains longer" means for R-hat and ESS failures, at a fraction of a new
 * run's cost. The continuation draws from streams derived from (cfg->seed, chain, draws
 * already made), so it too depends on the seed only. cfg supplies threads, max_depth and
 * progress; chains must equal res->chains. On failure res is left as it was. */
int cr_chains_extend(const cr_model *m, const cr_chains_config *cfg, int more,
                     cr_chains_result *res, cr_err *e);

#endif
