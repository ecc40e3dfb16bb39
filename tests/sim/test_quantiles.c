/* Summaries of predictive samples (lib/sim/quantiles.c): mid-quantiles against values worked out
 * by hand, R (quantile(type = 5) without ties, the mid-quantile from its definition with them;
 * skipped without Rscript), a brute force that scans every distinct value of unsorted samples,
 * and their stability from seed to seed where a step quantile (type 7) flips. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "ppc/ppc.h"
#include "sim/quantiles.h"

/* 0..1000 shuffled: F_mid(v) = (v + 1/2) / 1001, so quantile p is 1001 p - 1/2 within
 * [0, 1000]; mean 500, max 1000. */
static void hand_computed(void)
{
    double x[1001];
    for (int i = 0; i <= 1000; i++)
        x[i] = (i * 617) % 1001;
    cr_sim_summary s;
    cr_sim_summarize(x, 1001, &s);
    CHECK_INT(s.n, 1001);
    CHECK_NEAR(s.mean, 500, 1e-12);
    CHECK_NEAR(s.q50, 500, 1e-9);
    CHECK_NEAR(s.q90, 900.4, 1e-9);
    CHECK_NEAR(s.q95, 950.45, 1e-9);
    CHECK_NEAR(s.q99, 990.49, 1e-9);
    CHECK_NEAR(s.q999, 999.499, 1e-9);
    CHECK_NEAR(s.max, 1000, 0);
    CHECK_NEAR(cr_sim_midquantile_sorted(x, 1001, 0.0001), 0, 0);
    CHECK_NEAR(cr_sim_midquantile_sorted(x, 1001, 1), 1000, 0);
    double one = 7;
    cr_sim_summarize(&one, 1, &s);
    CHECK(s.q50 == 7 && s.q999 == 7 && s.max == 7 && s.mean == 7);
    double two[2] = {3, 1}; /* F_mid 1/4 and 3/4 */
    cr_sim_sort(two, 2);
    CHECK_NEAR(cr_sim_midquantile_sorted(two, 2, 0.1), 1, 0);
    CHECK_NEAR(cr_sim_midquantile_sorted(two, 2, 0.5), 2, 1e-15);
    CHECK_NEAR(cr_sim_midquantile_sorted(two, 2, 0.9), 3, 0);
    /* ties: F_mid(2) = 1.5 / 4, F_mid(5) = 3.5 / 4, so p = 1/2 is a quarter of the way */
    double tied[4] = {2, 2, 2, 5};
    CHECK_NEAR(cr_sim_midquantile_sorted(tied, 4, 0.5), 2.75, 1e-15);
    CHECK_NEAR(cr_sim_midquantile_sorted(tied, 4, 0.375), 2, 1e-15);
    CHECK_NEAR(cr_sim_midquantile_sorted(tied, 4, 0.2), 2, 0);
    CHECK_NEAR(cr_sim_midquantile_sorted(tied, 4, 0.95), 5, 0);
    cr_sim_midpoint m = cr_sim_midpoint_sorted(tied, 4, 0.5);
    CHECK(m.lo == 2 && m.hi == 5 && fabs(m.w - 0.25) < 1e-15);
    double other[5] = {5, 0, 3, 2, 9}; /* below 2: 1, at 2: 1; below 5: 3, at 5: 1 */
    CHECK_NEAR(cr_sim_mid_cdf(other, 5, &m), (0.75 * 1.5 + 0.25 * 3.5) / 5, 1e-15);
    double same[3] = {4, 4, 4};
    CHECK_NEAR(cr_sim_midquantile_sorted(same, 3, 0.99), 4, 0);
}

/* ---- against R ---- */

static void write_sample(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.17g\n", x[i]);
    fclose(f);
}

enum { NP = 9 };
static const double probs[NP] = {0, 0.0003, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1};

/* A tie-free lognormal sample against R's type 5 and negative binomial counts against the
 * mid-quantile written from its definition (R's approx over the mid-CDF at the distinct
 * values), n not round; the summaries and the quantiles at probs. */
