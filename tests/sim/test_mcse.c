/* Monte Carlo standard errors of the pooled summaries (lib/sim/mcse.c) against the same
 * definition computed by R (sd, the mid-quantile and mid-CDF from their definitions; skipped
 * without Rscript) and against brute force: the spread of the summaries over 40 independent
 * repetitions of one configuration (fresh posterior draws, users and seconds each time), which
 * the reported standard errors must match; Poisson counts whose q99 sits on an integer step;
 * and slots fed by AR(1) chains (phi 0, 0.5, 0.9), whose errors must count the chains'
 * autocorrelation. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/concurrency.h"
#include "sim/mcse.h"
#include "sim_test.h"

static void edge_cases(void)
{
    enum { D = 3, S = 4 };
    double x[D * S], y[D * S];
    for (int i = 0; i < D * S; i++)
        x[i] = y[i] = (i * 7) % 5;
    cr_sim_summary s, t;
    cr_sim_mcse m;
    cr_sim_summarize_draws(x, D, D, NULL, S, &s, &m);
    cr_sim_summarize(y, D * S, &t);
    CHECK(memcmp(&s, &t, sizeof s) == 0 && memcmp(x, y, sizeof x) == 0);
    for (int d = 0; d < D; d++)
        for (int i = 0; i < S; i++)
            x[d * S + i] = i;
    /* identical draws: no spread between them (each has half its seconds below q50 = 1.5,
     * none above q99 = 3) */
    cr_sim_summarize_draws(x, D, D, NULL, S, &s, &m);
    CHECK(m.mean == 0 && m.q50 == 0 && m.q999 == 0);
    CHECK(m.draws_above_q99 == 0 && m.draws_above_q999 == 0);
    for (int i = 0; i < D * S; i++)
        x[i] = i % S;
    x[S + 1] = 9;
    CHECK(cr_sim_draws_above(x, D, S, 2.5) == 3 && cr_sim_draws_above(x, D, S, 3) == 1);
    cr_sim_summarize_draws(x, 1, 1, NULL, D * S, &s, &m);
    CHECK(isnan(m.mean) && isnan(m.q90));
}

/* ---- against R ---- */

static void matches_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("Rscript is not installed");
    enum { D = 37, S = 250 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *x = xmalloc(D * S * sizeof *x), *sorted = xmalloc(D * S * sizeof *x);
    for (int d = 0; d < D; d++) {
        double level = 20 * exp(0.5 * gsl_ran_gaussian(r, 1));
        for (int s = 0; s < S; s++)
            x[d * S + s] = gsl_ran_negative_binomial(r, 0.7 / (0.7 + level), 0.7);
    }
    gsl_rng_free(r);
    char path[512];
    snprintf(path, sizeof path, "%s/x.bin", cr_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(x, sizeof *x, D * S, f) == D * S);
    fclose(f);
    /* the same steps in R from the definitions: the mid-CDF at the pooled sample's distinct
     * values u, its inverse by approx(); each draw's own mid-CDF at u, interpolated at the
     * quantile, the se of their mean, the quantiles that far either side */
    CHECK_INT(cr_test_sh(
        "cd '%s' && Rscript -e 'x <- readBin(\"x.bin\", \"double\", n = %d * %d, "
        "endian = \"little\"); D <- %d; S <- %d; m <- matrix(x, nrow = S); "
        "u <- sort(unique(x)); fmid <- function(y) sapply(u, function(v) mean(y < v) + "
        "mean(y == v) / 2); Q <- function(p) approx(fmid(x), u, p, rule = 2)$y; "
        "Fd <- apply(m, 2, fmid); out <- sd(colMeans(m)) / sqrt(D); "
        "for (p in c(0.5, 0.9, 0.95, 0.99, 0.999)) { q <- Q(p); "
        "se <- sd(apply(Fd, 2, function(f) approx(u, f, q)$y)) / sqrt(D); "
        "b <- Q(c(max(p - se, 0), min(p + se, 1))); "
        "out <- c(out, (b[2] - b[1]) / 2) }; "
        "writeBin(out, \"ref.bin\", endian = \"little\")' >/dev/null 2>&1",
        cr_test_tmpdir(), D, S, D, S), 0);
    snprintf(path, sizeof path, "%s/ref.bin", cr_test_tmpdir());
    double ref[6];
    f = fopen(path, "rb");
    CHECK(f && fread(ref, sizeof *ref, 6, f) == 6);
    fclose(f);
    memcpy(sorted, x, D * S * sizeof *x);
    cr_sim_sort(sorted, D * S);
    const double ps[5] = {0.5, 0.9, 0.95, 0.99, 0.999};
    CHECK_NEAR(cr_sim_mcse_mean(x, D, D, NULL, S), ref[0], 1e-12 * ref[0]);
    for (int i = 0; i < 5; i++) {
        double got = cr_sim_mcse_quantile(x, sorted, D, D, NULL, S, ps[i]);
        printf("     q%g: mcse %.4g (R %.4g)\n", 100 * ps[i], got, ref[1 + i]);
        CHECK_NEAR(got, ref[1 + i], 1e-12 * ref[1 + i]);
    }
    free(x);
    free(sorted);
}

