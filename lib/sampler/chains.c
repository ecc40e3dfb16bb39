#include "sampler/chains.h"
#include "common/clock.h"
#include "common/gsl_handler.h"
#include "common/splitmix.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "sampler/adapt.h"

#define MAX_INIT_TRIES 100

void cr_chains_config_default(cr_chains_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->chains = 4;
    cfg->warmup = 1000;
    cfg->samples = 1000;
    cfg->seed = 42;
    cfg->adapt_delta = 0.8;
    cfg->max_depth = 10;
    cfg->init_radius = 2;
    cfg->stepsize = 1;
    cfg->init_buffer = 75;
    cfg->term_buffer = 50;
    cfg->window = 25;
}

typedef struct {
    const cr_model *m;
    const cr_chains_config *cfg;
    cr_chains_result *res;
    int first;    /* draws each chain already has: > 0 when extending */
    cr_err *errs; /* [chain] */
    int *failed;  /* [chain] */
    int *done;    /* [chain] iterations done, for the built-in status line */
    pthread_mutex_t lock;
} pool;

static void status_line(pool *P, int chain, int done)
{
    int total = P->cfg->warmup + P->res->samples;
    long sum = 0;
    pthread_mutex_lock(&P->lock);
    P->done[chain] = done;
    for (int c = 0; c < P->cfg->chains; c++)
        sum += P->done[c];
    pthread_mutex_unlock(&P->lock);
    cr_progress_step("sampling", (double)sum, (double)total * P->cfg->chains);
}

static void report(pool *P, int chain, int done)
{
    const cr_chains_config *cfg = P->cfg;
    int total = cfg->warmup + P->res->samples;
    int every = total / 100 > 0 ? total / 100 : 1;
    if (done % every && done != total)
        return;
    if (cfg->progress)
        cfg->progress(cfg->progress_ctx, chain, done, total, done < cfg->warmup);
    else if (cr_progress_enabled())
        status_line(P, chain, done);
}

/* Stan's random inits: uniform(-r, r) on the unconstrained scale until the log density and
 * the sum of its gradient are finite. */
static int initialize(cr_nuts *s, const cr_chains_config *cfg, gsl_rng *r, cr_err *e)
{
    int n = cr_nuts_dim(s);
    double *q = xmalloc((n ? n : 1) * sizeof *q);
    int tries = cfg->init_radius == 0 ? 1 : MAX_INIT_TRIES, rc = -1;
    for (int t = 0; t < tries && rc < 0; t++) {
        for (int i = 0; i < n; i++)
            q[i] = cfg->init_radius * (2 * gsl_rng_uniform(r) - 1);
        rc = cr_nuts_set_position(s, q);
    }
    free(q);
    if (rc < 0)
        return cr_fail(e, "the log density or its gradient is not finite at %d random inits "
                          "in (-%g, %g)", tries, cfg->init_radius, cfg->init_radius);
    return 0;
}

static int warmup(cr_nuts *s, const cr_chains_config *cfg, pool *P, int chain, gsl_rng *r,
                  double *eps, cr_err *e)
{
    const int metric = cfg->inv_metric == NULL; /* else warm: the step size only */
    cr_stepsize_adapt da;
    cr_var_adapt va;
    cr_stepsize_init(&da, *eps, cfg->adapt_delta);
    cr_var_init(&va, cr_nuts_dim(s), cfg->warmup, cfg->init_buffer, cfg->term_buffer,
                cfg->window);
    int rc = metric ? cr_init_stepsize(s, eps, r, e) : 0;
    cr_nuts_stats *st = P->res->warmup_stats + (size_t)chain * cfg->warmup;
    for (int it = 0; it < cfg->warmup && rc == 0; it++) {
        cr_nuts_transition(s, *eps, r, &st[it]);
        cr_stepsize_learn(&da, eps, st[it].accept_stat);
        int upd = metric ? cr_var_learn(&va, cr_nuts_inv_metric(s), cr_nuts_position(s)) : 0;
        if (upd < 0)
            rc = cr_fail(e, "the metric overflowed at warmup iteration %d; the posterior may "
                            "be improper", it + 1);
        else if (upd && (rc = cr_init_stepsize(s, eps, r, e)) == 0)
            cr_stepsize_restart(&da, *eps);
        report(P, chain, it + 1);
    }
    cr_stepsize_complete(&da, eps);
    cr_var_free(&va);
    return rc;
}

