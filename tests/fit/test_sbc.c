/* Simulation-based calibration (Talts et al. 2018) of the model and sampler together: draw
 * parameters from the prior, data from the model (3 machines x 5 minutes), fit with short chains,
 * and rank each true value among thinned posterior draws. When the log density, its gradient and
 * the sampler are right, the ranks are uniform; a chi-square test at a fixed seed checks alpha,
 * sigma_machine, sigma_minute and phi. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nbh.h"
#include "sampler/chains.h"

enum { MACHINES = 3, SECONDS = 300, REPS = 300, CHAINS = 2, WARMUP = 200, SAMPLES = 100,
       THIN = 10, NRANK = CHAINS * SAMPLES / THIN + 1, BINS = 7 };

static void no_progress(void *ctx, int chain, int done, int total, int warmup)
{
    (void)ctx, (void)chain, (void)done, (void)total, (void)warmup;
}

static void test_sbc_ranks_uniform(void)
{
    const size_t n = (size_t)MACHINES * SECONDS;
    int *machine = xmalloc(n * sizeof(int)), *minute = xmalloc(n * sizeof(int));
    int *y = xmalloc(n * sizeof(int));
    for (size_t r = 0; r < n; r++) {
        machine[r] = (int)(r / SECONDS) + 1;
        minute[r] = (int)(r % SECONDS) / 60 + 1;
    }
    const int nout = CR_NBH_NFIXED + MACHINES + MACHINES * SECONDS / 60;
    double *truth = xmalloc((size_t)nout * sizeof(double));
    int count[CR_NBH_NFIXED][BINS];
    memset(count, 0, sizeof count);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 20240607);
    int failed = 0, divergent_reps = 0;
    for (int rep = 0; rep < REPS; rep++) {
        truth[0] = gsl_ran_gaussian(g, 3);
        truth[1] = fabs(gsl_ran_gaussian(g, 1));
        truth[2] = fabs(gsl_ran_gaussian(g, 1));
        double isp = fabs(gsl_ran_gaussian(g, 1));
        truth[3] = 1 / (isp * isp);
        for (int i = CR_NBH_NFIXED; i < nout; i++)
            truth[i] = gsl_ran_gaussian(g, 1);
        cr_nbh_simulate(n, machine, minute, truth, g, y);

        cr_nbh_data d;
        cr_model m;
        cr_nbh_data_from_rows(&d, n, machine, minute, y);
        cr_nbh_model(&m, &d);
        cr_chains_config cfg;
        cr_chains_config_default(&cfg);
        cfg.chains = CHAINS;
        cfg.warmup = WARMUP;
        cfg.samples = SAMPLES;
        cfg.seed = (uint64_t)rep + 1;
        cfg.threads = 2;
        cfg.progress = no_progress;
        cr_chains_result res;
        cr_err e;
        if (cr_chains_run(&m, &cfg, &res, &e) != 0) {
            failed++;
            cr_nbh_data_free(&d);
            continue;
        }
        int div = 0;
        for (int i = 0; i < CHAINS * SAMPLES; i++)
            div += res.stats[i].divergent;
        divergent_reps += div > 0;
        for (int j = 0; j < CR_NBH_NFIXED; j++) {
            int rank = 0;
            for (int i = THIN - 1; i < CHAINS * SAMPLES; i += THIN)
                rank += res.draws[(size_t)i * res.nout + j] < truth[j];
            count[j][rank * BINS / NRANK]++;
        }
        cr_chains_result_free(&res);
        cr_nbh_data_free(&d);
    }
    gsl_rng_free(g);
    free(machine);
    free(minute);
    free(y);
    free(truth);
    CHECKF(failed <= REPS / 100, "%d of %d fits could not start", failed, REPS);
    printf("     %d replications, %d with divergences\n", REPS - failed, divergent_reps);

    static const char *names[] = {"alpha", "sigma_machine", "sigma_minute", "phi"};
    int worst = 0;
    double worst_p = 1;
    for (int j = 0; j < CR_NBH_NFIXED; j++) {
        int total = 0;
        for (int b = 0; b < BINS; b++)
            total += count[j][b];
        double chi2 = 0;
        for (int b = 0; b < BINS; b++) {
            /* NRANK ranks do not split evenly into BINS bins: expected share of bin b */
            int lo = (b * NRANK + BINS - 1) / BINS, hi = ((b + 1) * NRANK + BINS - 1) / BINS;
            double expect = (double)total * (hi - lo) / NRANK;
            chi2 += (count[j][b] - expect) * (count[j][b] - expect) / expect;
        }
        double p = gsl_cdf_chisq_Q(chi2, BINS - 1);
        printf("     %-13s chi2 %6.2f p %.4f bins", names[j], chi2, p);
        for (int b = 0; b < BINS; b++)
            printf(" %d", count[j][b]);
        printf("\n");
        if (p < worst_p)
            worst_p = p, worst = j;
    }
    CHECKF(worst_p > 0.001, "ranks of %s not uniform (p = %.2g)", names[worst], worst_p);
}

TEST_MAIN(RUN_SLOW(test_sbc_ranks_uniform))
