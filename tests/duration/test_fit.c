/* The duration model fitted with the project's sampler on censored synthetic data (two
 * components, chains around the start; a zero share of 0, 16% and 52% at 1 ms, and 30% in whole
 * seconds): recovery, p0's exact posterior, the seed's convergence criteria, posterior
 * predictive survival against Kaplan-Meier, and the binned posterior against the one on bins of
 * one resolution (importance weights). */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "common/xalloc.h"
#include "duration/data.h"
#include "duration/km.h"
#include "duration/law.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "fit/fit.h"
#include "sampler/chains.h"
#include "duration_test.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    cr_duration_data d;
    cr_duration_start start;
    cr_model m;
    cr_chains_result res;
    cr_fit_check chk;
    cr_diag_summary sum[DIM2];
    int64_t *ms;
    uint8_t *cens;
    size_t n, ncens;
} fitted;

/* As connrate run fits: binned, chains around the start, cmdstan's defaults (4 chains,
 * 1000 + 1000), judged by the seed's criteria as connrate fit judges them (cr_fit_assess). The
 * unconstrained draws are kept for the binning check. */
static int fit_synthetic(fitted *ft, const cr_duration_params *truth, size_t n, double T,
                         int64_t res, unsigned long seed)
{
    memset(ft, 0, sizeof *ft);
    ft->n = n;
    ft->ms = xmalloc(n * sizeof(int64_t));
    ft->cens = xmalloc(n);
    ft->ncens = synth(truth, n, T, seed, ft->ms, ft->cens);
    for (size_t i = 0; i < n; i++) /* timestamps of that resolution */
        ft->ms[i] -= ft->ms[i] % res;
    cr_duration_data_init(&ft->d, n, ft->ms, ft->cens, res, CR_DURATION_COARSEN);
    cr_duration_find_start(&ft->d, 2, 0, &ft->start);
    cr_duration_model_at(&ft->m, &ft->start);
    cr_chains_config cfg;
    cr_chains_config_default(&cfg);
    cfg.seed = seed;
    cfg.keep_unconstrained = 1;
    cr_err e;
    if (cr_chains_run(&ft->m, &cfg, &ft->res, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    const cr_chains_result *r = &ft->res;
    size_t per = (size_t)r->chains * (size_t)r->samples;
    double *col = xmalloc(per * DIM2 * sizeof(double)), ebfmi[64];
    for (size_t k = 0; k < per; k++)
        for (int j = 0; j < DIM2; j++)
            col[(size_t)j * per + k] = r->draws[k * DIM2 + j];
    cr_diag_summarise_many(col, DIM2, r->chains, r->samples, 1, ft->sum);
    for (int c = 0; c < r->chains; c++) {
        for (int i = 0; i < r->samples; i++)
            col[i] = r->stats[(size_t)c * r->samples + i].energy;
        ebfmi[c] = cr_diag_ebfmi(col, r->samples);
    }
    free(col);
    cr_fit_assess(&ft->m, r, ebfmi, ft->sum, &ft->chk);
    return 0;
}

static void fitted_free(fitted *ft)
{
    cr_chains_result_free(&ft->res);
    cr_duration_data_free(&ft->d);
    free(ft->ms);
    free(ft->cens);
}

/* As real UDP flows are: half of them single packets or answered within the same ms (a zero
 * class of 0.52), DNS-like answers of 30 ms and sessions of 20 s; 900 flows in 10 min. */
static const cr_duration_params UDP_REAL = {2, {0.6, 0.4}, {-3.5065578973199818 /* log 0.03 */,
                                                            2.9957322735539909 /* log 20 */},
                                            {1.0, 1.5}, 0.52, 0.001};
/* Times in whole seconds: 30% below 1 s, sessions of 2 s and 1 min. */
static const cr_duration_params WHOLE_SECONDS = {2, {0.5, 0.5}, {0.69314718055994531 /* log 2 */,
                                                                 4.0943445622221004 /* log 60 */},
                                                 {0.8, 1.2}, 0.3, 1};

enum { NFITS = 4 };
static const cr_duration_params *const truths[NFITS] = {&TCP_TRUTH, &UDP_TRUTH, &UDP_REAL,
                                                        &WHOLE_SECONDS};
static const int64_t resolution[NFITS] = {1, 1, 1, 1000};
static fitted fits[NFITS];
static int fits_ok;

static void setup_fits(void)
{
    /* TCP-like: 30 min capture, about 8% still open at its end; UDP-like: 10 min, many flows
     * of 0-2 ms (drawn from the mixture alone, so about 16% below 1 ms); real-UDP-like; whole
     * seconds */
    fits_ok = fit_synthetic(&fits[0], truths[0], 3000, 1800, resolution[0], 101) == 0 &&
              fit_synthetic(&fits[1], truths[1], 3000, 600, resolution[1], 202) == 0 &&
              fit_synthetic(&fits[2], truths[2], 900, 600, resolution[2], 303) == 0 &&
              fit_synthetic(&fits[3], truths[3], 3000, 3600, resolution[3], 404) == 0;
}

static const char *const names[DIM2] = {"w", "m1", "m2", "s1", "s2", "p0"};

/* The true value of output j: p0 of a law of the mixture alone is its share below the
 * resolution, the model's w, m, s those of the same mixture given D >= resolution. */
static double truth_of(int set, int j)
{
    const cr_duration_params *t = truths[set];
    const double v[DIM2 - 1] = {t->w[0], t->m[0], t->m[1], t->s[0], t->s[1]};
    if (j < DIM2 - 1)
        return v[j];
    return t->p0 > 0 ? t->p0 : 1 - cr_duration_survival(t, (double)resolution[set] / 1000);
}

/* The mixture's parameters, and p0 where the truth puts some mass below the resolution: 90%
 * intervals cover their truth about 9 times in 10, and none is off by 4 sd. */
static void test_fit_recovers_parameters(void)
{
    CHECK(fits_ok);
    int covered = 0, intervals = 0;
    for (int k = 0; k < NFITS; k++) {
        printf("     set %d: %zu connections, %zu censored, %.0f below the resolution (%lld ms), "
               "%d bins\n", k, fits[k].n, fits[k].ncens, fits[k].d.n_zero,
               (long long)resolution[k], fits[k].d.nedge - 1);
        CHECK(fits[k].ncens >= 20);
        for (int j = 0; j < DIM2; j++) {
            const cr_diag_summary *s = &fits[k].sum[j];
            double tv = truth_of(k, j);
            if (j == LOGIT_P0 && tv < 1e-6) /* nothing below 1 ms to recover */
                continue;
            int in = s->q5 <= tv && tv <= s->q95;
            covered += in, intervals++;
            printf("       %-2s truth %7.3f  mean %7.3f  90%% [%7.3f, %7.3f]%s\n", names[j], tv,
                   s->mean, s->q5, s->q95, in ? "" : "  (not covered)");
            CHECKF(fabs(s->mean - tv) <= 4 * s->sd, "set %d %s: mean %g, truth %g, sd %g", k,
                   names[j], s->mean, tv, s->sd);
        }
    }
    /* 23 nominal 90% intervals: fewer than 18 covering has probability 3% if calibrated */
    CHECKF(covered >= 18, "%d of %d 90%% intervals cover the truth", covered, intervals);
}

/* The posterior of p0 is exactly beta(1 + n_zero, 1 + the others) (duration/mixture.h): the
 * draws' beta cdf values must be uniform, by Kolmogorov-Smirnov at the 1% level with the ESS as
 * the sample size. */
static void test_p0_posterior_is_beta(void)
{
    CHECK(fits_ok);
    for (int k = 0; k < NFITS; k++) {
        const fitted *ft = &fits[k];
        double a = CR_DUR_P0_A + ft->d.n_zero;
        double b = CR_DUR_P0_B + (double)(ft->d.nended + ft->d.ncens) - ft->d.n_zero;
        size_t nd = (size_t)ft->res.chains * ft->res.samples;
        double *u = xmalloc(nd * sizeof *u);
        for (size_t i = 0; i < nd; i++)
            u[i] = gsl_cdf_beta_P(ft->res.draws[i * DIM2 + LOGIT_P0], a, b);
        qsort(u, nd, sizeof *u, cmp_double);
        double ks = 0;
        for (size_t i = 0; i < nd; i++)
            ks = fmax(ks, fmax(fabs((double)(i + 1) / nd - u[i]), fabs((double)i / nd - u[i])));
        double ess = fmin(ft->sum[LOGIT_P0].ess_bulk, (double)nd), crit = 1.63 / sqrt(ess);
        printf("     set %d: beta(%.0f, %.0f), mean %.5f; draws' mean %.5f, KS %.4f (1%%: %.4f)\n",
               k, a, b, a / (a + b), ft->sum[LOGIT_P0].mean, ks, crit);
        CHECKF(ks < crit, "set %d: KS distance %g of p0's draws from beta(%g, %g)", k, ks, a, b);
        free(u);
    }
}

static void test_fit_converges(void)
{
    CHECK(fits_ok);
    for (int k = 0; k < NFITS; k++) {
        const cr_fit_check *c = &fits[k].chk;
        printf("     set %d: divergences %d, min E-BFMI %.3f, max R-hat %.4f, min ESS bulk %.0f "
               "tail %.0f\n", k, c->divergences, c->min_ebfmi, c->max_rhat, c->min_ess_bulk,
               c->min_ess_tail);
        CHECKF(c->pass, "set %d fails the convergence criteria: %s", k, c->reasons);
        CHECK_INT(c->divergences, 0);
        CHECK(c->max_rhat < 1.01 && c->min_ess_bulk > 400 && c->min_ess_tail > 400);
    }
}

/* Posterior predictive P(D > t), averaged over draws, against Kaplan-Meier of the same data
 * (durations in ms of resolution r; the model's D >= d + r is KM's "more than d"), at times
 * that are whole multiples of r. */
static void test_posterior_survival_matches_km(void)
{
    CHECK(fits_ok);
    static const double grid_s[] = {0.001, 0.003, 0.01, 0.1, 0.3, 1, 3, 10, 30, 100, 300};
    for (int k = 0; k < NFITS; k++) {
        fitted *ft = &fits[k];
        double *t = xmalloc(ft->n * sizeof(double));
        for (size_t i = 0; i < ft->n; i++)
            t[i] = (double)ft->ms[i];
        cr_km km;
        cr_km_estimate(&km, ft->n, t, ft->cens);
        size_t nd = (size_t)ft->res.chains * ft->res.samples;
        double worst = 0;
        const double res = (double)ft->d.res_ms;
        for (size_t gi = 0; gi < sizeof grid_s / sizeof grid_s[0]; gi++) {
            double ms = round(1000 * grid_s[gi]), se, s_km = cr_km_at(&km, ms, &se), s_pp = 0;
            if (fmod(ms, res) != 0)
                continue;
            for (size_t i = 0; i < nd; i++) {
                cr_duration_params p =
                    cr_duration_params_at(2, res / 1000, ft->res.draws + i * DIM2);
                s_pp += cr_duration_survival(&p, (ms + res) / 1000);
            }
            s_pp /= (double)nd;
            double z = fabs(s_pp - s_km) / (se + 1e-3);
            worst = z > worst ? z : worst;
            CHECKF(z <= 3.5, "set %d t=%g s: posterior predictive %.4f, KM %.4f (se %.4f)", k,
                   grid_s[gi], s_pp, s_km, se);
        }
        printf("     set %d: worst |S_pp - S_km| / (KM se + 0.001) over %zu times: %.2f\n", k,
               sizeof grid_s / sizeof grid_s[0], worst);
        cr_km_free(&km);
        free(t);
    }
}

/* Binning changes the likelihood, so the binned posterior p_b and the one on bins of one
 * resolution p_1 differ by the weights w = p_1 / p_b. To first order any posterior mean moves
 * by cov(f, log w), at most sd(log w) posterior sd: that must be below the Monte Carlo error 1 / sqrt(ESS) of what
 * `connrate run` delivers (its duration fit keeps 4 x 500 draws, so ESS <= 2,000; these test
 * fits keep 4,000), and the reweighted means within 2 MCSE of the binned ones (the shift is
 * itself estimated from the same draws). */
static void test_binning_below_monte_carlo_error(void)
{
    CHECK(fits_ok);
    for (int k = 0; k < NFITS; k++) {
        fitted *ft = &fits[k];
        cr_duration_data fine;
        cr_duration_data_init(&fine, ft->n, ft->ms, ft->cens, ft->d.res_ms, 0);
        cr_model mb, m1;
        cr_duration_model(&mb, &ft->d, 2);
        cr_duration_model(&m1, &fine, 2);
        size_t nd = (size_t)ft->res.chains * ft->res.samples;
        double *lw = xmalloc(nd * sizeof *lw), mean = 0, var = 0;
        for (size_t i = 0; i < nd; i++) {
            double th[DIM2];
            cr_duration_start_theta(&ft->start, ft->res.unconstrained + i * DIM2, th);
            lw[i] = cr_duration_logp(&m1, th, NULL, NULL) - cr_duration_logp(&mb, th, NULL, NULL);
            mean += lw[i];
        }
        mean /= (double)nd;
        double wsum = 0, moved[DIM2] = {0}, worst = 0;
        for (size_t i = 0; i < nd; i++) {
            var += (lw[i] - mean) * (lw[i] - mean);
            double w = exp(lw[i] - mean);
            wsum += w;
            for (int j = 0; j < DIM2; j++)
                moved[j] += w * ft->res.draws[i * DIM2 + j];
        }
        double sd = sqrt(var / (double)(nd - 1)), mc = 1 / sqrt(fmin(ft->chk.min_ess_bulk, 2000));
        CHECKF(sd < mc, "set %d: sd(log w) %.4f, 1/sqrt(ESS) %.4f", k, sd, mc);
        for (int j = 0; j < DIM2; j++) {
            double shift = moved[j] / wsum - ft->sum[j].mean;
            worst = fmax(worst, fabs(shift) / ft->sum[j].sd);
            CHECKF(fabs(shift) < 2 * ft->sum[j].mcse_mean, "set %d %s: moves by %.3g, MCSE %.3g",
                   k, names[j], shift, ft->sum[j].mcse_mean);
        }
        printf("     set %d: %d bins for %d intervals of one resolution; sd(log w) %.4f "
               "(1/sqrt(ESS) %.4f); means move by at most %.4f sd\n", k, ft->d.nedge - 1,
               fine.nedge - 1, sd, mc, worst);
        free(lw);
        cr_duration_data_free(&fine);
    }
}

static void teardown(void)
{
    for (int k = 0; k < NFITS; k++)
        fitted_free(&fits[k]);
}

TEST_MAIN(setup_fits(); RUN(test_fit_recovers_parameters);
          RUN(test_p0_posterior_is_beta); RUN(test_fit_converges);
          RUN(test_posterior_survival_matches_km); RUN(test_binning_below_monte_carlo_error);
          teardown())
