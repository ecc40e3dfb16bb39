#include "duration/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The grid's edge after g: one resolution on until g / coarsen exceeds it, then that rounded
 * down to whole resolutions, so that every bin is a union of the intervals the timestamps
 * give. */
int64_t cr_duration_grid_next(int64_t g, int64_t res, int coarsen)
{
    int64_t w = coarsen > 0 ? g / coarsen / res : 0;
    return g + (w > 1 ? w : 1) * res;
}

/* Sorted values to (grid lower edge, count) pairs, in place of v; returns the number of pairs.
 * lo[k] is the lower edge of pair k. */
static size_t to_grid(int64_t *v, size_t n, int64_t res, int coarsen, int64_t *lo,
                      double *count)
{
    qsort(v, n, sizeof *v, cmp_i64);
    size_t k = 0;
    int64_t g = 0, next = cr_duration_grid_next(0, res, coarsen);
    for (size_t i = 0; i < n; i++) {
        if (coarsen <= 0 || v[i] < coarsen * res)
            g = v[i] - v[i] % res, next = g + res; /* bins of one resolution: no walk needed */
        else
            while (next <= v[i])
                g = next, next = cr_duration_grid_next(g, res, coarsen);
        if (k == 0 || lo[k - 1] != g)
            lo[k] = g, count[k++] = 0;
        count[k - 1] += 1;
    }
    return k;
}

static void add_edge(cr_duration_data *d, int64_t e)
{
    if (d->nedge == 0 || d->edge_ms[d->nedge - 1] != (double)e)
        d->edge_ms[d->nedge++] = (double)e;
}

void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored, int64_t res_ms, int coarsen)
{
    memset(d, 0, sizeof *d);
    d->res_ms = res_ms;
    d->x_res = log((double)res_ms / 1000);
    int64_t *ended = xmalloc((n + 1) * sizeof *ended), *cens = xmalloc((n + 1) * sizeof *cens);
    for (size_t i = 0; i < n; i++) {
        if (censored && censored[i]) {
            if (ms[i] >= res_ms)
                cens[d->ncens++] = ms[i];
            else
                d->ncens_zero++;
        } else {
            ended[d->nended++] = ms[i] < 0 ? 0 : ms[i];
        }
    }
    int64_t *elo = xmalloc((d->nended + 1) * sizeof *elo);
    int64_t *clo = xmalloc((d->ncens + 1) * sizeof *clo);
    double *en = xmalloc((d->nended + 1) * sizeof *en), *cn = xmalloc((d->ncens + 1) * sizeof *cn);
    size_t ne = to_grid(ended, d->nended, res_ms, coarsen, elo, en);
    size_t nc = to_grid(cens, d->ncens, res_ms, coarsen, clo, cn);
    /* edges: both ends of every occupied bin and the lower end of every censored one, merged */
    size_t cap = 2 * ne + nc + 1;
    d->edge_ms = xmalloc(cap * sizeof *d->edge_ms);
    d->x = xmalloc(cap * sizeof *d->x);
    d->n_event = xcalloc(cap, sizeof *d->n_event);
    d->n_cens = xcalloc(cap, sizeof *d->n_cens);
    for (size_t i = 0, j = 0; i < ne || j < nc;) {
        if (j == nc || (i < ne && elo[i] <= clo[j])) {
            if (j < nc && elo[i] == clo[j]) {
                add_edge(d, clo[j]);
                d->n_cens[d->nedge - 1] = cn[j++];
            }
            add_edge(d, elo[i]);
            d->n_event[d->nedge - 1] = en[i];
            add_edge(d, cr_duration_grid_next(elo[i], res_ms, coarsen));
            i++;
        } else {
            add_edge(d, clo[j]);
            d->n_cens[d->nedge - 1] = cn[j++];
        }
    }
    for (int i = 0; i < d->nedge; i++)
        d->x[i] = d->edge_ms[i] > 0 ? log(d->edge_ms[i] / 1000) : -INFINITY;
    d->n_zero = d->nedge > 1 && d->edge_ms[0] == 0 ? d->n_event[0] : 0;
    free(ended);
    free(cens);
    free(elo);
    free(clo);
    free(en);
    free(cn);
}

void cr_duration_data_free(cr_duration_data *d)
{
    free(d->edge_ms);
    free(d->x);
    free(d->n_event);
    free(d->n_cens);
    memset(d, 0, sizeof *d);
}

size_t cr_duration_nobs(const cr_duration_data *d)
{
    size_t n = 0;
    for (int i = 0; i < d->nedge; i++)
        n += (i > 0 && d->n_event[i - 1] > 0) + (d->n_cens[i] > 0);
    return n;
}

void cr_duration_obs_weights(const cr_duration_data *d, double *weight)
{
    for (int i = 0; i < d->nedge; i++) {
        if (i > 0 && d->n_event[i - 1] > 0)
            *weight++ = d->n_event[i - 1];
        if (d->n_cens[i] > 0)
            *weight++ = d->n_cens[i];
    }
}
