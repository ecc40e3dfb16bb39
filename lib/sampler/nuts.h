/* One NUTS transition as Stan (>= 2.21) does it: a diagonal Euclidean metric, explicit
 * leapfrog, multinomial sampling along the trajectory (uniform within each subtree, biased
 * towards the new subtree when the trajectory doubles), the generalized no-U-turn criterion
 * checked over every merged subtree and across the boundary between the two halves, a maximum
 * tree depth and divergence when H - H0 exceeds 1000.
 *
 * Typical use (cr_chains_run in chains.h does all of this, with adaptation):
 *
 *     cr_nuts *s = cr_nuts_new(model, 10);
 *     if (cr_nuts_set_position(s, theta0) < 0) ...;        // log density not finite there
 *     cr_nuts_stats st;
 *     for (int i = 0; i < n; i++) {
 *         cr_nuts_transition(s, stepsize, rng, &st);
 *         use(cr_nuts_position(s), st.lp);
 *     }
 *     cr_nuts_free(s);
 *
 * A cr_nuts holds all the memory one chain needs (O(dim x max_depth)); a transition allocates
 * nothing. Different cr_nuts may run concurrently on one model. */
#ifndef CR_NUTS_H
#define CR_NUTS_H

#include <gsl/gsl_rng.h>

#include "model/model.h"

typedef struct cr_nuts cr_nuts;

/* Per-iteration sampler statistics, named after Stan's output columns. */
typedef struct {
    double lp;          /* lp__: log density at the draw */
    double accept_stat; /* mean Metropolis acceptance over the whole trajectory */
    double stepsize;
    double energy; /* Hamiltonian at the draw */
    int treedepth;
    int n_leapfrog;
    int divergent;
} cr_nuts_stats;

/* max_depth < 1 means Stan's default of 10. The inverse metric starts as the identity. */
cr_nuts *cr_nuts_new(const cr_model *m, int max_depth);
void cr_nuts_free(cr_nuts *s);

/* Moves the chain to q and evaluates the log density and gradient there. Returns -1 (state
 * unchanged) when either is not finite. */
int cr_nuts_set_position(cr_nuts *s, const double *q);
const double *cr_nuts_position(const cr_nuts *s);
int cr_nuts_dim(const cr_nuts *s);
double cr_nuts_lp(const cr_nuts *s);

/* The diagonal of the inverse metric (dim entries, writable). */
double *cr_nuts_inv_metric(cr_nuts *s);

/* One transition from the current position with the given step size. */
void cr_nuts_transition(cr_nuts *s, double stepsize, gsl_rng *r, cr_nuts_stats *st);

/* H0 - H after one leapfrog step of size eps from the current position with fresh momentum
 * (-INFINITY if H is not finite); the position is left unchanged. Stan's step-size
 * initialisation is built on this (cr_init_stepsize in adapt.h). */
double cr_nuts_probe(cr_nuts *s, double eps, gsl_rng *r);

/* The generalized no-U-turn criterion for joining two adjacent stretches of trajectory a and b
 * (a before b in integration order), as Stan applies it: with p# = inv_metric .* p, the merged
 * stretch persists when p#.rho > 0 at both of its ends for rho = rho_a + rho_b, and likewise
 * for the two extended stretches (a plus the first state of b, and the last state of a plus b).
 * Writes rho_a + rho_b into rho_out (which may be rho_a). Returns 1 to continue, 0 on a U-turn. */
int cr_nuts_merge_ok(int n, const double *inv_metric, const double *a_beg, const double *a_end,
                     const double *rho_a, const double *b_beg, const double *b_end,
                     const double *rho_b, double *rho_out);

#endif
