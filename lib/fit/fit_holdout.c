#include "fit/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "common/xalloc.h"

const char *const cr_holdout_stat_names[CR_HOLDOUT_NSTATS] = {"mean rate", "99th percentile",
                                                               "zero fraction"};

/* Predictive replicates per held-out machine (evenly spaced draws). */
#define HOLDOUT_REPLICATES 1000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The holdout's statistics of a sample summarised in s. */
static void stats_of(const cr_ppc_sink *s, double *st)
{
    double T[CR_PPC_NSTATS];
    cr_ppc_sink_stats(s, T);
    st[CR_HOLDOUT_MEAN] = T[CR_PPC_MEAN];
    st[CR_HOLDOUT_Q99] = T[CR_PPC_Q99];
    st[CR_HOLDOUT_ZERO] = T[CR_PPC_ZERO];
}

static void sink_add(void *sink, int y, long times)
{
    cr_ppc_sink_add(sink, y, times);
}

/* The rows without machine k (machines after it renumbered down), and machine k's alone as
 * machine 1. */
static void split_rows(const cr_ladder_rows *r, int k, int *buf, cr_ladder_rows *rest,
                       cr_ladder_rows *held)
{
    int *mach = buf, *held_mach = buf + r->n;
    size_t a = 0, b = r->n;
    while (a < r->n && r->machine[a] != k)
        a++;
    for (b = a; b < r->n && r->machine[b] == k;)
        b++;
    size_t n = 0;
    int *minute = buf + 2 * r->n, *y = buf + 3 * r->n;
    for (size_t i = 0; i < r->n; i++)
        if (i < a || i >= b) {
            mach[n] = r->machine[i] - (r->machine[i] > k);
            minute[n] = r->minute[i];
            y[n++] = r->y[i];
        }
    *rest = (cr_ladder_rows){n, mach, minute, y};
    for (size_t i = a; i < b; i++)
        held_mach[i - a] = 1;
    *held = (cr_ladder_rows){b - a, held_mach, r->minute + a, r->y + a};
}

/* One held-out machine against the predictive of a new one under fit (ld, res): its seconds
 * as its cells' count histograms (held's points), each replicate drawn cell by cell from the
 * model's law at a new machine's view of a draw. */
static void check_machine(const cr_ladder_data *ld, const cr_chains_result *res,
                          const cr_ladder_rows *held, unsigned long long seed, double interval,
                          cr_holdout_machine *out)
{
    const cr_ladder_model *lm = ld->lm;
    cr_ladder_data hd;
    cr_ladder_data_init(&hd, lm, held); /* the held-out machine's cells under this model */
    cr_ladder_points p;
    cr_ladder_points_init(&p, held);
    const int ncells = lm->has_cells ? cr_ladder_cells(&hd)->ncells : 0;
    const int S = res->chains * res->samples, nrep = S < HOLDOUT_REPLICATES ? S
                                                                            : HOLDOUT_REPLICATES;
    double *view = xmalloc((size_t)(lm->nfixed + 1 + ncells + lm->tail_fixed +
                                    lm->tail_per_machine) * sizeof(double));
    double *rep = xmalloc((size_t)CR_HOLDOUT_NSTATS * nrep * sizeof(double));
    cr_ppc_sink *sink = cr_ppc_sink_new();
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, (unsigned long)(seed * 1000003ULL + (unsigned long long)out->machine));
    for (int i = 0; i < nrep; i++) {
        const double *v = res->draws + (size_t)cr_ppc_draw_index(i, nrep, S) * res->nout;
        cr_ladder_new_machine_view(ld, v, ncells, g, view);
        cr_ppc_sink_reset(sink);
        for (size_t a = 0, b; a < p.n; a = b) {
            long n = 0;
            for (b = a; b < p.n && p.minute[b] == p.minute[a]; b++)
                n += (long)p.weight[b];
            cr_count_law law;
            lm->law(hd.d, view, 1, p.minute[a], &law);
            cr_count_law_draw(&law, n, g, sink_add, sink);
            cr_ppc_sink_end_minute(sink);
        }
        double st[CR_HOLDOUT_NSTATS];
        stats_of(sink, st);
        for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
            rep[j * nrep + i] = st[j];
    }
    cr_ppc_sink_reset(sink);
    for (size_t a = 0; a < p.n; a++)
        cr_ppc_sink_add(sink, p.y[a], (long)p.weight[a]);
    stats_of(sink, out->obs);
    for (int j = 0; j < CR_HOLDOUT_NSTATS; j++) {
        double *x = rep + j * nrep;
        qsort(x, (size_t)nrep, sizeof(double), cmp_double);
        out->lo[j] = cr_ppc_quantile7(x, (size_t)nrep, (1 - interval) / 2);
        out->hi[j] = cr_ppc_quantile7(x, (size_t)nrep, (1 + interval) / 2);
        out->inside[j] = out->obs[j] >= out->lo[j] && out->obs[j] <= out->hi[j];
    }
    gsl_rng_free(g);
    cr_ppc_sink_free(sink);
    cr_ladder_points_free(&p);
    cr_ladder_data_free(&hd);
    free(view);
    free(rep);
}

/* The coordinates of a point of warm's model without machine k (1-based): its machine
 * coordinate, its cells' and its per-machine tail values dropped, as the refit's model lays
 * them out. Returns the number written (the refit's dimension when the layouts agree). */