/* ---- against the spread over repetitions ---- */

static double exp_session(void *ctx, gsl_rng *r, int draw)
{
    return gsl_ran_exponential(r, *(double *)ctx);
}

static double exp_stoploss(void *ctx, int draw, double x)
{
    double a = *(double *)ctx;
    return x <= 0 ? a - x : a * exp(-x / a);
}

enum { REPS = 40, D = 100, NQ = 6 };
static const char *const stat_names[NQ] = {"mean", "q50", "q90", "q95", "q99", "q99.9"};

static void stats_of(const cr_sim_summary *s, const cr_sim_mcse *m, double v[NQ], double e[NQ])
{
    const double vs[NQ] = {s->mean, s->q50, s->q90, s->q95, s->q99, s->q999};
    const double es[NQ] = {m->mean, m->q50, m->q90, m->q95, m->q99, m->q999};
    memcpy(v, vs, sizeof vs);
    memcpy(e, es, sizeof es);
}

/* A posterior of the nbh model as a fit of a few machines gives it, drawn afresh with each
 * repetition's seed unless fixed (then the same draws every time). */
static void posterior(cr_sim_draw *draws, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int d = 0; d < D; d++)
        draws[d] = (cr_sim_draw){.alpha = gsl_ran_gaussian(r, 0.3),
                                 .sigma_machine = 0.8 * exp(gsl_ran_gaussian(r, 0.15)),
                                 .sigma_minute = 0.5 * exp(gsl_ran_gaussian(r, 0.15)),
                                 .phi = 0.5 * exp(gsl_ran_gaussian(r, 0.2))};
    gsl_rng_free(r);
}

/* ratio[output][stat]: root mean square of the reported mcse over the sd over repetitions;
 * tol: 3 standard errors of its log; few99[output]: the fewest draws above q99 in a
 * repetition. The sd of R replicates has a relative standard error of
 * sqrt((k - 1) / (4 R)), k their kurtosis (0.11 for 40 normal ones; more where a tail rests on
 * a few draws), and the rms of R mcse one of sd(mcse^2) / (2 sqrt(R) mean(mcse^2)); both are
 * estimated from the replicates. */
