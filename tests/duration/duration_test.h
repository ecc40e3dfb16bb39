/* Helpers shared by the duration tests: synthetic durations from known laws, the grid as
 * docs/durations.md defines it, and points of the unconstrained space. Header-only: each test
 * binary is built from a single test_*.c. */
#ifndef CR_DURATION_TEST_H
#define CR_DURATION_TEST_H

#include <math.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "duration/data.h"
#include "duration/law.h"
#include "duration/mixture.h"

/* Connections starting uniformly over a capture of T seconds with mixture durations; those
 * still running at T are censored at their age then. Durations are floored to ms, as
 * end_ms - start_ms of floored timestamps would be. */
static inline size_t synth(const cr_duration_params *p, size_t n, double T, unsigned long seed,
                           int64_t *ms, uint8_t *cens)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        double start = gsl_rng_uniform(g) * T, dur = cr_duration_draw(p, g);
        cens[i] = start + dur > T;
        ms[i] = (int64_t)floor(1000 * (cens[i] ? T - start : dur));
        nc += cens[i];
    }
    gsl_rng_free(g);
    return nc;
}

/* Connections starting uniformly over a capture of T seconds, watched until its end. */
static inline void synth_follow(const cr_duration_params *p, size_t n, double T,
                                unsigned long seed, int64_t *ms, uint8_t *cens, int64_t *follow)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    for (size_t i = 0; i < n; i++) {
        double start = gsl_rng_uniform(g) * T, dur = cr_duration_draw(p, g);
        follow[i] = (int64_t)floor(1000 * (T - start));
        cens[i] = start + dur > T;
        ms[i] = cens[i] ? follow[i] : (int64_t)floor(1000 * dur);
    }
    gsl_rng_free(g);
}

/* The unconstrained layout with two components, which the K = 2 cases name. */
enum { LOGIT_W, M1, LOG_DM, LOG_S1, LOG_S2, LOGIT_P0, DIM2 };

/* (p0 0 and resolution 0: the mixture alone) */
static const cr_duration_params TCP_TRUTH = {2, {0.6, 0.4}, {-1.2, 4.1}, {1.0, 1.5}, 0, 0};
/* UDP-like: a large share of flows within a few ms (single packets, DNS on a LAN) */
static const cr_duration_params UDP_TRUTH = {2, {0.7, 0.3}, {-6.0, 1.0}, {1.2, 1.8}, 0, 0};
/* As `connrate synth` makes TCP lifetimes (docs/synth.md): refused connections of one round
 * trip, then 1 s, 20 s and 300 s groups */
static const cr_duration_params TCP4_TRUTH = {
    4,
    {0.02, 0.735, 0.196, 0.049},
    {-3.6888794541139363 /* log 0.025 */, 0, 2.9957322735539909 /* log 20 */,
     5.7037824746562009 /* log 300 */},
    {0.7, 1, 1.2, 1},
    0,
    0};

/* The grid as docs/durations.md defines it for a resolution of res ms, walked from 0: edges res
 * apart until floor(edge / coarsen) exceeds res, then that rounded down to whole res apart. The
 * bin [*lo, *hi) holding v. */
static inline void grid_bin(int64_t v, int64_t res, int coarsen, int64_t *lo, int64_t *hi)
{
    int64_t g = 0, next = res;
    while (coarsen > 0 && next <= v) {
        g = next;
        int64_t w = g / coarsen / res * res;
        next = g + (w > res ? w : res);
    }
    *lo = coarsen > 0 ? g : v - v % res;
    *hi = coarsen > 0 ? next : *lo + res;
}

/* A point of k components around the data: weights near equal, means from 220 ms spread over a
 * factor e^4.5, spreads near 1, p0 near 0.27. */
static inline void random_theta(gsl_rng *g, int k, double *th)
{
    for (int j = 0; j + 1 < k; j++)
        th[j] = gsl_ran_gaussian(g, 1);
    th[CR_DUR_Y_M(k)] = -1.5 + gsl_ran_gaussian(g, 1);
    for (int j = 1; j < k; j++)
        th[CR_DUR_Y_M(k) + j] = 1.5 - log((double)(k - 1)) + gsl_ran_gaussian(g, 0.4);
    for (int j = 0; j < k; j++)
        th[CR_DUR_Y_S(k) + j] = 0.2 + 0.1 * j + gsl_ran_gaussian(g, 0.3);
    th[CR_DUR_Y_P0(k)] = -1 + gsl_ran_gaussian(g, 1);
}

#endif
