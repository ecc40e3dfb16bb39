/* Connection durations of one protocol: a zero-duration class and a K-component lognormal
 * mixture with right censoring, K = 1 to CR_DUR_KMAX (models/duration.stan is the same model in
 * Stan, K as data; docs/durations.md). With r the timestamps' resolution (duration/data.h):
 *   D < r                                         with probability p0 (the zero class)
 *   log D ~ sum_j w_j Normal(m_j, s_j) given D >= r   otherwise,  m_1 < ... < m_K, D in seconds
 *   p0 ~ beta(1, 1); w ~ dirichlet(2, ..., 2); m_j ~ normal(0, 5); s_j ~ lognormal(0, 1)
 * A duration observed as 0 is one below the resolution, which no lognormal can place: half the
 * real UDP flows are single packets or answers within the same ms, and a component spent on them
 * is unresolved (its place and spread below r are the prior's) while the rest of the mixture
 * stretches its tail. So the class holds them, p0 being exactly the share the data show (its
 * posterior is beta(1 + n_zero, 1 + the others) whatever the mixture), and the mixture holds the
 * durations the clock resolves. The priors on the mixture are weakly informative on the
 * log-seconds scale: m within e^+-10 (45 us to 6 h) at two sd, each log-spread between 0.14 and
 * 7 at 95%, and every w_j kept off 0 so that no component can vanish and leave its mean to the
 * prior alone (for K = 2 the dirichlet is the beta(2, 2) of w). How many components the data
 * need is chosen by PSIS-LOO (lib/fit/fit_duration.c). The likelihood is that of binned
 * durations (duration/data.h). */
#ifndef CR_DURATION_MIXTURE_H
#define CR_DURATION_MIXTURE_H

#include <stddef.h>

#include "duration/data.h"
#include "duration/law.h"
#include "model/model.h"

#define CR_DUR_MAXDIM (3 * CR_DUR_KMAX)

/* The prior on p0, beta(CR_DUR_P0_A, CR_DUR_P0_B): uniform. The share of durations below the
 * resolution runs from 0 (TCP, whose shortest connection is a round trip) to over half (real
 * UDP), so no value is implausible beforehand, and with hundreds of connections the prior
 * weighs one connection on each side. Being conjugate, it makes the posterior of p0 exactly
 * beta(CR_DUR_P0_A + n_zero, CR_DUR_P0_B + the others) whatever the mixture: the reference the
 * tests hold the sampler to. */
#define CR_DUR_P0_A 1.0
#define CR_DUR_P0_B 1.0

/* Unconstrained coordinates of a K-component fit, in duration.stan's parameter order: the
 * simplex w by Stan's stick-breaking (K - 1 values, logit z_j + log(K - 1 - j)), the ordered m
 * (m_1, then log(m_j - m_{j-1})), log s (K), logit p0. Outputs (m->constrain) are
 * w_1..w_{K-1}, m (K), s (K), p0: w_K, one minus the others, is left out (for K = 1 a
 * constant, which has no R-hat). */
#define CR_DUR_DIM(k) (3 * (k))
#define CR_DUR_NOUT(k) CR_DUR_DIM(k)
#define CR_DUR_Y_M(k) ((k) - 1)
#define CR_DUR_Y_S(k) (2 * (k) - 1)
#define CR_DUR_Y_P0(k) (3 * (k) - 1)

/* Fills m for data d (d must outlive m) and k components (1..CR_DUR_KMAX), on duration.stan's
 * unconstrained scale; m->dim is CR_DUR_DIM(k), from which the density reads k. */
void cr_duration_model(cr_model *m, const cr_duration_data *d, int k);
/* Log density (constants dropped, Jacobians included) and gradient on duration.stan's scale:
 * the function behind m->logp of cr_duration_model, exposed for tests. */
double cr_duration_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* The draw's parameters from m->constrain's output of a k-component model fitted to durations
 * of resolution res_s seconds (the data's res_ms / 1000). */
cr_duration_params cr_duration_params_at(int k, double res_s, const double *out);

/* The log-likelihood of one connection of each observation of d (cr_duration_nobs) under p,
 * into ll[nobs], for PSIS-LOO. */
void cr_duration_loglik(const cr_duration_data *d, const cr_duration_params *p, double *ll);

#endif
