/* Sessions alive and ending per second (lib/sim/concurrency.c) against hand-computed sweeps,
 * Little's law (mean alive = arrival rate x mean session time) and the M/G/inf result that with
 * Poisson arrivals the number alive is Poisson (variance = mean) for any session time law. */
#include "test.h"

#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/concurrency.h"
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

static cr_sim_sessions sessions(session_law *L)
{
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = session_seconds;
    ss.ctx = L;
    return ss;
}

typedef struct {
    int ndraws;
    long n;
    double *arrivals, *ends, *alive;
    cr_sim_concurrency_info info;
} run;

static int simulate(run *R, const cr_sim_draw *p, int ndraws, int nusers, long n,
                    const cr_sim_sessions *ss, int threads, cr_err *e)
{
    cr_sim_draw *draws = xmalloc(ndraws * sizeof *draws);
    for (int d = 0; d < ndraws; d++)
        draws[d] = *p;
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = nusers;
    cfg.seconds = n;
    cfg.threads = threads;
    R->ndraws = ndraws;
    R->n = n;
    size_t sz = (size_t)ndraws * n * sizeof(double);
    R->arrivals = xmalloc(sz), R->ends = xmalloc(sz), R->alive = xmalloc(sz);
    int rc = cr_sim_concurrency(draws, ndraws, &cfg, ss, R->arrivals, R->ends, R->alive,
                                &R->info, e);
    free(draws);
    return rc;
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
    cr_sim_sessions ss = sessions(&L);
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
    session_law L = {1, 60, 5};
    cr_sim_sessions ss = sessions(&L);
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
    for (int l = 0; l < 2; l++) {
        session_law *L = &laws[l];
        cr_sim_sessions ss = sessions(L);
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
        printf("    %s: burn-in %ld s (99.9%% point %.0f s), mean alive %.1f (se %.1f) vs %.1f\n",
               l ? "lognormal" : "exponential", R.info.burnin, R.info.q999, m.mean, m.se,
               lambda * W);
        run_free(&R);
    }
}

/* The cap bounds the burn-in and the info says how much mean concurrency that loses: sessions
 * of exactly 1000 s with a 300 s cap lose (1000 - 300) / 1000 of it. */
static void burnin_cap_reports_missed_share(void)
{
    session_law L = {0, 1000, 0};
    cr_sim_sessions ss = sessions(&L);
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

/* (d) Same seed, same output with 1 and 4 threads. */
static void reproducible_across_threads(void)
{
    session_law L = {2, 30, 0};
    cr_sim_sessions ss = sessions(&L);
    cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 0.7, .sigma_minute = 0.6,
                     .phi = 0.4};
    run a, b;
    cr_err e;
    CHECK_INT(simulate(&a, &p, 7, 50, 300, &ss, 1, &e), 0);
    CHECK_INT(simulate(&b, &p, 7, 50, 300, &ss, 4, &e), 0);
    size_t sz = (size_t)7 * 300 * sizeof(double);
    CHECK(memcmp(a.arrivals, b.arrivals, sz) == 0 && memcmp(a.ends, b.ends, sz) == 0 &&
          memcmp(a.alive, b.alive, sz) == 0);
    run_free(&a);
    run_free(&b);
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
          RUN(reproducible_across_threads); RUN(rejects_bad_session_times))
