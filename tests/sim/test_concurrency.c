/* Sessions alive and ending per second (lib/sim/concurrency.c) against hand-computed sweeps,
 * Little's law (mean alive = arrival rate x mean session time) and the M/G/inf result that with
 * Poisson arrivals the number alive is Poisson (variance = mean) for any session time law. */
#include "test.h"

#include <stdio.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "common/clock.h"
#include "common/pool.h"
#include "sim/concurrency.h"
#include "sim/quantiles.h"
#include "sim_test.h"

typedef struct {
    int kind; /* 0 constant, 1 uniform(0, a) + b, 2 exponential mean a, 3 lognormal(log a, b) */
    double a, b;
} session_law;

static double session_seconds(void *ctx, gsl_rng *r, int draw)
{
    const session_law *L = ctx;
    switch (L->kind) {
    case 0: return L->a;
    case 1: return gsl_rng_uniform(r) * L->a + L->b;
    case 2: return gsl_ran_exponential(r, L->a);
    default: return gsl_ran_lognormal(r, log(L->a), L->b);
    }
}

static double mean_seconds(const session_law *L)
{
    return L->kind == 1 ? L->a / 2 + L->b : L->kind == 3 ? L->a * exp(L->b * L->b / 2) : L->a;
}

/* E[(D - x)+], from each law's own formula (E[D] - x where x <= 0 < D). */
static double stoploss(void *ctx, int draw, double x)
{
    const session_law *L = ctx;
    (void)draw;
    if (x <= 0 || (L->kind == 1 && x <= L->b))
        return mean_seconds(L) - x;
    switch (L->kind) {
    case 0: return x < L->a ? L->a - x : 0;
    case 1: return x < L->a + L->b ? (L->a + L->b - x) * (L->a + L->b - x) / (2 * L->a) : 0;
    case 2: return L->a * exp(-x / L->a);
    default: {
        double mu = log(L->a), s = L->b;
        return mean_seconds(L) * gsl_cdf_ugaussian_Q((log(x) - mu - s * s) / s) -
               x * gsl_cdf_ugaussian_Q((log(x) - mu) / s);
    }
    }
}

/* thin: alive and ends from the intensity (the thinning identity), else session by session. */
static cr_sim_sessions sessions(session_law *L, int thin)
{
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = session_seconds;
    ss.stoploss = thin ? stoploss : NULL;
    ss.ctx = L;
    return ss;
}

typedef struct {
    int ndraws;
    long n;
    double *arrivals, *ends, *alive;
    cr_sim_concurrency_info info;
} run;

static int simulate_seed(run *R, const cr_sim_draw *p, int ndraws, int nusers, long n,
                         const cr_sim_sessions *ss, int threads, uint64_t seed, cr_err *e)
{
    cr_sim_draw *draws = xmalloc(ndraws * sizeof *draws);
    for (int d = 0; d < ndraws; d++)
        draws[d] = *p;
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = nusers;
    cfg.seconds = n;
    cfg.threads = threads;
    cfg.seed = seed;
    R->ndraws = ndraws;
    R->n = n;
    size_t sz = (size_t)ndraws * n * sizeof(double);
    R->arrivals = xmalloc(sz), R->ends = xmalloc(sz), R->alive = xmalloc(sz);
    int rc = cr_sim_concurrency(draws, ndraws, &cfg, ss, R->arrivals, R->ends, R->alive,
                                &R->info, e);
    free(draws);
    return rc;
}

static int simulate(run *R, const cr_sim_draw *p, int ndraws, int nusers, long n,
                    const cr_sim_sessions *ss, int threads, cr_err *e)
{
    return simulate_seed(R, p, ndraws, nusers, n, ss, threads, 42, e);
}

static void run_free(run *R)
{
    free(R->arrivals);
    free(R->ends);
    free(R->alive);
}

/* Constant arrivals of 3/s held exactly 10 s: each session is in exactly 10 end-of-second
 * snapshots, so 30 alive and 3 ending every second once the burn-in is over. */