static void repetitions(int fixed_draws, double ratio[2][NQ], double tol[2][NQ], int few99[2])
{
    const long S = 600;
    double mean_session = 20;
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = exp_session;
    ss.stoploss = exp_stoploss;
    ss.ctx = &mean_session;
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = 100;
    cfg.seconds = S;
    cfg.threads = 2;
    cr_sim_draw draws[D];
    double *out[2] = {xmalloc(D * S * sizeof(double)), xmalloc(D * S * sizeof(double))};
    double v[2][REPS][NQ], e[2][REPS][NQ];
    int above[2][2] = {{D, 0}, {D, 0}}; /* [output]: fewest and most draws above q99.9 */
    few99[0] = few99[1] = D;
    for (int k = 0; k < REPS; k++) {
        posterior(draws, fixed_draws ? 1 : 1000 + k);
        cfg.seed = 7000 + k;
        cr_err err;
        if (cr_sim_concurrency(draws, D, &cfg, &ss, out[0], NULL, out[1], NULL, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            abort();
        }
        for (int w = 0; w < 2; w++) {
            cr_sim_summary s;
            cr_sim_mcse m;
            cr_sim_summarize_draws(out[w], D, D, NULL, S, &s, &m);
            stats_of(&s, &m, v[w][k], e[w][k]);
            above[w][0] = m.draws_above_q999 < above[w][0] ? m.draws_above_q999 : above[w][0];
            above[w][1] = m.draws_above_q999 > above[w][1] ? m.draws_above_q999 : above[w][1];
            few99[w] = m.draws_above_q99 < few99[w] ? m.draws_above_q99 : few99[w];
        }
    }
    for (int w = 0; w < 2; w++)
        for (int j = 0; j < NQ; j++) {
            double mean = 0, var = 0, m4 = 0, ms = 0, vs = 0;
            for (int k = 0; k < REPS; k++)
                mean += v[w][k][j] / REPS, ms += e[w][k][j] * e[w][k][j] / REPS;
            for (int k = 0; k < REPS; k++) {
                double d = v[w][k][j] - mean, d2 = e[w][k][j] * e[w][k][j] - ms;
                var += d * d / (REPS - 1), m4 += d * d * d * d / REPS;
                vs += d2 * d2 / (REPS - 1);
            }
            double kurtosis = m4 / (var * var);
            ratio[w][j] = sqrt(ms / var);
            tol[w][j] = 3 * sqrt((kurtosis - 1) / (4 * REPS) + vs / (4 * REPS * ms * ms));
            printf("     %s, %-7s %-5s: sd over %d repetitions %8.3f, reported mcse (rms) "
                   "%8.3f, ratio %.2f (tolerance exp(+-%.2f))\n",
                   fixed_draws ? "fixed draws" : "fresh draws", w ? "alive" : "new/s",
                   stat_names[j], REPS, sqrt(var), sqrt(ms), ratio[w][j], tol[w][j]);
        }
    for (int w = 0; w < 2; w++)
        printf("     %s, %s: at least %d draws above q99, %d to %d above q99.9\n",
               fixed_draws ? "fixed draws" : "fresh draws", w ? "alive" : "new/s", few99[w],
               above[w][0], above[w][1]);
    free(out[0]);
    free(out[1]);
}

/* Independent repetitions (fresh posterior draws each time, as the mcse assumes of the draws)
 * of N = 100 users x 100 draws x 600 s: new connections/s and sessions alive (exponential
 * session times of mean 20 s: seconds within a draw strongly dependent). For the mean, q90
 * and q99 the ratio of the reported mcse to the sd over repetitions must be 1 within 3
 * standard errors; the other quantiles are shown. q99 is checked only where at least 5 draws
 * reach beyond it in every repetition: sessions alive, whose draws differ most in level, have
 * their q99 carried by 1 to 4 draws, where no error estimated from the draws holds (300
 * repetitions: 1.5 times too large at q99, 2 times too small at q99.9; docs/simulation.md). */
static void agrees_with_spread_over_repetitions(void)
{
    double ratio[2][NQ], tol[2][NQ];
    int few99[2];
    repetitions(0, ratio, tol, few99);
    for (int w = 0; w < 2; w++)
        for (int j = 0; j < NQ; j++)
            if (j == 0 || j == 2 || (j == 4 && few99[w] >= 5))
                CHECKF(fabs(log(ratio[w][j])) < tol[w][j], "%s %s: mcse / sd over "
                       "repetitions %.2f, tolerance exp(+-%.2f)", w ? "alive" : "new/s",
                       stat_names[j], ratio[w][j], tol[w][j]);
}

/* With the draws held fixed only the simulation's own noise remains, and the mcse, which also
 * counts the draws' spread as Monte Carlo error of the posterior predictive, is larger: shown,
 * and checked only not to be smaller. */
static void fixed_draws_are_conservative(void)
{
    double ratio[2][NQ], tol[2][NQ];
    int few99[2];
    repetitions(1, ratio, tol, few99);
    for (int w = 0; w < 2; w++)
        for (int j = 0; j < NQ; j += 2)
            CHECKF(log(ratio[w][j]) > -tol[w][j], "%s %s: ratio %.2f, tolerance exp(-%.2f)",
                   w ? "alive" : "new/s", stat_names[j], ratio[w][j], tol[w][j]);
}

/* ---- counts on a step ---- */

/* Poisson counts of mean 4.77, whose P(X <= 10) is 0.99: q99 on the step from 10 to 11, where a
 * step quantile's interval [Q(p - s), Q(p + s)] often has both ends on one integer and an
 * error of 0. Over SR samples of SD independent draws x SS seconds, the printed q99 error
 * (rms) against the sd of q99 over the samples, known to 1 / sqrt(2 (SR - 1)) = 5%: within
 * 0.8 to 1.25 of it, and never 0. */
enum { SR = 200, SD = 100, SS = 1000 };

static void counts_on_a_step(void)
{
    double *x = xmalloc((size_t)SD * SS * sizeof *x), q[SR], ms = 0, mean = 0, var = 0;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 41);
    int zero = 0;
    for (int k = 0; k < SR; k++) {
        for (size_t i = 0; i < (size_t)SD * SS; i++)
            x[i] = gsl_ran_poisson(r, 4.771246);
        cr_sim_summary s;
        cr_sim_mcse m;
        cr_sim_summarize_draws(x, SD, SD, NULL, SS, &s, &m);
        q[k] = s.q99;
        ms += m.q99 * m.q99 / SR;
        zero += !(m.q99 > 0);
    }
    for (int k = 0; k < SR; k++)
        mean += q[k] / SR;
    for (int k = 0; k < SR; k++)
        var += (q[k] - mean) * (q[k] - mean) / (SR - 1);
    double ratio = sqrt(ms / var);
    printf("     q99 %.4f, sd over %d samples %.4f, printed mcse (rms) %.4f (x%.2f), %d of "
           "them 0\n", mean, SR, sqrt(var), sqrt(ms), ratio, zero);
    CHECKF(ratio > 0.8 && ratio < 1.25 && zero == 0, "ratio %.2f, %d errors of 0", ratio, zero);
    free(x);
    gsl_rng_free(r);
}