static void matches_r(void)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0)
        SKIP("Rscript is not installed");
    size_t n = 123457;
    double *x[2] = {xmalloc(n * sizeof(double)), xmalloc(n * sizeof(double))};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (size_t i = 0; i < n; i++) {
        x[0][i] = gsl_ran_lognormal(r, 2, 1);
        x[1][i] = gsl_ran_negative_binomial(r, 0.02, 0.5);
    }
    gsl_rng_free(r);
    char path[2][512], out[512];
    for (int k = 0; k < 2; k++) {
        snprintf(path[k], sizeof path[k], "%s/x%d.txt", cr_test_tmpdir(), k);
        write_sample(path[k], x[k], n);
    }
    snprintf(out, sizeof out, "%s/q.txt", cr_test_tmpdir());
    CHECK_INT(cr_test_sh(
        "Rscript -e 'p <- c(0, 0.0003, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1); "
        "s <- c(0.5, 0.9, 0.95, 0.99, 0.999); "
        "x <- scan(\"%s\", quiet = TRUE); stopifnot(!anyDuplicated(x)); "
        "a <- c(mean(x), quantile(x, c(s, p), type = 5, names = FALSE), max(x)); "
        "y <- scan(\"%s\", quiet = TRUE); n <- length(y); u <- sort(unique(y)); "
        "tab <- tabulate(match(y, u)); Fm <- (cumsum(tab) - tab / 2) / n; "
        "b <- c(mean(y), approx(Fm, u, c(s, p), rule = 2)$y, max(y)); "
        "writeLines(format(c(a, b), digits = 17))' > '%s'",
        path[0], path[1], out), 0);
    enum { NV = 2 + 5 + NP };
    double ref[2][NV];
    FILE *f = fopen(out, "r");
    CHECK(f != NULL);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < NV; i++)
            CHECK(fscanf(f, "%lf", &ref[k][i]) == 1);
    fclose(f);
    for (int k = 0; k < 2; k++) {
        cr_sim_summary s;
        cr_sim_summarize(x[k], n, &s);
        double got[NV] = {s.mean, s.q50, s.q90, s.q95, s.q99, s.q999};
        for (int i = 0; i < NP; i++)
            got[6 + i] = cr_sim_midquantile_sorted(x[k], n, probs[i]);
        got[NV - 1] = s.max;
        for (int i = 0; i < NV; i++)
            CHECKF(fabs(got[i] - ref[k][i]) <= 1e-9 * fabs(ref[k][i]),
                   "%s value %d: %.17g, R %.17g", k ? "ties" : "no ties", i, got[i], ref[k][i]);
        printf("     %s: q99 %.6g (R %.6g), q99.9 %.6g (R %.6g)\n",
               k ? "negative binomial counts, mid-quantile" : "lognormal, type 5", s.q99,
               ref[k][4], s.q999, ref[k][5]);
        free(x[k]);
    }
}

/* ---- against brute force ---- */

/* The mid-quantile and mid-CDF from the definition, on x unsorted: the distinct values found
 * one after another as the smallest above the last, each one's F_mid by counting the whole
 * sample, and the first value whose F_mid reaches p. */
static double brute_fmid(const double *x, size_t n, double v)
{
    double c = 0;
    for (size_t i = 0; i < n; i++)
        c += x[i] < v ? 1 : x[i] == v ? 0.5 : 0;
    return c / (double)n;
}

static double brute_midquantile(const double *x, size_t n, double p)
{
    double prev = -INFINITY, fprev = 0;
    for (;;) {
        double v = INFINITY;
        for (size_t i = 0; i < n; i++)
            if (x[i] > prev && x[i] < v)
                v = x[i];
        if (v == INFINITY)
            return prev;
        double fv = brute_fmid(x, n, v);
        if (fv >= p)
            return prev == -INFINITY ? v : prev + (p - fprev) / (fv - fprev) * (v - prev);
        prev = v, fprev = fv;
    }
}

/* The interpolated mid-CDF at any q by scanning: the nearest distinct values at or below and at
 * or above q, their F_mid joined by a line. */
static double brute_mid_cdf_at(const double *x, size_t n, double q)
{
    double lo = -INFINITY, hi = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (x[i] <= q && x[i] > lo)
            lo = x[i];
        if (x[i] >= q && x[i] < hi)
            hi = x[i];
    }
    if (lo == -INFINITY)
        return 0;
    if (hi == INFINITY)
        return 1;
    double flo = brute_fmid(x, n, lo);
    return lo == hi ? flo : flo + (q - lo) / (hi - lo) * (brute_fmid(x, n, hi) - flo);
}

/* Poisson and negative binomial counts of 1 to 3000 values (many ties, all equal, few values),
 * at random p and at each distinct value's own F_mid, and the mid-CDF of another sample at
 * where the quantile falls. */