static void sweep_by_hand(void)
{
    long burnin = 20, n = 100;
    double arr[120], ends[100], alive[100];
    for (int i = 0; i < 120; i++)
        arr[i] = 3;
    session_law L = {0, 10, 0};
    cr_sim_sessions ss = sessions(&L, 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_err e;
    CHECK_INT(cr_sim_sweep(arr, burnin, n, &ss, 0, r, ends, alive, &e), 0);
    for (int s = 0; s < n; s++) {
        CHECK_NEAR(alive[s], 30, 0);
        CHECK_NEAR(ends[s], 3, 0);
    }
    /* One session at second 0 of a 5 s window without burn-in, held 2.5 s: it ends at 2.5 +
     * U, so it is in the snapshots ending seconds 0 and 1, maybe 2, and ends in second 2 or 3. */
    double one[5] = {1, 0, 0, 0, 0};
    L.a = 2.5;
    CHECK_INT(cr_sim_sweep(one, 0, 5, &ss, 0, r, ends, alive, &e), 0);
    CHECK(alive[0] == 1 && alive[1] == 1 && alive[3] == 0 && alive[4] == 0);
    CHECK(ends[2] + ends[3] == 1 && alive[2] == ends[3]);
    gsl_rng_free(r);
}

/* (c) Poisson arrivals (sigma = 0, the Poisson model's phi = INFINITY) of 10/s, session times
 * uniform on (5, 65): the number alive is Poisson(10 x 35) and 10 sessions end per second on
 * average. */
static void poisson_arrivals_give_poisson_concurrency(void)
{
    for (int thin = 0; thin < 2; thin++) {
        session_law L = {1, 60, 5};
        cr_sim_sessions ss = sessions(&L, thin);
        cr_sim_draw p = {.alpha = log(0.5), .phi = INFINITY};
        run R;
        cr_err e;
        CHECK_INT(simulate(&R, &p, 40, 20, 3600, &ss, 2, &e), 0);
        CHECK(R.info.burnin == 120 && R.info.missed == 0);
        double lambda = 20 * 0.5, L_mean = lambda * mean_seconds(&L);
        estimate a = draw_average(R.arrivals, 40, 3600, 0, 1);
        estimate m = draw_average(R.alive, 40, 3600, 0, 1);
        estimate v = draw_average(R.alive, 40, 3600, L_mean, 2);
        estimate en = draw_average(R.ends, 40, 3600, 0, 1);
        CHECK_NEAR(a.mean, lambda, 4.5 * a.se);
        CHECK_NEAR(m.mean, L_mean, 4.5 * m.se);
        CHECK_NEAR(v.mean, L_mean, 4.5 * v.se);
        CHECK_NEAR(en.mean, lambda, 4.5 * en.se);
        CHECK(m.se < 0.01 * L_mean && v.se < 0.05 * L_mean);
        run_free(&R);
    }
}

/* (c) Little's law with overdispersed, heterogeneous users: mean alive = N E[mu] E[D], for
 * exponential and heavy-tailed lognormal session times (whose burn-in must go far beyond the
 * 99.9% point to lose under 0.1% of the mean). */
static void littles_law_with_bursty_users(void)
{
    session_law laws[2] = {{2, 20, 0}, {3, 4, 1.3}};
    cr_sim_draw p = {.alpha = log(0.4), .sigma_machine = 0.8, .sigma_minute = 0.6,
                     .phi = 0.3};
    int N = 300, D = 60;
    long n = 1800;
    double lambda = N * exp(p.alpha + (0.8 * 0.8 + 0.6 * 0.6) / 2);
    for (int l = 0; l < 4; l++) {
        session_law *L = &laws[l % 2];
        cr_sim_sessions ss = sessions(L, l >= 2);
        run R;
        cr_err e;
        CHECK_INT(simulate(&R, &p, D, N, n, &ss, 2, &e), 0);
        CHECKF(R.info.missed <= 1e-3 && R.info.burnin >= R.info.q999,
               "missed %g, burn-in %ld, q999 %g", R.info.missed, R.info.burnin, R.info.q999);
        double W = mean_seconds(L);
        estimate m = draw_average(R.alive, D, n, 0, 1);
        estimate en = draw_average(R.ends, D, n, 0, 1);
        CHECK_NEAR(m.mean, lambda * W, 4.5 * m.se + 1e-3 * lambda * W);
        CHECK_NEAR(en.mean, lambda, 4.5 * en.se + 1e-3 * lambda);
        /* per draw too: alive follows that draw's own arrivals */
        for (int d = 0; d < D; d++) {
            double sa = 0, sl = 0;
            for (long s = 0; s < n; s++)
                sa += R.arrivals[(size_t)d * n + s], sl += R.alive[(size_t)d * n + s];
            CHECKF(fabs(sl / sa - W) < 0.25 * W, "draw %d: alive/arrivals %g", d, sl / sa);
        }
        printf("    %s, %s: burn-in %ld s (99.9%% point %.0f s), mean alive %.1f (se %.1f) vs "
               "%.1f\n", l % 2 ? "lognormal" : "exponential", l >= 2 ? "thinning" : "sweep",
               R.info.burnin, R.info.q999, m.mean, m.se, lambda * W);
        run_free(&R);
    }
}

/* Per draw: mean, variance and 99th percentile of x over its n seconds. */
static void draw_stats(const double *x, long n, double out[3])
{
    double m = 0, v = 0, *c = xmalloc(n * sizeof *c);
    for (long i = 0; i < n; i++)
        m += x[i] / n;
    for (long i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m) / (n - 1), c[i] = x[i];
    cr_sim_sort(c, n);
    out[0] = m, out[1] = v, out[2] = cr_sim_midquantile_sorted(c, n, 0.99);
    free(c);
}

/* Two ways of simulating the same draws (same seed, so the same users' effects): over D = 100
 * draws of n seconds, paired z of the per-draw mean, variance and 99th percentile of sessions
 * alive and ending, each within 4.5; the largest |z| goes to *worst. */
static void paired_methods(const cr_sim_draw *p, int N, long n, const cr_sim_sessions ss[2],
                           double *worst)
{
    enum { D = 100 };
    double st[2][D][2][3]; /* [method][draw][alive, ends][mean, variance, q99] */
    for (int k = 0; k < 2; k++) {
        run R;
        cr_err e;
        CHECK_INT(simulate(&R, p, D, N, n, &ss[k], 2, &e), 0);
        for (int d = 0; d < D; d++)
            for (int w = 0; w < 2; w++)
                draw_stats((w ? R.ends : R.alive) + (size_t)d * n, n, st[k][d][w]);
        run_free(&R);
    }
    for (int w = 0; w < 2; w++)
        for (int j = 0; j < 3; j++) {
            double s = 0, s2 = 0, base = 0;
            for (int d = 0; d < D; d++) {
                double x = st[1][d][w][j] - st[0][d][w][j];
                s += x, s2 += x * x, base += st[0][d][w][j] / D;
            }
            double mean = s / D, se = sqrt((s2 - D * mean * mean) / (D - 1) / D);
            double z = mean / se;
            *worst = fabs(z) > *worst ? fabs(z) : *worst;
            CHECKF(fabs(z) < 4.5, "N=%d %s %s: first %g, second %+g (z %.2f)", N,
                   w ? "ends" : "alive", j == 0 ? "mean" : j == 1 ? "variance" : "q99", base,
                   mean, z);
        }
}

/* The thinning identity against the sweep, which draws every session: for bursty users and
 * lognormal sessions, the per-draw mean, variance and 99th percentile of sessions alive and
 * ending agree at N = 1 and N = 200. */
static void thinning_matches_sweep(void)
{
    session_law L = {3, 4, 1.3};
    cr_sim_draw p = {.alpha = log(0.4), .sigma_machine = 0.8, .sigma_minute = 0.6, .phi = 0.3};
    cr_sim_sessions ss[2] = {sessions(&L, 0), sessions(&L, 1)};
    double worst = 0;
    paired_methods(&p, 1, 1800, ss, &worst);
    paired_methods(&p, 200, 1800, ss, &worst);
    printf("    largest paired |z| of 12 comparisons: %.2f\n", worst);
}

/* The burn-in's old minutes by their expected intensity (ss.near) against every second drawn:
 * sessions lognormal with median 60 s and log-sd 1.5, so that 6% of them outlive the 600 s
 * drawn second by second and the burn-in is over an hour; the same statistics agree. */
static void far_past_matches_every_second(void)
{
    session_law L = {3, 60, 1.5};
    cr_sim_draw p = {.alpha = log(0.4), .sigma_machine = 0.8, .sigma_minute = 0.6, .phi = 0.3,
                     .burst = 1, .w = 0.05, .lambda_b = 5, .phi_b = 1};
    cr_sim_sessions ss[2] = {sessions(&L, 1), sessions(&L, 1)};
    ss[0].near = -1;
    double worst = 0;
    paired_methods(&p, 1, 1800, ss, &worst);
    paired_methods(&p, 200, 1800, ss, &worst);
    run R;
    cr_err e;
    CHECK_INT(simulate(&R, &p, 2, 1, 60, &ss[1], 1, &e), 0);
    printf("    burn-in %ld s, the last 600 s second by second; largest paired |z| of 12 "
           "comparisons: %.2f\n", R.info.burnin, worst);
    CHECK(R.info.burnin > 3000);
    run_free(&R);
}

/* The cap bounds the burn-in and the info says how much mean concurrency that loses: sessions
 * of exactly 1000 s with a 300 s cap lose (1000 - 300) / 1000 of it. */
static void burnin_cap_reports_missed_share(void)
{
    session_law L = {0, 1000, 0};
    cr_sim_sessions ss = sessions(&L, 0);
    ss.burnin_cap = 300;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double q, missed;
    cr_err e;
    CHECK_INT(cr_sim_burnin(&ss, 0, r, &q, &missed, &e), 300);
    CHECK_NEAR(q, 1000, 0);
    CHECK_NEAR(missed, 0.7, 1e-12);
    ss.burnin_cap = 7200;
    CHECK_INT(cr_sim_burnin(&ss, 0, r, &q, &missed, &e), 1020); /* whole minutes */
    CHECK_NEAR(missed, 0, 0);
    gsl_rng_free(r);
}

static int same_bytes(const run *a, const run *b)
{
    size_t sz = (size_t)a->ndraws * (size_t)a->n * sizeof(double);
    return a->ndraws == b->ndraws && a->n == b->n && !memcmp(a->arrivals, b->arrivals, sz) &&
           !memcmp(a->ends, b->ends, sz) && !memcmp(a->alive, b->alive, sz);
}

/* (d) Same seed, same output with 1 and 4 threads. */
static void reproducible_across_threads(void)
{
    session_law L = {2, 30, 0};
    cr_sim_sessions ss = sessions(&L, 0);
    cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 0.7, .sigma_minute = 0.6,
                     .phi = 0.4};
    run a, b;
    cr_err e;
    CHECK_INT(simulate(&a, &p, 7, 50, 300, &ss, 1, &e), 0);
    CHECK_INT(simulate(&b, &p, 7, 50, 300, &ss, 4, &e), 0);
    CHECK(same_bytes(&a, &b));
    run_free(&a);
    run_free(&b);
}

