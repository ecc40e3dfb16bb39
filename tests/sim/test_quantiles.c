/* Summaries of predictive samples (lib/sim/quantiles.c) against values worked out by hand and
 * R's quantile() (type 7, its default) and mean(). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "sim/quantiles.h"

/* 0..1000 shuffled: quantile p is 1000 p exactly, mean 500, max 1000. */
static void hand_computed(void)
{
    double x[1001];
    for (int i = 0; i <= 1000; i++)
        x[i] = (i * 617) % 1001;
    cr_sim_summary s;
    cr_sim_summarize(x, 1001, &s);
    CHECK_INT(s.n, 1001);
    CHECK_NEAR(s.mean, 500, 1e-12);
    CHECK_NEAR(s.q50, 500, 1e-12);
    CHECK_NEAR(s.q90, 900, 1e-9);
    CHECK_NEAR(s.q95, 950, 1e-9);
    CHECK_NEAR(s.q99, 990, 1e-9);
    CHECK_NEAR(s.q999, 999, 1e-9);
    CHECK_NEAR(s.max, 1000, 0);
    double one = 7;
    cr_sim_summarize(&one, 1, &s);
    CHECK(s.q50 == 7 && s.q999 == 7 && s.max == 7 && s.mean == 7);
    double two[2] = {3, 1}; /* h = p: 1 + 2p */
    cr_sim_sort(two, 2);
    CHECK_NEAR(cr_sim_quantile_sorted(two, 2, 0.25), 1.5, 1e-15);
}

/* A skewed sample with ties (negative binomial counts), n not round, against R. */
static void matches_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("Rscript is not installed");
    size_t n = 123457;
    double *x = xmalloc(n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    char path[512], out[512];
    snprintf(path, sizeof path, "%s/x.txt", cr_test_tmpdir());
    snprintf(out, sizeof out, "%s/q.txt", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    for (size_t i = 0; i < n; i++) {
        x[i] = gsl_ran_negative_binomial(r, 0.02, 0.5) + (i % 3) * 0.25;
        fprintf(f, "%.17g\n", x[i]);
    }
    fclose(f);
    gsl_rng_free(r);
    CHECK_INT(cr_test_sh("Rscript -e 'x <- scan(\"%s\", quiet = TRUE); "
                         "writeLines(format(c(mean(x), quantile(x, c(.5, .9, .95, .99, .999)), "
                         "max(x)), digits = 17))' > '%s'", path, out), 0);
    double ref[7];
    f = fopen(out, "r");
    CHECK(f != NULL);
    for (int i = 0; i < 7; i++)
        CHECK(fscanf(f, "%lf", &ref[i]) == 1);
    fclose(f);
    cr_sim_summary s;
    cr_sim_summarize(x, n, &s);
    double got[7] = {s.mean, s.q50, s.q90, s.q95, s.q99, s.q999, s.max};
    for (int i = 0; i < 7; i++)
        CHECK_NEAR(got[i], ref[i], 1e-9 * fabs(ref[i]));
    free(x);
}

/* Selection against a sorted copy, on samples with many ties and on sorted input. */
static void select_matches_sort(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    enum { n = 2001 };
    double x[n], sorted[n];
    for (int trial = 0; trial < 300; trial++) {
        size_t len = 1 + gsl_rng_uniform_int(r, n), k = gsl_rng_uniform_int(r, len);
        for (size_t i = 0; i < len; i++)
            x[i] = trial % 3 == 0 ? (double)i : (double)gsl_rng_uniform_int(r, 1 + trial);
        memcpy(sorted, x, len * sizeof *x);
        cr_sim_sort(sorted, len);
        cr_sim_select(x, len, k);
        CHECK(x[k] == sorted[k]);
        for (size_t i = 0; i < len; i++)
            CHECK(i < k ? x[i] <= x[k] : x[i] >= x[k]);
    }
    gsl_rng_free(r);
}

TEST_MAIN(RUN(hand_computed); RUN(select_matches_sort); RUN(matches_r))
