/* Samples by hash (lib/common/sample.h): the bottom-k kept while streaming is the k smallest
 * keys of all (brute force), whatever the order; the sample is uniform (inclusion counts over
 * seeds against their binomial expectation, chi-square); minutes of a host likewise. */
#include <gsl/gsl_cdf.h>
#include <stdlib.h>

#include "common/sample.h"
#include "common/splitmix.h"
#include "test.h"

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static void bottomk_is_the_smallest(void)
{
    enum { N = 5000, K = 37 };
    static uint64_t key[N], sorted[N], kept[K];
    for (int i = 0; i < N; i++)
        key[i] = sorted[i] = cr_splitmix64((uint64_t)i * 7919);
    qsort(sorted, N, sizeof *sorted, cmp_u64);
    /* two orders: as generated and reversed */
    for (int order = 0; order < 2; order++) {
        cr_bottomk b;
        cr_bottomk_init(&b, K);
        int entered = 0, evictions = 0;
        for (int j = 0; j < N; j++) {
            int i = order ? N - 1 - j : j;
            uint32_t ev;
            int did;
            entered += cr_bottomk_offer(&b, key[i], (uint32_t)i, &ev, &did);
            evictions += did;
            if (did)
                CHECK(ev < N);
        }
        CHECK_INT(b.n, K);
        CHECK_INT(entered - evictions, K);
        for (size_t j = 0; j < b.n; j++) {
            CHECK(key[b.id[j]] == b.key[j]);
            kept[j] = b.key[j];
        }
        qsort(kept, K, sizeof *kept, cmp_u64);
        for (int j = 0; j < K; j++)
            CHECK(kept[j] == sorted[j]);
        cr_bottomk_free(&b);
    }
    cr_bottomk b;
    cr_bottomk_init(&b, 0);
    uint32_t ev;
    int did;
    CHECK(!cr_bottomk_offer(&b, 1, 0, &ev, &did) && !did);
    cr_bottomk_free(&b);
}

/* Chi-square of inclusion counts n[0..m) against the same expectation for each, p-value. */
static double uniform_p(const long *n, int m, double expect)
{
    double x2 = 0;
    for (int i = 0; i < m; i++)
        x2 += ((double)n[i] - expect) * ((double)n[i] - expect) / expect;
    return gsl_cdf_chisq_Q(x2, m - 1);
}

static void hosts_uniform(void)
{
    enum { M = 60, K = 12, SEEDS = 3000 };
    long n[M] = {0};
    for (int s = 0; s < SEEDS; s++) {
        cr_bottomk b;
        cr_bottomk_init(&b, K);
        for (int i = 0; i < M; i++) {
            char name[32];
            int len = snprintf(name, sizeof name, "10.0.%d.%d", i / 250, i % 250 + 1);
            uint32_t ev;
            int did;
            cr_bottomk_offer(&b, cr_sample_key((uint64_t)s, name, (size_t)len), (uint32_t)i, &ev,
                             &did);
        }
        for (size_t j = 0; j < b.n; j++)
            n[b.id[j]]++;
        cr_bottomk_free(&b);
    }
    double p = uniform_p(n, M, (double)SEEDS * K / M);
    CHECKF(p > 1e-3, "host inclusion not uniform: chi-square p = %g", p);
}

static void minutes_uniform(void)
{
    enum { M = 90, K = 20, HOSTS = 3000 };
    long n[M] = {0};
    int64_t out[K + 1];
    for (int h = 0; h < HOSTS; h++) {
        uint64_t key = cr_sample_key(42, &h, sizeof h);
        size_t got = cr_sample_indices(key, 1, M, K, out);
        CHECK_INT(got, K);
        for (size_t j = 0; j < got; j++) {
            CHECK(out[j] >= 1 && out[j] <= M && (j == 0 || out[j] > out[j - 1]));
            n[out[j] - 1]++;
        }
    }
    double p = uniform_p(n, M, (double)HOSTS * K / M);
    CHECKF(p > 1e-3, "minute inclusion not uniform: chi-square p = %g", p);
    /* fewer than k: all of them */
    CHECK_INT(cr_sample_indices(7, 5, 9, K, out), 5);
    CHECK(out[0] == 5 && out[4] == 9);
}

TEST_MAIN(RUN(bottomk_is_the_smallest); RUN(hosts_uniform); RUN(minutes_uniform))
