/* The law of a duration under one draw (lib/duration/law.c), with and without the zero class:
 * draws against the analytic survival, draws beyond an age against the conditional survival,
 * the means against the area under the survival. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "duration/law.h"
#include "duration_test.h"

/* The mixture's P(D > t) from GSL's normal cdf. */
static double mix_q(const cr_duration_params *p, double t)
{
    double s = 0;
    for (int c = 0; c < p->k; c++)
        s += p->w[c] * gsl_cdf_gaussian_Q(log(t) - p->m[c], p->s[c]);
    return s;
}

/* The mixture alone (p0 0, no resolution): the fraction of draws above t against the analytic
 * survival (GSL's normal cdf), within 4.5 binomial sd; draws given D > age against
 * S(t) / S(age); the mean, whole and up to t, against the area under the survival. */
static void test_draws_match_survival(void)
{
    enum { N = 200000 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 77);
    static const double ts[] = {0.01, 0.1, 0.5, 1, 5, 30, 120, 1000};
    const cr_duration_params *ps[] = {&TCP_TRUTH, &UDP_TRUTH, &TCP4_TRUTH};
    double *d = xmalloc(N * sizeof(double)), *b = xmalloc(N * sizeof(double));
    for (int k = 0; k < 3; k++) {
        const cr_duration_params *p = ps[k];
        const double age = 20;
        for (int i = 0; i < N; i++) {
            d[i] = cr_duration_draw(p, g);
            b[i] = cr_duration_draw_beyond(p, age, g);
            CHECK(b[i] > age);
        }
        double s_age = mix_q(p, age);
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            double s = mix_q(p, ts[j]);
            CHECK_NEAR(cr_duration_survival(p, ts[j]), s, 1e-14);
            double above = 0, above_b = 0, sb = ts[j] > age ? s / s_age : 1;
            for (int i = 0; i < N; i++)
                above += d[i] > ts[j], above_b += b[i] > ts[j];
            CHECKF(fabs(above / N - s) <= 4.5 * sqrt(s * (1 - s) / N) + 1e-9,
                   "set %d t=%g: %g of draws above, survival %g", k, ts[j], above / N, s);
            CHECKF(fabs(above_b / N - sb) <= 4.5 * sqrt(sb * (1 - sb) / N) + 1e-9,
                   "set %d t=%g given > %g: %g above, expected %g", k, ts[j], age, above_b / N, sb);
        }
        /* E min(D, t) = integral of S up to t = integral of S(e^u) e^u du, by midpoints over
         * u from -40; E D the same to u = 40 */
        static const double upto[] = {0.01, 30, 1000, INFINITY};
        for (size_t j = 0; j < sizeof upto / sizeof upto[0]; j++) {
            double top = fmin(log(upto[j]), 40), steps = ceil((top + 40) / 1e-3);
            double du = (top + 40) / steps, area = 0;
            for (double i = 0.5; i < steps; i++)
                area += cr_duration_survival(p, exp(-40 + i * du)) * exp(-40 + i * du) * du;
            double ours = cr_duration_mean_within(p, upto[j]);
            CHECKF(fabs(ours - area) <= 1e-6 * area, "set %d: mean up to %g s %.10g, area %.10g",
                   k, upto[j], ours, area);
        }
    }
    /* a component too wide for exp(m + s^2 / 2) (the 1e17 s tails of short real captures):
     * the mean up to t stays finite and equal to the area, the whole mean is infinite */
    cr_duration_params wide = {2, {0.5, 0.5}, {-2, 3}, {1, 40}, 0, 0};
    double top = log(1000), du = (top + 40) / 43000, area = 0;
    for (double i = 0.5; i < 43000; i++)
        area += cr_duration_survival(&wide, exp(-40 + i * du)) * exp(-40 + i * du) * du;
    CHECKF(fabs(cr_duration_mean_within(&wide, 1000) - area) <= 1e-6 * area,
           "wide: mean up to 1000 s %.10g, area %.10g", cr_duration_mean_within(&wide, 1000), area);
    CHECK(isinf(cr_duration_mean_within(&wide, INFINITY)));
    /* far beyond both components: the conditional draw still lands beyond the age */
    cr_duration_params far = {2, {0.5, 0.5}, {-3, 0}, {0.5, 0.5}, 0, 0};
    CHECK(cr_duration_draw_beyond(&far, 1e6, g) >= 1e6);
    CHECK_NEAR(cr_duration_survival(&far, 0), 1, 0);
    free(d);
    free(b);
    gsl_rng_free(g);
}

