/* N users of the burst model (lib/sim/users.c cr_sim_minute_burst) against a brute-force loop
 * written here (every user's second drawn one by one: a burst with chance w, then
 * gsl_ran_negative_binomial of the chosen component), in mean, variance and tail
 * probabilities, with one minute spread for all users and with each user's own
 * (nbh_burst_msd); the closed-form user mean and the exact moments at fixed rates. */
#include "test.h"

#include <stdio.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "sim/users.h"
#include "sim_test.h"

static const cr_sim_draw bursty = {.alpha = -1.2, .sigma_machine = 0.8, .sigma_minute = 0.6,
                                   .phi = 2, .burst = 1, .w = 0.02, .lambda_b = 10,
                                   .phi_b = 1.5};
/* users' minute spreads from 0.2 to 1.2 (z_s within 2 sd), as the synthetic users' 0.4-0.9 */
static const cr_sim_draw spread = {.alpha = -1.2, .sigma_machine = 0.8, .phi = 2, .burst = 1,
                                   .w = 0.02, .lambda_b = 10, .phi_b = 1.5, .spread = 1,
                                   .mu_s = -0.7, .tau_s = 0.45};

/* One user's second: y ~ (1 - w) NB2(mu, phi) + w NB2(lambda_b, phi_b). */
static double one_user(const cr_sim_draw *p, double mu, gsl_rng *r)
{
    if (gsl_rng_uniform(r) < p->w)
        return gsl_ran_negative_binomial(r, p->phi_b / (p->phi_b + p->lambda_b), p->phi_b);
    return gsl_ran_negative_binomial(r, p->phi / (p->phi + mu), p->phi);
}

/* D draws of N users over n seconds, user by user. */
static double *brute_force(const cr_sim_draw *p, int D, int N, long n, unsigned long seed)
{
    double *y = xmalloc((size_t)D * n * sizeof *y);
    double *base = xmalloc(N * sizeof *base), *mu = xmalloc(N * sizeof *mu);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *sn = xmalloc(N * sizeof *sn);
    for (int d = 0; d < D; d++) {
        for (int u = 0; u < N; u++) {
            base[u] = p->alpha + p->sigma_machine * gsl_ran_gaussian(r, 1);
            sn[u] = p->spread ? exp(p->mu_s + p->tau_s * gsl_ran_gaussian(r, 1)) : p->sigma_minute;
        }
        /* with spread, the minute effects centred on their mean */
        for (long s = 0; s < n; s++) {
            if (s % 60 == 0)
                for (int u = 0; u < N; u++)
                    mu[u] = exp(base[u] + sn[u] * gsl_ran_gaussian(r, 1) -
                                (p->spread ? sn[u] * sn[u] / 2 : 0));
            double sum = 0;
            for (int u = 0; u < N; u++)
                sum += one_user(p, mu[u], r);
            y[(size_t)d * n + s] = sum;
        }
    }
    gsl_rng_free(r);
    free(base);
    free(mu);
    free(sn);
    return y;
}

/* Fast (moment-matched) and exact (every user drawn) simulations against the brute-force loop:
 * mean, second central moment, and P(Y > c) at the fast sample's 50/90/99/99.9% quantiles. */
static void matches_brute_force_of(const cr_sim_draw *p)
{
    const int N = 200, D = 300;
    const long n = 300;
    double *slow = brute_force(p, D, N, n, 99);
    const double tols[] = {0.01, -1};
    for (int t = 0; t < 2; t++) {
        double *fast = simulate_users(p, D, N, n, tols[t], 2, 3 + t);
        double *sorted = xmalloc((size_t)D * n * sizeof *sorted);
        memcpy(sorted, fast, (size_t)D * n * sizeof *sorted);
        gsl_sort(sorted, 1, (size_t)D * n);
        const double probs[] = {0.5, 0.9, 0.99, 0.999};
        for (int i = 0; i < 4; i++) {
            double c = sorted[(size_t)(probs[i] * D * n)];
            estimate a = draw_exceed(fast, D, n, c), b = draw_exceed(slow, D, n, c);
            CHECKF(fabs(a.mean - b.mean) <= 4.5 * hypot(a.se, b.se) + 1e-4,
                   "tol %g: P(Y > %g): fast %g (se %g), brute force %g (se %g)", tols[t], c,
                   a.mean, a.se, b.mean, b.se);
        }
        estimate a = draw_average(fast, D, n, 0, 1), b = draw_average(slow, D, n, 0, 1);
        CHECK_NEAR(a.mean, b.mean, 4.5 * hypot(a.se, b.se));
        const double m = N * cr_sim_user_mean(p);
        CHECK_NEAR(a.mean, m, 4.5 * a.se);
        estimate va = draw_average(fast, D, n, m, 2), vb = draw_average(slow, D, n, m, 2);
        CHECKF(fabs(va.mean - vb.mean) <= 4.5 * hypot(va.se, vb.se),
               "tol %g: E (Y - m)^2: fast %g (se %g), brute force %g (se %g)", tols[t], va.mean,
               va.se, vb.mean, vb.se);
        printf("     tol %5.2f: mean %.3f vs %.3f, E(Y-m)^2 %.2f vs %.2f, P(Y > q99.9) "
               "%.5f vs %.5f\n", tols[t], a.mean, b.mean, va.mean, vb.mean,
               draw_exceed(fast, D, n, sorted[(size_t)(0.999 * D * n)]).mean,
               draw_exceed(slow, D, n, sorted[(size_t)(0.999 * D * n)]).mean);
        free(fast);
        free(sorted);
    }
    free(slow);
}

