/* Stratified users' effects over the draws of a run (a Latin hypercube): user slot u of draw d
 * of D gets
 *     z = Phi^-1((pi_u(d) + U) / D),   U ~ Uniform(0, 1) from the draw's own stream,
 * with pi_u a permutation of 0..D-1 fixed by (key, u). Every stratum of probability 1/D holds
 * exactly one draw's z of each slot, so the tail of the users' effects is represented in
 * proportion instead of by chance (with one user per draw, q99 of N = 1 rests on the few draws
 * whose user lands above z = 2.3). It stays unbiased: pi_u(d) = (b_u(d) + c_u) mod D with c_u
 * uniform on 0..D-1, so pi_u(d) is uniform for every d and z ~ N(0,1) exactly; within a draw the
 * slots use independent permutations, so a draw's users stay independent of each other. Only
 * the draws are no longer independent of one another (their strata exclude each other), which
 * lowers the variance of every pooled summary and leaves its expectation alone. docs/simulation.md,
 * "Stability". */
#ifndef CR_SIM_STRATA_H
#define CR_SIM_STRATA_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct {
    uint64_t key; /* from the run's seed: the same for every draw */
    int draw, ndraws;
} cr_sim_strata;

/* pi_u(draw): the stratum of slot u in this draw, in 0..ndraws-1. */
long cr_sim_stratum(const cr_sim_strata *st, long u);

/* z of slot u in this draw; one uniform from r. */
double cr_sim_strata_z(const cr_sim_strata *st, long u, gsl_rng *r);

#endif
