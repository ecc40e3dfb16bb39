/* Basic statistics computed the way R computes them: R's refinement pass for the mean, the
 * n - 1 variance. R accumulates in long double; plain doubles keep the results within ~1e-15
 * of R's at a fraction of the cost (x87 long double dominated the run time). */
#include <float.h>
#include <math.h>

#include "diag/diag_internal.h"

double cr_diag_mean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    s /= (double)n;
    if (isfinite(s)) {
        double t = 0;
        for (size_t i = 0; i < n; i++) t += x[i] - s;
        s += t / (double)n;
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
    double m = cr_diag_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        s += d * d;
    }
    return s / (double)(n - 1);
}

int cr_diag_return_na(const double *x, size_t n)
{
    if (n == 0) return 1;
    double lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return 1;
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    return fabs(hi - lo) < DBL_EPSILON;
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
