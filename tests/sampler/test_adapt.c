/* Stan's warmup pieces: the window schedule, the regularized variance, dual averaging, the
 * step size search, and what they achieve on Gaussians with known answers. */
#include <stdlib.h>

#include "sampler/adapt.h"
#include "sampler_test.h"
#include "test.h"

/* 1-based warmup iterations at which the metric is updated, for a 1-d stream of draws. */
static int updates(unsigned warmup, unsigned init, unsigned term, unsigned window, int *at)
{
    cr_var_adapt v;
    cr_var_init(&v, 1, warmup, init, term, window);
    double minv = 1, q = 0;
    int k = 0;
    for (unsigned it = 0; it < warmup; it++) {
        q = it % 7;
        if (cr_var_learn(&v, &minv, &q) == 1)
            at[k++] = it + 1;
    }
    cr_var_free(&v);
    return k;
}

static void test_window_schedule_default(void)
{
    /* cmdstan's documented schedule for 1000 warmup iterations: 75 + 25, 50, 100, 200, 500 */
    int at[16], want[] = {100, 150, 250, 450, 950};
    CHECK_INT(updates(1000, 75, 50, 25, at), 5);
    for (int i = 0; i < 5; i++)
        CHECK_INT(at[i], want[i]);
}

static void test_window_schedule_stretch(void)
{
    int at[16];
    /* 200: the second window would end exactly at the terminal buffer */
    CHECK_INT(updates(200, 75, 50, 25, at), 2);
    CHECK_INT(at[0], 100);
    CHECK_INT(at[1], 150);
    /* 300: 100, 150, 250 (the 100-wide third window ends at 300 - 50) */
    CHECK_INT(updates(300, 75, 50, 25, at), 3);
    CHECK_INT(at[2], 250);
    /* 500: 100, 150, 250, 450 (the fourth window ends exactly at the terminal buffer) */
    CHECK_INT(updates(500, 75, 50, 25, at), 4);
    CHECK_INT(at[2], 250);
    CHECK_INT(at[3], 450);
    /* 400: a fourth window (250..450) would overrun 350, so the third stretches to 350 */
    CHECK_INT(updates(400, 75, 50, 25, at), 3);
    CHECK_INT(at[0], 100);
    CHECK_INT(at[1], 150);
    CHECK_INT(at[2], 350);
}

static void test_window_schedule_short(void)
{
    int at[16];
    /* 100 < 75 + 25 + 50: 15 / 75 / 10, one window ending at iteration 90 (the schedule Stan
     * announces; its own code never applies it, see cr_var_init) */
    CHECK_INT(updates(100, 75, 50, 25, at), 1);
    CHECK_INT(at[0], 90);
    /* 149: 22 / 112 / 14 (Stan truncates 0.15 * 149 = 22.35 and 0.1 * 149 = 14.9) */
    CHECK_INT(updates(149, 75, 50, 25, at), 1);
    CHECK_INT(at[0], 135);
    /* under 20 warmup iterations there is no metric adaptation */
    CHECK_INT(updates(19, 75, 50, 25, at), 0);
}

static void test_regularized_variance(void)
{
    /* warmup 100: the window is iterations 16..90; feed a known sequence and compare with a
     * two-pass variance of exactly those values */
    cr_var_adapt v;
    cr_var_init(&v, 2, 100, 75, 50, 25);
    double minv[2] = {1, 1}, sum[2] = {0}, ss[2] = {0}, q[2];
    int n = 0;
    for (int it = 0; it < 100; it++) {
        q[0] = sin(it) * 3 + 7;
        q[1] = 1e-3 * (it % 5);
        if (it >= 15 && it < 90) {
            sum[0] += q[0], sum[1] += q[1];
            n++;
        }
        int upd = cr_var_learn(&v, minv, q);
        CHECK_INT(upd, it == 89);
        if (it == 89)
            break;
    }
    CHECK_INT(n, 75);
    for (int it = 15; it < 90; it++) {
        double x0 = sin(it) * 3 + 7 - sum[0] / n, x1 = 1e-3 * (it % 5) - sum[1] / n;
        ss[0] += x0 * x0, ss[1] += x1 * x1;
    }
    for (int j = 0; j < 2; j++) {
        double want = (n / (n + 5.0)) * ss[j] / (n - 1) + 1e-3 * 5.0 / (n + 5.0);
        CHECK_NEAR(minv[j], want, 1e-12 * want);
    }
    cr_var_free(&v);
}

