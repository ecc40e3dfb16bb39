/* The per-cell NB2 likelihood, the inner loop of every rate model's gradient. The Makefile
 * builds this file alone with -ffast-math and OpenMP SIMD, so that GCC vectorizes the loop with
 * glibc's vector exp and log1p (libmvec, within 4 ulp), and target_clones picks the AVX2 variant
 * where the CPU has it: about 4x the scalar loop. Nothing here may rely on NaN or infinity
 * (fast-math assumes neither); the callers test their inputs and outputs. */
#include "model/nb2.h"

#include <math.h>
#include <stdlib.h>

#include "common/xalloc.h"

/* With dd = eta - log phi, a = exp(-|dd|) and lse = log(mu + phi), p = mu / (mu + phi),
 * q = 1 - p: lse - log phi = max(dd, 0) + log1p(a) (softplus, neither tail overflows), and
 * p, q are a / (1 + a) or 1 / (1 + a) by the sign of dd, so neither cancels. f is
 * p - (lse - log phi), by its series where the two nearly cancel (small mu / phi). */
typedef struct {
    double lse_eta, lse_phi, p, q, f;
} nb2_terms;

static inline nb2_terms terms(double eta, double logphi)
{
    nb2_terms t;
    const double dd = eta - logphi, a = exp(-fabs(dd)), r = 1 / (1 + a);
    const int below = dd < 0;
    t.lse_phi = fmax(dd, 0) + log1p(a);
    t.lse_eta = t.lse_phi - dd;
    t.q = below ? r : a * r;
    t.p = below ? a * r : r;
    t.f = below && a < 1e-3 ? a * a * (-0.5 + a * (2.0 / 3 + a * (-0.75 + a * 0.8)))
                            : t.p - t.lse_phi;
    return t;
}

void cr_nb2_softplus(double eta, double logphi, double *lse_eta, double *lse_phi)
{
    nb2_terms t = terms(eta, logphi);
    *lse_eta = t.lse_eta;
    *lse_phi = t.lse_phi;
}

__attribute__((target_clones("avx2", "default"))) void
cr_nb2_cell_terms(int n, const double *restrict eta, double logphi, const cr_nb2_terms *t)
{
    double *restrict le = t->lse_eta, *restrict lf = t->lse_phi, *restrict p = t->p;
    double *restrict q = t->q, *restrict f = t->f;
#pragma omp simd
    for (int i = 0; i < n; i++) {
        nb2_terms x = terms(eta[i], logphi);
        le[i] = x.lse_eta;
        lf[i] = x.lse_phi;
        p[i] = x.p;
        q[i] = x.q;
        f[i] = x.f;
    }
}

__attribute__((target_clones("avx2", "default"))) static void
cells(int n, const double *restrict cell_n, const double *restrict cell_y,
      const double *restrict eta, double logphi, double phi, double *restrict g, double *lp,
      double *dphi)
{
    double v = 0, gp = 0;
#pragma omp simd reduction(+ : v, gp)
    for (int i = 0; i < n; i++) {
        nb2_terms t = terms(eta[i], logphi);
        v -= cell_y[i] * t.lse_eta + cell_n[i] * phi * t.lse_phi;
        g[i] = cell_y[i] * t.q - cell_n[i] * phi * t.p;
        gp += -cell_y[i] * t.q + cell_n[i] * phi * t.f;
    }
    *lp = v;
    *dphi = gp;
}

void cr_nb2_cells(const cr_cells *c, const double *eta, double logphi, double *lp, double *g,
                  double *dphi)
{
    /* one loop for both uses: without a gradient it goes to scratch (rare: NUTS wants it) */
    double v, gp, *out = g ? g : xmalloc((size_t)(c->ncells + 1) * sizeof(double));
    cells(c->ncells, c->cell_n, c->cell_y, eta, logphi, exp(logphi), out, &v, &gp);
    *lp += v;
    if (g)
        *dphi += gp;
    else
        free(out);
}
