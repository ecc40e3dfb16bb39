/* The ladder's options for a brief fit of one model in a test: no holdout, one attempt of 4
 * chains x (150 warmup + 100 draws) on 2 threads. Such fits check plumbing, not convergence. */
#ifndef CR_TEST_BRIEF_FIT_H
#define CR_TEST_BRIEF_FIT_H

#include "fit/fit.h"

static inline void cr_test_brief_fit(cr_fit_ladder_options *o, int model, int draws)
{
    cr_fit_ladder_options_default(o);
    o->model = model;
    o->holdout = 0;
    o->draws = draws;
    o->fit.attempts = 1;
    o->fit.sampler.warmup = 150;
    o->fit.sampler.samples = 100;
    o->fit.sampler.threads = 2;
}

#endif
