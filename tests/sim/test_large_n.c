/* The large-N path (lib/sim/users.c, cr_sim_large_n): where it applies, against the same
 * draws' users simulated one by one (cr_sim_config.large_n = 0) at N = 20,000; below its
 * threshold, byte for byte the same as the user-by-user simulation. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "sim/concurrency.h"
#include "sim/mcse.h"
#include "sim/quantiles.h"
#include "sim_test.h"

/* Exponential session times of mean 30 s, with their stop-loss for the thinning. */
static double session_seconds(void *ctx, gsl_rng *r, int draw)
{
    (void)ctx, (void)draw;
    return gsl_ran_exponential(r, 30);
}

static double stoploss(void *ctx, int draw, double x)
{
    (void)ctx, (void)draw;
    return x <= 0 ? 30 - x : 30 * exp(-x / 30);
}

typedef struct {
    int ndraws;
    long n;
    double *arr, *ends, *alive;
} run;

static void simulate(const cr_sim_draw *p, int ndraws, int nusers, long n, int large_n,
                     uint64_t seed, run *R)
{
    cr_sim_draw *draws = draw_copies(p, ndraws);
    cr_sim_config cfg = users_config(nusers, n);
    cfg.seed = seed;
    cfg.large_n = large_n;
    cfg.stratify = 0; /* independent draws: the errors below treat them so */
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = session_seconds;
    ss.stoploss = stoploss;
    size_t sz = (size_t)ndraws * n * sizeof(double);
    *R = (run){ndraws, n, xmalloc(sz), xmalloc(sz), xmalloc(sz)};
    cr_err e;
    CHECKF(cr_sim_concurrency(draws, ndraws, &cfg, &ss, R->arr, R->ends, R->alive, NULL, &e) == 0,
           "%s", e.msg);
    free(draws);
}

static void run_free(run *R)
{
    free(R->arr);
    free(R->ends);
    free(R->alive);
}