static int drop_machine(const cr_fit_warm *warm, int k, const double *x, double *out)
{
    const cr_ladder_model *lm = warm->ld->lm;
    const cr_cells *c = cr_ladder_cells(warm->ld);
    const int K = warm->ld->nmachines, C = lm->has_cells ? c->ncells : 0;
    int n = 0, i = 0;
    for (; i < lm->nfixed; i++)
        out[n++] = x[i];
    for (int j = 0; j < K; j++, i++)
        if (j != k - 1)
            out[n++] = x[i];
    for (int j = 0; j < C; j++, i++)
        if (c->cell_machine[j] != k - 1)
            out[n++] = x[i];
    for (int j = 0; j < lm->tail_fixed; j++)
        out[n++] = x[i++];
    for (int t = 0; t < lm->tail_per_machine; t++)
        for (int j = 0; j < K; j++, i++)
            if (j != k - 1)
                out[n++] = x[i];
    return n;
}

/* One refit per job, all at once on the pool. */
typedef struct {
    const cr_ladder_model *lm;
    const cr_ladder_rows *r;
    const cr_fit_options *o;
    double interval;
    const cr_fit_warm *warm;
    const char *series;
    int threads;        /* each refit's */
    int keep_logs;
    cr_fit_logs *logs;  /* [K] */
    cr_holdout_machine *out;
    cr_err *errs;       /* [K] */
    int *rc;            /* [K] */
} holdout_ctx;

static void refit(void *ctx, size_t job, int worker)
{
    (void)worker;
    const holdout_ctx *h = ctx;
    const cr_ladder_rows *r = h->r;
    const int k = (int)job + 1;
    int *buf = xmalloc((4 * r->n + 1) * sizeof(int));
    cr_ladder_rows rest, held;
    split_rows(r, k, buf, &rest, &held);
    cr_ladder_data ld;
    cr_ladder_data_init(&ld, h->lm, &rest);
    cr_fit_options o = *h->o;
    o.sampler.threads = h->threads;
    double *warm = NULL;
    if (h->warm && h->warm->ld->lm == h->lm) {
        const cr_chains_result *res = h->warm->res;
        const int C = res->chains, n = ld.m.dim;
        warm = xmalloc((2 * (size_t)C * n + C + 1) * sizeof(double));
        double *init = warm, *metric = warm + (size_t)C * n, *eps = metric + (size_t)C * n;
        int ok = res->dim == h->warm->ld->m.dim;
        for (int c = 0; c < C && ok; c++) {
            ok = drop_machine(h->warm, k, res->last + (size_t)c * res->dim,
                              init + (size_t)c * n) == n;
            drop_machine(h->warm, k, res->inv_metric + (size_t)c * res->dim,
                         metric + (size_t)c * n);
            eps[c] = res->stepsize[c];
        }
        if (ok && C == o.sampler.chains) {
            *h->lm->centred(ld.d) = cr_ladder_centred(h->warm->ld);
            o.sampler.init = init;
            o.sampler.inv_metric = metric;
            o.sampler.stepsizes = eps;
        }
    }
    char label[96];
    snprintf(label, sizeof label, "%s-without-m%d", h->series, k);
    cr_fit_attempt a;
    cr_holdout_machine *out = &h->out[k - 1];
    memset(out, 0, sizeof *out);
    out->machine = k;
    h->rc[k - 1] = cr_fit_model(&ld.m, label, NULL, &o, h->keep_logs ? &h->logs[k - 1] : NULL,
                                &a, &h->errs[k - 1]);
    if (h->rc[k - 1] == 0) {
        out->converged = a.chk.pass;
        check_machine(&ld, &a.res, &held, o.sampler.seed, h->interval, out);
        cr_fit_attempt_free(&a);
    }
    cr_ladder_data_free(&ld);
    free(warm);
    free(buf);
}

int cr_fit_holdout(const cr_ladder_model *lm, const cr_ladder_rows *r, const cr_fit_options *o,
                   double interval, const cr_fit_warm *warm, cr_fit_logs *logs,
                   const char *series, cr_holdout_machine *out, cr_err *e)
{
    int K = 0;
    for (size_t i = 0; i < r->n; i++)
        K = r->machine[i] > K ? r->machine[i] : K;
    /* as many refits at once as threads, each on its share of them */
    const int T = cr_pool_threads(o->sampler.threads), jobs = T < K ? T : K;
    holdout_ctx h = {lm, r, o, interval, warm, series, T / (jobs ? jobs : 1), logs != NULL,
                     xcalloc((size_t)K + 1, sizeof(cr_fit_logs)), out,
                     xcalloc((size_t)K + 1, sizeof(cr_err)), xcalloc((size_t)K + 1, sizeof(int))};
    cr_pool_run((size_t)K, jobs, refit, &h);
    int rc = 0;
    for (int k = 0; k < K; k++) {
        if (h.rc[k] != 0 && rc == 0) {
            *e = h.errs[k];
            rc = -1;
        }
        for (int i = 0; logs && i < h.logs[k].n; i++) {
            size_t cap = logs->cap; /* name and text share it, as in fit.c */
            xgrow(&logs->name, &cap, (size_t)logs->n + 1, sizeof *logs->name);
            xgrow(&logs->text, &logs->cap, (size_t)logs->n + 1, sizeof *logs->text);
            logs->name[logs->n] = h.logs[k].name[i];
            logs->text[logs->n++] = h.logs[k].text[i];
        }
        free(h.logs[k].name);
        free(h.logs[k].text);
    }
    free(h.logs);
    free(h.errs);
    free(h.rc);
    return rc;
}
