/* nbh_ar1 with a hurdle (models/hurdle_nbh_ar1.stan): a second is zero with probability pi[k]
 * of its machine, and otherwise follows the zero-truncated negative binomial of nbh_ar1,
 *   p(0) = pi[k],  p(y > 0) = (1 - pi[k]) NB2(y | mu[k,m], phi) / (1 - NB2(0 | mu[k,m], phi))
 *   logit pi[k] = mu_pi + sigma_pi z_pi[k];  mu_pi ~ normal(0,2), sigma_pi ~ half-normal(0,1),
 *   z_pi ~ normal(0,1); the rate part and its priors as nbh_ar1 (model/nbh_ar1.h).
 * Sufficient statistics: per cell the positive seconds and the total count (the truncated NB's
 * cells), per machine the zero and positive seconds (the hurdle's), and the histogram of the
 * positive counts. */
#ifndef CR_HURDLE_NBH_AR1_H
#define CR_HURDLE_NBH_AR1_H

#include <gsl/gsl_rng.h>

#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"
#include "model/nbh_ar1.h"

/* Unconstrained coordinates, in hurdle_nbh_ar1.stan's parameter order: nbh_ar1's
 * (CR_NBH_AR1_NFIXED + K + C), then mu_pi, log sigma_pi, z_pi[1..K]. Outputs: nbh_ar1's
 * (alpha, sigma_machine, sigma_minute, rho, phi, z_machine[k], z_minute[k,m]), then mu_pi,
 * sigma_pi, z_pi[k]; cr_hurdle_nbh_ar1_pi_index gives where mu_pi starts. */
enum { CR_HURDLE_MU_PI, CR_HURDLE_LOG_SIGMA_PI, CR_HURDLE_NFIXED };

typedef struct {
    /* nbh_ar1's data with cell_n and nseconds counting positive seconds only (the histogram
     * has only positive counts anyway): its likelihood is then the truncated NB's numerator */
    cr_nbh_ar1_data ar;
    double *machine_zero; /* per machine, zero seconds */
    double *machine_pos;  /* per machine, positive seconds */
    /* The hurdle's coordinates: 1 samples logit pi[k] itself instead of z_pi[k], and mu_pi
     * from below (model/effects.h: w in its place, mu_pi = mean logit + sigma_pi w / sqrt(K));
     * the outputs stay mu_pi and z_pi. Set by data_from_rows when every machine's seconds pin
     * its pi down, as thousands of seconds do (non-centred, z_pi is then a narrow ridge tied
     * to mu_pi and sigma_pi that forces tiny steps; rule: cr_effects_prefer_centred on each
     * machine's information n pi (1 - pi)), and always for a single machine, whose mu_pi is
     * never identified apart from its pi and sigma_pi. */
    int pi_centred;
} cr_hurdle_nbh_ar1_data;

void cr_hurdle_nbh_ar1_data_from_cps(cr_hurdle_nbh_ar1_data *d, const cr_cps_table *t,
                                     int series);
/* Rows ordered by machine then minute (both 1-based). */
void cr_hurdle_nbh_ar1_data_from_rows(cr_hurdle_nbh_ar1_data *d, size_t nrows,
                                      const int *machine, const int *minute, const int *y);
void cr_hurdle_nbh_ar1_data_free(cr_hurdle_nbh_ar1_data *d);

/* Index of mu_pi in theta and in the outputs: CR_NBH_AR1_NFIXED + K + C. */
int cr_hurdle_nbh_ar1_pi_index(const cr_hurdle_nbh_ar1_data *d);

/* Fills m for data d (d must outlive m); d->ar.centred selects the rate part's coordinates
 * (cr_nbh_ar1_prefer_centred on d->ar judges the positive seconds). */
void cr_hurdle_nbh_ar1_model(cr_model *m, const cr_hurdle_nbh_ar1_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_hurdle_nbh_ar1_logp(const cr_model *m, const double *theta, double *grad,
                              void *scratch);

/* log(1 - NB2(0 | exp(eta), exp(logphi))), the log chance of a positive count, accurate when it
 * is tiny (small mu) and when phi is huge. */
double cr_nb2_log_positive(double eta, double logphi);

/* Pointwise log likelihood (for PSIS-LOO) of count y in one second of (machine, minute), both
 * 1-based, at the output values v of one draw, constants included. NaN when d has no such
 * cell. */
double cr_hurdle_nbh_ar1_loglik(const cr_hurdle_nbh_ar1_data *d, const double *v, int machine,
                                int minute, int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_hurdle_nbh_ar1_law(const cr_hurdle_nbh_ar1_data *d, const double *v, int machine, int minute, cr_count_law *out);

/* Draws counts y[r] for rows ordered by machine then minute at the output values v (layout of
 * the outputs: z_minute for every minute from each machine's first to its last). */
void cr_hurdle_nbh_ar1_simulate(size_t nrows, const int *machine, const int *minute,
                                const double *v, gsl_rng *r, int *y);

#endif