/* With fixed rates (sigmas 0) a second of N users has mean N m1 and variance N (E y^2 - m1^2),
 * E y^2 = (1 - w)(mu + mu^2 (1 + 1/phi)) + w (lambda_b + lambda_b^2 (1 + 1/phi_b)): exact
 * moments the fast method must keep whatever it matches. */
static void matches_brute_force(void)
{
    matches_brute_force_of(&bursty);
}

static void spread_matches_brute_force(void)
{
    matches_brute_force_of(&spread);
}

static void fixed_rates_exact_moments(void)
{
    const int users[] = {1, 30, 3000};
    for (int i = 0; i < 3; i++) {
        const int N = users[i], D = 40;
        const long n = N > 100 ? 3000 : 30000;
        cr_sim_draw p = {.alpha = log(0.4), .phi = 3, .burst = 1, .w = 0.05, .lambda_b = 20,
                         .phi_b = 0.7};
        double *y = simulate_users(&p, D, N, n, 0.01, 2, 17 + i);
        const double mu = 0.4, w = p.w, l = p.lambda_b;
        const double m1 = (1 - w) * mu + w * l;
        const double m2 = (1 - w) * (mu + mu * mu * (1 + 1 / p.phi)) +
                          w * (l + l * l * (1 + 1 / p.phi_b));
        CHECK_NEAR(cr_sim_user_mean(&p), m1, 1e-12 * m1);
        estimate a = draw_average(y, D, n, 0, 1), v = draw_average(y, D, n, N * m1, 2);
        CHECKF(fabs(a.mean - N * m1) <= 4.5 * a.se, "N %d: mean %g (se %g), exact %g", N,
               a.mean, a.se, N * m1);
        CHECKF(fabs(v.mean - N * (m2 - m1 * m1)) <= 4.5 * v.se,
               "N %d: variance %g (se %g), exact %g", N, v.mean, v.se, N * (m2 - m1 * m1));
        free(y);
    }
}

/* The user mean is the closed form (1 - w) E mu + w lambda_b, E mu lognormal's. */
static void user_mean_closed_form(void)
{
    const double s2 = 0.8 * 0.8 + 0.6 * 0.6;
    const double want = 0.98 * exp(-1.2 + s2 / 2) + 0.02 * 10;
    CHECK_NEAR(cr_sim_user_mean(&bursty), want, 1e-14 * want);
    CHECK(cr_sim_poisson_mixture(&bursty));
}

/* With spread the minute effects are centred on their mean: a user's expected rate is
 * (1 - w) exp(alpha + sigma_machine^2 / 2) + w lambda_b whatever its spread. */
static void spread_user_mean_closed_form(void)
{
    const double want = 0.98 * exp(-1.2 + 0.8 * 0.8 / 2) + 0.02 * 10;
    CHECK_NEAR(cr_sim_user_mean(&spread), want, 1e-14 * want);
    CHECK(cr_sim_poisson_mixture(&spread));
}

static void rejects_bad_bursts(void)
{
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cr_sim_draw d[2] = {bursty, bursty};
    d[1].w = 0.7;
    cr_err e;
    CHECK(cr_sim_check(d, 2, &cfg, &e) < 0);
    CHECK(strstr(e.msg, "draw 2") && strstr(e.msg, "burst"));
    d[1] = bursty;
    d[1].phi_b = 0;
    CHECK(cr_sim_check(d, 2, &cfg, &e) < 0);
    CHECK_INT(cr_sim_check(d, 1, &cfg, &e), 0);
    d[1] = spread;
    CHECK_INT(cr_sim_check(d, 2, &cfg, &e), 0);
    d[1].tau_s = -0.1;
    CHECK(cr_sim_check(d, 2, &cfg, &e) < 0);
    CHECK(strstr(e.msg, "draw 2") && strstr(e.msg, "spread"));
    d[1] = spread;
    d[1].burst = 0;
    CHECK(cr_sim_check(d, 2, &cfg, &e) < 0);
    d[1] = spread;
    d[1].sigma_minute = 0.5;
    CHECK(cr_sim_check(d, 2, &cfg, &e) < 0);
}

TEST_MAIN(RUN(user_mean_closed_form); RUN(spread_user_mean_closed_form);
          RUN(fixed_rates_exact_moments); RUN(matches_brute_force);
          RUN(spread_matches_brute_force); RUN(rejects_bad_bursts))
