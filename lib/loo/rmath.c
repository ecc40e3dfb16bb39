/* The few R and matrixStats reductions loo's numbers go through. R accumulates in long
 * double; four double accumulators keep the results within ~1e-15 of R's (tested to 1e-6
 * against R; with long double these loops took a third of the run time). */
#include <math.h>

#include "loo/loo_internal.h"

/* sum(exp(x - shift)) over x[0..n-1] */
static double sum_exp(const double *x, size_t n, double shift)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += exp(x[i] - shift);
        s1 += exp(x[i + 1] - shift);
        s2 += exp(x[i + 2] - shift);
        s3 += exp(x[i + 3] - shift);
    }
    for (; i < n; i++) s0 += exp(x[i] - shift);
    return (s0 + s1) + (s2 + s3);
}

/* sum((x - m)^p) for p = 1 or 2 */
static double sum_dev(const double *x, size_t n, double m, int p)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double d0 = x[i] - m, d1 = x[i + 1] - m, d2 = x[i + 2] - m, d3 = x[i + 3] - m;
        s0 += p == 2 ? d0 * d0 : d0;
        s1 += p == 2 ? d1 * d1 : d1;
        s2 += p == 2 ? d2 * d2 : d2;
        s3 += p == 2 ? d3 * d3 : d3;
    }
    for (; i < n; i++) s0 += p == 2 ? (x[i] - m) * (x[i] - m) : x[i] - m;
    return (s0 + s1) + (s2 + s3);
}

double cr_loo_logsumexp(const double *x, size_t n)
{
    if (n == 0) return -INFINITY;
    size_t imax = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return NAN;
        if (x[i] > x[imax]) imax = i;
    }
    double mx = x[imax];
    if (n == 1 || isinf(mx)) return mx;
    /* as matrixStats: the maximum stays out of the sum, log1p keeps the precision near 0 */
    return mx + log1p(sum_exp(x, imax, mx) + sum_exp(x + imax + 1, n - imax - 1, mx));
}

double cr_loo_rsum(const double *x, size_t n)
{
    return sum_dev(x, n, 0, 1);
}

double cr_loo_rmean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double m = cr_loo_rsum(x, n) / (double)n;
    if (isfinite(m)) m += sum_dev(x, n, m, 1) / (double)n;
    return m;
}

double cr_loo_rvar(const double *x, size_t n)
{
    if (n < 2) return NAN;
    return sum_dev(x, n, cr_loo_rmean(x, n), 2) / (double)(n - 1);
}
