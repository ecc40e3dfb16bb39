/* The Poisson draw (common/poisson.h) against the exact law: the large-mean method (PTRS),
 * forced at means where GSL computes the pmf (gsl_ran_poisson_pdf),
 * passes a chi-square test; at 1e10 and 1e15, far beyond gsl_ran_poisson's unsigned range, the
 * sample's mean, variance and skewness agree with mu, mu and mu^-1/2; below the switch the
 * draw is gsl_ran_poisson's, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "common/poisson.h"
#include "test.h"

static gsl_rng *rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* Chi-square p-value of n draws against Poisson(mu): one class per count within 8 sd of mu
 * and one for each tail beyond, classes pooled from the left until each expects 20 or more. */
static double gof(double mu, int ptrs, long n, unsigned long seed, int *integer)
{
    gsl_rng *r = rng(seed);
    const double sd = sqrt(mu);
    const long lo = (long)fmax(0, floor(mu - 8 * sd)), hi = (long)ceil(mu + 8 * sd);
    const long K = hi - lo + 3; /* [0] below lo, [1 + k - lo] for lo..hi, [K - 1] above hi */
    double *obs = calloc(K, sizeof *obs), *ex = calloc(K, sizeof *ex);
    for (long i = 0; i < n; i++) {
        double y = ptrs ? cr_poisson_ptrs(r, mu) : cr_poisson(r, mu);
        *integer &= y >= 0 && y == floor(y);
        obs[y < lo ? 0 : y > hi ? K - 1 : 1 + (long)y - lo] += 1;
    }
    /* beyond 8 sd each tail holds under 1e-15, shared out as what the classes leave */
    double inside = 0;
    for (long k = lo; k <= hi; k++)
        inside += ex[1 + k - lo] = n * gsl_ran_poisson_pdf((unsigned)k, mu);
    ex[0] = ex[K - 1] = fmax(0, n - inside) / 2;
    double stat = 0, o = 0, e = 0, rest = 0;
    int bins = 0;
    for (long k = 0; k < K; k++)
        rest += ex[k];
    for (long k = 0; k < K; k++) {
        o += obs[k];
        e += ex[k];
        rest -= ex[k];
        if ((e >= 20 && rest >= 20) || k == K - 1) {
            stat += (o - e) * (o - e) / e;
            bins++;
            o = e = 0;
        }
    }
    free(obs);
    free(ex);
    gsl_rng_free(r);
    return gsl_cdf_chisq_Q(stat, bins - 1);
}

static void ptrs_matches_exact_pmf(void)
{
    const double mus[] = {10, 50, 1e3, 1e6};
    for (size_t i = 0; i < sizeof mus / sizeof *mus; i++) {
        int integer = 1;
        double p = gof(mus[i], 1, 2000000, 11 + i, &integer);
        printf("     PTRS at mu = %g: chi-square p %.3f (2e6 draws)\n", mus[i], p);
        CHECK(integer);
        CHECKF(p > 1e-4, "mu %g: p %g", mus[i], p);
    }
}

/* Just above the switch, through the public entry point. */
static void draw_above_switch_matches_pmf(void)
{
    int integer = 1;
    double p = gof(2 * CR_POISSON_GSL_MAX, 0, 1000000, 5, &integer);
    printf("     cr_poisson at mu = %g: chi-square p %.3f\n", 2 * CR_POISSON_GSL_MAX, p);
    CHECK(integer);
    CHECK(p > 1e-4);
}

/* Mean, variance and skewness of n draws, each as a z-score against mu, mu and mu^-1/2 with
 * the sampling sd of each estimate (Poisson: var of the sample variance (mu + 2 mu^2) / n, of
 * the skewness about 6 / n). Deviations from mu are exact doubles up to 2^53. */
static void moments_z(double mu, long n, unsigned long seed, double z[3])
{
    gsl_rng *r = rng(seed);
    double s1 = 0, s2 = 0, s3 = 0;
    for (long i = 0; i < n; i++) {
        double d = (cr_poisson(r, mu) - mu) / sqrt(mu);
        s1 += d;
        s2 += d * d;
        s3 += d * d * d;
    }
    gsl_rng_free(r);
    double m = s1 / n, v = s2 / n - m * m;
    double skew = (s3 / n - 3 * m * v - m * m * m) / pow(v, 1.5);
    z[0] = m / sqrt(1.0 / n);
    z[1] = (v - 1) / sqrt((1 / mu + 2) / n);
    z[2] = (skew - 1 / sqrt(mu)) / sqrt(6.0 / n);
}

static void moments_at_huge_means(void)
{
    const double mus[] = {1e10, 1e15};
    for (size_t i = 0; i < 2; i++) {
        double z[3];
        moments_z(mus[i], 1000000, 3 + i, z);
        printf("     mu = %g: z of mean %.2f, variance %.2f, skewness %.2f (1e6 draws)\n", mus[i],
               z[0], z[1], z[2]);
        for (int k = 0; k < 3; k++)
            CHECKF(fabs(z[k]) < 4.5, "mu %g: moment %d z = %g", mus[i], k + 1, z[k]);
    }
}

/* Beyond 2^53 and up to the largest double: finite, an integer, within a few sd of mu. */
static void any_finite_mean(void)
{
    gsl_rng *r = rng(9);
    const double mus[] = {1e17, 1e100, 1e300, 1.7e308};
    for (size_t i = 0; i < sizeof mus / sizeof *mus; i++)
        for (int k = 0; k < 1000; k++) {
            double y = cr_poisson(r, mus[i]);
            CHECK(isfinite(y) && y == floor(y));
            CHECKF(fabs(y - mus[i]) <= 6 * sqrt(mus[i]) + 2e-16 * mus[i], "mu %g: %.17g",
                   mus[i], y);
        }
    gsl_rng_free(r);
}

static void gsl_below_switch_and_edge_cases(void)
{
    gsl_rng *a = rng(1), *b = rng(1);
    const double mus[] = {0.3, 7, 12, 1e4, 9.99e6};
    for (int k = 0; k < 2000; k++) {
        double mu = mus[k % 5];
        CHECK(cr_poisson(a, mu) == (double)gsl_ran_poisson(b, mu));
    }
    CHECK(cr_poisson(a, 0) == 0 && cr_poisson(a, -1) == 0);
    CHECK(isnan(cr_poisson(a, NAN)) && isinf(cr_poisson(a, INFINITY)));
    CHECK(gsl_rng_get(a) == gsl_rng_get(b)); /* none of those used a random number */
    gsl_rng_free(a);
    gsl_rng_free(b);
}

TEST_MAIN(RUN(ptrs_matches_exact_pmf); RUN(draw_above_switch_matches_pmf);
          RUN(moments_at_huge_means); RUN(any_finite_mean); RUN(gsl_below_switch_and_edge_cases))
