/* Per-second counts of N simulated users (lib/sim/users.c) against the seed's aggregate formulas,
 * the exact moments of the lognormal-NB2 mixture, the exact pmf of a sum of NB2 counts
 * (convolution of gsl's NB pmf) and a brute-force per-user loop written here with
 * gsl_ran_negative_binomial. Also measures the moment-matched gamma's error. */
#include "test.h"

#include <stdio.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "sim/users.h"
#include "sim_test.h"

/* (a) sigma = 0: every second is a sum of N iid NB2(mu, phi), mean N mu and variance
 * N (mu + mu^2 / phi); the moment-matched gamma is then exact, and so is the per-user loop. */
static void fixed_rates_match_seed_formulas(void)
{
    const int users[] = {1, 10, 300};
    const double tols[] = {0.01, -1};
    for (int i = 0; i < 3; i++)
        for (int t = 0; t < 2; t++) {
            int N = users[i];
            double mu = 2.5, phi = 0.8;
            long n = N > 100 ? 20000 : 200000;
            cr_sim_draw p = {.alpha = log(mu), .phi = phi};
            double *y = simulate_users(&p, 1, N, n, tols[t], 1, 7 + i);
            double m = 0, v = 0, m4 = 0;
            for (long s = 0; s < n; s++)
                m += y[s];
            m /= n;
            for (long s = 0; s < n; s++) {
                double d2 = (y[s] - m) * (y[s] - m);
                v += d2;
                m4 += d2 * d2;
            }
            v /= n - 1;
            m4 /= n;
            double mean = N * mu, var = N * (mu + mu * mu / phi);
            CHECK_NEAR(m, mean, 4.5 * sqrt(var / n));
            CHECK_NEAR(v, var, 4.5 * sqrt((m4 - v * v) / n));
            free(y);
        }
}

/* Lognormal users: log mu ~ N(alpha, sm^2 + sn^2), so E mu = exp(alpha + s2/2),
 * E mu^2 = exp(2 alpha + 2 s2), and one second of N users has mean N E mu and variance
 * N (E mu + E mu^2 (1 + 1/phi) - (E mu)^2). Counts are compared in units of e^alpha, so that
 * the squares of the estimates' standard errors stay finite at any alpha. */
static void check_lognormal_moments(const cr_sim_draw *p, int N, int D, double mean_tol)
{
    long n = 600;
    double *y = simulate_users(p, D, N, n, 0.01, 2, 11), unit = exp(-p->alpha);
    for (long i = 0; i < D * n; i++)
        y[i] *= unit;
    double s2 = p->sigma_machine * p->sigma_machine + p->sigma_minute * p->sigma_minute;
    double e1 = exp(s2 / 2), e2 = exp(2 * s2);
    double mean = N * e1, var = N * (e1 * unit + e2 * (1 + 1 / p->phi) - e1 * e1);
    estimate m = draw_average(y, D, n, 0, 1);
    estimate v = draw_average(y, D, n, mean, 2);
    printf("     alpha %g, phi %g, N = %d, in units of e^alpha: mean %.5g (expected %.5g, se "
           "%.2g), variance %.5g (expected %.5g, se %.2g)\n", p->alpha, p->phi, N, m.mean, mean,
           m.se, v.mean, var, v.se);
    free(y);
    CHECK_NEAR(m.mean, mean, 4.5 * m.se);
    CHECK_NEAR(v.mean, var, 4.5 * v.se);
    CHECK(m.se < mean_tol * mean && v.se < 0.1 * var); /* the checks have teeth */
}

static void moments_match_lognormal_mixture(void)
{
    const int users[] = {20, 2000};
    const int ndraws[] = {800, 200};
    cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 0.7, .sigma_minute = 0.6, .phi = 0.4};
    for (int i = 0; i < 2 && !cr_test_stop; i++)
        check_lognormal_moments(&p, users[i], ndraws[i], 0.02);
}

/* Rates no firewall sees, but a posterior draw can: 3e14/s (Poisson means past 2^48, drawn by
 * common/poisson.h) and 1e110/s (user rates whose cubes would overflow the moment matching's
 * power sums without their power-of-two unit). The same moments hold. */
static void moments_at_extreme_rates(void)
{
    const double alphas[] = {30, 250}, phis[] = {0.4, INFINITY};
    for (int a = 0; a < 2 && !cr_test_stop; a++)
        for (int f = 0; f < 2 && !cr_test_stop; f++) {
            cr_sim_draw p = {.alpha = alphas[a], .sigma_machine = 0.7, .sigma_minute = 0.6,
                             .phi = phis[f]};
            check_lognormal_moments(&p, 20, 800, 0.05);
        }
}

/* Minute effects: a user's log rates one minute apart have covariance sm^2 + rho sn^2, so the
 * totals of consecutive minutes have covariance
 * 3600 N (exp(2 alpha + 2 sm^2 + (1 + rho) sn^2) - (E mu)^2)
 * (nbh: rho = 0, only the user's own level carries over; nbh_ar1: rho > 0). */
