/* loo's psis() of one observation (do_psis_i): the largest M = ceiling(min(0.2 S,
 * 3 sqrt(S / r_eff))) log ratios are replaced by the expected order statistics of a
 * generalized Pareto fit to their exceedances over the next largest, then the weights are
 * truncated at the largest raw ratio. Only the tail is sorted. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "loo/loo_internal.h"

enum { MIN_TAIL = 5 };

static void swap(cr_loo_item *a, int i, int j)
{
    cr_loo_item t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static int by_value(const void *a, const void *b)
{
    double x = ((const cr_loo_item *)a)->v, y = ((const cr_loo_item *)b)->v;
    return (x > y) - (x < y);
}

/* The `keep` largest of x[0..s-1], ascending, at top[s - keep .. s - 1]: quickselect
 * (Hoare partition around a median of three, which also splits runs of ties evenly), then
 * a sort of the tail only. */
static cr_loo_item *largest(const double *x, int s, int keep, cr_loo_item *top)
{
    for (int i = 0; i < s; i++) top[i] = (cr_loo_item){x[i], i};
    int p = s - keep, lo = 0, hi = s - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (top[mid].v < top[lo].v) swap(top, lo, mid);
        if (top[hi].v < top[lo].v) swap(top, lo, hi);
        if (top[hi].v < top[mid].v) swap(top, mid, hi);
        double pivot = top[mid].v;
        int i = lo, j = hi;
        while (i <= j) {
            while (top[i].v < pivot) i++;
            while (top[j].v > pivot) j--;
            if (i <= j) swap(top, i++, j--);
        }
        if (p <= j) hi = j;
        else if (p >= i) lo = i;
        else break; /* top[p] equals the pivot, as does everything between j and i */
    }
    qsort(top + p, (size_t)keep, sizeof *top, by_value);
    return top + p;
}

/* loo's qgpd() */
static double qgpd(double p, double k, double sigma)
{
    if (isnan(sigma) || sigma <= 0) return NAN;
    return sigma * expm1(-k * log1p(-p)) / k;
}

/* psis_smooth_tail(): writes the smoothed tail into lw at the tail's positions (unless the
 * fit failed) and returns k. */
static double smooth_tail(const cr_loo_item *tail, int len, double cutoff, double *lw,
                          cr_loo_ws *ws)
{
    double exp_cutoff = exp(cutoff), *x = ws->tmp, k, sigma;
    for (int i = 0; i < len; i++) x[i] = exp(tail[i].v) - exp_cutoff;
    cr_loo_gpdfit(x, len, ws, &k, &sigma);
    if (isfinite(k))
        for (int i = 0; i < len; i++)
            lw[tail[i].i] = log(qgpd((i + 1 - 0.5) / len, k, sigma) + exp_cutoff);
    return k;
}

double cr_loo_psis(const double *log_ratios, int s, double r_eff, double *lw, cr_loo_ws *ws)
{
    if (s < 1) return NAN;
    cr_loo_ws *own = ws ? NULL : cr_loo_ws_new();
    if (own) ws = own;
    cr_loo_ws_reserve(ws, (size_t)s);
    double mx = log_ratios[0];
    for (int i = 1; i < s; i++) mx = log_ratios[i] > mx ? log_ratios[i] : mx;
    for (int i = 0; i < s; i++) lw[i] = log_ratios[i] - mx;

    if (!(r_eff > 0)) r_eff = 1;
    double tail_len = ceil(fmin(0.2 * s, 3 * sqrt(s / r_eff)));
    double k = INFINITY;
    if (tail_len >= MIN_TAIL) {
        int len = (int)tail_len;
        /* top[0] is the cutoff, top[1..len] the tail */
        cr_loo_item *top = largest(lw, s, len + 1, ws->top);
        /* a constant tail cannot be fitted (loo warns and leaves it) */
        if (fabs(top[len].v - top[1].v) >= DBL_EPSILON / 100)
            k = smooth_tail(top + 1, len, top[0].v, lw, ws);
    }
    for (int i = 0; i < s; i++) lw[i] = (lw[i] > 0 ? 0 : lw[i]) + mx;
    cr_loo_ws_free(own);
    return k;
}
