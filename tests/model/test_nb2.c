/* The NB2 sampler (model/nb2.h) against the pmf GSL computes (gsl_ran_negative_binomial_pdf,
 * gsl_ran_poisson_pdf): chi-square goodness of fit over the count classes, on both of its
 * methods (inversion below mean 30, the gamma-Poisson mixture above) and for the zero-truncated
 * draws of the hurdle model, including means so small that a positive count is a 1e-12 event. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "model/nb2.h"
#include "test.h"

static double pmf(int y, double mu, double phi)
{
    return isinf(phi) ? gsl_ran_poisson_pdf((unsigned)y, mu)
                      : gsl_ran_negative_binomial_pdf((unsigned)y, phi / (mu + phi), phi);
}

/* p-value of the chi-square statistic of n draws against pmf, classes with expectation >= 5
 * and the rest pooled; positive: the distribution conditional on y > 0. */
static double gof(double mu, double phi, int positive, int n, unsigned long seed, int *ok)
{
    enum { MAXY = 4000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    long *count = calloc(MAXY + 1, sizeof *count);
    cr_nb2_sampler s;
    cr_nb2_sampler_init(&s);
    double eta = log(mu);
    for (int i = 0; i < n; i++) {
        int y = positive ? cr_nb2_draw_positive(&s, eta, phi, r) : cr_nb2_draw(&s, eta, phi, r);
        *ok &= y >= (positive ? 1 : 0);
        count[y < MAXY ? y : MAXY]++;
    }
    double norm = positive ? 1 - pmf(0, mu, phi) : 1, chi2 = 0, rest_o = 0, rest_e = 0;
    int df = -1;
    for (int y = positive; y < MAXY; y++) {
        double ex = n * pmf(y, mu, phi) / norm;
        if (ex >= 5) {
            chi2 += (count[y] - ex) * (count[y] - ex) / ex;
            df++;
        } else {
            rest_o += count[y];
            rest_e += ex;
        }
    }
    rest_o += count[MAXY];
    if (rest_e >= 5) {
        chi2 += (rest_o - rest_e) * (rest_o - rest_e) / rest_e;
        df++;
    } else {
        *ok &= rest_o <= 5 + 3 * sqrt(rest_e + 1); /* the pooled tail is not over-drawn */
    }
    free(count);
    gsl_rng_free(r);
    return df > 0 ? gsl_cdf_chisq_Q(chi2, df) : 1;
}

static void test_draws_match_pmf(void)
{
    const struct {
        double mu, phi;
    } cases[] = {{0.05, 0.3}, {0.84, 2}, {3, 0.5}, {12, 40}, {29, 1e3}, {31, 2}, {200, 5},
                 {2, INFINITY}, {25, INFINITY}, {60, INFINITY}};
    double worst = 1;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int positive = 0; positive < 2; positive++) {
            int ok = 1;
            double p = gof(cases[i].mu, cases[i].phi, positive, 200000, 17 + i, &ok);
            worst = p < worst ? p : worst;
            CHECK(ok);
            CHECK(p > 1e-4);
        }
    printf("     smallest goodness-of-fit p over 20 cases: %.3g\n", worst);
}

/* A positive count of a mean-1e-12 NB is almost surely 1: P(2 | y > 0) is about mu / 2. */
static void test_positive_of_tiny_mean(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_nb2_sampler s;
    cr_nb2_sampler_init(&s);
    int ones = 0;
    for (int i = 0; i < 1000; i++)
        ones += cr_nb2_draw_positive(&s, log(1e-12), 0.5, r) == 1;
    CHECK(ones == 1000);
    gsl_rng_free(r);
}

/* Means past gsl_ran_poisson's range: a count beyond INT_MAX comes back as INT_MAX (not an
 * undefined conversion), and one of 1e9 is drawn (common/poisson.h) within 6 sd. */
static void test_huge_means(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_nb2_sampler s;
    cr_nb2_sampler_init(&s);
    CHECK(cr_nb2_draw(&s, log(1e12), INFINITY, r) == INT_MAX);
    CHECK(cr_nb2_draw_positive(&s, log(1e12), 50, r) == INT_MAX);
    for (int i = 0; i < 100; i++)
        CHECK(fabs(cr_nb2_draw(&s, log(1e9), INFINITY, r) - 1e9) < 6 * sqrt(1e9));
    gsl_rng_free(r);
}

TEST_MAIN(RUN(test_draws_match_pmf); RUN(test_positive_of_tiny_mean); RUN(test_huge_means))
