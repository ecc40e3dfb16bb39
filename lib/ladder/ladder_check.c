#include "ladder/ladder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "common/xalloc.h"

/* Family-wise false-alarm rate of the PPC rule, and the budget of replicate work (cells and
 * positive seconds drawn) that bounds the replicates on long captures. */
#define PPC_ALPHA 0.01
#define PPC_BUDGET 1e8
#define PPC_MIN_REPLICATES 400

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void cr_ladder_points_init(cr_ladder_points *p, const cr_ladder_rows *r)
{
    memset(p, 0, sizeof *p);
    /* grown as points appear: they are far fewer than seconds */
    size_t cap = 0, ycap = 0;
    int *ys = NULL;
    for (size_t a = 0, b; a < r->n; a = b) {
        for (b = a; b < r->n && r->machine[b] == r->machine[a] && r->minute[b] == r->minute[a];)
            b++;
        xgrow(&ys, &ycap, b - a, sizeof *ys);
        memcpy(ys, r->y + a, (b - a) * sizeof(int));
        qsort(ys, b - a, sizeof(int), cmp_int);
        for (size_t i = 0; i < b - a; i++) {
            if (i == 0 || ys[i] != ys[i - 1]) {
                size_t c = cap;
                xgrow(&p->machine, &c, p->n + 1, sizeof *p->machine);
                c = cap;
                xgrow(&p->minute, &c, p->n + 1, sizeof *p->minute);
                c = cap;
                xgrow(&p->y, &c, p->n + 1, sizeof *p->y);
                xgrow(&p->weight, &cap, p->n + 1, sizeof *p->weight);
                p->machine[p->n] = r->machine[a];
                p->minute[p->n] = r->minute[a];
                p->y[p->n] = ys[i];
                p->weight[p->n++] = 0;
            }
            p->weight[p->n - 1] += 1;
        }
    }
    free(ys);
}

void cr_ladder_points_free(cr_ladder_points *p)
{
    free(p->machine);
    free(p->minute);
    free(p->y);
    free(p->weight);
    memset(p, 0, sizeof *p);
}

/* PSIS-LOO in blocks of points, a block per job, each thread with its own log-likelihood
 * matrix: evaluating the log-likelihood costs as much as the smoothing. */
enum { LOO_BLOCK = 64 };

typedef struct {
    const cr_ladder_data *ld;
    const cr_chains_result *res;
    const cr_ladder_points *p;
    double **ll;      /* [worker]: LOO_BLOCK x S */
    cr_loo_ws **ws;   /* [worker] */
    cr_loo_pointwise *pw; /* [point] */
} loo_ctx;

static void loo_block(void *ctx, size_t b, int worker)
{
    const loo_ctx *c = ctx;
    const cr_chains_result *res = c->res;
    const size_t S = (size_t)res->chains * res->samples, a = b * LOO_BLOCK;
    const size_t nb = c->p->n - a < LOO_BLOCK ? c->p->n - a : LOO_BLOCK;
    double *ll = c->ll[worker];
    for (size_t i = 0; i < nb; i++)
        for (size_t s = 0; s < S; s++)
            ll[i * S + s] = c->ld->lm->loglik(c->ld->d, res->draws + s * res->nout,
                                              c->p->machine[a + i], c->p->minute[a + i],
                                              c->p->y[a + i]);
    for (size_t i = 0; i < nb; i++)
        cr_loo_point_reff(ll + i * S, res->chains, res->samples, c->ws[worker], &c->pw[a + i]);
}

void cr_ladder_loo(const cr_ladder_data *ld, const cr_chains_result *res,
                   const cr_ladder_points *p, int threads, double *elpd, cr_loo_estimates *est)
{
    const size_t S = (size_t)res->chains * res->samples;
    const size_t nblocks = (p->n + LOO_BLOCK - 1) / LOO_BLOCK;
    threads = cr_pool_threads(threads);
    loo_ctx c = {ld, res, p, xmalloc((size_t)threads * sizeof(double *)),
                 xmalloc((size_t)threads * sizeof(cr_loo_ws *)),
                 xmalloc((p->n + 1) * sizeof(cr_loo_pointwise))};
    for (int t = 0; t < threads; t++) {
        c.ll[t] = xmalloc((LOO_BLOCK * S + 1) * sizeof(double));
        c.ws[t] = cr_loo_ws_new();
    }
    cr_pool_run(nblocks, threads, loo_block, &c);
    cr_loo_estimate(c.pw, p->n, p->weight, (int)S, elpd, est);
    for (int t = 0; t < threads; t++) {
        free(c.ll[t]);
        cr_loo_ws_free(c.ws[t]);
    }
    free(c.ll);
    free(c.ws);
    free(c.pw);
}

typedef struct {
    const cr_ladder_model *lm;
    const void *d;
    const double *draws;
    int nout;
} ppc_ctx;

static void sink_add(void *sink, int y, long times)
{
    cr_ppc_sink_add(sink, y, times);
}

/* A cell's seconds from draw `draw`: its law under the model, all seconds at once. */
static void ppc_cell(void *ctx, int draw, int k, int minute, long nseconds, gsl_rng *r,
                     cr_ppc_sink *s)
{
    const ppc_ctx *c = ctx;
    cr_count_law law;
    c->lm->law(c->d, c->draws + (size_t)draw * (size_t)c->nout, k + 1, minute, &law);
    cr_count_law_draw(&law, nseconds, r, sink_add, s);
}

int cr_ladder_ppc(const cr_model *m, const void *points, const double *draws, size_t ndraws,
                  uint64_t seed, int threads, void *out, cr_err *e)
{
    const cr_ladder_model *lm = (const cr_ladder_model *)m->entry;
    const cr_ladder_points *p = points;
    const cr_cells *cells = lm->cells(m->data);
    const cr_ppc_cells d = {cells->nmachines, p->n, p->machine, p->minute, p->y, p->weight};
    ppc_ctx c = {lm, m->data, draws, m->nout};
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = (int)ndraws;
    /* a replicate's work: a binomial per cell and a draw per positive second */
    double work = cells->ncells;
    for (size_t i = 0; i < p->n; i++)
        work += p->y[i] > 0 ? p->weight[i] : 0;
    double budget = PPC_BUDGET / (work > 1 ? work : 1);
    o.nuse = budget < o.ndraws ? (int)budget : o.ndraws;
    if (o.nuse < PPC_MIN_REPLICATES)
        o.nuse = PPC_MIN_REPLICATES;
    o.seed = seed;
    o.nthreads = threads;
    o.p_lo = PPC_ALPHA / (2.0 * CR_PPC_NSTATS * (cells->nmachines + 1));
    o.p_hi = 1 - o.p_lo;
    if (cr_ppc_run_cells(&d, ppc_cell, &c, &o, out, e) != 0)
        return -1;
    return !cr_ladder_ppc_fails(out);
}

int cr_ladder_ppc_fails(const cr_ppc_result *res)
{
    for (int i = 0; i < res->nfail; i++)
        if (res->fail[i].stat >= 0)
            return 1;
    return 0;
}
