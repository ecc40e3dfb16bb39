#include "ppc/ppc.h"
#include "common/splitmix.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "common/xalloc.h"
#include "ppc/ppc_acc.h"

const char *const cr_ppc_stat_names[CR_PPC_NSTATS] = {"mean", "var", "zero_frac", "q90", "q99",
                                                      "max", "minute_max"};

#define NBINS (CR_PPC_MAX_CLASSES + 1)

void cr_ppc_options_default(cr_ppc_options *o)
{
    memset(o, 0, sizeof *o);
    o->nuse = 400;
    o->seed = 42;
    o->nthreads = 1;
    o->p_lo = 0.01;
    o->p_hi = 0.99;
    o->band = 0.99;
}

int cr_ppc_draw_index(int i, int nuse, int ndraws)
{
    return (int)(((2 * (long long)i + 1) * ndraws) / (2 * (long long)nuse));
}

static unsigned long stream_seed(unsigned long seed, int i, int k)
{
    uint64_t replicate = cr_splitmix64(cr_splitmix64(seed) ^ (uint64_t)i);
    return (unsigned long)cr_splitmix64(replicate ^ (uint64_t)(k + 1));
}

/* Shared by the workers; slot k == K is the pooled check. Per second (d, sim) or per cell
 * (cells, cell_sim: machine k's cells are cell0[k] .. cell0[k + 1] - 1). */
typedef struct {
    const cr_ppc_data *d;
    cr_ppc_sim_fn sim;
    const cr_ppc_cells *cells;
    cr_ppc_cell_fn cell_sim;
    void *ctx;
    const cr_ppc_options *o;
    int K, M, nthreads;
    size_t *row0, *nrow;
    int *nmin;
    size_t maxrows;
    size_t *cell0;      /* [K + 1] */
    int *cell_minute;   /* per cell */
    long *cell_nsec;    /* per cell */
    double *T;  /* [(k * NSTATS + s) * M + i] */
    int *bins;  /* [((k * M) + i) * NBINS + c] */
} run_state;

/* One thread's scratch; err holds the first failure it met. */
typedef struct {
    gsl_rng *r;
    int *yrep;
    cr_ppc_sink sm; /* machine k's replicate, per cell */
    cr_ppc_acc am, ap;
    char err[256];
} worker_state;

typedef struct {
    run_state *S;
    worker_state *w; /* [worker] */
    atomic_int failed;
} pool_ctx;