static void minute_correlation_follows_rho(void)
{
    const double rhos[] = {0, 0.7};
    for (int i = 0; i < 2; i++) {
        cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 0.5, .sigma_minute = 0.7, .phi = 2,
                         .rho = rhos[i]};
        int N = 40, D = 2000, M = 10;
        long n = 60 * M;
        double *y = simulate_users(&p, D, N, n, 0.01, 2, 31 + i);
        double sm2 = p.sigma_machine * p.sigma_machine, sn2 = p.sigma_minute * p.sigma_minute;
        double e1 = exp(p.alpha + (sm2 + sn2) / 2), mean = 60 * N * e1;
        double cov = 3600 * N * (exp(2 * p.alpha + 2 * sm2 + (1 + p.rho) * sn2) - e1 * e1);
        double s = 0, s2 = 0;
        for (int d = 0; d < D; d++) {
            double tot[10] = {0}, c = 0;
            for (long t = 0; t < n; t++)
                tot[t / 60] += y[(size_t)d * n + t];
            for (int m = 0; m + 1 < M; m++)
                c += (tot[m] - mean) * (tot[m + 1] - mean) / (M - 1);
            s += c;
            s2 += c * c;
        }
        double m = s / D, se = sqrt((s2 / D - m * m) / D);
        CHECKF(fabs(m - cov) <= 4.5 * se, "rho %g: covariance of consecutive minutes %g (se %g), "
               "expected %g", p.rho, m, se, cov);
        CHECKF(se < 0.1 * cov, "se %g, covariance %g", se, cov);
        free(y);
    }
}

/* (b) The fast method against a per-user loop written here: tail probabilities at the fast
 * sample's own quantiles agree within Monte Carlo error, with heavy between-user spread. */
static void fast_matches_brute_force_loop(void)
{
    int N = 200, D = 300;
    long n = 300;
    cr_sim_draw p = {.alpha = log(0.5), .sigma_machine = 1.0, .sigma_minute = 0.8, .phi = 0.3};
    double *fast = simulate_users(&p, D, N, n, 0.01, 2, 3);
    double *slow = xmalloc((size_t)D * n * sizeof *slow);
    double *base = xmalloc(N * sizeof *base), *mu = xmalloc(N * sizeof *mu);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    for (int d = 0; d < D; d++) {
        for (int u = 0; u < N; u++)
            base[u] = p.alpha + p.sigma_machine * gsl_ran_gaussian(r, 1);
        for (long s = 0; s < n; s++) {
            if (s % 60 == 0)
                for (int u = 0; u < N; u++)
                    mu[u] = exp(base[u] + p.sigma_minute * gsl_ran_gaussian(r, 1));
            double sum = 0;
            for (int u = 0; u < N; u++)
                sum += gsl_ran_negative_binomial(r, p.phi / (p.phi + mu[u]), p.phi);
            slow[(size_t)d * n + s] = sum;
        }
    }
    double *sorted = xmalloc((size_t)D * n * sizeof *sorted);
    memcpy(sorted, fast, (size_t)D * n * sizeof *sorted);
    gsl_sort(sorted, 1, (size_t)D * n);
    const double probs[] = {0.5, 0.9, 0.99, 0.999};
    for (int i = 0; i < 4; i++) {
        double c = sorted[(size_t)(probs[i] * D * n)];
        estimate a = draw_exceed(fast, D, n, c), b = draw_exceed(slow, D, n, c);
        CHECKF(fabs(a.mean - b.mean) <= 4.5 * hypot(a.se, b.se) + 1e-4,
               "P(Y > %g): fast %g (se %g), brute force %g (se %g)", c, a.mean, a.se, b.mean,
               b.se);
    }
    estimate a = draw_average(fast, D, n, 0, 1), b = draw_average(slow, D, n, 0, 1);
    CHECK_NEAR(a.mean, b.mean, 4.5 * hypot(a.se, b.se));
    gsl_rng_free(r);
    free(fast);
    free(slow);
    free(sorted);
    free(base);
    free(mu);
}

/* One minute of 50 users with fixed, widely spread rates. Exact pmf of the aggregate: the
 * convolution of their NB2 pmfs. The sampler must match it exactly when told to draw every
 * user (tol < 0), match its own documented approximation otherwise (chi-square), and the
 * approximation's distance from the exact pmf is measured here. */
enum { MN = 50, MK = 1500 };
static const double mphi = 0.4;

static void minute_rates(double *mu)
{
    for (int u = 0; u < MN; u++)
        mu[u] = exp(log(0.5) + 1.2 * gsl_cdf_ugaussian_Pinv((u + 0.5) / MN));
}