/* The smallest N (to 1%) at which cr_sim_large_n holds. */
static int threshold(const cr_sim_draw *p)
{
    int lo = 1, hi = 1;
    while (!cr_sim_large_n(p, hi, 0.01, NULL) && hi < (1 << 29))
        hi *= 2;
    while (hi - lo > lo / 100 + 1) {
        int mid = lo + (hi - lo) / 2;
        if (cr_sim_large_n(p, mid, 0.01, NULL))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* Like the draws of a fit of a few machines (nbh_burst), and with AR(1) minutes. */
static const cr_sim_draw burst = {.alpha = -2, .sigma_machine = 1, .sigma_minute = 0.6,
                                  .phi = 0.5, .burst = 1, .w = 0.02, .lambda_b = 10, .phi_b = 3};
static const cr_sim_draw ar1 = {.alpha = -2, .sigma_machine = 0.9, .sigma_minute = 0.7, .phi = 1,
                                .rho = 0.7};

/* The threshold grows with the users' spread and never holds for the hurdle or per-user
 * minute spreads (no finite moments to match, or no Poisson mixture). */
static void threshold_from_moments(void)
{
    const cr_sim_draw cases[] = {
        burst, ar1,
        {.alpha = 0, .sigma_machine = 1, .sigma_minute = 0.6, .phi = 0.5},
        {.alpha = 0, .sigma_machine = 1.2, .sigma_minute = 0.8, .phi = 0.5},
        {.alpha = 0, .sigma_machine = 1.5, .sigma_minute = 1, .phi = 0.5},
        {.alpha = 0, .sigma_machine = 1, .sigma_minute = 0.6, .phi = INFINITY},
    };
    int last = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int t = threshold(&cases[i]);
        double cut[3];
        const int at[3] = {t, 10 * t, 100 * t};
        for (int k = 0; k < 3; k++)
            cr_sim_large_n(&cases[i], at[k], 0.01, &cut[k]);
        printf("    alpha %g, sigma_machine %g, sigma_minute %g, phi %g, w %g, rho %g: N >= %d "
               "(cut %g, at 10 and 100 times: %g, %g)\n", cases[i].alpha,
               cases[i].sigma_machine, cases[i].sigma_minute, cases[i].phi, cases[i].w,
               cases[i].rho, t, cut[0], cut[1], cut[2]);
        CHECK(cr_sim_large_n(&cases[i], t, 0.01, NULL) &&
              !cr_sim_large_n(&cases[i], t / 2, 0.01, NULL));
        if (i >= 2 && i <= 4) /* the spread grows */
            CHECK(t > last);
        last = t;
    }
    CHECK(threshold(&burst) < 20000 && threshold(&ar1) < 20000 && threshold(&burst) > 500);
    cr_sim_draw h = cases[2];
    h.hurdle = 1;
    CHECK(!cr_sim_large_n(&h, 1 << 30, 0.01, NULL));
    cr_sim_draw s = burst;
    s.spread = 1, s.sigma_minute = 0, s.mu_s = -1, s.tau_s = 0.3;
    CHECK(!cr_sim_large_n(&s, 1 << 30, 0.01, NULL));
    CHECK(!cr_sim_large_n(&burst, 1 << 30, -1, NULL));
}

/* Below the threshold nothing changes: the same bytes with and without the large-N path. */
static void below_threshold_same_bytes(void)
{
    const int N[] = {1, 10, threshold(&burst) / 2};
    for (int i = 0; i < 3; i++) {
        CHECK(!cr_sim_large_n(&burst, N[i], 0.01, NULL));
        run a, b;
        simulate(&burst, 20, N[i], 300, 1, 7 + i, &a);
        simulate(&burst, 20, N[i], 300, 0, 7 + i, &b);
        size_t sz = (size_t)20 * 300 * sizeof(double);
        CHECK(!memcmp(a.arr, b.arr, sz) && !memcmp(a.ends, b.ends, sz) &&
              !memcmp(a.alive, b.alive, sz));
        run_free(&a);
        run_free(&b);
    }
}

/* Per-minute sums of x[draw][second]. */
static double *minute_sums(const double *x, int ndraws, long n)
{
    long per = n / 60;
    double *m = xcalloc((size_t)ndraws * per, sizeof *m);
    for (int d = 0; d < ndraws; d++)
        for (long s = 0; s < per * 60; s++)
            m[(size_t)d * per + s / 60] += x[(size_t)d * n + s];
    return m;
}

/* The pooled sd of x[draw][n] and its standard error by the delta method over the draws'
 * means of x and x^2 (draws independent). */
static estimate pooled_sd(const double *x, int ndraws, long n)
{
    double *a = xmalloc(ndraws * sizeof *a), *b = xmalloc(ndraws * sizeof *b), ma = 0, mb = 0;
    for (int d = 0; d < ndraws; d++) {
        a[d] = b[d] = 0;
        for (long s = 0; s < n; s++) {
            double v = x[(size_t)d * n + s];
            a[d] += v / n;
            b[d] += v * v / n;
        }
        ma += a[d] / ndraws;
        mb += b[d] / ndraws;
    }
    double sd = sqrt(mb - ma * ma), var = 0;
    /* d sd = (d mb - 2 ma d ma) / (2 sd) */
    for (int d = 0; d < ndraws; d++) {
        double g = ((b[d] - mb) - 2 * ma * (a[d] - ma)) / (2 * sd);
        var += g * g / (ndraws - 1);
    }
    free(a);
    free(b);
    return (estimate){sd, sqrt(var / ndraws)};
}

/* z-scores of the mean, sd, q90 and q99 of two samples [draw][n] (independent draws). */
static void compare(const char *what, double *x, double *y, int ndraws, long n, double *worst)
{
    estimate e[2][4];
    double *v[2] = {x, y};
    for (int k = 0; k < 2; k++) {
        double *sorted = xmalloc((size_t)ndraws * n * sizeof *sorted);
        memcpy(sorted, v[k], (size_t)ndraws * n * sizeof *sorted);
        cr_sim_sort(sorted, (size_t)ndraws * n);
        e[k][0] = draw_average(v[k], ndraws, n, 0, 1);
        e[k][1] = pooled_sd(v[k], ndraws, n);
        const double p[2] = {0.9, 0.99};
        for (int j = 0; j < 2; j++)
            e[k][2 + j] = (estimate){cr_sim_midquantile_sorted(sorted, (size_t)ndraws * n, p[j]),
                                     cr_sim_mcse_quantile(v[k], sorted, ndraws, ndraws, NULL, n,
                                                          p[j])};
        free(sorted);
    }
    const char *name[4] = {"mean", "sd", "q90", "q99"};
    printf("    %-13s", what);
    for (int j = 0; j < 4; j++) {
        double z = (e[0][j].mean - e[1][j].mean) / hypot(e[0][j].se, e[1][j].se);
        printf(" %s %.5g / %.5g (z %+.2f)", name[j], e[0][j].mean, e[1][j].mean, z);
        *worst = fmax(*worst, fabs(z));
    }
    printf("\n");
}

/* Above the threshold: new/s, new connections and ends per minute, sessions alive, the large-N
 * path (first) against the users one by one, 300 draws x 720 s each, at N = 20,000 (no user or
 * few drawn one by one) and N = 2,000 (those past the cut one by one), every mean, sd, q90 and
 * q99 within 4 standard errors. */
static void matches_users_one_by_one(void)
{
    enum { D = 300 };
    const long S = 720;
    const struct {
        const cr_sim_draw *p;
        int N;
        const char *name;
    } cases[3] = {{&burst, 20000, "nbh_burst"}, {&ar1, 20000, "nbh_ar1"},
                  {&burst, 2000, "nbh_burst"}};
    double worst = 0;
    for (int c = 0; c < 3; c++) {
        double cut;
        CHECK(cr_sim_large_n(cases[c].p, cases[c].N, 0.01, &cut));
        run a, b;
        simulate(cases[c].p, D, cases[c].N, S, 1, 11, &a);
        simulate(cases[c].p, D, cases[c].N, S, 0, 12, &b);
        printf("    %s, N = %d (cut %g):\n", cases[c].name, cases[c].N, cut);
        compare("new/s", a.arr, b.arr, D, S, &worst);
        double *ma = minute_sums(a.arr, D, S), *mb = minute_sums(b.arr, D, S);
        compare("new/min", ma, mb, D, S / 60, &worst);
        free(ma);
        free(mb);
        ma = minute_sums(a.ends, D, S), mb = minute_sums(b.ends, D, S);
        compare("ends/min", ma, mb, D, S / 60, &worst);
        free(ma);
        free(mb);
        compare("alive", a.alive, b.alive, D, S, &worst);
        run_free(&a);
        run_free(&b);
    }
    printf("    largest |z| %.2f\n", worst);
    CHECK(worst < 4);
}

TEST_MAIN(RUN(threshold_from_moments); RUN(below_threshold_same_bytes);
          RUN(matches_users_one_by_one))