/* The law with a zero class, at a resolution of 1 ms and of 1 s: the share of draws at 0 is
 * p0, the share above t the survival (1 - p0) S(t) / S(r) from GSL's normal cdf, draws given
 * D > age (below and beyond r) against the conditional survival, and the mean up to t against
 * the area under the survival: (1 - p0) min(t, r) up to r, then by midpoints in log t. */
static void test_zero_class_law(void)
{
    enum { N = 200000 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 78);
    static const cr_duration_params laws[] = {
        {2, {0.6, 0.4}, {-3.5, 3}, {1.0, 1.5}, 0.52, 0.001}, /* real UDP-like */
        {2, {0.5, 0.5}, {0.7, 4.1}, {0.8, 1.2}, 0.3, 1},      /* whole seconds */
    };
    static const double ts[] = {0, 0.0005, 0.001, 0.01, 0.5, 1, 5, 30, 120, 1000};
    double *d = xmalloc(N * sizeof(double)), *b = xmalloc(N * sizeof(double));
    for (int k = 0; k < 2; k++) {
        const cr_duration_params *p = &laws[k];
        const double r = p->res, age = k ? 0.5 : 20;
        double sr = mix_q(p, r);
        /* P(D > t) by hand */
#define S_REF(t)                                                                              \
    ((t) < r ? 1 - p->p0 : (1 - p->p0) * mix_q(p, (t)) / sr)
        double zeros = 0;
        for (int i = 0; i < N; i++) {
            d[i] = cr_duration_draw(p, g);
            b[i] = cr_duration_draw_beyond(p, age, g);
            zeros += d[i] == 0;
            CHECK(d[i] == 0 || d[i] >= r);
            CHECK(b[i] > age && b[i] >= r);
        }
        CHECKF(fabs(zeros / N - p->p0) <= 4.5 * sqrt(p->p0 * (1 - p->p0) / N),
               "law %d: %g of draws at 0, p0 %g", k, zeros / N, p->p0);
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            double s = S_REF(ts[j]), sb = ts[j] > age ? S_REF(ts[j]) / S_REF(age) : 1;
            CHECK_NEAR(cr_duration_survival(p, ts[j]), s, 1e-14);
            double above = 0, above_b = 0;
            for (int i = 0; i < N; i++)
                above += d[i] > ts[j], above_b += b[i] > ts[j];
            CHECKF(fabs(above / N - s) <= 4.5 * sqrt(s * (1 - s) / N) + 1e-9,
                   "law %d t=%g: %g of draws above, survival %g", k, ts[j], above / N, s);
            CHECKF(fabs(above_b / N - sb) <= 4.5 * sqrt(sb * (1 - sb) / N) + 1e-9,
                   "law %d t=%g given > %g: %g above, expected %g", k, ts[j], age, above_b / N,
                   sb);
        }
        static const double upto[] = {0.0004, 0.001, 0.3, 30, 1000, INFINITY};
        for (size_t j = 0; j < sizeof upto / sizeof upto[0]; j++) {
            double area = (1 - p->p0) * fmin(upto[j], r);
            if (upto[j] > r) {
                double lo = log(r), top = fmin(log(upto[j]), 40), steps = ceil((top - lo) / 1e-3);
                double du = (top - lo) / steps;
                for (double i = 0.5; i < steps; i++)
                    area += S_REF(exp(lo + i * du)) * exp(lo + i * du) * du;
            }
            double ours = cr_duration_mean_within(p, upto[j]);
            CHECKF(fabs(ours - area) <= 1e-6 * area, "law %d: mean up to %g s %.10g, area %.10g",
                   k, upto[j], ours, area);
        }
        CHECK_NEAR(cr_duration_mean(p), cr_duration_mean_within(p, INFINITY), 0);
        printf("     law %d: %.4f of draws at 0 (p0 %.2f), mean %.4g s\n", k, zeros / N, p->p0,
               cr_duration_mean(p));
#undef S_REF
    }
    free(d);
    free(b);
    gsl_rng_free(g);
}

TEST_MAIN(RUN(test_draws_match_survival); RUN(test_zero_class_law))
