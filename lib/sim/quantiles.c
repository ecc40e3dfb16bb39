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

double cr_sim_quantile_sorted(const double *x, size_t n, double p)
{
    double h = (n - 1) * p, lo = floor(h);
    size_t i = (size_t)lo;
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (h - lo) * (x[i + 1] - x[i]);
}

void cr_sim_summarize(double *x, size_t n, cr_sim_summary *s)
{
    cr_sim_sort(x, n);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    s->n = n;
    s->mean = sum / n;
    s->q50 = cr_sim_quantile_sorted(x, n, 0.5);
    s->q90 = cr_sim_quantile_sorted(x, n, 0.9);
    s->q95 = cr_sim_quantile_sorted(x, n, 0.95);
    s->q99 = cr_sim_quantile_sorted(x, n, 0.99);
    s->q999 = cr_sim_quantile_sorted(x, n, 0.999);
    s->max = x[n - 1];
}
