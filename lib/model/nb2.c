#include "model/nb2.h"

#include <math.h>

#include <stdlib.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

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

/* x/(1+x) - log1p(x), by its series where the two terms nearly cancel. */
static double p_minus_log1p(double x)
{
    if (x < 1e-3)
        return x * x * (-0.5 + x * (2.0 / 3 + x * (-0.75 + x * 0.8)));
    return x / (1 + x) - log1p(x);
}

/* With lse = log(mu + phi), p = mu / (mu + phi) and q = 1 - p: lse - eta, lse - log phi, q,
 * mu q and p - (lse - log phi), from the sign-split softplus so that neither tail overflows. */
typedef struct {
    double lse_eta, lse_phi, q, mq, f;
} nb2_terms;

static nb2_terms terms(double eta, double logphi)
{
    nb2_terms t;
    const double phi = exp(logphi), dd = eta - logphi;
    if (dd < 0) {
        double x = exp(dd); /* mu / phi */
        t.lse_phi = log1p(x);
        t.lse_eta = t.lse_phi - dd;
        t.q = 1 / (1 + x);
        t.mq = phi * x * t.q;
        t.f = p_minus_log1p(x);
    } else {
        double u = exp(-dd); /* phi / mu */
        t.lse_eta = log1p(u);
        t.lse_phi = dd + t.lse_eta;
        t.q = u / (1 + u);
        t.mq = phi / (1 + u);
        t.f = 1 / (1 + u) - t.lse_phi;
    }
    return t;
}

void cr_nb2_cells(const cr_cells *c, const double *eta, double logphi, double *lp, double *g,
                  double *dphi)
{
    const double phi = exp(logphi);
    double v = 0, gp = 0;
    for (int i = 0; i < c->ncells; i++) {
        const double n = c->cell_n[i], Y = c->cell_y[i];
        nb2_terms t = terms(eta[i], logphi);
        v -= Y * t.lse_eta + n * phi * t.lse_phi;
        if (g) {
            g[i] = Y * t.q - n * t.mq;
            gp += -Y * t.q + n * phi * t.f;
        }
    }
    *lp += v;
    *dphi += gp;
}

double cr_nb2_lpmf(int y, double eta, double phi)
{
    nb2_terms t = terms(eta, log(phi));
    double lg, da;
    if (y == 0)
        lg = 0;
    else if (phi >= STIRLING_PHI)
        lg = lgamma_ratio_stirling(phi, y, &da);
    else
        lg = gsl_sf_lngamma(phi + y) - gsl_sf_lngamma(phi);
    return lg - gsl_sf_lnfact((unsigned)y) - y * t.lse_eta - phi * t.lse_phi;
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