static int run_chain(pool *P, int chain, cr_err *e)
{
    const cr_chains_config *cfg = P->cfg;
    cr_chains_result *res = P->res;
    const int n = res->dim, nout = res->nout, S = res->samples;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, cr_splitmix64(cr_splitmix64(cfg->seed + (uint64_t)P->first) +
                                 (uint64_t)chain));
    cr_nuts *s = cr_nuts_new(P->m, cfg->max_depth);
    double eps = cfg->stepsize, t0 = cr_now();
    int rc;
    if (P->first == 0) {
        if (cfg->inv_metric)
            memcpy(cr_nuts_inv_metric(s), cfg->inv_metric + (size_t)chain * n,
                   n * sizeof(double));
        if (cfg->stepsizes)
            eps = cfg->stepsizes[chain];
        rc = cfg->init && cr_nuts_set_position(s, cfg->init + (size_t)chain * n) == 0
                 ? 0
                 : initialize(s, cfg, r, e);
        if (rc == 0 && cfg->warmup > 0)
            rc = warmup(s, cfg, P, chain, r, &eps, e);
    } else {
        memcpy(cr_nuts_inv_metric(s), res->inv_metric + (size_t)chain * n, n * sizeof(double));
        eps = res->stepsize[chain];
        rc = cr_nuts_set_position(s, res->last + (size_t)chain * n) < 0
                 ? cr_fail(e, "the log density is not finite where the chain stopped")
                 : 0;
    }
    double t1 = cr_now();
    for (int it = P->first; it < S && rc == 0; it++) {
        size_t k = (size_t)chain * S + it;
        cr_nuts_transition(s, eps, r, &res->stats[k]);
        if (nout > 0)
            P->m->constrain(P->m, cr_nuts_position(s), res->draws + k * nout);
        if (res->unconstrained)
            memcpy(res->unconstrained + k * n, cr_nuts_position(s), n * sizeof(double));
        report(P, chain, cfg->warmup + it + 1);
    }
    if (P->first == 0)
        res->time_warmup[chain] = t1 - t0;
    res->time_sampling[chain] += cr_now() - t1;
    res->stepsize[chain] = eps;
    memcpy(res->inv_metric + (size_t)chain * n, cr_nuts_inv_metric(s), n * sizeof(double));
    memcpy(res->last + (size_t)chain * n, cr_nuts_position(s), n * sizeof(double));
    cr_nuts_free(s);
    gsl_rng_free(r);
    return rc;
}

static void chain_job(void *ctx, size_t c, int worker)
{
    (void)worker;
    pool *P = ctx;
    P->failed[c] = run_chain(P, (int)c, &P->errs[c]) < 0;
}

/* Runs every chain of res on the pool; draws [first, res->samples) of each are made. */
static int run_pool(const cr_model *m, const cr_chains_config *cfg, cr_chains_result *res,
                    int first, cr_err *e)
{
    const int C = res->chains;
    pool P = {.m = m, .cfg = cfg, .res = res, .first = first};
    P.errs = xcalloc(C, sizeof *P.errs);
    P.failed = xcalloc(C, sizeof *P.failed);
    P.done = xcalloc(C, sizeof *P.done);
    pthread_mutex_init(&P.lock, NULL);
    cr_pool_run((size_t)C, cr_pool_threads(cfg->threads), chain_job, &P);
    if (!cfg->progress)
        cr_progress_done();

    int rc = 0;
    for (int c = 0; c < C && rc == 0; c++)
        if (P.failed[c])
            rc = cr_fail(e, "sampler: chain %d: %s", c + 1, P.errs[c].msg);
    pthread_mutex_destroy(&P.lock);
    free(P.errs);
    free(P.failed);
    free(P.done);
    return rc;
}

