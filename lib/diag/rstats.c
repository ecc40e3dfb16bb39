/* Basic statistics computed the way R computes them: R's refinement pass for the mean, the
 * n - 1 variance. R accumulates in long double; plain doubles keep the results within ~1e-15
 * of R's at a fraction of the cost (x87 long double dominated the run time). */
#include <float.h>
#include <math.h>

#include "diag/diag_internal.h"

/* Sums with four accumulators: a single running sum is bound by the add latency, and the
 * summation order only moves results at the 1e-16 level. */
double cr_diag_sum(const double *x, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
    }
    for (; i < n; i++) s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}

/* sum((x - m)^2), likewise */
double cr_diag_sumsq(const double *x, size_t n, double m)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double d0 = x[i] - m, d1 = x[i + 1] - m, d2 = x[i + 2] - m, d3 = x[i + 3] - m;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; i++) s0 += (x[i] - m) * (x[i] - m);
    return (s0 + s1) + (s2 + s3);
}

double cr_diag_mean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double s = cr_diag_sum(x, n) / (double)n;
    if (isfinite(s)) {
        double t0 = 0, t1 = 0;
        size_t i = 0;
        for (; i + 2 <= n; i += 2) {
            t0 += x[i] - s;
            t1 += x[i + 1] - s;
        }
        for (; i < n; i++) t0 += x[i] - s;
        s += (t0 + t1) / (double)n;
    }
    return s;
}

double cr_diag_col_mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

double cr_diag_var(const double *x, size_t n)
{
    if (n < 2) return NAN;
    return cr_diag_sumsq(x, n, cr_diag_mean(x, n)) / (double)(n - 1);
}

int cr_diag_return_na(const double *x, size_t n)
{
    if (n == 0) return 1;
    double lo0 = x[0], lo1 = x[0], hi0 = x[0], hi1 = x[0];
    int finite = 1;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        lo0 = x[i] < lo0 ? x[i] : lo0;
        hi0 = x[i] > hi0 ? x[i] : hi0;
        lo1 = x[i + 1] < lo1 ? x[i + 1] : lo1;
        hi1 = x[i + 1] > hi1 ? x[i + 1] : hi1;
        finite &= isfinite(x[i]) & isfinite(x[i + 1]);
    }
    for (; i < n; i++) {
        lo0 = x[i] < lo0 ? x[i] : lo0;
        hi0 = x[i] > hi0 ? x[i] : hi0;
        finite &= isfinite(x[i]);
    }
    return !finite || fabs(fmax(hi0, hi1) - fmin(lo0, lo1)) < DBL_EPSILON;
}

double cr_diag_median_sorted(const double *s, size_t n)
{
    if (n == 0) return NAN;
    size_t half = (n + 1) / 2;
    if (n % 2 == 1) return s[half - 1];
    return cr_diag_mean(s + half - 1, 2);
}

double cr_diag_quantile_sorted(const double *s, size_t n, double prob)
{
    if (n == 0) return NAN;
    double index = 1 + (double)(n - 1) * prob;
    double lo = floor(index), hi = ceil(index);
    double q = s[(size_t)lo - 1];
    if (index > lo && s[(size_t)hi - 1] != q) {
        double h = index - lo;
        q = (1 - h) * q + h * s[(size_t)hi - 1];
    }
    return q;
}
