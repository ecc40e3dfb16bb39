/* Where the chains of a duration fit start (docs/durations.md, "Where the chains start").
 *
 * A mixture's posterior can have local modes far below the main one: on UDP flows of DNS
 * lookups (tens of ms), lookups never answered (0 ms) and QUIC sessions (seconds), one
 * component spread from 1 ms to hours (log-sd 3.4) holds a mode 2,100 log units below the one
 * that fits, and chains started at random settle in it, every convergence criterion passing. So
 * the density is first climbed (Newton) from starts that split the data at quantiles into k
 * groups, and the chains sample in coordinates centred on the highest mode found and whitened
 * by its Laplace approximation, theta = mode + R^-T u with R R' minus the Hessian there: the
 * posterior is near standard normal in u whatever the correlations between components (with
 * three or four, a diagonal scale needed trees four to seven times larger), and the sampler's
 * inits, uniform in (-2, 2), lie within 2 sd of the mode along every principal direction. */
#ifndef CR_DURATION_START_H
#define CR_DURATION_START_H

#include "duration/data.h"
#include "duration/mixture.h"
#include "model/model.h"

typedef struct {
    const cr_duration_data *d;
    int k;                       /* components */
    double mode[CR_DUR_MAXDIM];  /* duration.stan's unconstrained scale */
    double scale[CR_DUR_MAXDIM]; /* Laplace sd at the mode (1 where the curvature is not usable) */
    double root[CR_DUR_MAXDIM * CR_DUR_MAXDIM]; /* R, lower triangular, CR_DUR_DIM(k) square
                                                  * (the identity where the curvature is not
                                                  * usable) */
    double lp;                   /* log density at the mode */
    int starts, modes;           /* ascents made, distinct modes they reached */
    double next_lp;              /* the best other mode's log density, -INFINITY if none */
    double next_mode[CR_DUR_MAXDIM]; /* that mode */
} cr_duration_start;

/* The ascents run on up to `threads` threads (0: one per CPU); the result does not depend on
 * how many. */
void cr_duration_find_start(const cr_duration_data *d, int k, int threads, cr_duration_start *s);
/* The same posterior in s's coordinates u (s must outlive m); outputs as cr_duration_model's;
 * the model the engine fits, under the registry's entry (duration/entry.h). */
void cr_duration_model_at(cr_model *m, const cr_duration_start *s);
/* theta = mode + R^-T u. */
void cr_duration_start_theta(const cr_duration_start *s, const double *u, double *theta);

#endif