int cr_chains_run(const cr_model *m, const cr_chains_config *cfg, cr_chains_result *res,
                  cr_err *e)
{
    cr_gsl_handler_init(); /* the models' special functions */
    memset(res, 0, sizeof *res);
    if (cfg->chains < 1 || cfg->warmup < 0 || cfg->samples < 0)
        return cr_fail(e, "sampler: need at least one chain and non-negative iteration counts "
                          "(chains %d, warmup %d, samples %d)", cfg->chains, cfg->warmup,
                       cfg->samples);
    int C = cfg->chains, n = m->dim, nout = m->constrain ? m->nout : 0;
    res->chains = C;
    res->warmup = cfg->warmup;
    res->samples = cfg->samples;
    res->nout = nout;
    res->dim = n;
    size_t S = (size_t)C * cfg->samples;
    res->draws = xmalloc((S * nout + 1) * sizeof *res->draws);
    if (cfg->keep_unconstrained)
        res->unconstrained = xmalloc((S * n + 1) * sizeof *res->unconstrained);
    res->stats = xcalloc(S + 1, sizeof *res->stats);
    res->warmup_stats = xcalloc((size_t)C * cfg->warmup + 1, sizeof *res->warmup_stats);
    res->stepsize = xcalloc(C, sizeof *res->stepsize);
    res->inv_metric = xcalloc((size_t)C * n + 1, sizeof *res->inv_metric);
    res->last = xcalloc((size_t)C * n + 1, sizeof *res->last);
    res->time_warmup = xcalloc(C, sizeof *res->time_warmup);
    res->time_sampling = xcalloc(C, sizeof *res->time_sampling);
    int rc = run_pool(m, cfg, res, 0, e);
    if (rc != 0)
        cr_chains_result_free(res);
    return rc;
}

/* A per-chain array of `old` rows of `width` bytes regrown in place to `now` rows (each chain's
 * rows moved to their new start), or shrunk back: the draws of a long fit are most of its
 * memory, and a copy beside them would double it. */
static void *regrow(void *a, size_t width, int chains, int old, int now)
{
    char *b = a;
    if (now > old) {
        b = xrealloc(b, (size_t)chains * now * width + 1);
        for (int c = chains - 1; c >= 0; c--) {
            memmove(b + (size_t)c * now * width, b + (size_t)c * old * width,
                    (size_t)old * width);
            /* zeroed as a fresh result is, padding included */
            memset(b + ((size_t)c * now + old) * width, 0, (size_t)(now - old) * width);
        }
        return b;
    }
    for (int c = 1; c < chains; c++)
        memmove(b + (size_t)c * now * width, b + (size_t)c * old * width, (size_t)now * width);
    return xrealloc(b, (size_t)chains * now * width + 1);
}

static void regrow_all(cr_chains_result *res, int old, int now)
{
    const int C = res->chains;
    res->draws = regrow(res->draws, (size_t)res->nout * sizeof(double), C, old, now);
    if (res->unconstrained)
        res->unconstrained = regrow(res->unconstrained, (size_t)res->dim * sizeof(double), C,
                                    old, now);
    res->stats = regrow(res->stats, sizeof *res->stats, C, old, now);
    res->samples = now;
}

int cr_chains_extend(const cr_model *m, const cr_chains_config *cfg, int more,
                     cr_chains_result *res, cr_err *e)
{
    cr_gsl_handler_init();
    if (more < 1 || cfg->chains != res->chains || !res->last)
        return cr_fail(e, "sampler: cannot extend: need more > 0 iterations (%d) and the "
                          "same %d chains (%d)", more, res->chains, cfg->chains);
    const int C = res->chains, old = res->samples, n = res->dim;
    /* what a failed run would change besides the draws, to put back */
    double *keep = xmalloc(((size_t)C * (2 * (size_t)n + 2) + 1) * sizeof(double));
    double *last = keep, *metric = last + (size_t)C * n, *eps = metric + (size_t)C * n;
    double *ts = eps + C;
    memcpy(last, res->last, (size_t)C * n * sizeof(double));
    memcpy(metric, res->inv_metric, (size_t)C * n * sizeof(double));
    memcpy(eps, res->stepsize, C * sizeof(double));
    memcpy(ts, res->time_sampling, C * sizeof(double));
    regrow_all(res, old, old + more);
    int rc = run_pool(m, cfg, res, old, e);
    if (rc != 0) {
        regrow_all(res, old + more, old);
        memcpy(res->last, last, (size_t)C * n * sizeof(double));
        memcpy(res->inv_metric, metric, (size_t)C * n * sizeof(double));
        memcpy(res->stepsize, eps, C * sizeof(double));
        memcpy(res->time_sampling, ts, C * sizeof(double));
    }
    free(keep);
    return rc;
}

void cr_chains_result_free(cr_chains_result *res)
{
    free(res->draws);
    free(res->unconstrained);
    free(res->stats);
    free(res->warmup_stats);
    free(res->stepsize);
    free(res->inv_metric);
    free(res->last);
    free(res->time_warmup);
    free(res->time_sampling);
    memset(res, 0, sizeof *res);
}
