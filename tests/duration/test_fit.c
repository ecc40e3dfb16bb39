/* The duration model fitted with the project's sampler on censored synthetic data (two
 * components, chains around the start): recovery, the seed's convergence criteria, posterior
 * predictive survival against Kaplan-Meier, and the binned posterior against the 1 ms one
 * (importance weights). */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "common/xalloc.h"
#include "duration/data.h"
#include "duration/km.h"
#include "duration/law.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "fit/fit.h"
#include "sampler/chains.h"
#include "duration_test.h"

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
                         unsigned long seed)
{
    memset(ft, 0, sizeof *ft);
    ft->n = n;
    ft->ms = xmalloc(n * sizeof(int64_t));
    ft->cens = xmalloc(n);
    ft->ncens = synth(truth, n, T, seed, ft->ms, ft->cens);
    cr_duration_data_init(&ft->d, n, ft->ms, ft->cens, CR_DURATION_COARSEN);
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

enum { NFITS = 2 };
static fitted fits[NFITS];
static int fits_ok;

static void setup_fits(void)
{
    /* TCP-like: 30 min capture, about 8% still open at its end; UDP-like: 10 min, many flows
     * of 0-2 ms */
    fits_ok = fit_synthetic(&fits[0], &TCP_TRUTH, 3000, 1800, 101) == 0 &&
              fit_synthetic(&fits[1], &UDP_TRUTH, 3000, 600, 202) == 0;
}

static void test_fit_recovers_parameters(void)
{
    CHECK(fits_ok);
    static const char *const names[DIM2] = {"w", "m1", "m2", "s1", "s2"};
    const cr_duration_params *truths[NFITS] = {&TCP_TRUTH, &UDP_TRUTH};
    int covered = 0;
    for (int k = 0; k < NFITS; k++) {
        const cr_duration_params *t = truths[k];
        const double tv[DIM2] = {t->w[0], t->m[0], t->m[1], t->s[0], t->s[1]};
        printf("     set %d: %zu connections, %zu censored, %d bins\n", k, fits[k].n,
               fits[k].ncens, fits[k].d.nedge - 1);
        CHECK(fits[k].ncens > 20);
        for (int j = 0; j < DIM2; j++) {
            const cr_diag_summary *s = &fits[k].sum[j];
            int in = s->q5 <= tv[j] && tv[j] <= s->q95;
            covered += in;
            printf("       %-2s truth %7.3f  mean %7.3f  90%% [%7.3f, %7.3f]%s\n", names[j], tv[j],
                   s->mean, s->q5, s->q95, in ? "" : "  (not covered)");
            /* never far off: within 4 posterior sd */
            CHECKF(fabs(s->mean - tv[j]) <= 4 * s->sd, "set %d %s: mean %g, truth %g, sd %g", k,
                   names[j], s->mean, tv[j], s->sd);
        }
    }
    /* 10 nominal 90% intervals: fewer than 8 covering has probability 7% if calibrated */
    CHECKF(covered >= 8, "%d of %d 90%% intervals cover the truth", covered, NFITS * DIM2);
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
 * (durations in ms; the model's D >= d + 1 ms is KM's "more than d"). */
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
        for (size_t gi = 0; gi < sizeof grid_s / sizeof grid_s[0]; gi++) {
            double ms = 1000 * grid_s[gi], se, s_km = cr_km_at(&km, ms, &se), s_pp = 0;
            for (size_t i = 0; i < nd; i++) {
                cr_duration_params p = cr_duration_params_at(2, ft->res.draws + i * DIM2);
                s_pp += cr_duration_survival(&p, (ms + 1) / 1000);
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

/* Binning changes the likelihood, so the binned posterior p_b and the 1 ms one p_1 differ by
 * the weights w = p_1 / p_b. To first order any posterior mean moves by cov(f, log w), at most
 * sd(log w) posterior sd: that must be below the Monte Carlo error 1 / sqrt(ESS) of what
 * `connrate run` delivers (its duration fit keeps 4 x 500 draws, so ESS <= 2,000; these test
 * fits keep 4,000), and the reweighted means within their MCSE of the binned ones. */
static void test_binning_below_monte_carlo_error(void)
{
    CHECK(fits_ok);
    static const char *const names[DIM2] = {"w", "m1", "m2", "s1", "s2"};
    for (int k = 0; k < NFITS; k++) {
        fitted *ft = &fits[k];
        cr_duration_data fine;
        cr_duration_data_init(&fine, ft->n, ft->ms, ft->cens, 0);
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
            CHECKF(fabs(shift) < ft->sum[j].mcse_mean, "set %d %s: moves by %.3g, MCSE %.3g", k,
                   names[j], shift, ft->sum[j].mcse_mean);
        }
        printf("     set %d: %d bins for %d 1 ms intervals; sd(log w) %.4f (1/sqrt(ESS) %.4f); "
               "means move by at most %.4f sd\n", k, ft->d.nedge - 1, fine.nedge - 1, sd, mc,
               worst);
        free(lw);
        cr_duration_data_free(&fine);
    }
}

static void teardown(void)
{
    for (int k = 0; k < NFITS; k++)
        fitted_free(&fits[k]);
}

TEST_MAIN(gsl_set_error_handler_off(); setup_fits(); RUN(test_fit_recovers_parameters);
          RUN(test_fit_converges);
          RUN(test_posterior_survival_matches_km); RUN(test_binning_below_monte_carlo_error);
          teardown())
