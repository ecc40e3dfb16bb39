/* Runs one job per posterior draw on a pool of threads. Each draw gets its own random stream
 * derived from (seed, draw) alone, so results never depend on the number of threads or on their
 * scheduling: the simulation modules (users.h, concurrency.h) are built on this. */
#ifndef CR_SIM_PARALLEL_H
#define CR_SIM_PARALLEL_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "common/err.h"

/* Fills e and returns -1 on failure. Called concurrently for different draws. */
typedef int (*cr_sim_draw_job)(void *ctx, int draw, gsl_rng *r, cr_err *e);

/* The stream of one draw: mt19937 seeded from (seed, draw) through splitmix64. */
void cr_sim_seed_stream(gsl_rng *r, uint64_t seed, int draw);

/* Runs job for draws 0..ndraws-1 on `threads` threads (0: one per CPU) with a status line on
 * stderr when it is a terminal (what: "simulating users"...). After a failure no new draws are
 * started; the error of the lowest failing draw is returned, prefixed with "draw N". */
int cr_sim_parallel(int ndraws, int threads, uint64_t seed, const char *what, cr_sim_draw_job job,
                    void *ctx, cr_err *e);

#endif