/* Kernels built once and shared (as connrate run does across N) give the same bytes as each
 * draw's own; and the burn-in from G meets its rule exactly: G(b) <= 1e-3 G(0) at b and not a
 * minute earlier (unless the 99.9% point holds it back). */
static void shared_kernels_same_bytes(void)
{
    session_law L = {3, 30, 1.2}; /* lognormal, median 30 s */
    cr_sim_sessions ss = sessions(&L, 1);
    cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 0.7, .sigma_minute = 0.6,
                     .phi = 0.4};
    run a, b;
    cr_err e;
    CHECK_INT(simulate(&a, &p, 5, 20, 600, &ss, 2, &e), 0);
    cr_sim_kernels k;
    cr_sim_kernels_build(&ss, 5, 600, 2, &k);
    ss.kernels = &k;
    CHECK_INT(simulate(&b, &p, 5, 20, 600, &ss, 2, &e), 0);
    CHECK(same_bytes(&a, &b));
    long burnin = k.burnin[0];
    double g0 = stoploss(&L, 0, 0);
    CHECKF(stoploss(&L, 0, (double)burnin) <= 1e-3 * g0 && burnin % 60 == 0,
           "burn-in %ld: G %g of %g", burnin, stoploss(&L, 0, (double)burnin), g0);
    CHECKF(stoploss(&L, 0, (double)burnin - 60) > 1e-3 * g0 || burnin - 60 < k.q999[0],
           "burn-in %ld is not the shortest", burnin);
    CHECK_NEAR(k.missed[0], stoploss(&L, 0, (double)burnin) / g0, 1e-12);
    printf("    lognormal median 30 s, s 1.2: burn-in %ld s, 99.9%% point %.0f s (exp(log 30 + "
           "3.09 x 1.2) = %.0f s)\n", burnin, k.q999[0], exp(log(30) + 3.0902 * 1.2));
    CHECKF(fabs(k.q999[0] - exp(log(30) + 3.0902 * 1.2)) <= 1.5, "99.9%% point %g", k.q999[0]);
    cr_sim_kernels_free(&k);
    run_free(&a);
    run_free(&b);
}