static void matches_brute_force(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    enum { N = 3000 };
    double *x = xmalloc(N * sizeof *x), *sorted = xmalloc(N * sizeof *x), *y = xmalloc(N * sizeof *y);
    int checked = 0;
    for (int trial = 0; trial < 400; trial++) {
        size_t n = trial < 20 ? 1 + (size_t)trial : 1 + gsl_rng_uniform_int(r, N);
        double mean = trial % 4 == 0 ? 0.05 : exp(gsl_ran_flat(r, -1, 5));
        for (size_t i = 0; i < n; i++) {
            x[i] = trial % 2 ? gsl_ran_poisson(r, mean)
                             : gsl_ran_negative_binomial(r, 0.7 / (0.7 + mean), 0.7);
            y[i] = gsl_ran_poisson(r, mean);
        }
        memcpy(sorted, x, n * sizeof *x);
        cr_sim_sort(sorted, n);
        for (int j = 0; j < 12; j++) {
            double p = j == 0 ? 0 : j == 1 ? 1 : j < 6 ? brute_fmid(x, n, x[j % n])
                                                       : gsl_rng_uniform(r);
            double want = brute_midquantile(x, n, p);
            double got = cr_sim_midquantile_sorted(sorted, n, p);
            CHECKF(fabs(got - want) <= 1e-9 * fmax(1, want),
                   "n %zu, mean %g, p %.17g: %.17g, brute force %.17g", n, mean, p, got, want);
            cr_sim_midpoint m = cr_sim_midpoint_sorted(sorted, n, p);
            double fwant = (1 - m.w) * brute_fmid(y, n, m.lo) + m.w * brute_fmid(y, n, m.hi);
            CHECK_NEAR(cr_sim_mid_cdf(y, n, &m), fwant, 1e-12);
            /* the mid-CDF of a sorted sample at any point: the quantile, a point about the
             * sample's range, a count */
            double at[3] = {got, gsl_ran_flat(r, sorted[0] - 1, sorted[n - 1] + 1),
                            (double)gsl_ran_poisson(r, mean)};
            for (int a = 0; a < 3; a++)
                CHECK_NEAR(cr_sim_mid_cdf_sorted(sorted, n, at[a]),
                           brute_mid_cdf_at(x, n, at[a]), 1e-12);
            /* on its own sample, the mid-CDF at the quantile is p where F_mid reaches it */
            if (p >= brute_fmid(x, n, sorted[0]) && p <= brute_fmid(x, n, sorted[n - 1])) {
                CHECK_NEAR(cr_sim_mid_cdf(x, n, &m), p, 1e-12);
                CHECK_NEAR(cr_sim_mid_cdf_sorted(sorted, n, got), p, 1e-12);
            }
            checked++;
        }
    }
    printf("     %d quantiles of Poisson and negative binomial samples as brute force\n", checked);
    free(x);
    free(sorted);
    free(y);
    gsl_rng_free(r);
}

/* ---- from seed to seed ---- */

/* The Poisson mean whose P(X <= 10) is 0.99 (4.77): its q99 sits on the step from 10 to 11,
 * where a step quantile (type 7) of a sample is 10 or 11 depending on the seed. Over REPS
 * samples of n = 100,000, the sd of the type-7 q99 is about 0.5 whatever n; the mid-quantile's
 * is the CDF's sd sqrt(0.99 0.01 / n) over the density between 10 and 11, about 0.03. Checked:
 * under a quarter of type 7's. Shown also for mean 5 (P(X <= 10) = 0.986, off the step). */
static void stable_over_seeds(void)
{
    enum { REPS = 200 };
    const size_t n = 100000;
    double lo = 3, hi = 6;
    while (hi - lo > 1e-12) {
        double mid = (lo + hi) / 2;
        *(gsl_cdf_poisson_P(10, mid) > 0.99 ? &lo : &hi) = mid;
    }
    const double means[2] = {lo, 5};
    double *x = xmalloc(n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int k = 0; k < 2; k++) {
        double sum[2] = {0, 0}, ss[2] = {0, 0};
        for (int rep = 0; rep < REPS; rep++) {
            gsl_rng_set(r, 100 + rep);
            for (size_t i = 0; i < n; i++)
                x[i] = gsl_ran_poisson(r, means[k]);
            cr_sim_sort(x, n);
            double q[2] = {cr_sim_midquantile_sorted(x, n, 0.99), cr_ppc_quantile7(x, n, 0.99)};
            for (int j = 0; j < 2; j++)
                sum[j] += q[j], ss[j] += q[j] * q[j];
        }
        double sd[2];
        for (int j = 0; j < 2; j++)
            sd[j] = sqrt(fmax(0, ss[j] - sum[j] * sum[j] / REPS) / (REPS - 1));
        printf("     Poisson mean %.4f, n %zu, %d seeds: q99 mid-quantile %.4f sd %.4f (%.2f%%), "
               "type 7 %.4f sd %.4f (%.2f%%)\n", means[k], n, REPS, sum[0] / REPS, sd[0],
               100 * sd[0] / (sum[0] / REPS), sum[1] / REPS, sd[1], 100 * sd[1] / (sum[1] / REPS));
        if (k == 0)
            CHECKF(sd[0] < 0.25 * sd[1] && sd[0] < 0.05, "sd over seeds: mid %.4f, type 7 %.4f",
                   sd[0], sd[1]);
    }
    free(x);
    gsl_rng_free(r);
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

TEST_MAIN(RUN(hand_computed); RUN(select_matches_sort); RUN(matches_brute_force);
          RUN(stable_over_seeds); RUN(matches_r))
