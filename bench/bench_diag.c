/* Diagnostics throughput: the posterior-package summary (R-hat, bulk/tail ESS, MCSE, quantiles)
 * of 5000 variables x 4 chains x 1000 draws, one thread and all threads, side by side with R's
 * posterior::summarise_draws on a matrix of the same shape when Rscript is installed. This was
 * once a test with a CPU-time bound; speed belongs here, where a loaded machine fails nothing. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"
#include "diag/diag.h"

enum { VARS = 5000, CH = 4, N = 1000, R_VARS = 500 };

int main(void)
{
    double *x = malloc((size_t)VARS * CH * N * sizeof *x);
    cr_diag_summary *out = malloc(VARS * sizeof *out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int v = 0; v < VARS; v++) {
        double rho = (v % 5) * 0.2, a = 0; /* well and poorly mixing parameters */
        double *p = x + (size_t)v * CH * N;
        for (int i = 0; i < CH * N; i++)
            p[i] = a = rho * a + sqrt(1 - rho * rho) * gsl_ran_gaussian(r, 1);
    }
    gsl_rng_free(r);
    double t0 = cr_now();
    cr_diag_ws *ws = cr_diag_ws_new();
    for (int v = 0; v < VARS; v++)
        cr_diag_summarise(x + (size_t)v * CH * N, CH, N, ws, &out[v]);
    cr_diag_ws_free(ws);
    double one = cr_now() - t0;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    t0 = cr_now();
    cr_diag_summarise_many(x, VARS, CH, N, threads, out);
    double many = cr_now() - t0;
    printf("diag: %d variables x %d chains x %d draws: connrate %.3f s on one thread, %.3f s on "
           "%d threads (%.0f variables/s)\n", VARS, CH, N, one, many, threads, VARS / many);
    if (system("command -v Rscript >/dev/null 2>&1") == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "Rscript -e 'suppressMessages(library(posterior)); set.seed(7); "
                 "x <- array(rnorm(%d * %d * %d), c(%d, %d, %d)); d <- as_draws_array(x); "
                 "t <- system.time(summarise_draws(d))[[\"elapsed\"]]; cat(t)' 2>/dev/null",
                 N, CH, R_VARS, N, CH, R_VARS);
        FILE *p = popen(cmd, "r");
        double rt = 0;
        if (p && fscanf(p, "%lf", &rt) == 1 && rt > 0)
            printf("diag: R posterior::summarise_draws, %d variables: %.2f s (%.0f variables/s); "
                   "connrate one thread is %.0fx its rate\n", R_VARS, rt, R_VARS / rt,
                   (VARS / one) / (R_VARS / rt));
        if (p)
            pclose(p);
    }
    free(x);
    free(out);
    return 0;
}
