/* The lognormal-Poisson rate model of one CPS series (models/pois.stan), the rung of the model
 * ladder without over-dispersion within a minute:
 *   y[k,s] ~ Poisson(mu[k,m(s)])
 *   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
 *   alpha ~ normal(0,3); sigma_machine, sigma_minute ~ half-normal(0,1); z ~ normal(0,1)
 * The likelihood only depends on the data through per-cell (machine-minute) second counts and
 * totals (model/cells.h), so one gradient costs O(cells). */
#ifndef CR_POIS_H
#define CR_POIS_H

#include <gsl/gsl_rng.h>

#include "model/cells.h"
#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"

/* Unconstrained coordinates, in pois.stan's parameter order (so that rstan's log_prob takes the
 * same vector when not centred): alpha, log sigma_machine, log sigma_minute, z_machine[1..K],
 * z_minute[1..C] (cells ordered by machine then minute); in the other sampling coordinates of
 * model/effects.h, alpha's and the z's places hold what it says. Outputs: pois.stan's, with the
 * scales exponentiated. */
enum { CR_POIS_ALPHA, CR_POIS_LOG_SIGMA_MACHINE, CR_POIS_LOG_SIGMA_MINUTE, CR_POIS_NFIXED };

typedef struct {
    cr_cells cells; /* machine-minute cells */
    /* Sampling coordinates, CR_EFFECTS_... (model/effects.h): the posterior and the outputs
     * are the same; 0 is pois.stan's (cr_pois_prefer_centred). */
    int centred;
} cr_pois_data;

/* Sufficient statistics of one series (CR_CPS_TCP_NEW...) of a CPS table. */
void cr_pois_data_from_cps(cr_pois_data *d, const cr_cps_table *t, int series);
/* The same from raw arrays (machine and minute 1-based, rows ordered by machine then minute). */
void cr_pois_data_from_rows(cr_pois_data *d, size_t nrows, const int *machine, const int *minute,
                            const int *y);
void cr_pois_data_free(cr_pois_data *d);

/* The sampling coordinates (cr_effects_choose), the cells judged pinned against the prior's
 * scale when the median cell's Fisher information for its log rate (its total count) exceeds
 * 4. */
int cr_pois_prefer_centred(const cr_pois_data *d);

/* Fills m for data d (d must outlive m). Output variables: alpha, sigma_machine, sigma_minute,
 * z_machine[k], z_minute[k,m]. */
void cr_pois_model(cr_model *m, const cr_pois_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_pois_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* Draws counts y[r] for rows ordered by machine then minute (1-based, as in the CPS table) from
 * the model at the output values v (alpha, sigma_machine, sigma_minute, z_machine[1..K],
 * z_minute per cell in row order). */
void cr_pois_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                      gsl_rng *r, int *y);

/* log p(y | draw) of one second with count y in (machine, minute) (1-based) at the output values
 * v of one draw, constants included: the pointwise log-likelihood for PSIS-LOO, the same for
 * every second of a cell with the same count. NaN when d has no such cell. */
double cr_pois_loglik(const cr_pois_data *d, const double *v, int machine, int minute, int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_pois_law(const cr_pois_data *d, const double *v, int machine, int minute, cr_count_law *out);

#endif
