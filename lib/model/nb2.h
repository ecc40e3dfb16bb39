/* The negative binomial (NB2: mean mu, variance mu + mu^2 / phi) likelihood of a count series on
 * its cell sufficient statistics, with the derivatives the rate models need, and its pointwise
 * log pmf. Shared by nb_machine and (the same algebra) nbh. */
#ifndef CR_NB2_H
#define CR_NB2_H

#include <gsl/gsl_rng.h>

#include "model/cells.h"

/* Adds the likelihood of every cell at log rates eta[c] to *lp, without the per-second
 * lgamma(y + phi) - lgamma(phi) - lgamma(y + 1) terms: per cell (n seconds, total Y) it is
 * Y (eta - lse) + n phi (log phi - lse), lse = log(mu + phi). With g != NULL writes its
 * derivative in eta[c] into g[c] and adds phi times its derivative in phi to *dphi. */
void cr_nb2_cells(const cr_cells *c, const double *eta, double logphi, double *lp, double *g,
                  double *dphi);

/* lse - eta and lse - log phi, lse = log(exp(eta) + phi), without overflow. */
void cr_nb2_softplus(double eta, double logphi, double *lse_eta, double *lse_phi);

/* Adds sum over seconds of lgamma(y + phi) - lgamma(phi) to *lp (from the histogram) and phi
 * times its derivative in phi to *dphi. */
void cr_nb2_histogram(const cr_cells *c, double phi, double *lp, double *dphi);

/* lgamma(phi + y[i]) - lgamma(phi) into out[i] and phi times its derivative in phi into
 * dout[i], for n counts y[i] >= 0: the per-count terms of a likelihood that weighs each count
 * differently (the burst mixture's components), where cr_nb2_histogram only needs their sum. */
void cr_nb2_lgamma_ratios(int n, const double *y, double phi, double *out, double *dout);

/* For n log rates eta[i] at one log phi, the terms of the NB2 log pmf and its derivatives
 * (nb2_kernel.c, vectorized): lse_eta = log(mu + phi) - eta, lse_phi = log(mu + phi) - log phi,
 * p = mu / (mu + phi), q = 1 - p (each without cancellation), f = p - lse_phi. Then
 * log NB2(y) = lgamma ratio - lgamma(y + 1) - y lse_eta - phi lse_phi, its derivative in eta is
 * y q - phi p and in log phi (eta held) phi (psi(y + phi) - psi(phi)) - y q + phi f. */
typedef struct {
    double *lse_eta, *lse_phi, *p, *q, *f;
} cr_nb2_terms;

void cr_nb2_cell_terms(int n, const double *eta, double logphi, const cr_nb2_terms *t);

/* cr_effects_prefer_centred on each non-empty cell's Fisher information for its log rate, at
 * the cell's mean and a moment estimate of phi from the histogram (Poisson's, the total, when
 * the counts are not over-dispersed). */
int cr_nb2_prefer_centred(const cr_cells *c);

/* log NB2(y | exp(eta), phi), constants included. */
double cr_nb2_lpmf(int y, double eta, double phi);

/* Draws from NB2(exp(eta), phi) (phi = INFINITY: Poisson(exp(eta))), fast when consecutive
 * draws share (eta, phi), as the seconds of a machine-minute do: the sampler keeps the last
 * parameters' setup. Small means are drawn by inversion (one uniform and about mu steps of the
 * pmf recurrence); large ones as Poisson(Gamma(phi, mu / phi)) (common/poisson.h). Exact
 * either way up to the rounding of the cumulative sum; a count beyond INT_MAX comes back as
 * INT_MAX. Initialise with cr_nb2_sampler_init. */
typedef struct {
    double eta, phi;      /* parameters the setup is for */
    double mu, lp0, p0;   /* mean, log pmf(0), pmf(0) */
    double ratio;         /* pmf(y) / pmf(y - 1) = ratio (y - 1 + phi) / y (Poisson: ratio / y) */
    int inversion;
} cr_nb2_sampler;

void cr_nb2_sampler_init(cr_nb2_sampler *s);
int cr_nb2_draw(cr_nb2_sampler *s, double eta, double phi, gsl_rng *r);
/* The same conditional on a positive count (the zero-truncated NB2 of the hurdle model). */
int cr_nb2_draw_positive(cr_nb2_sampler *s, double eta, double phi, gsl_rng *r);

#endif
