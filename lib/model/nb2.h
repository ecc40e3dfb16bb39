/* The negative binomial (NB2: mean mu, variance mu + mu^2 / phi) likelihood of a count series on
 * its cell sufficient statistics, with the derivatives the rate models need, and its pointwise
 * log pmf. Shared by nb_machine and (the same algebra) nbh. */
#ifndef CR_NB2_H
#define CR_NB2_H

#include "model/cells.h"

/* Adds the likelihood of every cell at log rates eta[c] to *lp, without the per-second
 * lgamma(y + phi) - lgamma(phi) - lgamma(y + 1) terms: per cell (n seconds, total Y) it is
 * Y (eta - lse) + n phi (log phi - lse), lse = log(mu + phi). With g != NULL writes its
 * derivative in eta[c] into g[c] and adds phi times its derivative in phi to *dphi. */
void cr_nb2_cells(const cr_cells *c, const double *eta, double logphi, double *lp, double *g,
                  double *dphi);

/* Adds sum over seconds of lgamma(y + phi) - lgamma(phi) to *lp (from the histogram) and phi
 * times its derivative in phi to *dphi. */
void cr_nb2_histogram(const cr_cells *c, double phi, double *lp, double *dphi);

/* cr_effects_prefer_centred on each non-empty cell's Fisher information for its log rate, at
 * the cell's mean and a moment estimate of phi from the histogram (Poisson's, the total, when
 * the counts are not over-dispersed). */
int cr_nb2_prefer_centred(const cr_cells *c);

/* log NB2(y | exp(eta), phi), constants included. */
double cr_nb2_lpmf(int y, double eta, double phi);

#endif