/* pmf of the sampler's construction: users mu[0..matched) as one NB2 with the matched gamma's
 * mean and variance, the others one by one. */
static void construction_pmf(const double *mu, int matched, double *pmf)
{
    memset(pmf, 0, MK * sizeof *pmf);
    pmf[0] = 1;
    double m = 0, q = 0;
    for (int u = 0; u < matched; u++)
        m += mu[u], q += mu[u] * mu[u];
    if (matched > 0)
        convolve_nb2(pmf, m, mphi * m * m / q, MK);
    for (int u = matched; u < MN; u++)
        convolve_nb2(pmf, mu[u], mphi, MK);
}

static double skewness(const double *p)
{
    double m = 0, v = 0, k3 = 0;
    for (int k = 0; k < MK; k++)
        m += k * p[k];
    for (int k = 0; k < MK; k++)
        v += (k - m) * (k - m) * p[k], k3 += pow(k - m, 3) * p[k];
    return k3 / pow(v, 1.5);
}

static void minute_sampler_matches_exact_pmf(void)
{
    double mu[MN], exact[MK], approx[MK];
    minute_rates(mu);
    construction_pmf(mu, 0, exact);
    double mass = 0;
    for (int k = 0; k < MK; k++)
        mass += exact[k];
    CHECK_NEAR(mass, 1, 1e-9);
    long n = 300000;
    double *y = xmalloc(n * sizeof *y);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const double tols[] = {-1, 0.01, 0.05, INFINITY};
    for (int t = 0; t < 4; t++) {
        gsl_rng_set(r, 5 + t);
        minute_rates(mu);
        int exact_users = cr_sim_minute(mu, MN, mphi, tols[t], (int)n, r, y, NULL);
        construction_pmf(mu, MN - exact_users, approx);
        double pv = chisq_pvalue(y, n, approx, MK);
        CHECKF(pv > 1e-4, "tol %g: chi-square p = %g against the sampler's construction",
               tols[t], pv);
        double tv = 0;
        for (int k = 0; k < MK; k++)
            tv += fabs(approx[k] - exact[k]) / 2;
        double dskew = skewness(exact) - skewness(approx);
        int q99 = pmf_quantile(exact, MK, 0.99), a99 = pmf_quantile(approx, MK, 0.99);
        int q999 = pmf_quantile(exact, MK, 0.999), a999 = pmf_quantile(approx, MK, 0.999);
        printf("    tol %-4g: %2d/%d users exact, skewness %.4f short, TV %.5f, q99 %d vs %d, "
               "q99.9 %d vs %d\n", tols[t], exact_users, MN, dskew, tv, a99, q99, a999, q999);
        if (tols[t] < 0)
            CHECK(tv < 1e-12 && exact_users == MN);
        else
            CHECK(dskew >= -1e-9 && dskew <= tols[t]); /* the documented bound, measured */
        if (tols[t] == 0.01)
            CHECK(tv < 0.005 && abs(a999 - q999) <= 1 && exact_users < MN / 2);
    }
    gsl_rng_free(r);
    free(y);
}

/* (d) The same seed gives identical counts whatever the number of threads. */
static void reproducible_across_threads(void)
{
    cr_sim_draw p = {.alpha = log(0.8), .sigma_machine = 0.9, .sigma_minute = 0.5, .phi = 0.5};
    long n = 240;
    int D = 9;
    double *a = simulate_users(&p, D, 500, n, 0.01, 1, 21);
    double *b = simulate_users(&p, D, 500, n, 0.01, 4, 21);
    double *c = simulate_users(&p, D, 500, n, 0.01, 4, 22);
    CHECK(memcmp(a, b, (size_t)D * n * sizeof *a) == 0);
    CHECK(memcmp(a, c, (size_t)D * n * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

static void rejects_bad_draws(void)
{
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cr_sim_draw p[2] = {{.alpha = 0, .sigma_machine = 0.5, .sigma_minute = 0.5, .phi = 1},
                        {.alpha = 0, .sigma_machine = 0.5, .sigma_minute = 0.5}};
    double y[2 * 3600];
    cr_err e;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    CHECK(strstr(e.msg, "draw 2") != NULL);
    p[1].phi = 1;
    p[1].rho = 1;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    p[1].rho = 0;
    p[1].alpha = 800; /* the expected rate overflows */
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    CHECK(strstr(e.msg, "draw 2") && strstr(e.msg, "not finite"));
    p[1].alpha = 30; /* 1.4e13/s is simulated */
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), 0);
}

TEST_MAIN(RUN(fixed_rates_match_seed_formulas); RUN(moments_match_lognormal_mixture);
          RUN(moments_at_extreme_rates); RUN(minute_correlation_follows_rho);
          RUN(fast_matches_brute_force_loop); RUN(minute_sampler_matches_exact_pmf);
          RUN(reproducible_across_threads); RUN(rejects_bad_draws))
