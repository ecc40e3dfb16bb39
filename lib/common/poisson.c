#include "common/poisson.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

/* A uniform on (0, 1) from two outputs: PTRS spreads its uniform over about 2.5 sqrt(mu)
 * counts, so one 32-bit output (mt19937's resolution) would reach only a lattice of counts
 * 2.5 sqrt(mu) / 2^32 apart, a visible unevenness from mu near 1e12 on. The second output
 * refines the first one's grid (for generators whose gsl_rng_uniform is an integer over its
 * range, as mt19937's is), leaving the 53 bits of a double. 0 and 1 (the sum rounded up) are
 * drawn again: both have probability below 2^-53 and would divide by 0 below. */
static double fine_uniform(gsl_rng *r)
{
    const double step = 1 / ((double)(gsl_rng_max(r) - gsl_rng_min(r)) + 1);
    double u;
    do
        u = gsl_rng_uniform(r) + gsl_rng_uniform(r) * step;
    while (!(u > 0 && u < 1));
    return u;
}

/* x log(x / m) + m - x for x > 0, given d = x - m exactly (Loader's bd0). Near x = m the
 * direct form subtracts terms of size x to leave one of size d^2 / x; the series
 * x log((1 + v) / (1 - v)) - d = d v + 2 x (v^3 / 3 + v^5 / 5 + ...), v = d / (x + m), keeps
 * every digit. Halves keep x + m and 2 x finite up to the largest double. */
static double bd0(double x, double m, double d)
{
    const double half_sum = 0.5 * x + 0.5 * m;
    if (fabs(d) < 0.2 * half_sum) {
        double v = 0.5 * d / half_sum, v2 = v * v, term = x * (d / half_sum), sum = d * v;
        for (int i = 3;; i += 2) {
            term *= v2;
            double next = sum + term / i;
            if (next == sum)
                return next;
            sum = next;
        }
    }
    return x * log1p(d / m) - d;
}

/* log k! - ((k + 1/2) log k - k + log(2 pi) / 2) for an integer k >= 1: directly while that
 * loses nothing that matters (the terms are below 50), then Stirling's series, whose next term
 * (691 / (360360 k^11)) is below 1e-16 from k = 16. */
static double stirlerr(double k)
{
    if (k < 16)
        return gsl_sf_lnfact((unsigned)k) - ((k + 0.5) * log(k) - k + 0.5 * log(2 * M_PI));
    double n2 = 1 / (k * k);
    return (1.0 / 12 - n2 * (1.0 / 360 - n2 * (1.0 / 1260 - n2 * (1.0 / 1680 - n2 / 1188)))) /
           k;
}

/* log Poisson(k | mu) for k = base + j and mu = base + frac (base = floor(mu)), in the saddle
 * point form -bd0(k, mu) - log(2 pi k) / 2 - stirlerr(k): every term stays of the size of the
 * result, where -mu + k log mu - log k! would cancel terms of 3.5e16 at mu = 1e15 and lose
 * whole units of the log. */
static double log_pmf(double base, double j, double frac)
{
    double k = base + j;
    if (k == 0)
        return -(base + frac);
    return -bd0(k, base + frac, j - frac) - 0.5 * (log(2 * M_PI) + log(k)) - stirlerr(k);
}

double cr_poisson_ptrs(gsl_rng *r, double mu)
{
    /* Hormann's constants: the hat's width b and tail a, its normalization 1/alpha, and the
     * squeeze: where us >= 0.07, any V <= v_r lies under the pmf and accepts at once */
    const double b = 0.931 + 2.53 * sqrt(mu), a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = log(1.1239 + 1.1328 / (b - 3.4));
    const double v_r = 0.9277 - 3.6224 / (b - 2);
    /* The count is base + j with j drawn around frac: j stays small while base can be far
     * beyond 2^53, so the proposal loses no digits to the size of mu. */
    const double base = floor(mu), frac = mu - base;
    for (;;) {
        double U = fine_uniform(r) - 0.5, V = gsl_rng_uniform(r), us = 0.5 - fabs(U);
        double j = floor((2 * a / us + b) * U + frac + 0.43);
        if (us >= 0.07 && V <= v_r)
            return base + j;
        if (base + j < 0 || (us < 0.013 && V > us))
            continue;
        if (log(V) + log_inv_alpha - log(a / (us * us) + b) <= log_pmf(base, j, frac))
            return base + j;
    }
}

double cr_poisson(gsl_rng *r, double mu)
{
    if (!(mu > 0))
        return isnan(mu) ? mu : 0;
    if (mu < CR_POISSON_GSL_MAX)
        return gsl_ran_poisson(r, mu);
    if (isinf(mu))
        return mu;
    return cr_poisson_ptrs(r, mu);
}