/* ---- slots from a Markov chain ---- */

/* AC chains of AN slots, slot i's posterior draw theta_i the next step of an AR(1) along its
 * chain (stationary N(0, 1), coefficient phi, lag-k autocorrelation phi^k), as a fit's
 * consecutive draws feed consecutive slots; its AS values theta_i + N(0, 1) each. */
enum { AC = 4, AN = 250, AS = 20, AR = 300, AD = AC * AN };

static void ar1_sample(gsl_rng *r, double phi, double *x)
{
    for (int c = 0; c < AC; c++) {
        double th = gsl_ran_gaussian(r, 1);
        for (int i = 0; i < AN; i++) {
            if (i > 0)
                th = phi * th + sqrt(1 - phi * phi) * gsl_ran_gaussian(r, 1);
            double *v = x + ((size_t)c * AN + (size_t)i) * AS;
            for (int s = 0; s < AS; s++)
                v[s] = th + gsl_ran_gaussian(r, 1);
        }
    }
}

/* The printed q99 error against the sd of q99 over AR independent samples (fresh chains and
 * values each), with the slots' chains and with the slots taken as independent. */
static void chained_slots(void)
{
    static const double phis[] = {0, 0.5, 0.9};
    int chain[AD];
    for (int i = 0; i < AD; i++)
        chain[i] = i / AN;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 29);
    double *x = xmalloc((size_t)AD * AS * sizeof *x), *y = xmalloc((size_t)AD * AS * sizeof *y);
    double q[AR];
    for (size_t j = 0; j < sizeof phis / sizeof *phis; j++) {
        double ms = 0, ms0 = 0, mean = 0, var = 0;
        for (int k = 0; k < AR; k++) {
            cr_sim_summary s;
            cr_sim_mcse m, m0;
            ar1_sample(r, phis[j], x);
            memcpy(y, x, (size_t)AD * AS * sizeof *y);
            cr_sim_summarize_draws(y, AD, AD, chain, AS, &s, &m);
            cr_sim_summarize_draws(x, AD, AD, NULL, AS, &s, &m0);
            q[k] = s.q99;
            ms += m.q99 * m.q99 / AR;
            ms0 += m0.q99 * m0.q99 / AR;
        }
        for (int k = 0; k < AR; k++)
            mean += q[k] / AR;
        for (int k = 0; k < AR; k++)
            var += (q[k] - mean) * (q[k] - mean) / (AR - 1);
        double sd = sqrt(var), ratio = sqrt(ms) / sd, ratio0 = sqrt(ms0) / sd;
        printf("  phi %.1f: q99 %.3f, sd over %d samples %.4f, printed mcse (rms) %.4f (x%.2f), "
               "as if independent %.4f (x%.2f)\n", phis[j], mean, AR, sd, sqrt(ms), ratio,
               sqrt(ms0), ratio0);
        /* the sd of AR = 300 values is known to 1 / sqrt(2 (AR - 1)) = 4.1% */
        CHECKF(ratio > 0.8 && ratio < 1.25, "phi %.1f: ratio %.2f", phis[j], ratio);
        if (phis[j] == 0.9)
            CHECKF(ratio0 < 0.7, "phi 0.9: independent slots' ratio %.2f", ratio0);
    }
    free(x);
    free(y);
    gsl_rng_free(r);
}

TEST_MAIN(RUN(edge_cases); RUN(matches_r); RUN(counts_on_a_step);
          RUN(agrees_with_spread_over_repetitions);
          RUN(fixed_draws_are_conservative); RUN(chained_slots))
