/* The users' stratified effects (lib/sim/strata.c): each slot's strata are a permutation of the
 * draws, every draw's stratum is uniform over the seeds (so z is exactly N(0,1)), and a run's
 * mean of a user's per-draw mean is unbiased with less spread than independent users give. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "sim/strata.h"
#include "sim/users.h"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void strata_are_permutations(void)
{
    static const int sizes[] = {1, 2, 3, 7, 64, 200, 1000, 4097};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const int n = sizes[i];
        char *seen = xcalloc((size_t)n, 1);
        for (long u = 0; u < 5; u++) {
            memset(seen, 0, (size_t)n);
            for (int d = 0; d < n; d++) {
                cr_sim_strata st = {42 + (uint64_t)i, d, n};
                long s = cr_sim_stratum(&st, u);
                CHECKF(s >= 0 && s < n && !seen[s], "D %d slot %ld draw %d: stratum %ld", n, u, d,
                       s);
                seen[s] = 1;
            }
        }
        free(seen);
    }
}

/* Over seeds, the stratum of a given draw and slot takes each of D values equally often
 * (chi-square), and z at a given draw is N(0,1) (Kolmogorov-Smirnov): the marginal law of every
 * user's effect is the model's. */
static void marginal_is_standard_normal(void)
{
    enum { D = 7, KEYS = 70000 };
    long count[D] = {0};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    double *z = xmalloc(KEYS * sizeof *z);
    for (int k = 0; k < KEYS; k++) {
        cr_sim_strata st = {(uint64_t)k, 3, D};
        count[cr_sim_stratum(&st, 11)]++;
        cr_sim_strata wide = {(uint64_t)k, 123, 500};
        z[k] = cr_sim_strata_z(&wide, 2, r);
    }
    double chi2 = 0, e = (double)KEYS / D;
    for (int s = 0; s < D; s++)
        chi2 += (count[s] - e) * (count[s] - e) / e;
    double p = gsl_cdf_chisq_Q(chi2, D - 1);
    CHECKF(p > 1e-3, "strata over seeds: chi-square %.2f, p %.2g", chi2, p);
    qsort(z, KEYS, sizeof *z, by_value);
    double ks = 0;
    for (int k = 0; k < KEYS; k++) {
        double F = gsl_cdf_ugaussian_P(z[k]);
        ks = fmax(ks, fmax(F - (double)k / KEYS, (double)(k + 1) / KEYS - F));
    }
    /* sqrt(n) D beyond 1.95: p = 0.001 */
    CHECKF(sqrt((double)KEYS) * ks < 1.95, "z at one draw over seeds: KS sqrt(n) D = %.2f",
           sqrt((double)KEYS) * ks);
    free(z);
    gsl_rng_free(r);
}

/* One Poisson user per draw (no minute effects: its rate is exp(alpha + s z) all along), D draws:
 * the run's mean of the per-draw means, over R seeds, is the model's E[y] = exp(alpha + s^2/2)
 * within 4.5 standard errors, stratified or not, and stratifying shrinks its spread (the
 * between-user part of a lognormal with s = 1.2 is most of it). */
static double run_means(int stratify, int R, double *sd)
{
    enum { D = 200, S = 60 };
    cr_sim_draw p = {.alpha = 0.5, .sigma_machine = 1.2, .phi = INFINITY};
    cr_sim_draw *draws = xmalloc(D * sizeof *draws);
    for (int d = 0; d < D; d++)
        draws[d] = p;
    double *y = xmalloc((size_t)D * S * sizeof *y), sum = 0, sum2 = 0;
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.seconds = S;
    cfg.threads = 2;
    cfg.stratify = stratify;
    for (int k = 0; k < R; k++) {
        cfg.seed = 1000 + (uint64_t)k;
        cr_err e = {0};
        if (cr_sim_users(draws, D, &cfg, y, NULL, &e) != 0)
            return NAN;
        double m = 0;
        for (size_t i = 0; i < (size_t)D * S; i++)
            m += y[i];
        m /= (double)D * S;
        sum += m;
        sum2 += m * m;
    }
    free(y);
    free(draws);
    double mean = sum / R;
    *sd = sqrt((sum2 - R * mean * mean) / (R - 1));
    return mean;
}

static void user_mean_unbiased(void)
{
    enum { R = 300 };
    const double truth = exp(0.5 + 1.2 * 1.2 / 2);
    double sd_strat, sd_iid;
    double strat = run_means(1, R, &sd_strat), iid = run_means(0, R, &sd_iid);
    printf("    E[y] %.4f: stratified %.4f (sd over seeds %.4f), independent %.4f (sd %.4f)\n",
           truth, strat, sd_strat, iid, sd_iid);
    CHECKF(fabs(strat - truth) < 4.5 * sd_strat / sqrt(R), "stratified mean %.4f, expected %.4f",
           strat, truth);
    CHECKF(fabs(iid - truth) < 4.5 * sd_iid / sqrt(R), "independent mean %.4f, expected %.4f",
           iid, truth);
    CHECKF(sd_strat < 0.7 * sd_iid, "stratified sd %.4f, independent %.4f", sd_strat, sd_iid);
}

TEST_MAIN(RUN(strata_are_permutations), RUN(marginal_is_standard_normal),
          RUN(user_mean_unbiased))
