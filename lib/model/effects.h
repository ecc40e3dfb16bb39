/* The machine and minute effects of the rate models (nbh, pois, nb_machine):
 *   eta[c] = alpha + sigma_machine z_machine[k(c)] + sigma_minute z_minute[c],  z ~ normal(0, 1)
 * for each cell c of machine k(c); models without minute effects (cells are whole machines) drop
 * the last term. Two sampling coordinates carry the same posterior: non-centred (the z's, as
 * the Stan programs write it) and centred (v[k] = alpha + sigma_machine z_machine[k] and
 * u[c] = eta[c] in place of the z's), far better conditioned when the data pin every cell's
 * rate. Outputs are always the z's (cr_effects_standardize). */
#ifndef CR_EFFECTS_H
#define CR_EFFECTS_H

#include "model/cells.h"

typedef struct {
    double alpha, sigma_machine, sigma_minute; /* sigma_minute unused without minute effects */
    const double *zk; /* K machine coordinates */
    const double *zc; /* C cell coordinates; NULL: no minute effects */
    int centred;
} cr_effects;

/* Writes the log rate of every cell into eta and returns the prior log density of the effect
 * coordinates (constants dropped; in centred coordinates with the Jacobian
 * sigma_machine^-K sigma_minute^-C). */
double cr_effects_eta(const cr_cells *c, const cr_effects *x, double *eta);

/* Chain rule back from g[c] = d loglik / d eta[c], prior included: writes the gradient of the
 * machine coordinates into gk, that of the cell coordinates over g (when x->zc), and adds the
 * derivatives in alpha, log sigma_machine and (with minute effects) log sigma_minute to
 * gfixed[0], gfixed[1] and gfixed[2]. */
void cr_effects_grad(const cr_cells *c, const cr_effects *x, double *g, double *gk,
                     double *gfixed);

/* The z's of the point (a copy in non-centred coordinates); zc is ignored without minute
 * effects. */
void cr_effects_standardize(const cr_cells *c, const cr_effects *x, double *zk, double *zc);

/* The log rate of (machine, minute) (1-based) at output values: alpha, the scales, z_machine[K]
 * and z_minute per cell (zc NULL without minute effects); NaN when c has no such cell. For the
 * models' pointwise log-likelihoods. */
double cr_effects_eta_at(const cr_cells *c, double alpha, double sm, double sn, const double *zk,
                         const double *zc, int machine, int minute);

/* Whether the median cell's Fisher information for its log rate (info[c], computed by the
 * model from the pooled data) exceeds 4: then the data inform each rate more than the prior
 * does and centred coordinates sample better. info is reordered. */
int cr_effects_prefer_centred(double *info, int ncells);

#endif
