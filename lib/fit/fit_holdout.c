#include "fit/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void stats_of(const int *y, size_t n, double *sorted, double *st)
{
    double sum = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        sorted[i] = y[i];
        sum += y[i];
        zeros += y[i] == 0;
    }
    qsort(sorted, n, sizeof(double), cmp_double);
    st[CR_HOLDOUT_MEAN] = sum / (double)n;
    st[CR_HOLDOUT_Q99] = cr_ppc_quantile7(sorted, n, 0.99);
    st[CR_HOLDOUT_ZERO] = zeros / (double)n;
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

/* One held-out machine against the predictive of a new one under fit (ld, res). */
static void check_machine(const cr_ladder_data *ld, const cr_chains_result *res,
                          const cr_ladder_rows *held, unsigned long long seed, double interval,
                          cr_holdout_machine *out)
{
    const cr_ladder_model *lm = ld->lm;
    cr_ladder_data hd;
    cr_ladder_data_init(&hd, lm, held); /* the held-out machine's cells under this model */
    const int ncells = lm->has_cells ? cr_ladder_cells(&hd)->ncells : 0;
    cr_ladder_data_free(&hd);
    const int S = res->chains * res->samples, nrep = S < HOLDOUT_REPLICATES ? S
                                                                            : HOLDOUT_REPLICATES;
    double *view = xmalloc((size_t)(lm->nfixed + 1 + ncells + lm->tail_fixed +
                                    lm->tail_per_machine) * sizeof(double));
    double *sorted = xmalloc((held->n + 1) * sizeof(double));
    double *rep = xmalloc((size_t)CR_HOLDOUT_NSTATS * nrep * sizeof(double));
    int *y = xmalloc((held->n + 1) * sizeof(int));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, (unsigned long)(seed * 1000003ULL + (unsigned long long)out->machine));
    for (int i = 0; i < nrep; i++) {
        const double *v = res->draws + (size_t)cr_ppc_draw_index(i, nrep, S) * res->nout;
        cr_ladder_new_machine_view(ld, v, ncells, g, view);
        lm->simulate(held->n, held->machine, held->minute, view, g, y);
        double st[CR_HOLDOUT_NSTATS];
        stats_of(y, held->n, sorted, st);
        for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
            rep[j * nrep + i] = st[j];
    }
    stats_of(held->y, held->n, sorted, out->obs);
    for (int j = 0; j < CR_HOLDOUT_NSTATS; j++) {
        double *x = rep + j * nrep;
        qsort(x, (size_t)nrep, sizeof(double), cmp_double);
        out->lo[j] = cr_ppc_quantile7(x, (size_t)nrep, (1 - interval) / 2);
        out->hi[j] = cr_ppc_quantile7(x, (size_t)nrep, (1 + interval) / 2);
        out->inside[j] = out->obs[j] >= out->lo[j] && out->obs[j] <= out->hi[j];
    }
    gsl_rng_free(g);
    free(view);
    free(sorted);
    free(rep);
    free(y);
}

int cr_fit_holdout(const cr_ladder_model *lm, const cr_ladder_rows *r, const cr_fit_options *o,
                   double interval, cr_fit_logs *logs, const char *series,
                   cr_holdout_machine *out, cr_err *e)
{
    int K = 0;
    for (size_t i = 0; i < r->n; i++)
        K = r->machine[i] > K ? r->machine[i] : K;
    int *buf = xmalloc((4 * r->n + 1) * sizeof(int)), rc = 0;
    for (int k = 1; k <= K && rc == 0; k++) {
        cr_ladder_rows rest, held;
        split_rows(r, k, buf, &rest, &held);
        cr_ladder_data ld;
        cr_ladder_data_init(&ld, lm, &rest);
        char label[96];
        snprintf(label, sizeof label, "%s-without-m%d", series, k);
        cr_fit_attempt a;
        memset(&out[k - 1], 0, sizeof out[k - 1]);
        out[k - 1].machine = k;
        if ((rc = cr_fit_run(&ld, label, o, logs, &a, e)) == 0) {
            out[k - 1].converged = a.chk.pass;
            check_machine(&ld, &a.res, &held, o->sampler.seed, interval, &out[k - 1]);
            cr_fit_attempt_free(&a);
        }
        cr_ladder_data_free(&ld);
    }
    free(buf);
    return rc;
}
