/* Quantile ESS and the Monte Carlo standard errors built on the ESS, as posterior computes
 * them. */
#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include "diag/diag_internal.h"

double cr_diag_ess_quantile_sorted(cr_diag_ws *ws, const double *x, int chains, int n,
                                   double prob)
{
    size_t s = (size_t)chains * n;
    /* should_return_NA(x) on the sorted copy: cheaper, same answer */
    if (s == 0 || !isfinite(ws->sorted[0]) || !isfinite(ws->sorted[s - 1]) ||
        fabs(ws->sorted[s - 1] - ws->sorted[0]) < DBL_EPSILON)
        return NAN;
    if (prob == 1) prob = ((double)s - 0.5) / (double)s;
    double q = cr_diag_quantile_sorted(ws->sorted, s, prob);
    double *mat = ws->mat;
    cr_split sp = cr_diag_split_plain(x, chains, n, mat);
    for (size_t i = 0; i < (size_t)sp.cols * sp.len; i++) mat[i] = mat[i] <= q;
    return cr_diag_ess_mat(ws, mat, sp);
}

/* Regularized incomplete beta I_x(a, b) by its continued fraction (DLMF 8.17.22, modified
 * Lentz), on the side of the mean where it converges fast. Written here rather than taken
 * from GSL because gsl_cdf_beta_Pinv fails (and GSL's default handler aborts) for the shape
 * parameters large ESS values give. */
static double pbeta(double x, double a, double b, double lnbeta)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    if (x > (a + 1) / (a + b + 2)) return 1 - pbeta(1 - x, b, a, lnbeta);
    /* K = 1 / (1 + d1 / (1 + d2 / (1 + ...))), K's first numerator is 1 */
    const double tiny = 1e-300;
    double f = tiny, c = tiny, d = 0;
    for (int i = 0; i < 100000; i++) {
        int m = i / 2;
        double num;
        if (i == 0) num = 1;
        else if (i % 2 == 0) num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
        d = 1 + num * d;
        if (fabs(d) < tiny) d = tiny;
        d = 1 / d;
        c = 1 + num / c;
        if (fabs(c) < tiny) c = tiny;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1) <= 2 * DBL_EPSILON) break;
    }
    return exp(a * log(x) + b * log1p(-x) - lnbeta - log(a)) * f;
}

/* R's qbeta(p, a, b): Newton steps kept inside a bisection bracket. */
static double qbeta(double p, double a, double b)
{
    double lnbeta = gsl_sf_lnbeta(a, b);
    double mean = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    double x = mean + gsl_cdf_ugaussian_Pinv(p) * sd, lo = 0, hi = 1;
    if (!(x > 0 && x < 1)) x = mean;
    for (int it = 0; it < 200; it++) {
        double f = pbeta(x, a, b, lnbeta) - p;
        if (f == 0) return x;
        if (f < 0) lo = x;
        else hi = x;
        double dens = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - lnbeta);
        double next = x - f / dens;
        if (!(next > lo && next < hi)) next = (lo + hi) / 2;
        if (fabs(next - x) <= 4 * DBL_EPSILON * x || hi - lo <= 4 * DBL_EPSILON * x)
            return next;
        x = next;
    }
    return x;
}

double cr_diag_mcse_quantile_sorted(size_t s, const double *sorted, double ess, double prob)
{
    if (isnan(ess)) return NAN;
    /* posterior's +-1 sd normal probabilities, as literally written there */
    double a1 = qbeta(0.1586553, ess * prob + 1, ess * (1 - prob) + 1);
    double a2 = qbeta(0.8413447, ess * prob + 1, ess * (1 - prob) + 1);
    double i1 = fmax(floor(a1 * (double)s), 1), i2 = fmin(ceil(a2 * (double)s), (double)s);
    return (sorted[(size_t)i2 - 1] - sorted[(size_t)i1 - 1]) / 2;
}
