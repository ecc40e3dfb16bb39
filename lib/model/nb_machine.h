/* The negative binomial rate model with machine effects only (models/nb_machine.stan), the rung
 * of the model ladder without minute-to-minute variation:
 *   y[k,s] ~ NegBinomial2(mu[k], phi)          mean mu, variance mu + mu^2 / phi
 *   log mu[k] = alpha + sigma_machine * z_machine[k]
 *   alpha ~ normal(0,3); sigma_machine, 1/sqrt(phi) ~ half-normal(0,1); z ~ normal(0,1)
 * The likelihood only depends on the data through per-machine second counts and totals plus the
 * histogram of per-second counts (model/cells.h), so one gradient costs O(machines + distinct
 * counts). */
#ifndef CR_NB_MACHINE_H
#define CR_NB_MACHINE_H

#include <gsl/gsl_rng.h>

#include "model/cells.h"
#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"

/* Unconstrained coordinates, in nb_machine.stan's parameter order (so that rstan's log_prob takes
 * the same vector when not centred): alpha, log sigma_machine, log inv_sqrt_phi,
 * z_machine[1..K]; centred, the machine levels log mu[k] stand in z_machine's place and alpha's
 * coordinate is model/effects.h's w. Outputs: alpha, sigma_machine, phi, z_machine[1..K]. */
enum { CR_NB_MACHINE_ALPHA, CR_NB_MACHINE_LOG_SIGMA_MACHINE, CR_NB_MACHINE_LOG_INV_SQRT_PHI,
       CR_NB_MACHINE_NFIXED };

typedef struct {
    cr_cells cells; /* one cell per machine */
    /* CR_EFFECTS_NONCENTRED as nb_machine.stan, or any other value of model/effects.h: the
     * machine levels as coordinates, the same posterior (cr_nb_machine_prefer_centred) */
    int centred;
} cr_nb_machine_data;

/* Sufficient statistics of one series (CR_CPS_TCP_NEW...) of a CPS table. */
void cr_nb_machine_data_from_cps(cr_nb_machine_data *d, const cr_cps_table *t, int series);
/* The same from raw arrays (machine 1-based, rows ordered by machine). */
void cr_nb_machine_data_from_rows(cr_nb_machine_data *d, size_t nrows, const int *machine,
                                  const int *y);
void cr_nb_machine_data_free(cr_nb_machine_data *d);

/* The sampling coordinates (cr_effects_choose): centred when the median machine's Fisher
 * information for its log rate, at its own mean and a moment estimate of phi, exceeds 4 (almost
 * always with real captures), or with a single machine. */
int cr_nb_machine_prefer_centred(const cr_nb_machine_data *d);

/* Fills m for data d (d must outlive m). Output variables: alpha, sigma_machine, phi,
 * z_machine[k]. */
void cr_nb_machine_model(cr_model *m, const cr_nb_machine_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_nb_machine_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* Draws counts y[r] for rows ordered by machine then minute (1-based) from the model at the
 * output values v (alpha, sigma_machine, phi, z_machine[1..K]), as Poisson(Gamma(phi, mu / phi)).
 * minute is unused (one rate per machine): the ladder's models share this signature. */
void cr_nb_machine_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                            gsl_rng *r, int *y);

/* log p(y | draw) of one second with count y on machine (1-based) at the output values v of one
 * draw, constants included: the pointwise log-likelihood for PSIS-LOO. d and minute are unused
 * (the ladder's models share this signature). */
double cr_nb_machine_loglik(const cr_nb_machine_data *d, const double *v, int machine,
                            int minute, int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_nb_machine_law(const cr_nb_machine_data *d, const double *v, int machine, int minute, cr_count_law *out);

#endif
