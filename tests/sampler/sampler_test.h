/* Target densities with analytic moments and a Monte Carlo error estimate for the sampler
 * tests. Header-only: each test binary is built from a single test_*.c. */
#ifndef CR_SAMPLER_TEST_H
#define CR_SAMPLER_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"
#include "sampler/chains.h"

/* x = mu + sd .* z with z ~ N(0, R), R_ij = rho^|i-j| (AR(1) correlation, n >= 2 when
 * rho != 0): its precision is tridiagonal, so log density and gradient cost O(n). */
typedef struct {
    int n;
    double rho;
    double *mu, *sd;
} gauss;

static inline double gauss_logp(const cr_model *m, const double *x, double *grad,
                                void *scratch)
{
    const gauss *G = m->data;
    double *z = scratch, r = G->rho, k = 1.0 / (1.0 - r * r), lp = 0;
    int n = G->n;
    for (int i = 0; i < n; i++)
        z[i] = (x[i] - G->mu[i]) / G->sd[i];
    for (int i = 0; i < n; i++) {
        double d = (i == 0 || i == n - 1) ? 1 : 1 + r * r;
        double qz = k * (d * z[i] - r * ((i > 0 ? z[i - 1] : 0) + (i < n - 1 ? z[i + 1] : 0)));
        lp -= 0.5 * z[i] * qz;
        if (grad)
            grad[i] = -qz / G->sd[i];
    }
    return lp;
}

static inline void identity_constrain(const cr_model *m, const double *x, double *out)
{
    for (int i = 0; i < m->dim; i++)
        out[i] = x[i];
}

static inline void x_name(const cr_model *m, int i, char *buf, size_t n)
{
    snprintf(buf, n, "x[%d]", i + 1);
}

static inline cr_model gauss_model(gauss *G)
{
    cr_model m = {.dim = G->n, .logp = gauss_logp, .scratch_size = G->n * sizeof(double),
                  .nout = G->n, .name = x_name, .constrain = identity_constrain, .data = G};
    return m;
}

/* n-dimensional AR(1) Gaussian, mean mu_i = i / 10 - 2, marginal sd 1. */
static inline gauss *ar1_gauss(int n, double rho)
{
    gauss *G = calloc(1, sizeof *G);
    G->n = n;
    G->rho = rho;
    G->mu = calloc(n, sizeof *G->mu);
    G->sd = calloc(n, sizeof *G->sd);
    for (int i = 0; i < n; i++) {
        G->mu[i] = i / 10.0 - 2;
        G->sd[i] = 1;
    }
    return G;
}

static inline void gauss_free(gauss *G)
{
    free(G->mu);
    free(G->sd);
    free(G);
}

/* Effective sample size of x[(c * S + i) * stride + off] over C chains of S draws, with the
 * multi-chain autocorrelation estimate and Geyer's initial monotone sequence (as in Stan's
 * ess_bulk, without rank normalisation). */
static inline double ess(const double *x, int C, int S, int stride, int off)
{
    double *mean = calloc(C, sizeof *mean), W = 0, gm = 0, B = 0;
#define X(c, i) x[((size_t)(c) * S + (i)) * stride + off]
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < S; i++)
            mean[c] += X(c, i);
        mean[c] /= S;
        gm += mean[c] / C;
        double v = 0;
        for (int i = 0; i < S; i++)
            v += (X(c, i) - mean[c]) * (X(c, i) - mean[c]);
        W += v / (S - 1) / C;
    }
    for (int c = 0; c < C && C > 1; c++)
        B += (mean[c] - gm) * (mean[c] - gm) / (C - 1);
    double var_plus = W * (S - 1) / S + B, tau = -1, prev_pair = INFINITY;
    double *rho = calloc(S, sizeof *rho);
    for (int t = 0; t < S; t++) {
        double acov = 0;
        for (int c = 0; c < C; c++) {
            double a = 0;
            for (int i = 0; i + t < S; i++)
                a += (X(c, i) - mean[c]) * (X(c, i + t) - mean[c]);
            acov += a / S / C;
        }
        rho[t] = t == 0 ? 1 : 1 - (W - acov) / var_plus;
        if (t % 2 == 1) {
            double pair = rho[t - 1] + rho[t];
            if (pair <= 0)
                break;
            if (pair > prev_pair)
                pair = prev_pair;
            prev_pair = pair;
            tau += 2 * pair;
        }
    }
#undef X
    free(rho);
    free(mean);
    return (double)C * S / tau;
}

/* z-scores of the sample mean and variance of output j against the truth, with Monte Carlo
 * standard errors from the ESS of x and of (x - mu)^2. */
typedef struct {
    double mean, var, z_mean, z_var, ess_mean, ess_var;
} moment_check;

static inline moment_check check_moments(const cr_chains_result *r, int j, double mu,
                                         double var)
{
    int C = r->chains, S = r->samples;
    size_t N = (size_t)C * S;
    double *sq = malloc(N * sizeof *sq), m = 0, msq = 0, v1 = 0, v2 = 0;
    for (size_t k = 0; k < N; k++) {
        double x = r->draws[k * r->nout + j];
        sq[k] = (x - mu) * (x - mu);
        m += x / N;
        msq += sq[k] / N;
    }
    for (size_t k = 0; k < N; k++) {
        double x = r->draws[k * r->nout + j];
        v1 += (x - m) * (x - m) / (N - 1);
        v2 += (sq[k] - msq) * (sq[k] - msq) / (N - 1);
    }
    moment_check mc = {.mean = m, .var = v1};
    mc.ess_mean = ess(r->draws, C, S, r->nout, j);
    mc.ess_var = ess(sq, C, S, 1, 0);
    mc.z_mean = (m - mu) / sqrt(v1 / mc.ess_mean);
    mc.z_var = (msq - var) / sqrt(v2 / mc.ess_var);
    free(sq);
    return mc;
}

#endif