static void test_variance_overflow(void)
{
    cr_var_adapt v;
    cr_var_init(&v, 1, 100, 75, 50, 25);
    double minv = 0.5, q;
    int last = 0;
    for (int it = 0; it < 90; it++) {
        q = (it % 2 ? 1 : -1) * 1e200;
        last = cr_var_learn(&v, &minv, &q);
    }
    CHECK_INT(last, -1);
    CHECK_NEAR(minv, 0.5, 0);
    cr_var_free(&v);
}

static void test_dual_averaging_root(void)
{
    /* with accept(eps) = exp(-eps) the fixed point is eps* = -log(0.8) */
    cr_stepsize_adapt da;
    double eps = 1;
    cr_stepsize_init(&da, eps, 0.8);
    for (int i = 0; i < 5000; i++)
        cr_stepsize_learn(&da, &eps, exp(-eps));
    cr_stepsize_complete(&da, &eps);
    CHECK_NEAR(eps, -log(0.8), 0.01 * -log(0.8));
}

static void test_dual_averaging_details(void)
{
    cr_stepsize_adapt da;
    double eps = 0.3;
    cr_stepsize_init(&da, eps, 0.8);
    /* on target from the start: x stays at mu = log(10 * eps0) */
    for (int i = 0; i < 10; i++) {
        cr_stepsize_learn(&da, &eps, 0.8);
        CHECK_NEAR(eps, 3.0, 1e-12);
    }
    /* accept_stat is capped at 1 */
    cr_stepsize_adapt a1, a2;
    double e1 = 1, e2 = 1;
    cr_stepsize_init(&a1, 1, 0.8);
    cr_stepsize_init(&a2, 1, 0.8);
    cr_stepsize_learn(&a1, &e1, 1.0);
    cr_stepsize_learn(&a2, &e2, 5.0);
    CHECK_NEAR(e1, e2, 0);
    /* first iteration by hand: eta = 1/11, s_bar = -0.2/11, x = log(10) + s_bar / 0.05 */
    CHECK_NEAR(e1, exp(log(10.0) + (0.2 / 11) / 0.05), 1e-12);
    /* nothing learnt since a restart: the step size is kept */
    cr_stepsize_restart(&a1, 0.25);
    e1 = 0.25;
    cr_stepsize_complete(&a1, &e1);
    CHECK_NEAR(e1, 0.25, 0);
}

static gauss *diag_gauss(int n, double lo, double hi)
{
    gauss *G = ar1_gauss(n, 0);
    for (int i = 0; i < n; i++) {
        G->mu[i] = i;
        G->sd[i] = lo * pow(hi / lo, (double)i / (n - 1));
    }
    return G;
}

static void test_init_stepsize_scales(void)
{
    /* the search lands near the scale of the target, from a start of 1 */
    double scales[] = {0.01, 1, 100};
    for (int k = 0; k < 3; k++) {
        gauss *G = diag_gauss(2, scales[k], scales[k]);
        cr_model m = gauss_model(G);
        cr_nuts *s = cr_nuts_new(&m, 10);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        double q[2] = {G->mu[0] + scales[k], G->mu[1] - scales[k] / 2}, eps = 1;
        cr_err e;
        CHECK(cr_nuts_set_position(s, q) == 0);
        CHECK(cr_init_stepsize(s, &eps, r, &e) == 0);
        /* the position is left where it was */
        CHECK_NEAR(cr_nuts_position(s)[0], q[0], 0);
        CHECK(eps > scales[k] / 16 && eps < scales[k] * 4);
        gsl_rng_free(r);
        cr_nuts_free(s);
        gauss_free(G);
    }
}

static double flat_logp(const cr_model *m, const double *q, double *g, void *scratch)
{
    if (g)
        g[0] = 0;
    return 0;
}

static double point_mass_logp(const cr_model *m, const double *q, double *g, void *scratch)
{
    if (g)
        g[0] = 0;
    return q[0] == 0 ? 0 : -INFINITY;
}