/* Var of one nbh user's mean count over M whole minutes (rho = 0): the minutes' rates
 * mu_m = exp(alpha + sm z + sn z_m) share z, so E mu_m mu_m' = exp(2 alpha + 2 sm^2 + sn^2)
 * for m != m' and exp(2 alpha + 2 s2) for m = m'; the seconds add (mu + mu^2 / phi) / 60 M. */
static double user_mean_variance(const cr_sim_draw *p, long M)
{
    double sm2 = p->sigma_machine * p->sigma_machine, sn2 = p->sigma_minute * p->sigma_minute;
    double e1 = exp(p->alpha + (sm2 + sn2) / 2), e2 = exp(2 * p->alpha + 2 * (sm2 + sn2));
    double cross = exp(2 * p->alpha + 2 * sm2 + sn2);
    return (e2 + (M - 1) * cross) / M - e1 * e1 + (e1 + e2 / p->phi) / (60.0 * M);
}

/* One million users on nbh draws like a real fit's (alpha about 1, sigmas about 1, phi about
 * 0.5: 7.4 million new connections/s, 1e8 sessions alive, past the Poisson draw's switch from
 * GSL to PTRS), with lognormal session times: cr_sim_users and cr_sim_concurrency finish, and
 * each draw's mean new connections/s is N E[y] within 4.5 sd of a draw's mean (from the users'
 * spread, computed above), sessions alive N E[y] E[T] within as much plus the share the
 * burn-in misses. The time goes to the log, not into a check. */
