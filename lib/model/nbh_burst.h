/* nbh with burst seconds (models/nbh_burst.stan): each second is, independently and with
 * chance w, a burst second whose count has its own law, the same for every machine and minute,
 *   y[k,s] ~ (1 - w) NB2(mu[k,m], phi) + w NB2(lambda_b, phi_b)
 *   log mu[k,m] = alpha + sigma_machine z_machine[k] + sigma_minute z_minute[k,m]  (as nbh)
 *   w in (0, 1/2), 2 w ~ beta(1, 9); lambda_b ~ lognormal(2, 1.5);
 *   1/sqrt(phi_b) = 1/sqrt(phi) + e, e ~ half-normal(0, 2); the rest as nbh (model/nbh.h).
 * A page load opens tens of connections within a second, a handful of times an hour: a single
 * NB2 per minute cannot give both the many quiet seconds and those bursts (nbh fails the
 * predictive checks of variance, maximum and zeros on bursty captures); two gamma-Poisson
 * components can, and keep a user's second a Poisson mixture given its intensity, as the
 * N-user simulation needs (lib/sim/users.h).
 *
 * Why the burst's size does not follow the minute's rate: with a burst rate kappa mu[k,m]
 * instead (kappa > 1), the demo's busy minutes made bursts of hundreds that never happen
 * (replicated maximum 114 against 27 observed); a page opens as many connections in a quiet
 * minute as in a busy one.
 *
 * Identification: a mixture of two NB2 also fits with the roles swapped (a dispersed minority
 * beside a Poisson-like majority: chains of the demo settled in both when the burst rate followed
 * the minute's). Burst seconds are the minority (w < 1/2) and more dispersed than the others
 * (phi_b < phi: the number of connections a page opens varies more than the background's),
 * which leaves one mode.
 *
 * Sufficient statistics: the mixture weighs each count by its own responsibility, so a cell no
 * longer reduces to (seconds, total): per cell the histogram of its counts (zeros included),
 * and the lgamma terms once per distinct count. One gradient costs O(cells + (cell, count)
 * pairs), whatever the number of seconds. */
#ifndef CR_NBH_BURST_H
#define CR_NBH_BURST_H

#include <gsl/gsl_rng.h>

#include "model/cells.h"
#include "series/cps_table.h"
#include "model/count_law.h"
#include "model/model.h"
#include "model/nbh.h"

/* Unconstrained coordinates, in nbh_burst.stan's parameter order: nbh's (CR_NBH_NFIXED + K + C:
 * alpha, log sigma_machine, log sigma_minute, log inv_sqrt_phi, z_machine, z_minute), then
 * logit(2 w), log lambda_b, log e (Stan's transforms of w in (0, 1/2), lambda_b > 0, e > 0).
 * Outputs: nbh's, then w, lambda_b, phi_b; cr_nbh_burst_tail_index gives where w starts. */
enum { CR_BURST_W, CR_BURST_LAMBDA, CR_BURST_PHI_B, CR_BURST_NTAIL };

typedef struct {
    /* nbh's data: the machine-minute cells and the sampling coordinates (CR_EFFECTS_...,
     * model/effects.h) of the rate part, which is nbh's */
    cr_nbh_data nbh;
    /* Per cell c, its distinct counts are entries cell_first[c] .. cell_first[c+1] - 1: the
     * count is val_y[ent_val[e]], seen in ent_n[e] seconds. val_y: the distinct counts of the
     * series, 0 first, ascending. */
    int *cell_first;
    int nentries;
    int *ent_val;
    double *ent_n;
    int nvals;
    double *val_y;
} cr_nbh_burst_data;

void cr_nbh_burst_data_from_cps(cr_nbh_burst_data *d, const cr_cps_table *t, int series);
/* Rows ordered by machine then minute (both 1-based). */
void cr_nbh_burst_data_from_rows(cr_nbh_burst_data *d, size_t nrows, const int *machine,
                                 const int *minute, const int *y);
void cr_nbh_burst_data_free(cr_nbh_burst_data *d);

/* Index of w in theta and in the outputs: CR_NBH_NFIXED + K + C. */
int cr_nbh_burst_tail_index(const cr_nbh_burst_data *d);

/* Fills m for data d (d must outlive m). */
void cr_nbh_burst_model(cr_model *m, const cr_nbh_burst_data *d);

/* Log density (constants dropped, Jacobians included) and gradient; the function behind
 * m->logp, exposed for tests (scratch may be NULL: then it allocates its own). */
double cr_nbh_burst_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* log p(y | draw) of one second in (machine, minute), 1-based, at the output values v of one
 * draw, constants included; NaN when d has no such cell. */
double cr_nbh_burst_loglik(const cr_nbh_burst_data *d, const double *v, int machine, int minute,
                           int y);

/* The law of one second's count in (machine, minute) at the output values v of one draw
 * (as for the pointwise log-likelihood), for drawing a cell's seconds at once. */
void cr_nbh_burst_law(const cr_nbh_burst_data *d, const double *v, int machine, int minute, cr_count_law *out);

/* Draws counts y[r] for rows ordered by machine then minute from the output values v (nbh's
 * layout for those rows, then w, lambda_b, phi_b). */
void cr_nbh_burst_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                           gsl_rng *r, int *y);

/* ---- The burst mixture on its own, for models that give the cells' rates another way
 * (model/nbh_burst_msd.h) ---- */

/* Doubles of scratch cr_nbh_burst_mix needs. */
size_t cr_nbh_burst_mix_scratch(const cr_nbh_burst_data *d);

/* The log likelihood of d's seconds given the cells' log rates eta[C] of the base component,
 * log inv_sqrt_phi lisp and the burst coordinates tail[CR_BURST_NTAIL] (logit(2 w), log
 * lambda_b, log e), plus the burst part's priors with their Jacobians (not phi's prior);
 * -INFINITY where it cannot be evaluated. When geta is not NULL: geta[c] = d/d eta[c],
 * gpar[0] = d/d lisp, gpar[1 + j] = d/d tail[j]. */
double cr_nbh_burst_mix(const cr_nbh_burst_data *d, const double *eta, double lisp,
                        const double *tail, double *geta, double *gpar, double *scratch);

/* The outputs w, lambda_b, phi_b of the burst coordinates tail at log inv_sqrt_phi lisp. */
void cr_nbh_burst_tail_values(const double *tail, double lisp, double *out);

/* At the outputs tail (w, lambda_b, phi_b): the log pmf of count y, and the law of a second,
 * when the base component has log mean eta and dispersion phi. */
double cr_nbh_burst_mixture_lpmf(int y, double eta, double phi, const double *tail);
cr_count_law cr_nbh_burst_law_at(double eta, double phi, const double *tail);

/* Draws counts y[r] for rows ordered by machine then minute, eta[c] the base component's log
 * mean of the rows' c-th cell. */
void cr_nbh_burst_draw_rows(size_t nrows, const int *machine, const int *minute,
                            const double *eta, double phi, const double *tail, gsl_rng *r,
                            int *y);

#endif
