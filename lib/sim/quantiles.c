#include "sim/quantiles.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cr_sim_sort(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
}

static double median3(double a, double b, double c)
{
    return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
}

void cr_sim_select(double *x, size_t n, size_t k)
{
    long lo = 0, hi = (long)n - 1, kk = (long)k;
    while (lo < hi) {
        double pivot = median3(x[lo], x[lo + (hi - lo) / 2], x[hi]);
        long i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i++] = x[j];
                x[j--] = t;
            }
        }
        /* now x[lo..j] <= pivot <= x[i..hi], and anything between equals the pivot */
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            return;
    }
}

/* The first index in [lo, hi) whose value is not below v (above v when `above`), or hi. */
static size_t bound(const double *x, size_t lo, size_t hi, double v, int above)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (above ? x[mid] <= v : x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* In units of one value, F_mid of a run of ties [a, b) is its middle (a + b) / 2; the run of
 * x[i] is found into *a, *b when they are not NULL. */
static double run_middle(const double *x, size_t n, size_t i, size_t *a, size_t *b)
{
    size_t lo = bound(x, 0, i, x[i], 0), hi = bound(x, i + 1, n, x[i], 1);
    if (a)
        *a = lo, *b = hi;
    return (lo + hi) / 2.0;
}

/* The run holding position t = p n and its neighbour on t's side bracket t, since a
 * neighbour's middle lies beyond the run's own end. */
cr_sim_midpoint cr_sim_midpoint_sorted(const double *x, size_t n, double p)
{
    double t = p * (double)n;
    size_t i = t < (double)n ? (size_t)t : n - 1, a, b;
    double mid = run_middle(x, n, i, &a, &b);
    if (t >= mid) {
        if (b == n)
            return (cr_sim_midpoint){x[i], x[i], 0};
        double next = run_middle(x, n, b, NULL, NULL);
        return (cr_sim_midpoint){x[i], x[b], (t - mid) / (next - mid)};
    }
    if (a == 0)
        return (cr_sim_midpoint){x[i], x[i], 0};
    double prev = run_middle(x, n, a - 1, NULL, NULL);
    return (cr_sim_midpoint){x[a - 1], x[i], (t - prev) / (mid - prev)};
}

double cr_sim_midquantile_sorted(const double *x, size_t n, double p)
{
    cr_sim_midpoint m = cr_sim_midpoint_sorted(x, n, p);
    return m.lo + m.w * (m.hi - m.lo);
}

double cr_sim_mid_cdf(const double *x, size_t n, const cr_sim_midpoint *m)
{
    size_t below_lo = 0, at_lo = 0, below_hi = 0, at_hi = 0;
    for (size_t i = 0; i < n; i++) {
        below_lo += x[i] < m->lo;
        at_lo += x[i] == m->lo;
        below_hi += x[i] < m->hi;
        at_hi += x[i] == m->hi;
    }
    double lo = below_lo + at_lo / 2.0, hi = below_hi + at_hi / 2.0;
    return (lo + m->w * (hi - lo)) / (double)n;
}

double cr_sim_mid_cdf_sorted(const double *x, size_t n, double q)
{
    if (q < x[0])
        return 0;
    if (q > x[n - 1])
        return 1;
    size_t a = bound(x, 0, n, q, 0), b = bound(x, 0, n, q, 1);
    if (a < b)
        return (a + b) / 2.0 / (double)n;
    /* q between the distinct values x[a - 1] < q < x[a]: interpolate their runs' middles */
    double lo = x[a - 1], hi = x[a];
    double flo = run_middle(x, n, a - 1, NULL, NULL), fhi = run_middle(x, n, a, NULL, NULL);
    return (flo + (q - lo) / (hi - lo) * (fhi - flo)) / (double)n;
}

void cr_sim_summarize(double *x, size_t n, cr_sim_summary *s)
{
    cr_sim_sort(x, n);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    s->n = n;
    s->mean = sum / n;
    s->q50 = cr_sim_midquantile_sorted(x, n, 0.5);
    s->q90 = cr_sim_midquantile_sorted(x, n, 0.9);
    s->q95 = cr_sim_midquantile_sorted(x, n, 0.95);
    s->q99 = cr_sim_midquantile_sorted(x, n, 0.99);
    s->q999 = cr_sim_midquantile_sorted(x, n, 0.999);
    s->max = x[n - 1];
}