static void replicate(void *ctx, size_t ii, int worker)
{
    pool_ctx *P = ctx;
    run_state *S = P->S;
    worker_state *w = &P->w[worker];
    const int K = S->K, M = S->M, i = (int)ii, draw = cr_ppc_draw_index(i, M, S->o->ndraws);
    double T[CR_PPC_NSTATS];
    if (atomic_load(&P->failed))
        return;
    cr_ppc_acc_reset(&w->ap);
    for (int k = 0; k <= K; k++) {
        cr_ppc_acc *a = k < K ? (S->cells ? &w->sm.acc : &w->am) : &w->ap;
        if (k < K && S->cells) {
            gsl_rng_set(w->r, stream_seed(S->o->seed, i, k));
            cr_ppc_sink_reset(&w->sm);
            for (size_t c = S->cell0[k]; c < S->cell0[k + 1]; c++) {
                S->cell_sim(S->ctx, draw, k, S->cell_minute[c], S->cell_nsec[c], w->r, &w->sm);
                cr_ppc_sink_end_minute(&w->sm);
            }
            int bad;
            if (cr_ppc_sink_bad(&w->sm, &bad)) {
                if (!w->err[0])
                    snprintf(w->err, sizeof w->err,
                             "ppc: simulator returned count %d (draw %d, machine %d); counts "
                             "must lie in 0..%d", bad, draw, k + 1, CR_PPC_COUNT_LIMIT);
                atomic_store(&P->failed, 1);
                return;
            }
            cr_ppc_acc_merge(&w->ap, &w->sm.acc);
        } else if (k < K) {
            gsl_rng_set(w->r, stream_seed(S->o->seed, i, k));
            S->sim(S->ctx, draw, k, S->row0[k], S->nrow[k], w->r, w->yrep);
            for (size_t j = 0; j < S->nrow[k]; j++) {
                if (w->yrep[j] < 0 || w->yrep[j] > CR_PPC_COUNT_LIMIT) {
                    if (!w->err[0])
                        snprintf(w->err, sizeof w->err,
                                 "ppc: simulator returned count %d (draw %d, machine %d); "
                                 "counts must lie in 0..%d", w->yrep[j], draw, k + 1,
                                 CR_PPC_COUNT_LIMIT);
                    atomic_store(&P->failed, 1);
                    return;
                }
            }
            cr_ppc_acc_reset(&w->am);
            cr_ppc_acc_add(&w->am, w->yrep, S->d->minute + S->row0[k], S->nrow[k], S->nmin[k]);
            cr_ppc_acc_merge(&w->ap, &w->am);
        }
        cr_ppc_acc_stats(a, T);
        for (int s = 0; s < CR_PPC_NSTATS; s++)
            S->T[((size_t)k * CR_PPC_NSTATS + s) * M + i] = T[s];
        cr_ppc_acc_fold(a, S->bins + ((size_t)k * M + i) * NBINS);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-value and band of one statistic from its M replicated values (sorted in place). */
static void judge_stat(cr_ppc_stat *st, double *rep, int M, const cr_ppc_options *o)
{
    double gt = 0, eq = 0, sum = 0;
    for (int i = 0; i < M; i++) {
        gt += rep[i] > st->obs;
        eq += rep[i] == st->obs;
        sum += rep[i];
    }
    st->p = (gt + eq / 2) / M;
    qsort(rep, (size_t)M, sizeof *rep, cmp_double);
    st->rep_mean = sum / M;
    st->rep_median = cr_ppc_quantile7(rep, (size_t)M, 0.5);
    st->rep_lo = cr_ppc_quantile7(rep, (size_t)M, (1 - o->band) / 2);
    st->rep_hi = cr_ppc_quantile7(rep, (size_t)M, (1 + o->band) / 2);
    st->fail = !(st->p >= o->p_lo && st->p <= o->p_hi);
}

static void judge_classes(cr_ppc_check *c, const cr_ppc_acc *obs, const int *bins, int M,
                          const cr_ppc_options *o, double *scratch)
{
    int ob[NBINS];
    long long obl[NBINS], rep[NBINS] = {0};
    cr_ppc_acc_fold(obs, ob);
    for (int b = 0; b < NBINS; b++)
        obl[b] = ob[b];
    for (int i = 0; i < M; i++)
        for (int b = 0; b < NBINS; b++)
            rep[b] += bins[(size_t)i * NBINS + b];
    int qo = cr_ppc_bins_quantile(obl, NBINS, 0.999), qr = cr_ppc_bins_quantile(rep, NBINS, 0.999);
    int cap = 1 + (qo > qr ? qo : qr);
    cap = cap < CR_PPC_MAX_CLASSES ? cap : CR_PPC_MAX_CLASSES;
    c->ncls = cap + 1;
    size_t nc = (size_t)c->ncls;
    c->cls_obs = xcalloc(nc, sizeof(double));
    c->cls_mean = xcalloc(nc, sizeof(double));
    c->cls_median = xcalloc(nc, sizeof(double));
    c->cls_lo = xcalloc(nc, sizeof(double));
    c->cls_hi = xcalloc(nc, sizeof(double));
    c->cls_fail = xcalloc(nc, sizeof *c->cls_fail);
    for (int k = 0; k < c->ncls; k++) {
        int last = k == cap;
        double sum = 0;
        for (int i = 0; i < M; i++) {
            const int *bi = bins + (size_t)i * NBINS;
            double v = bi[k];
            for (int b = k + 1; last && b < NBINS; b++)
                v += bi[b];
            scratch[i] = v;
            sum += v;
        }
        double vo = ob[k];
        for (int b = k + 1; last && b < NBINS; b++)
            vo += ob[b];
        qsort(scratch, (size_t)M, sizeof *scratch, cmp_double);
        c->cls_obs[k] = vo;
        c->cls_mean[k] = sum / M;
        c->cls_median[k] = cr_ppc_quantile7(scratch, (size_t)M, 0.5);
        c->cls_lo[k] = cr_ppc_quantile7(scratch, (size_t)M, (1 - o->band) / 2);
        c->cls_hi[k] = cr_ppc_quantile7(scratch, (size_t)M, (1 + o->band) / 2);
        c->cls_fail[k] = vo < c->cls_lo[k] || vo > c->cls_hi[k];
    }
}

static void add_failures(cr_ppc_result *res, const cr_ppc_check *c, size_t *cap)
{
    for (int s = 0; s < CR_PPC_NSTATS; s++) {
        if (!c->stat[s].fail)
            continue;
        xgrow(&res->fail, cap, (size_t)res->nfail + 1, sizeof *res->fail);
        res->fail[res->nfail++] = (cr_ppc_failure){c->machine, s, -1, c->stat[s].obs,
                                                   c->stat[s].rep_lo, c->stat[s].rep_hi,
                                                   c->stat[s].p};
    }
    for (int k = 0; k < c->ncls; k++) {
        if (!c->cls_fail[k])
            continue;
        xgrow(&res->fail, cap, (size_t)res->nfail + 1, sizeof *res->fail);
        res->fail[res->nfail++] = (cr_ppc_failure){c->machine, -1, k, c->cls_obs[k],
                                                   c->cls_lo[k], c->cls_hi[k], NAN};
    }
}

static void judge(cr_ppc_check *c, const cr_ppc_acc *obs, const run_state *S, int k,
                  double *scratch)
{
    int M = S->M;
    double T[CR_PPC_NSTATS];
    cr_ppc_acc_stats(obs, T);
    c->machine = k < S->K ? k : -1;
    c->nseconds = obs->n;
    c->tail = 1;
    for (int s = 0; s < CR_PPC_NSTATS; s++) {
        cr_ppc_stat *st = &c->stat[s];
        st->obs = T[s];
        memcpy(scratch, S->T + ((size_t)k * CR_PPC_NSTATS + s) * M, (size_t)M * sizeof *scratch);
        judge_stat(st, scratch, M, S->o);
        double t = st->p < 1 - st->p ? st->p : 1 - st->p;
        c->tail = t < c->tail ? t : c->tail;
        c->nfail += st->fail;
    }
    judge_classes(c, obs, S->bins + (size_t)k * M * NBINS, M, S->o, scratch);
    for (int j = 0; j < c->ncls; j++)
        c->nfail += c->cls_fail[j];
}

/* Machine slices of the rows, and the checks the simulator relies on. */
static int layout(const cr_ppc_data *d, run_state *S, cr_err *e)
{
    int K = d->nmachines;
    if (K < 1 || d->nrows == 0)
        return cr_fail(e, "ppc: no data (%d machines, %zu rows)", K, d->nrows);
    S->row0 = xcalloc((size_t)K, sizeof *S->row0);
    S->nrow = xcalloc((size_t)K, sizeof *S->nrow);
    S->nmin = xcalloc((size_t)K, sizeof *S->nmin);
    for (size_t r = 0; r < d->nrows; r++) {
        int m = d->machine[r];
        if (m < 1 || m > K || (r > 0 && m < d->machine[r - 1]))
            return cr_fail(e, "ppc: row %zu: machine %d out of order or outside 1..%d", r + 1,
                           m, K);
        if (d->minute[r] < 1 || d->y[r] < 0 || d->y[r] > CR_PPC_COUNT_LIMIT)
            return cr_fail(e, "ppc: row %zu: minute %d or count %d out of range", r + 1,
                           d->minute[r], d->y[r]);
        if (S->nrow[m - 1]++ == 0)
            S->row0[m - 1] = r;
        S->nmin[m - 1] = d->minute[r] > S->nmin[m - 1] ? d->minute[r] : S->nmin[m - 1];
    }
    for (int k = 0; k < K; k++) {
        if (S->nrow[k] == 0)
            return cr_fail(e, "ppc: machine %d has no rows", k + 1);
        S->maxrows = S->nrow[k] > S->maxrows ? S->nrow[k] : S->maxrows;
    }
    return 0;
}

/* The cells of the points, per machine in minute order, and their checks. */
static int layout_cells(const cr_ppc_cells *d, run_state *S, cr_err *e)
{
    int K = d->nmachines;
    if (K < 1 || d->npoints == 0)
        return cr_fail(e, "ppc: no data (%d machines, %zu points)", K, d->npoints);
    S->cell0 = xcalloc((size_t)K + 2, sizeof *S->cell0);
    size_t ncells = 0, cap = 0;
    for (size_t p = 0; p < d->npoints; p++) {
        const int m = d->machine[p];
        const int same = p > 0 && m == d->machine[p - 1] && d->minute[p] == d->minute[p - 1];
        if (m < 1 || m > K || (p > 0 && (m < d->machine[p - 1] ||
                                          (m == d->machine[p - 1] &&
                                           (d->minute[p] < d->minute[p - 1] ||
                                            (same && d->y[p] <= d->y[p - 1]))))))
            return cr_fail(e, "ppc: point %zu: machine %d, minute %d, count %d out of order or "
                              "outside 1..%d", p + 1, m, d->minute[p], d->y[p], K);
        if (d->minute[p] < 1 || d->y[p] < 0 || d->y[p] > CR_PPC_COUNT_LIMIT ||
            !(d->weight[p] >= 1) || d->weight[p] != floor(d->weight[p]))
            return cr_fail(e, "ppc: point %zu: minute %d, count %d or seconds %g out of range",
                           p + 1, d->minute[p], d->y[p], d->weight[p]);
        if (!same) {
            size_t c2 = cap;
            xgrow(&S->cell_minute, &c2, ncells + 1, sizeof *S->cell_minute);
            xgrow(&S->cell_nsec, &cap, ncells + 1, sizeof *S->cell_nsec);
            S->cell_minute[ncells] = d->minute[p];
            S->cell_nsec[ncells++] = 0;
            S->cell0[m]++; /* counted per machine, made cumulative below */
        }
        S->cell_nsec[ncells - 1] += (long)d->weight[p];
    }
    for (int k = 0; k < K; k++) {
        if (S->cell0[k + 1] == 0)
            return cr_fail(e, "ppc: machine %d has no cells", k + 1);
        S->cell0[k + 1] += S->cell0[k];
    }
    return 0;
}

static void free_state(run_state *S)
{
    free(S->row0);
    free(S->nrow);
    free(S->nmin);
    free(S->cell0);
    free(S->cell_minute);
    free(S->cell_nsec);
    free(S->T);
    free(S->bins);
}

/* The observed summary of machine k (0-based) into obs. */
static void observed(const run_state *S, int k, cr_ppc_sink *obs)
{
    cr_ppc_sink_reset(obs);
    if (!S->cells) {
        cr_ppc_acc_add(&obs->acc, S->d->y + S->row0[k], S->d->minute + S->row0[k], S->nrow[k],
                       S->nmin[k]);
        return;
    }
    const cr_ppc_cells *d = S->cells;
    size_t p = 0;
    while (p < d->npoints && d->machine[p] < k + 1)
        p++;
    for (; p < d->npoints && d->machine[p] == k + 1; p++) {
        cr_ppc_sink_add(obs, d->y[p], (long)d->weight[p]);
        if (p + 1 == d->npoints || d->machine[p + 1] != k + 1 || d->minute[p + 1] != d->minute[p])
            cr_ppc_sink_end_minute(obs);
    }
}

/* Runs the replicates and judges them: S laid out, either way. */
static int run(run_state *S, const cr_ppc_options *o, cr_ppc_result *res, cr_err *e)
{
    int K = S->K, M = o->nuse < o->ndraws ? o->nuse : o->ndraws;
    S->M = M;
    S->nthreads = o->nthreads < 1 ? 1 : o->nthreads > M ? M : o->nthreads;
    S->T = xmalloc((size_t)(K + 1) * CR_PPC_NSTATS * M * sizeof *S->T);
    S->bins = xmalloc((size_t)(K + 1) * M * NBINS * sizeof *S->bins);

    pool_ctx P = {.S = S, .w = xcalloc((size_t)S->nthreads, sizeof(worker_state))};
    atomic_init(&P.failed, 0);
    for (int t = 0; t < S->nthreads; t++) {
        P.w[t].r = gsl_rng_alloc(gsl_rng_mt19937);
        P.w[t].yrep = xmalloc((S->maxrows ? S->maxrows : 1) * sizeof(int));
    }
    cr_pool_run((size_t)M, S->nthreads, replicate, &P);
    int rc = 0;
    for (int t = 0; t < S->nthreads; t++) {
        if (P.w[t].err[0] && rc == 0)
            rc = cr_fail(e, "%s", P.w[t].err);
        gsl_rng_free(P.w[t].r);
        free(P.w[t].yrep);
        cr_ppc_acc_free(&P.w[t].sm.acc);
        cr_ppc_acc_free(&P.w[t].am);
        cr_ppc_acc_free(&P.w[t].ap);
    }
    free(P.w);
    if (rc != 0) {
        free_state(S);
        return -1;
    }

    res->nmachines = K;
    res->nuse = M;
    res->band = o->band;
    res->p_lo = o->p_lo;
    res->p_hi = o->p_hi;
    res->machines = xcalloc((size_t)K, sizeof *res->machines);
    double *scratch = xmalloc((size_t)M * sizeof *scratch);
    cr_ppc_sink obs = {0};
    cr_ppc_acc pooled = {0};
    size_t cap = 0;
    for (int k = 0; k <= K; k++) {
        cr_ppc_check *c = k < K ? &res->machines[k] : &res->pooled;
        if (k < K) {
            observed(S, k, &obs);
            cr_ppc_acc_merge(&pooled, &obs.acc);
        }
        judge(c, k < K ? &obs.acc : &pooled, S, k, scratch);
        add_failures(res, c, &cap);
    }
    cr_ppc_acc_free(&obs.acc);
    cr_ppc_acc_free(&pooled);
    free(scratch);
    free_state(S);
    return 0;
}

static int bad_options(const cr_ppc_options *o, cr_err *e)
{
    if (o->ndraws < 1 || o->nuse < 1 || !(o->band > 0 && o->band < 1))
        return cr_fail(e, "ppc: bad options (ndraws %d, nuse %d, band %g)", o->ndraws, o->nuse,
                       o->band);
    return 0;
}

int cr_ppc_run(const cr_ppc_data *d, cr_ppc_sim_fn sim, void *ctx, const cr_ppc_options *o,
               cr_ppc_result *res, cr_err *e)
{
    memset(res, 0, sizeof *res);
    if (bad_options(o, e) != 0)
        return -1;
    run_state S = {.d = d, .sim = sim, .ctx = ctx, .o = o, .K = d->nmachines};
    if (layout(d, &S, e) != 0) {
        free_state(&S);
        return -1;
    }
    return run(&S, o, res, e);
}

int cr_ppc_run_cells(const cr_ppc_cells *d, cr_ppc_cell_fn sim, void *ctx,
                     const cr_ppc_options *o, cr_ppc_result *res, cr_err *e)
{
    memset(res, 0, sizeof *res);
    if (bad_options(o, e) != 0)
        return -1;
    run_state S = {.cells = d, .cell_sim = sim, .ctx = ctx, .o = o, .K = d->nmachines};
    if (layout_cells(d, &S, e) != 0) {
        free_state(&S);
        return -1;
    }
    return run(&S, o, res, e);
}

static void free_check(cr_ppc_check *c)
{
    free(c->cls_obs);
    free(c->cls_mean);
    free(c->cls_median);
    free(c->cls_lo);
    free(c->cls_hi);
    free(c->cls_fail);
}

void cr_ppc_free(cr_ppc_result *res)
{
    for (int k = 0; k < res->nmachines; k++)
        free_check(&res->machines[k]);
    if (res->machines)
        free_check(&res->pooled);
    free(res->machines);
    free(res->fail);
    memset(res, 0, sizeof *res);
}
