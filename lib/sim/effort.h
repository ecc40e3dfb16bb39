/* Adaptive Monte Carlo effort: a simulation grows by whole batches until the relative Monte
 * Carlo error of every estimate it reports is at most a target, or a cap on the batches is
 * reached. The decision depends only on the estimates, never on timing, so a run repeated with
 * the same seed simulates the same batches and gives the same outputs on any machine and
 * thread count (the batches themselves must be functions of the seed and their index).
 *
 * Each estimate's relative error w is taken to fall as w^2 = a / B + f with the batch count B:
 * a the part the batches renew (users, seconds), f a floor they do not (the posterior draws
 * they share, lib/sim/mcse.h). After one round a and f come from the plain law (f = 0), after
 * two from the last two rounds (the law again when those do not make a falling error with
 * f >= 0); the next count is the B that brings w^2 to target^2 / 1.1 (a margin, so that a
 * round lands under the target rather than just above), at least one more batch, at most the
 * cap. When the floor alone is above that, no count of batches meets the target: the fit's
 * draws, which the batches share, limit the error, and the estimate asks only for the B that
 * brings a / B to a tenth of f (the error within 5% of its floor), none when it is there. The
 * estimate that needs most decides. Batches are added, never redone. */
#ifndef CR_SIM_EFFORT_H
#define CR_SIM_EFFORT_H

#include <stdint.h>

#include "common/err.h"

typedef struct {
    double target;   /* largest relative mcse accepted, > 0 */
    int max_batches; /* >= 1 */
} cr_sim_effort;

/* Why the batches stopped. */
enum {
    CR_SIM_EFFORT_MET, /* every error at most the target (or one not estimable) */
    CR_SIM_EFFORT_CAP, /* max_batches, with an error above the target that more would lower */
    CR_SIM_EFFORT_FIT  /* every error above the target has its floor above it: the fit's draws */
};

typedef struct {
    int batches;    /* simulated */
    int rounds;     /* times the errors were computed */
    int limited_by; /* CR_SIM_EFFORT_* */
    int capped;     /* stopped at max_batches with an error above the target */
    double worst; /* largest relative error at the end (NAN when one could not be estimated) */
    int which;    /* its index among the caller's estimates */
    /* How many times as many fit draws the floors above the target ask for: a floor falls as
     * 1 / draws, so the largest f / (target^2 / 1.1) over the estimates floored (1: none). */
    double fit_factor;
} cr_sim_effort_result;

/* Adds batches [from, to) to the caller's sample. */
typedef int (*cr_sim_batches_fn)(void *ctx, int from, int to, cr_err *e);
/* The relative mcse of each of the caller's n estimates from its `batches` batches, rel[0..n):
 * >= 0, or NAN when it cannot be estimated (then the loop stops: no count of batches helps). */
typedef void (*cr_sim_rel_mcse_fn)(void *ctx, int batches, double *rel);

/* The seed of batch b's random streams: the run's own for the first, so that a simulation which
 * stops there is the one-batch simulation unchanged; for the others a mix of (seed, b), apart
 * from every stream the seed gives directly. */
uint64_t cr_sim_batch_seed(uint64_t seed, int b);

/* The batch count one estimate asks for after b1 batches with relative error w1, the round
 * before having had b0 batches and error w0 (b0 = 0: none): b1 itself when it is met (w1 <=
 * target, or NAN) or the cap is reached. */
int cr_sim_effort_next(const cr_sim_effort *ef, int b0, double w0, int b1, double w1);

/* Whether an estimate's error, by the same law, has a floor above the target (and is above it):
 * no count of batches meets the target. */
int cr_sim_effort_floored(const cr_sim_effort *ef, int b0, double w0, int b1, double w1);

/* Simulates one batch, then more by cr_sim_effort_next until every estimate is met, one cannot
 * be estimated, or the cap is reached; fills res. */
int cr_sim_effort_run(const cr_sim_effort *ef, int nestimates, cr_sim_batches_fn add,
                      cr_sim_rel_mcse_fn rel, void *ctx, cr_sim_effort_result *res, cr_err *e);

#endif
