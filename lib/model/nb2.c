#include "model/nb2.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "common/poisson.h"
#include "common/xalloc.h"
#include "model/effects.h"

/* Above this phi, lgamma(phi + y) - lgamma(phi) and psi(phi + y) - psi(phi) come from the
 * differenced Stirling series: differencing two huge lgamma values would lose the digits that
 * matter (the terms left out are below 1e-15 relative here). */
#define STIRLING_PHI 1e4

/* lgamma(a + y) - lgamma(a) for a >= STIRLING_PHI, and a (psi(a + y) - psi(a)) in *da */
static double lgamma_ratio_stirling(double a, double y, double *da)
{
    double r = y / a;
    *da = a * (log1p(r) + y / (2 * a * (a + y)) +
               y * (2 * a + y) / (12 * a * a * (a + y) * (a + y)));
    return (a - 0.5) * log1p(r) + y * log(a + y) - y - y / (12 * a * (a + y));
}

void cr_nb2_histogram(const cr_cells *c, double phi, double *lp, double *dphi)
{
    double v = 0, g = 0;
    if (phi >= STIRLING_PHI) {
        for (int i = 0; i < c->ndistinct; i++) {
            double da, l = lgamma_ratio_stirling(phi, c->hist_y[i], &da);
            v += c->hist_n[i] * l;
            g += c->hist_n[i] * da;
        }
    } else {
        double nsum = 0;
        for (int i = 0; i < c->ndistinct; i++) {
            v += c->hist_n[i] * gsl_sf_lngamma(phi + c->hist_y[i]);
            g += c->hist_n[i] * gsl_sf_psi(phi + c->hist_y[i]);
            nsum += c->hist_n[i];
        }
        if (nsum > 0) {
            v -= nsum * gsl_sf_lngamma(phi);
            g = phi * (g - nsum * gsl_sf_psi(phi));
        }
    }
    *lp += v;
    *dphi += g;
}

void cr_nb2_lgamma_ratios(int n, const double *y, double phi, double *out, double *dout)
{
    const int stirling = phi >= STIRLING_PHI;
    const double lg = stirling ? 0 : gsl_sf_lngamma(phi), ps = stirling ? 0 : gsl_sf_psi(phi);
    for (int i = 0; i < n; i++) {
        if (y[i] == 0)
            out[i] = dout[i] = 0;
        else if (stirling)
            out[i] = lgamma_ratio_stirling(phi, y[i], &dout[i]);
        else {
            out[i] = gsl_sf_lngamma(phi + y[i]) - lg;
            dout[i] = phi * (gsl_sf_psi(phi + y[i]) - ps);
        }
    }
}

/* lgamma(phi + y) - lgamma(phi) for one count: for small y the log of the rising factorial,
 * which is cheaper than two lgammas and more accurate than their difference. */
static double lgamma_ratio(double phi, int y)
{
    enum { RISING_MAX = 12 }; /* (STIRLING_PHI + 12)^12 is far from overflow */
    double da;
    if (y == 0)
        return 0;
    if (phi >= STIRLING_PHI)
        return lgamma_ratio_stirling(phi, y, &da);
    if (y <= RISING_MAX) {
        double p = phi;
        for (int j = 1; j < y; j++)
            p *= phi + j;
        return log(p);
    }
    return gsl_sf_lngamma(phi + y) - gsl_sf_lngamma(phi);
}

double cr_nb2_lpmf(int y, double eta, double phi)
{
    double lse_eta, lse_phi;
    cr_nb2_softplus(eta, log(phi), &lse_eta, &lse_phi);
    return lgamma_ratio(phi, y) - gsl_sf_lnfact((unsigned)y) - y * lse_eta - phi * lse_phi;
}

/* Above this mean inversion walks too many steps; the gamma-Poisson mixture is then cheaper. */
#define INVERSION_MAX_MU 30.0

void cr_nb2_sampler_init(cr_nb2_sampler *s)
{
    s->eta = s->phi = NAN;
}

static void sampler_setup(cr_nb2_sampler *s, double eta, double phi)
{
    s->eta = eta;
    s->phi = phi;
    s->mu = exp(eta);
    s->inversion = s->mu <= INVERSION_MAX_MU;
    s->lp0 = isinf(phi) ? -s->mu : -phi * log1p(s->mu / phi);
    s->p0 = exp(s->lp0);
    s->ratio = isinf(phi) ? s->mu : s->mu / (s->mu + phi);
}

/* A count beyond INT_MAX (a replicate of a data set whose counts are ints) is returned as
 * INT_MAX: converting it would be undefined. */
static int draw_mixture(const cr_nb2_sampler *s, gsl_rng *r)
{
    double rate = isinf(s->phi) ? s->mu : gsl_ran_gamma(r, s->phi, s->mu / s->phi);
    double y = cr_poisson(r, rate);
    return y < INT_MAX ? (int)y : INT_MAX;
}

/* The smallest y >= y0 whose probability summed from y0 reaches u, walking up from pmf(y0) = p;
 * -1 when rounding left the sum short of u. */
static int invert(const cr_nb2_sampler *s, int y0, double p, double u)
{
    const int cap = 1000 + (int)(50 * s->mu);
    double F = p;
    int y = y0;
    while (u > F) {
        y++;
        p *= isinf(s->phi) ? s->ratio / y : s->ratio * (y - 1 + s->phi) / y;
        F += p;
        if (y > cap || p == 0)
            return -1;
    }
    return y;
}

int cr_nb2_draw(cr_nb2_sampler *s, double eta, double phi, gsl_rng *r)
{
    if (eta != s->eta || phi != s->phi)
        sampler_setup(s, eta, phi);
    if (s->inversion) {
        int y = invert(s, 0, s->p0, gsl_rng_uniform(r));
        if (y >= 0)
            return y;
    }
    return draw_mixture(s, r);
}

int cr_nb2_draw_positive(cr_nb2_sampler *s, double eta, double phi, gsl_rng *r)
{
    if (eta != s->eta || phi != s->phi)
        sampler_setup(s, eta, phi);
    if (s->inversion) {
        /* P(y > 0) without cancellation, so that even a tiny mean draws from the right tail */
        double ppos = -expm1(s->lp0);
        double p1 = s->p0 * (isinf(phi) ? s->mu : s->ratio * phi);
        int y = invert(s, 1, p1, gsl_rng_uniform(r) * ppos);
        if (y >= 1)
            return y;
    }
    int y;
    do
        y = draw_mixture(s, r);
    while (y == 0);
    return y;
}

int cr_nb2_prefer_centred(const cr_cells *c)
{
    if (c->nseconds == 0)
        return 0;
    double m = (double)c->total / (double)c->nseconds, m2 = 0;
    for (int i = 0; i < c->ndistinct; i++)
        m2 += c->hist_n[i] * c->hist_y[i] * c->hist_y[i];
    double var = m2 / (double)c->nseconds - m * m;
    double phi = var > m ? m * m / (var - m) : INFINITY;
    double *info = xmalloc((size_t)(c->ncells + 1) * sizeof(double));
    int n = 0;
    for (int i = 0; i < c->ncells; i++)
        if (c->cell_n[i] > 0) {
            double mi = c->cell_y[i] / c->cell_n[i];
            info[n++] = isinf(phi) ? c->cell_y[i] : c->cell_n[i] * mi * phi / (mi + phi);
        }
    int centred = cr_effects_prefer_centred(info, n);
    free(info);
    return centred;
}
