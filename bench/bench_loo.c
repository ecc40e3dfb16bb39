/* PSIS-LOO throughput: 10^5 observations x 4000 draws (4 chains) of Poisson log-likelihoods,
 * threaded batch vs one thread, as connrate fit evaluates them per distinct (cell, count). */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "loo/loo.h"

enum { CH = 4, N = 1000, S = CH * N, CHUNK = 2000, NSCALE = 7, OBS = 100000 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    double *z = malloc(S * sizeof *z), *ez = malloc(NSCALE * S * sizeof *ez);
    double *ll = malloc((size_t)CHUNK * S * sizeof *ll);
    for (int c = 0; c < CH; c++) {
        double *y = z + (size_t)c * N;
        y[0] = gsl_ran_gaussian(r, 1);
        for (int t = 1; t < N; t++)
            y[t] = 0.5 * y[t - 1] + sqrt(0.75) * gsl_ran_gaussian(r, 1);
    }
    for (int j = 0; j < NSCALE; j++)
        for (int k = 0; k < S; k++)
            ez[j * S + k] = exp((0.05 + 0.1 * j) * z[k]);
    cr_loo_pointwise *p = malloc(CHUNK * sizeof *p);
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double t_many = 0, t_one = 0;
    for (int done = 0; done < OBS; done += CHUNK) {
        for (int i = 0; i < CHUNK; i++) {
            int o = done + i, j = o % NSCALE;
            double y = o % 11, rate = 1 + (o % 13) * 0.4, lg = gsl_sf_lngamma(y + 1);
            for (int k = 0; k < S; k++)
                ll[(size_t)i * S + k] =
                    y * (log(rate) + (0.05 + 0.1 * j) * z[k]) - rate * ez[j * S + k] - lg;
        }
        double t0 = now();
        cr_loo_point_many(ll, CHUNK, CH, N, threads, p);
        t_many += now() - t0;
        if (done == 0) {
            t0 = now();
            cr_loo_point_many(ll, CHUNK, CH, N, 1, p);
            t_one = (now() - t0) * OBS / CHUNK;
        }
    }
    printf("loo: %d observations x %d draws: %.1f s on %d threads (%.0f us per observation); "
           "one thread (extrapolated from %d): %.1f s; speed-up %.2fx\n",
           OBS, S, t_many, threads, 1e6 * t_many / OBS, CHUNK, t_one, t_one / t_many);
    free(p);
    free(ll);
    free(ez);
    free(z);
    gsl_rng_free(r);
    return 0;
}
