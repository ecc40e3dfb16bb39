#include "duration/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/pool.h"
#include "common/splitmix.h"
#include "common/xalloc.h"
#include "duration/data.h"

/* ---- the predictive check against Kaplan-Meier ----
 * Everything is counted on the likelihood's grid (cr_duration_grid_next at the data's
 * resolution with CR_DURATION_COARSEN), from 0 to past both the longest check time and the
 * longest ended duration: a bin's ended durations and the censored ones at its lower edge,
 * removed from the risk set before the bin's events, as the likelihood takes them. Kaplan-Meier on those counts is the data's own survival rounded
 * down to the grid (1% of t at most); its area is taken linear within a bin. */

const double cr_duration_ppc_times[CR_DUR_PPC_NTIMES] = {1, 10, 60, 300, 3600};

#define PPC_P_LO 0.01
#define PPC_P_HI 0.99

typedef struct {
    int nedge;
    int64_t *edge;              /* ms, from 0 */
    int at[CR_DUR_PPC_NTIMES];  /* the edge of each check time (the last at or below it) */
    int horizon;                /* the bin of the longest ended duration: the area's last */
} ppc_grid;

/* The bin [edge b, edge b + 1) holding v ms, or nedge - 1 when beyond the last edge. */
static int grid_bin(const ppc_grid *g, int64_t v)
{
    int lo = 0, hi = g->nedge - 1;
    if (v >= g->edge[hi])
        return hi;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (g->edge[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Kaplan-Meier at the check times and its area up to the horizon, from counts per bin (ev
 * ended, ce censored at the bin's lower edge; bin nedge - 1 holds what lies beyond). at_risk
 * gets how many were watched up to each check time. */
static void km_stats(const ppc_grid *g, const double *ev, const double *ce, double n,
                     double *stat, double *at_risk)
{
    double r = n, s = 1, area = 0;
    for (int b = 0; b + 1 < g->nedge; b++) {
        for (int t = 0; t < CR_DUR_PPC_NTIMES; t++)
            if (g->at[t] == b) {
                stat[t] = s;
                if (at_risk)
                    at_risk[t] = r;
            }
        r -= ce[b];
        double before = s;
        if (r > 0 && ev[b] > 0)
            s *= 1 - ev[b] / r;
        r -= ev[b];
        if (b <= g->horizon)
            area += (double)(g->edge[b + 1] - g->edge[b]) / 1000 * (before + s) / 2;
    }
    stat[CR_DUR_PPC_RMST] = area;
}

typedef struct {
    const cr_duration_obs *o;
    const ppc_grid *g;
    const cr_duration_params *draws;
    uint64_t seed;
    size_t nbulk;         /* connections watched past the last edge */
    size_t nsmall, *small; /* the others */
    int *follow_bin;      /* [n]: the bin of each connection's watch */
    double **ev, **ce, **cdf; /* per worker */
    double *rep;          /* [nrep][CR_DUR_PPC_NSTATS] */
} ppc_ctx;

/* One replicate: every connection gets a duration from draw i and is watched as long as the
 * real one was. Connections watched past the last edge cannot be cut short before it, so their
 * counts per bin are one multinomial draw (conditional binomials); the others one by one, by
 * inverting the grid's cdf. */
static void ppc_replicate(void *ctx, size_t i, int worker)
{
    const ppc_ctx *c = ctx;
    const ppc_grid *g = c->g;
    const cr_duration_params *p = &c->draws[i];
    const int nb = g->nedge; /* bins 0..nb-2 and "beyond" at nb - 1 */
    double *ev = c->ev[worker], *ce = c->ce[worker], *cdf = c->cdf[worker];
    memset(ev, 0, (size_t)nb * sizeof *ev);
    memset(ce, 0, (size_t)nb * sizeof *ce);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)cr_splitmix64(c->seed ^ cr_splitmix64(i)));
    for (int e = 0; e < nb; e++)
        cdf[e] = e ? 1 - cr_duration_survival(p, (double)g->edge[e] / 1000) : 0;
    unsigned int left = (unsigned int)c->nbulk;
    double rest = 1;
    for (int b = 0; b + 1 < nb && left > 0; b++) {
        double pb = fmax(cdf[b + 1] - cdf[b], 0), q = rest > 0 ? fmin(pb / rest, 1) : 1;
        unsigned int x = gsl_ran_binomial(r, q, left);
        ev[b] += x;
        left -= x;
        rest -= pb;
    }
    for (size_t k = 0; k < c->nsmall; k++) {
        size_t j = c->small[k];
        int b = c->follow_bin[j];
        /* P(D < follow) within its bin taken linear: bins are 1% wide at most */
        double within = (double)(c->o->follow_ms[j] - g->edge[b]) /
                        (double)(g->edge[b + 1] - g->edge[b]);
        double u = gsl_rng_uniform(r), until = cdf[b] + within * (cdf[b + 1] - cdf[b]);
        if (u < until) {
            int lo = 0, hi = b + 1; /* the bin whose cdf interval holds u */
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (cdf[mid] <= u)
                    lo = mid;
                else
                    hi = mid;
            }
            ev[lo]++;
        } else {
            (c->o->beyond_ended ? ev : ce)[b]++;
        }
    }
    gsl_rng_free(r);
    km_stats(g, ev, ce, (double)c->o->n, c->rep + i * CR_DUR_PPC_NSTATS, NULL);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's quantile type 7 of n ascending values. */
static double quantile7(const double *v, int n, double p)
{
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

void cr_duration_ppc_run(const cr_duration_obs *o, const cr_duration_params *draws, int nrep,
                         uint64_t seed, int threads, cr_duration_ppc *out)
{
    memset(out, 0, sizeof *out);
    out->nrep = nrep;
    int64_t longest = -1;
    for (size_t i = 0; i < o->n; i++)
        if (!(o->censored && o->censored[i]) && o->ms[i] > longest)
            longest = o->ms[i];
    ppc_grid g = {0};
    int64_t top = (int64_t)(1000 * cr_duration_ppc_times[CR_DUR_PPC_NTIMES - 1]);
    top = longest >= top ? longest + 1 : top;
    size_t cap = 64;
    g.edge = xmalloc(cap * sizeof *g.edge);
    g.edge[g.nedge++] = 0;
    while (g.edge[g.nedge - 1] <= top) {
        if ((size_t)g.nedge == cap)
            g.edge = xrealloc(g.edge, (cap *= 2) * sizeof *g.edge);
        g.edge[g.nedge] =
            cr_duration_grid_next(g.edge[g.nedge - 1], o->res_ms, CR_DURATION_COARSEN);
        g.nedge++;
    }
    for (int t = 0; t < CR_DUR_PPC_NTIMES; t++)
        g.at[t] = grid_bin(&g, (int64_t)(1000 * cr_duration_ppc_times[t]));
    g.horizon = longest >= 0 ? grid_bin(&g, longest) : -1;

    ppc_ctx c = {.o = o, .g = &g, .draws = draws, .seed = seed};
    c.follow_bin = xmalloc((o->n + 1) * sizeof *c.follow_bin);
    c.small = xmalloc((o->n + 1) * sizeof *c.small);
    double *ev = xcalloc((size_t)g.nedge, sizeof *ev), *ce = xcalloc((size_t)g.nedge, sizeof *ce);
    for (size_t i = 0; i < o->n; i++) {
        int cens = o->censored && o->censored[i];
        (cens ? ce : ev)[grid_bin(&g, o->ms[i])]++;
        c.follow_bin[i] = grid_bin(&g, o->follow_ms[i]);
        if (o->follow_ms[i] >= g.edge[g.nedge - 1])
            c.nbulk++;
        else
            c.small[c.nsmall++] = i;
    }
    double obs[CR_DUR_PPC_NSTATS], at_risk[CR_DUR_PPC_NTIMES];
    km_stats(&g, ev, ce, (double)o->n, obs, at_risk);
    free(ev);
    free(ce);

    threads = cr_pool_threads(threads);
    c.ev = xmalloc((size_t)threads * sizeof *c.ev);
    c.ce = xmalloc((size_t)threads * sizeof *c.ce);
    c.cdf = xmalloc((size_t)threads * sizeof *c.cdf);
    for (int t = 0; t < threads; t++) {
        c.ev[t] = xmalloc((size_t)g.nedge * sizeof(double));
        c.ce[t] = xmalloc((size_t)g.nedge * sizeof(double));
        c.cdf[t] = xmalloc((size_t)g.nedge * sizeof(double));
    }
    c.rep = xmalloc(((size_t)nrep * CR_DUR_PPC_NSTATS + 1) * sizeof *c.rep);
    cr_pool_run((size_t)nrep, threads, ppc_replicate, &c);

    double *v = xmalloc(((size_t)nrep + 1) * sizeof *v);
    for (int k = 0; k < CR_DUR_PPC_NSTATS; k++) {
        cr_duration_ppc_stat *st = &out->stat[k];
        int rmst = k == CR_DUR_PPC_RMST;
        st->t = rmst ? (longest >= 0 ? (double)g.edge[g.horizon + 1] / 1000 : 0)
                     : cr_duration_ppc_times[k];
        st->defined = nrep > 0 && (rmst ? longest >= 0 : at_risk[k] > 0);
        if (!st->defined)
            continue;
        st->obs = obs[k];
        double above = 0, sum = 0;
        for (int i = 0; i < nrep; i++) {
            v[i] = c.rep[(size_t)i * CR_DUR_PPC_NSTATS + k];
            sum += v[i];
            above += v[i] > obs[k] ? 1 : v[i] == obs[k] ? 0.5 : 0;
        }
        qsort(v, (size_t)nrep, sizeof *v, cmp_dbl);
        st->rep_mean = sum / nrep;
        st->rep_median = quantile7(v, nrep, 0.5);
        st->rep_lo = quantile7(v, nrep, PPC_P_LO);
        st->rep_hi = quantile7(v, nrep, PPC_P_HI);
        st->p = above / nrep;
        st->fail = st->p < PPC_P_LO || st->p > PPC_P_HI;
        out->nfail += st->fail;
    }
    free(v);
    for (int t = 0; t < threads; t++) {
        free(c.ev[t]);
        free(c.ce[t]);
        free(c.cdf[t]);
    }
    free(c.ev);
    free(c.ce);
    free(c.cdf);
    free(c.rep);
    free(c.follow_bin);
    free(c.small);
    free(g.edge);
}
