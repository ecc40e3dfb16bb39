/* The hierarchical negative binomial rate model of one CPS series (models/nbh.stan):
 *   y[k,s] ~ NegBinomial2(mu[k,m(s)], phi)
 *   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
 *   alpha ~ normal(0,3); sigma_machine, sigma_minute, 1/sqrt(phi) ~ half-normal(0,1);
 *   z ~ normal(0,1)
 * The likelihood only depends on the data through per-cell (machine-minute) second counts and
 * totals, plus the histogram of per-second counts for the lgamma(y + phi) terms, so one gradient
 * costs O(cells + distinct counts) whatever the number of seconds (model/cells.h, effects.h,
 * nb2.h: the algebra it shares with the other rungs of the model ladder). */
#ifndef CR_NBH_H
#define CR_NBH_H

#include <gsl/gsl_rng.h>

#include "common/err.h"
#include "model/cells.h"
#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"

/* Unconstrained coordinates, in nbh.stan's parameter order (so that rstan's log_prob takes the
 * same vector when not centred): alpha, log sigma_machine, log sigma_minute, log inv_sqrt_phi,
 * z_machine[1..K], z_minute[1..C] (cells ordered by machine then minute). In the other sampling
 * coordinates of model/effects.h, alpha's and the z's places hold what it says. */
enum { CR_NBH_ALPHA, CR_NBH_LOG_SIGMA_MACHINE, CR_NBH_LOG_SIGMA_MINUTE, CR_NBH_LOG_INV_SQRT_PHI,
       CR_NBH_NFIXED };

typedef struct {
    cr_cells cells; /* machine-minute cells */
    /* Sampling coordinates, CR_EFFECTS_... (model/effects.h): the posterior and the outputs
     * (z_machine, z_minute) are the same; 0 is nbh.stan's (cr_nbh_prefer_centred). */
    int centred;
} cr_nbh_data;

/* Sufficient statistics of one series (CR_CPS_TCP_NEW...) of a CPS table. */
void cr_nbh_data_from_cps(cr_nbh_data *d, const cr_cps_table *t, int series);
/* The same from raw arrays (machine and minute 1-based, rows ordered by machine then minute;
 * used by tests and simulation-based calibration). */
void cr_nbh_data_from_rows(cr_nbh_data *d, size_t nrows, const int *machine, const int *minute,
                           const int *y);
void cr_nbh_data_free(cr_nbh_data *d);

/* The sampling coordinates for the data (cr_effects_choose), the cells judged pinned against the
 * prior's scale when the median cell's Fisher information for its log rate, at the pooled mean
 * and a moment estimate of phi, exceeds 4. */
int cr_nbh_prefer_centred(const cr_nbh_data *d);

/* Fills m for data d (d must outlive m). Output variables: alpha, sigma_machine, sigma_minute,
 * phi, z_machine[k], z_minute[k,m]. */
void cr_nbh_model(cr_model *m, const cr_nbh_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_nbh_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* Draws counts y[r] for rows ordered by machine then minute (1-based, as in the CPS table) from
 * the model at the output values v (alpha, sigma_machine, sigma_minute, phi, z_machine[1..K],
 * z_minute per cell in row order), as Poisson(Gamma(phi, mu / phi)). For simulation studies. */
void cr_nbh_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                     gsl_rng *r, int *y);

/* log p(y | draw) of one second with count y in (machine, minute) (1-based) at the output values
 * v of one draw, constants included: the pointwise log-likelihood for PSIS-LOO. NaN when d has
 * no such cell. */
double cr_nbh_loglik(const cr_nbh_data *d, const double *v, int machine, int minute, int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_nbh_law(const cr_nbh_data *d, const double *v, int machine, int minute, cr_count_law *out);

#endif