static void test_init_stepsize_failures(void)
{
    cr_model flat = {.dim = 1, .logp = flat_logp};
    cr_model spike = {.dim = 1, .logp = point_mass_logp};
    cr_model *ms[2] = {&flat, &spike};
    const char *want[2] = {"improper", "discontinuous"};
    for (int k = 0; k < 2; k++) {
        cr_nuts *s = cr_nuts_new(ms[k], 10);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        double q = 0, eps = 1;
        cr_err e = {{0}};
        CHECK(cr_nuts_set_position(s, &q) == 0);
        /* a huge inverse metric keeps the spike's leapfrog moves nonzero down to the
         * smallest subnormal step, so the search really runs down to 0 */
        if (ms[k] == &spike)
            cr_nuts_inv_metric(s)[0] = 1e300;
        CHECK(cr_init_stepsize(s, &eps, r, &e) < 0);
        CHECKF(strstr(e.msg, want[k]), "message: %s", e.msg);
        gsl_rng_free(r);
        cr_nuts_free(s);
    }
}

static cr_chains_result run(const cr_model *m, double delta, int seed)
{
    cr_chains_config cfg;
    cr_chains_config_default(&cfg);
    cfg.adapt_delta = delta;
    cfg.seed = seed;
    cr_chains_result r;
    cr_err e;
    if (cr_chains_run(m, &cfg, &r, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        abort();
    }
    return r;
}

static void test_accept_stat_tracks_target(void)
{
    /* During the terminal buffer the dual averaging iterates hold the mean acceptance at the
     * target. Sampling uses the averaged (smaller) step size, which in Stan too lands the mean
     * acceptance somewhat above the target. */
    gauss *G = ar1_gauss(100, 0.9);
    cr_model m = gauss_model(G);
    double deltas[] = {0.8, 0.9};
    for (int d = 0; d < 2; d++) {
        cr_chains_result r = run(&m, deltas[d], 11);
        double samp = 0, term = 0;
        int N = r.chains * r.samples;
        for (int k = 0; k < N; k++)
            samp += r.stats[k].accept_stat / N;
        for (int c = 0; c < r.chains; c++)
            for (int i = r.warmup - 50; i < r.warmup; i++)
                term += r.warmup_stats[c * r.warmup + i].accept_stat / (50.0 * r.chains);
        printf("  delta %.2f: mean accept_stat %.3f sampling, %.3f in the terminal buffer\n",
               deltas[d], samp, term);
        cr_chains_result_free(&r);
        CHECK_NEAR(term, deltas[d], 0.05);
        CHECK(samp > deltas[d] - 0.02 && samp < deltas[d] + 0.07);
    }
    gauss_free(G);
}

static void test_metric_learns_scales(void)
{
    /* sd from 0.01 to 100: the last window (iterations 451..950, n = 500) estimates sd^2, and
     * the metric is that shrunk towards 1e-3: (n/(n+5)) sd^2 + 1e-3 * 5/(n+5) */
    gauss *G = diag_gauss(20, 0.01, 100);
    cr_model m = gauss_model(G);
    cr_chains_result r = run(&m, 0.8, 5);
    double n = 500, lo = INFINITY, hi = 0, mean_log = 0;
    for (int c = 0; c < r.chains; c++)
        for (int i = 0; i < 20; i++) {
            double s2 = G->sd[i] * G->sd[i];
            double ratio = r.inv_metric[c * 20 + i] / ((n / (n + 5)) * s2 + 1e-3 * 5 / (n + 5));
            lo = fmin(lo, ratio);
            mean_log += log(ratio) / (20 * r.chains);
            hi = fmax(hi, ratio);
        }
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        moment_check mc = check_moments(&r, i, G->mu[i], G->sd[i] * G->sd[i]);
        worst = fmax(worst, fmax(fabs(mc.z_mean), fabs(mc.z_var)));
    }
    printf("  adapted metric / expected: %.3f .. %.3f, geometric mean %.3f; step %.3f; moments "
           "max |z| %.2f\n", lo, hi, exp(mean_log), r.stepsize[0], worst);
    cr_chains_result_free(&r);
    gauss_free(G);
    /* each estimate rests on ~200 effective draws (sd ~ 10%); their average is much tighter */
    CHECK(lo > 0.6 && hi < 1.6);
    CHECK(fabs(mean_log) < 0.05);
    CHECK(worst < 4);
}

TEST_MAIN(RUN(test_window_schedule_default); RUN(test_window_schedule_stretch);
          RUN(test_window_schedule_short); RUN(test_regularized_variance);
          RUN(test_variance_overflow); RUN(test_dual_averaging_root);
          RUN(test_dual_averaging_details); RUN(test_init_stepsize_scales);
          RUN(test_init_stepsize_failures); RUN(test_accept_stat_tracks_target);
          RUN(test_metric_learns_scales))
