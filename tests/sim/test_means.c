/* Exact means of the simulated outputs (lib/sim/means.c) against Little's law written out for
 * simple session laws, and against long simulations of every model: the means of simulated
 * new sessions, sessions ending and sessions alive per second agree with the exact values
 * within Monte Carlo error (from independent draws) plus the share of concurrency the burn-in
 * leaves out. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/means.h"
#include "sim_test.h"

typedef struct {
    int exponential; /* else a constant */
    double a;        /* the mean */
} session_law;

static double session_seconds(void *ctx, gsl_rng *r, int draw)
{
    const session_law *L = ctx;
    return L->exponential ? gsl_ran_exponential(r, L->a) : L->a;
}

static double stoploss(void *ctx, int draw, double x)
{
    const session_law *L = ctx;
    if (x <= 0)
        return L->a - x;
    return L->exponential ? L->a * exp(-x / L->a) : fmax(L->a - x, 0);
}

static cr_sim_sessions sessions(session_law *L)
{
    cr_sim_sessions ss;
    cr_sim_sessions_default(&ss);
    ss.session_seconds = session_seconds;
    ss.stoploss = stoploss;
    ss.ctx = L;
    return ss;
}

/* Little's law for lognormal users and a constant or exponential session time:
 * N exp(alpha + s^2 / 2) E[T], and the arrivals without it. */
static void littles_law_by_hand(void)
{
    cr_sim_draw d[2] = {{.alpha = log(0.4), .sigma_machine = 0.8, .sigma_minute = 0.6,
                         .phi = 0.3},
                        {.alpha = 1.2, .sigma_machine = 0.2, .phi = INFINITY}};
    for (int k = 0; k < 2; k++) {
        session_law L = {k, k ? 15 : 10};
        cr_sim_sessions ss = sessions(&L);
        double arr[2], alive[2];
        cr_err e;
        CHECK_INT(cr_sim_exact_means(d, 2, 250, &ss, arr, alive, &e), 0);
        for (int i = 0; i < 2; i++) {
            double s2 = d[i].sigma_machine * d[i].sigma_machine +
                        d[i].sigma_minute * d[i].sigma_minute;
            double rate = 250 * exp(d[i].alpha + s2 / 2);
            CHECK_NEAR(arr[i], rate, 1e-14 * rate);
            CHECK_NEAR(alive[i], rate * L.a, 1e-14 * rate * L.a);
        }
    }
}

static void rejects_missing_stoploss(void)
{
    cr_sim_draw d = {.alpha = 0, .phi = 1};
    session_law L = {0, 10};
    cr_sim_sessions ss = sessions(&L);
    double arr, alive;
    cr_err e;
    CHECK_INT(cr_sim_exact_means(&d, 1, 10, NULL, &arr, NULL, &e), 0);
    ss.stoploss = NULL;
    CHECK_INT(cr_sim_exact_means(&d, 1, 10, &ss, &arr, &alive, &e), -1);
    CHECK(strstr(e.msg, "stop-loss") != NULL);
}

/* Every model, 40 draws whose alpha spreads as a posterior's would, N = 1000 users x 3600 s,
 * exponential session times of mean 15 s (the hurdle's sessions are swept one by one, the
 * others thinned): each draw's simulated mean against its exact value, the differences
 * averaged over draws within 4.5 standard errors and, for sessions alive, the share the
 * burn-in misses. */
static void long_simulations_of_every_model(void)
{
    const cr_sim_draw base[] = {
        {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = INFINITY},
        {.alpha = -0.5, .sigma_machine = 0.7, .phi = 0.7},
        {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = 0.7},
        {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = 0.7, .rho = 0.6},
        {.alpha = 0.4, .sigma_machine = 0.8, .sigma_minute = 0.6, .phi = 0.7, .rho = 0.6,
         .hurdle = 1, .mu_pi = 0.3, .sigma_pi = 0.9},
    };
    const char *names[] = {"pois", "nb_machine", "nbh", "nbh_ar1", "hurdle_nbh_ar1"};
    enum { D = 40, N = 1000 };
    const long S = 3600;
    session_law L = {1, 15};
    cr_sim_sessions ss = sessions(&L);
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = N;
    cfg.seconds = S;
    cfg.threads = 2;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *out[3] = {xmalloc(D * S * sizeof(double)), xmalloc(D * S * sizeof(double)),
                      xmalloc(D * S * sizeof(double))};
    for (int m = 0; m < 5 && !cr_test_stop; m++) {
        cr_sim_draw draws[D];
        for (int d = 0; d < D; d++) {
            draws[d] = base[m];
            draws[d].alpha += gsl_ran_gaussian(r, 0.3);
        }
        double arr[D], alive[D], exact[3] = {0, 0, 0}; /* means over draws */
        cr_err e;
        CHECK_INT(cr_sim_exact_means(draws, D, N, &ss, arr, alive, &e), 0);
        for (int d = 0; d < D; d++)
            exact[0] += arr[d] / D, exact[1] += arr[d] / D, exact[2] += alive[d] / D;
        cr_sim_concurrency_info info;
        CHECKF(cr_sim_concurrency(draws, D, &cfg, &ss, out[0], out[1], out[2], &info, &e) == 0,
               "%s", e.msg);
        const char *what[3] = {"new/s", "ends/s", "alive"};
        for (int w = 0; w < 3; w++) {
            /* paired by draw: simulated minus exact, free of the spread between draws */
            double diff[D], sim = 0, dm = 0, dv = 0;
            for (int d = 0; d < D; d++) {
                double x = 0;
                for (long t = 0; t < S; t++)
                    x += out[w][(size_t)d * S + t] / S;
                diff[d] = x - (w == 2 ? alive[d] : arr[d]);
                sim += x / D, dm += diff[d] / D;
            }
            for (int d = 0; d < D; d++)
                dv += (diff[d] - dm) * (diff[d] - dm) / (D - 1);
            double se = sqrt(dv / D), slack = w == 2 ? info.missed * exact[2] : 0;
            printf("     %-14s %-6s simulated %9.3f, exact %9.3f (paired difference %+.3f, "
                   "se %.3f)\n", names[m], what[w], sim, exact[w], dm, se);
            CHECKF(fabs(dm) <= 4.5 * se + slack, "%s %s: simulated %g, exact %g, difference "
                   "%g (se %g)", names[m], what[w], sim, exact[w], dm, se);
            CHECK(se < 0.01 * exact[w]); /* the check has teeth */
        }
    }
    for (int w = 0; w < 3; w++)
        free(out[w]);
    gsl_rng_free(r);
}

TEST_MAIN(RUN(littles_law_by_hand); RUN(rejects_missing_stoploss);
          RUN(long_simulations_of_every_model))