static void million_users(void)
{
    enum { D = 4, N = 1000000 };
    const long S = 600;
    const cr_sim_draw draws[D] = {
        {.alpha = 1.0, .sigma_machine = 1.0, .sigma_minute = 0.9, .phi = 0.5},
        {.alpha = 0.8, .sigma_machine = 1.1, .sigma_minute = 1.0, .phi = 0.4},
        {.alpha = 1.1, .sigma_machine = 0.9, .sigma_minute = 1.0, .phi = 0.6},
        {.alpha = 0.9, .sigma_machine = 1.0, .sigma_minute = 1.1, .phi = 0.5},
    };
    session_law L = {3, 8, 1.0};
    cr_sim_sessions ss = sessions(&L, 1);
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = N;
    cfg.seconds = S;
    double *users = xmalloc(D * S * sizeof *users), *arr = xmalloc(D * S * sizeof *arr);
    double *alive = xmalloc(D * S * sizeof *alive);
    cr_sim_concurrency_info info;
    cr_err e;
    double t0 = cr_now();
    CHECKF(cr_sim_users(draws, D, &cfg, users, NULL, &e) == 0, "%s", e.msg);
    double t1 = cr_now();
    CHECKF(cr_sim_concurrency(draws, D, &cfg, &ss, arr, NULL, alive, &info, &e) == 0, "%s",
           e.msg);
    double t2 = cr_now();
    printf("    N = %d, %d draws x %ld s: users %.1f s, concurrency %.1f s (burn-in %ld s) on "
           "%d threads\n", N, D, S, t1 - t0, t2 - t1, info.burnin, cr_pool_threads(0));
    for (int d = 0; d < D; d++) {
        double rate = N * cr_sim_user_mean(&draws[d]), sd = sqrt(N * user_mean_variance(
                                                                         &draws[d], S / 60));
        double m[3] = {0, 0, 0}; /* users, concurrency's arrivals, alive */
        for (long t = 0; t < S; t++) {
            m[0] += users[(size_t)d * S + t] / S;
            m[1] += arr[(size_t)d * S + t] / S;
            m[2] += alive[(size_t)d * S + t] / S;
        }
        double held = rate * mean_seconds(&L);
        printf("    draw %d: new/s %.6g and %.6g, expected %.6g (sd %.2g); alive %.6g, expected "
               "%.6g\n", d + 1, m[0], m[1], rate, sd, m[2], held);
        CHECK(fabs(m[0] - rate) < 4.5 * sd);
        /* the concurrency run's arrivals include its burn-in's minutes: more of them */
        CHECK(fabs(m[1] - rate) < 4.5 * sd * sqrt((double)(S + info.burnin) / S));
        CHECK(fabs(m[2] - held) < 4.5 * sd / rate * held + info.missed * held);
    }
    free(users);
    free(arr);
    free(alive);
}

static double bad_session(void *ctx, gsl_rng *r, int draw)
{
    return draw == 2 ? -1 : 5;
}

static void rejects_bad_session_times(void)
{
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = bad_session;
    cr_sim_draw p = {.alpha = 0, .sigma_machine = 0.5, .sigma_minute = 0.5, .phi = 1};
    run R;
    cr_err e;
    CHECK_INT(simulate(&R, &p, 4, 3, 60, &ss, 2, &e), -1);
    CHECK_STR(e.msg, "draw 3: session time model returned -1 seconds");
    run_free(&R);
}

TEST_MAIN(RUN(sweep_by_hand); RUN(poisson_arrivals_give_poisson_concurrency);
          RUN(littles_law_with_bursty_users); RUN(burnin_cap_reports_missed_share);
          RUN(shared_kernels_same_bytes);
          RUN(reproducible_across_threads); RUN(rejects_bad_session_times);
          RUN(thinning_matches_sweep); RUN(far_past_matches_every_second);
          RUN(million_users))
