/* The seconds of a cell drawn at once (model/count_law.h) against the law's pmf written here
 * from GSL's negative binomial and Poisson densities: a chi-square test of the pooled histogram
 * for a negative binomial, a Poisson, a hurdle and a two-component mixture, small and large
 * means, and every second accounted for. */
#include "test.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model/count_law.h"

enum { NBINS = 40 };

/* NB2(exp(eta), phi) (phi infinite: Poisson) at y. */
static double nb2_pdf(int y, double eta, double phi)
{
    const double mu = exp(eta);
    if (isinf(phi))
        return gsl_ran_poisson_pdf((unsigned)y, mu);
    return gsl_ran_negative_binomial_pdf((unsigned)y, phi / (mu + phi), phi);
}

static double law_pdf(const cr_count_law *l, int y)
{
    double p = 0, p0 = 0;
    for (int i = 0; i < l->n; i++) {
        p += l->w[i] * nb2_pdf(y, l->eta[i], l->phi[i]);
        p0 += l->w[i] * nb2_pdf(0, l->eta[i], l->phi[i]);
    }
    if (isnan(l->hurdle))
        return p;
    return y == 0 ? l->hurdle : (1 - l->hurdle) * p / (1 - p0);
}

typedef struct {
    double bins[NBINS + 1];
    long total;
} hist;

static void add(void *ctx, int y, long times)
{
    hist *h = ctx;
    h->bins[y < NBINS ? y : NBINS] += (double)times;
    h->total += times;
}

/* Draws 2000 cells of 60 seconds into h and returns the chi-square p-value of the histogram
 * (bins with an expected count under 5 pooled into the tail). */
static double chi2_p(const cr_count_law *l, gsl_rng *r, hist *hp)
{
    hist h = {{0}, 0};
    for (int c = 0; c < 2000; c++)
        cr_count_law_draw(l, 60, r, add, &h);
    *hp = h;
    double chi2 = 0, rest_obs = h.total, rest_exp = 1;
    int df = 0;
    for (int y = 0; y < NBINS; y++) {
        const double e = h.total * law_pdf(l, y);
        if (e < 5)
            break;
        chi2 += (h.bins[y] - e) * (h.bins[y] - e) / e;
        rest_obs -= h.bins[y];
        rest_exp -= law_pdf(l, y);
        df++;
    }
    rest_exp *= h.total;
    if (rest_exp > 0.5)
        chi2 += (rest_obs - rest_exp) * (rest_obs - rest_exp) / rest_exp;
    return gsl_cdf_chisq_Q(chi2, df);
}

static void test_against_pmf(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    const cr_count_law laws[] = {
        cr_count_law_nb2(log(0.4), 0.7),      /* sparse, over-dispersed */
        cr_count_law_nb2(log(12.0), 3.0),     /* busy: no zero to speak of */
        cr_count_law_nb2(log(0.8), INFINITY), /* Poisson */
        {0.6, 1, {1, 0}, {log(2.0), 0}, {1.5, 1}},                  /* hurdle */
        {NAN, 2, {0.9, 0.1}, {log(0.3), log(15.0)}, {2.0, 0.8}},    /* burst mixture */
    };
    const char *name[] = {"nb2 sparse", "nb2 busy", "poisson", "hurdle", "mixture"};
    for (size_t i = 0; i < sizeof laws / sizeof *laws; i++) {
        hist h;
        double p = chi2_p(&laws[i], r, &h), p0 = cr_count_law_p0(&laws[i]);
        CHECK(h.total == 120000);
        printf("     %-10s P(0) %.4f, chi-square p %.3f\n", name[i], p0, p);
        CHECK_NEAR(p0, law_pdf(&laws[i], 0), 1e-12);
        CHECKF(p > 0.001, "%s: histogram unlike the pmf (p = %.2g)", name[i], p);
    }
    /* no seconds: one call for the (zero) zeros */
    hist h = {{0}, 0};
    cr_count_law_draw(&laws[0], 0, r, add, &h);
    CHECK(h.total == 0);
    gsl_rng_free(r);
}

TEST_MAIN(RUN(test_against_pmf))
