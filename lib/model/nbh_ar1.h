/* The hierarchical negative binomial rate model with AR(1) minute effects (models/nbh_ar1.stan):
 * as nbh (model/nbh.h), but a machine's minute effects persist from one minute to the next,
 *   z_minute[k,1] = eps[k,1],  z_minute[k,m] = rho z_minute[k,m-1] + sqrt(1 - rho^2) eps[k,m]
 * with eps ~ normal(0,1), so each machine's z_minute is a stationary AR(1) with unit variance
 * and sigma_minute keeps nbh's meaning (the marginal spread of a minute's log rate).
 * Prior: (rho + 1) / 2 ~ beta(2,2), a weak prior that vanishes at rho = +-1, where the minute
 * effects freeze into a constant per machine that z_machine already describes (the model then
 * loses identification and the atanh scale a proper tail); the rest as nbh.
 *
 * The density is nbh's with the independent normal prior on z_minute replaced by the AR(1)
 * one: the cells, the effects and the NB2 likelihood are the ladder's shared modules
 * (model/cells.h, effects.h, nb2.h) evaluated at the AR states, plus the prior's correction.
 * A minute missing inside a machine's capture gets an empty cell (no seconds), which keeps the
 * AR(1) steps one minute apart. */
#ifndef CR_NBH_AR1_H
#define CR_NBH_AR1_H

#include <gsl/gsl_rng.h>

#include "model/cells.h"
#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"

/* Unconstrained coordinates, in nbh_ar1.stan's parameter order: alpha, log sigma_machine,
 * log sigma_minute, logit((rho + 1) / 2) = 2 atanh(rho) (Stan's transform for
 * real<lower=-1, upper=1>), log inv_sqrt_phi, z_machine[1..K], eps[1..C]. The outputs follow
 * the same order: alpha, sigma_machine, sigma_minute, rho, phi, z_machine[k], z_minute[k,m]. */
enum { CR_NBH_AR1_ALPHA, CR_NBH_AR1_LOG_SIGMA_MACHINE, CR_NBH_AR1_LOG_SIGMA_MINUTE,
       CR_NBH_AR1_RHO, CR_NBH_AR1_LOG_INV_SQRT_PHI, CR_NBH_AR1_NFIXED };

typedef struct {
    cr_cells cells;  /* every minute from each machine's first to its last, in order */
    int *first_cell; /* [K + 1]: machine k's cells are first_cell[k] .. first_cell[k+1] - 1 */
    /* Sampling coordinates, CR_EFFECTS_... (model/effects.h): the posterior and the outputs
     * are the same. 0 is nbh_ar1.stan's; with centred cells their log rates u[c] stand in
     * eps's place. */
    int centred;
} cr_nbh_ar1_data;

void cr_nbh_ar1_data_from_cps(cr_nbh_ar1_data *d, const cr_cps_table *t, int series);
/* Rows ordered by machine then minute (both 1-based). */
void cr_nbh_ar1_data_from_rows(cr_nbh_ar1_data *d, size_t nrows, const int *machine,
                               const int *minute, const int *y);
void cr_nbh_ar1_data_free(cr_nbh_ar1_data *d);

/* The sampling coordinates (cr_effects_choose), the cells judged pinned against the prior's
 * scale when the median non-empty cell's Fisher information for its log rate, at the pooled
 * mean and a moment estimate of phi, exceeds 4. */
int cr_nbh_ar1_prefer_centred(const cr_nbh_ar1_data *d);

/* Fills m for data d (d must outlive m). */
void cr_nbh_ar1_model(cr_model *m, const cr_nbh_ar1_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_nbh_ar1_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* Pointwise log likelihood (for PSIS-LOO) of count y in one second of (machine, minute), both
 * 1-based, at the output values v of one draw, constants included. NaN when d has no such
 * cell. */
double cr_nbh_ar1_loglik(const cr_nbh_ar1_data *d, const double *v, int machine, int minute,
                         int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_nbh_ar1_law(const cr_nbh_ar1_data *d, const double *v, int machine, int minute, cr_count_law *out);

/* Draws counts y[r] for rows ordered by machine then minute from the model at the output
 * values v (z_minute for every minute from each machine's first to its last, in order), as
 * Poisson(Gamma(phi, mu / phi)). For simulation studies. */
void cr_nbh_ar1_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                         gsl_rng *r, int *y);

/* For models built on this one (hurdle_nbh_ar1.h). */

/* The log rate of each row at the output values v (layout as for cr_nbh_ar1_simulate); returns
 * the number of cells C (v holds CR_NBH_AR1_NFIXED + K + C values, K the largest machine). */
int cr_nbh_ar1_row_eta(size_t nrows, const int *machine, const int *minute, const double *v,
                       double *eta);

/* The log rate of (machine, minute) at the output values v; NaN when d has no such cell. */
double cr_nbh_ar1_eta(const cr_nbh_ar1_data *d, const double *v, int machine, int minute);

/* Terms added to the log density that depend on the cells' log rates eta and on log phi only:
 * returns their value and, when geta != NULL, writes d/d eta[c] into geta[c] and adds
 * d/d log phi to *glogphi. */
typedef double (*cr_nbh_ar1_eta_terms)(const void *ctx, const double *eta, double logphi,
                                       double *geta, double *glogphi);

/* cr_nbh_ar1_logp for data d plus the eta terms (terms may be NULL), with the gradient over the
 * first CR_NBH_AR1_NFIXED + K + C coordinates of theta; scratch holds
 * cr_nbh_ar1_scratch_size(d) bytes. */
double cr_nbh_ar1_logp_with(const cr_nbh_ar1_data *d, const double *theta, double *grad,
                            double *scratch, cr_nbh_ar1_eta_terms terms, const void *ctx);
size_t cr_nbh_ar1_scratch_size(const cr_nbh_ar1_data *d);

#endif
