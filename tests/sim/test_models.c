/* N new users under every model of the ladder (the table of cr_sim_draw in sim/users.h) against
 * moments and pmfs computed here from the models' definitions (models/NAME.stan) by adaptive
 * quadrature over the normal effects, with gsl's Poisson and negative binomial pmfs: N users'
 * per-second mean and variance (law of total variance), a lone user's per-second distribution,
 * the variance of seconds within a minute (Poisson's equals the mean) and the covariance of
 * consecutive minutes (nb_machine's rate never moves; the hurdle's zero chance is the user's
 * for good). */
#include "test.h"

#include <stdio.h>

#include <gsl/gsl_integration.h>

#include "sim_test.h"

typedef struct {
    const char *name;
    cr_sim_draw p;
} model_case;

/* The hurdle cases cover both ways of drawing a positive count (inversion below mu = 100,
 * rejection above: "large" has rates around 80), and rare positives of small rates, where the
 * truncation matters most. */
static const model_case cases[] = {
    {"pois", {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = INFINITY}},
    {"nb_machine", {.alpha = -0.5, .sigma_machine = 0.7, .phi = 0.7}},
    {"nbh", {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = 0.7}},
    {"nbh_ar1",
     {.alpha = -0.5, .sigma_machine = 0.5, .sigma_minute = 0.6, .phi = 0.7, .rho = 0.6}},
    {"hurdle_nbh_ar1", {.alpha = 0.4, .sigma_machine = 0.8, .sigma_minute = 0.6, .phi = 0.7,
                        .rho = 0.6, .hurdle = 1, .mu_pi = 0.3, .sigma_pi = 0.9}},
    {"hurdle, rare", {.alpha = -2.5, .sigma_machine = 0.6, .sigma_minute = 0.5, .phi = 1.5,
                      .rho = 0.3, .hurdle = 1, .mu_pi = 1.5, .sigma_pi = 0.5}},
    {"hurdle, large", {.alpha = 4.4, .sigma_machine = 0.4, .sigma_minute = 0.3, .phi = 3,
                       .rho = 0.5, .hurdle = 1, .mu_pi = 2, .sigma_pi = 0.5}},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

/* ---- the reference: the models' definitions integrated over their normal effects ---- */

typedef struct {
    double (*f)(double x, void *ctx); /* of the effect's value */
    void *ctx;
    double m, s; /* the effect is m + s Z */
} normal_fn;

static double normal_integrand(double z, void *ctx)
{
    const normal_fn *n = ctx;
    return gsl_ran_ugaussian_pdf(z) * n->f(n->m + n->s * z, n->ctx);
}

/* E f(m + s Z), Z ~ N(0,1); beyond 14 sd the normal's mass (1e-44) cannot matter here. */
static double normal_mean(double (*f)(double x, void *ctx), void *ctx, double m, double s)
{
    normal_fn n = {f, ctx, m, s};
    gsl_function F = {normal_integrand, &n};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    double v, err;
    gsl_integration_qags(&F, -14, 14, 0, 1e-11, 1000, w, &v, &err);
    gsl_integration_workspace_free(w);
    return v;
}

/* gsl's NB pmf with size phi and success chance phi / (phi + mu); Poisson when phi = inf. */
static double count_pmf(int k, double mu, double phi)
{
    return isinf(phi) ? gsl_ran_poisson_pdf(k, mu)
                      : gsl_ran_negative_binomial_pdf(k, phi / (phi + mu), phi);
}

/* Moments of one second given the log rate eta: of y for the plain models, of y given y > 0
 * for the hurdle (E y^2 = mu + mu^2 (1 + 1/phi) over 1 - p(0)). */
typedef struct {
    const cr_sim_draw *p;
    int power, k; /* which function: moment 1 or 2, squared mean (3), pmf at k (4) */
} rate_fn;

static double rate_function(double eta, void *ctx)
{
    const rate_fn *r = ctx;
    const cr_sim_draw *p = r->p;
    double mu = exp(eta), ppos = p->hurdle ? 1 - count_pmf(0, mu, p->phi) : 1;
    if (!(ppos > 0))
        return r->power == 4 ? r->k == 1 : 1; /* mu underflowed: a positive count is 1 */
    double m1 = mu / ppos, m2 = (mu + mu * mu * (1 + 1 / p->phi)) / ppos;
    switch (r->power) {
    case 1: return m1;
    case 2: return m2;
    case 3: return m1 * m1;
    default: return count_pmf(r->k, mu, p->phi) / ppos;
    }
}

static double rate_mean(const cr_sim_draw *p, int power, int k)
{
    rate_fn r = {p, power, k};
    return normal_mean(rate_function, &r, p->alpha, hypot(p->sigma_machine, p->sigma_minute));
}

/* The chance of a positive second, 1 - pi, and its square, at logit pi = l. */
static double positive_chance(double l, void *ctx)
{
    double q = 1 / (1 + exp(l));
    return *(int *)ctx == 1 ? q : q * q;
}

/* E (1 - pi)^power over users; 1 without a hurdle. */
static double hurdle_mean(const cr_sim_draw *p, int power)
{
    return p->hurdle ? normal_mean(positive_chance, &power, p->mu_pi, p->sigma_pi) : 1;
}

/* E[y | minute m] E[y | minute m + 1] of one user: the log rates share sigma_machine^2 +
 * rho sigma_minute^2 = c of their variance s^2, so with W, V, V' independent N(0,1) they are
 * alpha + sqrt(c) W + sqrt(s^2 - c) V (and V'), and the product's mean is E_W g(W)^2 with
 * g(w) = E_V E[y | eta = alpha + sqrt(c) w + sqrt(s^2 - c) V]. */
typedef struct {
    const cr_sim_draw *p;
    double c, s2;
} lag_ctx;

static double g_squared(double w, void *ctx)
{
    const lag_ctx *L = ctx;
    rate_fn r = {L->p, 1, 0};
    double g = normal_mean(rate_function, &r, L->p->alpha + sqrt(L->c) * w, sqrt(L->s2 - L->c));
    return g * g;
}

static double consecutive_product(const cr_sim_draw *p)
{
    double sm2 = p->sigma_machine * p->sigma_machine, sn2 = p->sigma_minute * p->sigma_minute;
    lag_ctx L = {p, sm2 + p->rho * sn2, sm2 + sn2};
    return normal_mean(g_squared, &L, 0, 1);
}

/* ---- the tests ---- */

/* The reference against closed forms where they exist (lognormal moments), and the library's
 * own expected rate (trapezoid rule) against the reference, also for hurdles with effects wide
 * enough (sigma_pi 4, log rates' sd 4, phi from 0.08 to 60) that a 64-point Gauss-Hermite rule
 * was off by 1e-5. */
static void reference_and_user_mean(void)
{
    const cr_sim_draw wide[] = {
        {.alpha = -1, .sigma_machine = 2.5, .sigma_minute = 3.1, .phi = 0.08, .hurdle = 1,
         .mu_pi = 2, .sigma_pi = 4},
        {.alpha = 2, .sigma_machine = 0.3, .sigma_minute = 0.2, .phi = 60, .hurdle = 1,
         .mu_pi = -3, .sigma_pi = 3.5},
        {.alpha = -5, .sigma_machine = 3, .phi = 0.5, .hurdle = 1, .mu_pi = 0, .sigma_pi = 0},
    };
    for (int i = 0; i < NCASES + 3; i++) {
        const cr_sim_draw *p = i < NCASES ? &cases[i].p : &wide[i - NCASES];
        const char *name = i < NCASES ? cases[i].name : "wide hurdle";
        double e1 = hurdle_mean(p, 1) * rate_mean(p, 1, 0);
        CHECKF(fabs(cr_sim_user_mean(p) / e1 - 1) < 1e-10, "%s: cr_sim_user_mean %.12g, "
               "quadrature %.12g", name, cr_sim_user_mean(p), e1);
        if (p->hurdle)
            continue;
        double s2 = p->sigma_machine * p->sigma_machine + p->sigma_minute * p->sigma_minute;
        double c = p->sigma_machine * p->sigma_machine + p->rho * p->sigma_minute *
                                                             p->sigma_minute;
        CHECK_NEAR(e1, exp(p->alpha + s2 / 2), 1e-10);
        CHECK_NEAR(rate_mean(p, 3, 0), exp(2 * p->alpha + 2 * s2), 1e-10);
        CHECK_NEAR(consecutive_product(p), exp(2 * p->alpha + s2 + c), 1e-9);
    }
}

/* N users, one second: mean N E[y], variance N (E[y^2] - E[y]^2) (users independent; for a
 * user E y = E(1 - pi) E m1, E y^2 = E(1 - pi) E m2, m the moments given the rate and, for the
 * hurdle, given y > 0). */
static void n_user_moments(void)
{
    const int users[] = {40, 1000}, ndraws[] = {400, 100};
    for (int i = 0; i < NCASES; i++)
        for (int j = 0; j < 2; j++) {
            const cr_sim_draw *p = &cases[i].p;
            int N = users[j], D = ndraws[j];
            long n = 600;
            double *y = simulate_users(p, D, N, n, 0.01, 2, 100 + i);
            double q1 = hurdle_mean(p, 1), e1 = q1 * rate_mean(p, 1, 0);
            double mean = N * e1, var = N * (q1 * rate_mean(p, 2, 0) - e1 * e1);
            estimate m = draw_average(y, D, n, 0, 1), v = draw_average(y, D, n, mean, 2);
            printf("    %-14s N=%-4d mean %9.3f (se %.3f) expected %9.3f; variance %10.2f "
                   "(se %.2f) expected %10.2f\n", cases[i].name, N, m.mean, m.se, mean, v.mean,
                   v.se, var);
            CHECK_NEAR(m.mean, mean, 4.5 * m.se);
            CHECK_NEAR(v.mean, var, 4.5 * v.se);
            CHECK(m.se < 0.03 * mean && v.se < 0.1 * var); /* the checks have teeth */
            free(y);
        }
}

/* One user, one second per draw (second 60, after one step of the minute path), so that the
 * sample is independent: its pmf against E[p(k | mu)] for the plain models and, for the hurdle,
 * P(0) = E pi and P(k > 0) = E(1 - pi) E[p(k | mu) / (1 - p(0 | mu))]. */
enum { PK = 400 };

static void lone_user_pmf(void)
{
    int D = 100000;
    long n = 61;
    double *pmf = xmalloc(PK * sizeof *pmf), *x = xmalloc(D * sizeof *x);
    for (int i = 0; i < NCASES; i++) {
        const cr_sim_draw *p = &cases[i].p;
        double *y = simulate_users(p, D, 1, n, 0.01, 2, 200 + i);
        for (int d = 0; d < D; d++)
            x[d] = y[(size_t)d * n + n - 1];
        double q1 = hurdle_mean(p, 1);
        for (int k = 0; k < PK; k++)
            pmf[k] = p->hurdle ? (k == 0 ? 1 - q1 : q1 * rate_mean(p, 4, k))
                               : rate_mean(p, 4, k);
        double zeros = 0;
        for (int d = 0; d < D; d++)
            zeros += x[d] == 0;
        zeros /= D;
        double pv = chisq_pvalue(x, D, pmf, PK);
        printf("    %-14s zeros %.4f expected %.4f (se %.4f), chi-square p = %.3f\n",
               cases[i].name, zeros, pmf[0], sqrt(pmf[0] * (1 - pmf[0]) / D), pv);
        CHECK_NEAR(zeros, pmf[0], 4.5 * sqrt(pmf[0] * (1 - pmf[0]) / D));
        CHECKF(pv > 1e-4, "%s: chi-square p = %g", cases[i].name, pv);
        free(y);
    }
    free(pmf);
    free(x);
}

/* One user: the variance of the 60 seconds of a minute around their own mean estimates
 * E[Var(y | user, minute)] = E(1 - pi) E m2 - E(1 - pi)^2 E m1^2: the per-second law given the
 * minute alone (for pois E mu, variance equal to the mean; NB2 adds E mu^2 / phi). */
static void variance_within_minutes(void)
{
    int D = 4000, M = 10;
    long n = 60 * M;
    for (int i = 0; i < NCASES; i++) {
        const cr_sim_draw *p = &cases[i].p;
        double *y = simulate_users(p, D, 1, n, 0.01, 2, 300 + i);
        double s = 0, s2 = 0;
        for (int d = 0; d < D; d++) {
            double w = 0;
            for (int m = 0; m < M; m++) {
                const double *x = y + (size_t)d * n + 60 * m;
                double a = 0, b = 0;
                for (int t = 0; t < 60; t++)
                    a += x[t];
                a /= 60;
                for (int t = 0; t < 60; t++)
                    b += (x[t] - a) * (x[t] - a);
                w += b / 59 / M;
            }
            s += w;
            s2 += w * w;
        }
        double est = s / D, se = sqrt((s2 / D - est * est) / D);
        double want = hurdle_mean(p, 1) * rate_mean(p, 2, 0) - hurdle_mean(p, 2) *
                                                                   rate_mean(p, 3, 0);
        double mean = hurdle_mean(p, 1) * rate_mean(p, 1, 0);
        printf("    %-14s within-minute variance %.4f (se %.4f) expected %.4f; mean %.4f\n",
               cases[i].name, est, se, want, mean);
        CHECK_NEAR(est, want, 4.5 * se);
        CHECK(se < 0.1 * want);
        free(y);
    }
}

/* N users: consecutive minutes' totals have covariance 3600 N (E(1 - pi)^2 E[m1 m1'] -
 * (E y)^2), m1 and m1' the mean given the rate in each minute (consecutive_product). */
static void consecutive_minutes_covariance(void)
{
    int N = 20, D = 3000, M = 10;
    long n = 60 * M;
    for (int i = 0; i < NCASES; i++) {
        const cr_sim_draw *p = &cases[i].p;
        double *y = simulate_users(p, D, N, n, 0.01, 2, 400 + i);
        double e1 = hurdle_mean(p, 1) * rate_mean(p, 1, 0), mean = 60 * N * e1;
        double cov = 3600 * N * (hurdle_mean(p, 2) * consecutive_product(p) - e1 * e1);
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
        double est = s / D, se = sqrt((s2 / D - est * est) / D);
        printf("    %-14s covariance of consecutive minutes %.1f (se %.1f) expected %.1f\n",
               cases[i].name, est, se, cov);
        CHECK_NEAR(est, cov, 4.5 * se);
        CHECK(se < 0.1 * cov);
        free(y);
    }
}

/* With the users drawn one by one (the large-N path off: it draws those past its cut so), the
 * hurdle is drawn user by user, the Poisson model never needs to be. */
static void work_counters(void)
{
    for (int i = 0; i < NCASES; i++) {
        cr_sim_config cfg;
        cr_sim_config_default(&cfg);
        cfg.large_n = 0;
        cfg.nusers = 300;
        cfg.seconds = 600;
        cfg.threads = 2;
        cr_sim_draw d[3] = {cases[i].p, cases[i].p, cases[i].p};
        double *y = xmalloc(3 * cfg.seconds * sizeof *y);
        cr_sim_users_stats st = {0, 0};
        cr_err e;
        CHECKF(cr_sim_users(d, 3, &cfg, y, &st, &e) == 0, "%s", e.msg);
        CHECK_INT(st.user_minutes, 3 * 300 * 10);
        if (cases[i].p.hurdle)
            CHECK_INT(st.exact_user_minutes, st.user_minutes);
        else if (isinf(cases[i].p.phi))
            CHECK_INT(st.exact_user_minutes, 0);
        else
            CHECK(st.exact_user_minutes < st.user_minutes / 2);
        free(y);
    }
}

static void hurdle_reproducible_across_threads(void)
{
    const cr_sim_draw *p = &cases[4].p;
    long n = 240;
    int D = 9;
    double *a = simulate_users(p, D, 300, n, 0.01, 1, 21);
    double *b = simulate_users(p, D, 300, n, 0.01, 4, 21);
    double *c = simulate_users(p, D, 300, n, 0.01, 4, 22);
    CHECK(memcmp(a, b, (size_t)D * n * sizeof *a) == 0);
    CHECK(memcmp(a, c, (size_t)D * n * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

static void rejects_bad_hurdles(void)
{
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    double y[3600];
    cr_err e;
    cr_sim_draw p[2] = {cases[4].p, cases[4].p};
    p[1].phi = INFINITY;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    CHECK(strstr(e.msg, "draw 2") && strstr(e.msg, "hurdle"));
    p[1] = cases[4].p;
    p[1].sigma_pi = -1;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    p[1].sigma_pi = 0.5;
    p[1].mu_pi = NAN;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
    p[1] = cases[0].p;
    p[1].phi = NAN;
    CHECK_INT(cr_sim_users(p, 2, &cfg, y, NULL, &e), -1);
}

TEST_MAIN(RUN(reference_and_user_mean); RUN(n_user_moments); RUN(lone_user_pmf);
          RUN(variance_within_minutes); RUN(consecutive_minutes_covariance); RUN(work_counters);
          RUN(hurdle_reproducible_across_threads); RUN(rejects_bad_hurdles))
