/* nbh_burst with a minute spread of each machine's own (models/nbh_burst_msd.stan):
 *   y[k,s] ~ (1 - w) NB2(mu[k,m], phi) + w NB2(lambda_b, phi_b)            (as nbh_burst)
 *   log mu[k,m] = alpha + sigma_machine z_machine[k]
 *                 + sigma_minute[k] z_minute[k,m] - sigma_minute[k]^2 / 2
 *   log sigma_minute[k] = mu_s + tau_s z_s[k],  z_s ~ normal(0, 1)
 *   mu_s ~ normal(-0.5, 1), tau_s ~ half-normal(0, 0.5); the rest as nbh_burst.
 * Every model below it gives all machines one minute-to-minute spread. Users differ in it (a
 * steady background beside one that comes and goes), and the sum of many users' minutes is
 * where that shows: one common spread, fitted to a mix of steady and jumpy users, gave log
 * lines per minute of 10 and 30 users a q99 that no held-out minute reached
 * (docs/validation.md).
 *
 * Why the minute effect is centred on its mean (the - sigma_minute^2 / 2): a minute's multiplier
 * exp(sigma_minute z) has mean exp(sigma_minute^2 / 2), and over a lognormal sigma_minute that
 * mean is infinite (at tau_s = 0.7 the users beyond 4 sd of z_s alone made a user's expected
 * rate 10^50 times the median's). Centred, machine k's mean rate is exp(alpha + sigma_machine
 * z_machine[k]) whatever its spread, so a user's expected rate is nbh_burst's with
 * sigma_minute = 0 and the spread only moves how the rate is spread over minutes (as the
 * synthetic users' minute multipliers are: docs/synth.md). alpha is then the log of a typical
 * machine's mean rate, not of its median minute's.
 *
 * Priors: mu_s centres sigma_minute's population median on e^-0.5 = 0.6 and lets it range
 * from 0.08 to 4.3 (95%); tau_s, the spread of log sigma_minute between machines, is
 * half-normal with scale 0.5: machines' spreads differing by a factor 2.7 (tau_s = 1) is at the
 * prior's 95th percentile.
 *
 * Sampled non-centred throughout (the Stan twin's own coordinates): z_machine, z_minute and z_s.
 * The burst part and its sufficient statistics are nbh_burst's (cr_nbh_burst_mix). */
#ifndef CR_NBH_BURST_MSD_H
#define CR_NBH_BURST_MSD_H

#include <gsl/gsl_rng.h>

#include "model/count_law.h"
#include "model/model.h"
#include "model/nbh_burst.h"

/* Unconstrained coordinates, in nbh_burst_msd.stan's parameter order: alpha, log
 * sigma_machine, mu_s, log tau_s, log inv_sqrt_phi, z_machine[K], z_minute[C], then logit(2 w),
 * log lambda_b, log e (nbh_burst's tail), then z_s[K]. Outputs: alpha, sigma_machine, mu_s,
 * tau_s, phi, z_machine[k], z_minute[k,m], w, lambda_b, phi_b, z_s[k]. */
enum { CR_MSD_ALPHA, CR_MSD_LOG_SIGMA_MACHINE, CR_MSD_MU_S, CR_MSD_LOG_TAU_S,
       CR_MSD_LOG_INV_SQRT_PHI, CR_MSD_NFIXED };

/* nbh_burst's data; its nbh.centred is unused (always non-centred). */
typedef cr_nbh_burst_data cr_nbh_burst_msd_data;

void cr_nbh_burst_msd_data_from_rows(cr_nbh_burst_msd_data *d, size_t nrows, const int *machine,
                                     const int *minute, const int *y);
void cr_nbh_burst_msd_data_free(cr_nbh_burst_msd_data *d);

/* The sampling coordinates: CR_EFFECTS_NONCENTRED, whatever the data. */
int cr_nbh_burst_msd_prefer_centred(const cr_nbh_burst_msd_data *d);

/* Index of w in theta and in the outputs, CR_MSD_NFIXED + K + C; z_s[1] is CR_BURST_NTAIL
 * after it. */
int cr_nbh_burst_msd_tail_index(const cr_nbh_burst_msd_data *d);

/* Fills m for data d (d must outlive m). */
void cr_nbh_burst_msd_model(cr_model *m, const cr_nbh_burst_msd_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; m->logp, exposed for tests
 * (scratch may be NULL: then it allocates its own). */
double cr_nbh_burst_msd_logp(const cr_model *m, const double *theta, double *grad,
                             void *scratch);

/* log p(y | draw) of one second in (machine, minute), 1-based, at the output values v of one
 * draw, constants included; NaN when d has no such cell. */
double cr_nbh_burst_msd_loglik(const cr_nbh_burst_msd_data *d, const double *v, int machine,
                               int minute, int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw. */
void cr_nbh_burst_msd_law(const cr_nbh_burst_msd_data *d, const double *v, int machine,
                          int minute, cr_count_law *out);

/* Draws counts y[r] for rows ordered by machine then minute from the output values v (the
 * layout above for those rows, K the largest machine among them). */
void cr_nbh_burst_msd_simulate(size_t nrows, const int *machine, const int *minute,
                               const double *v, gsl_rng *r, int *y);

#endif
