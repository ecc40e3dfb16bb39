/* The binning of durations (lib/duration/data.c) against its definition: by hand at 1 ms, and
 * coarsened against the grid walked as docs/durations.md defines it. */
#include "test.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "duration/data.h"
#include "duration_test.h"

static void test_data_binning(void)
{
    /* 1 ms bins, by hand */
    int64_t ms[] = {0, 0, 5, 999, 1000, 5, 123456, 0, 70, 12};
    uint8_t cens[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    cr_duration_data d;
    cr_duration_data_init(&d, 10, ms, cens, 0);
    CHECK_INT(d.nended, 7);
    CHECK_INT(d.ncens, 2);
    CHECK_INT(d.ncens_zero, 1);
    static const double edges[] = {0, 1, 5, 6, 12, 70, 999, 1000, 1001, 123456, 123457};
    static const double events[] = {2, 0, 2, 0, 0, 0, 1, 1, 0, 1};
    CHECK_INT(d.nedge, 11);
    for (int i = 0; i < 11; i++) {
        CHECK_NEAR(d.edge_ms[i], edges[i], 0);
        CHECK_NEAR(d.n_cens[i], i == 4 || i == 5, 0);
        if (i < 10)
            CHECK_NEAR(d.n_event[i], events[i], 0);
    }
    CHECK(isinf(d.x[0]) && d.x[0] < 0);
    CHECK_NEAR(d.x[9], log(123.456), 1e-15);
    cr_duration_data_free(&d);

    /* coarsened, against the grid's definition: every connection counted in its own bin, bins
     * no wider than 1/coarsen of their lower edge (1 ms below), ascending */
    enum { N = 5000 };
    int64_t *v = xmalloc(N * sizeof *v);
    uint8_t *c = xmalloc(N);
    synth(&TCP_TRUTH, N, 600, 5, v, c);
    v[0] = 0, c[0] = 0;
    v[1] = 0, c[1] = 1;
    cr_duration_data_init(&d, N, v, c, CR_DURATION_COARSEN);
    CHECK_INT(d.nended + d.ncens + d.ncens_zero, N);
    double *ev = xcalloc((size_t)d.nedge, sizeof *ev), *cv = xcalloc((size_t)d.nedge, sizeof *cv);
    for (size_t i = 0; i < N; i++) {
        if (c[i] && v[i] == 0)
            continue;
        int64_t lo, hi;
        grid_bin(v[i], CR_DURATION_COARSEN, &lo, &hi);
        int k = 0;
        while (k < d.nedge && d.edge_ms[k] != (double)lo)
            k++;
        CHECKF(k < d.nedge, "duration %lld: no edge at %lld", (long long)v[i], (long long)lo);
        if (c[i]) {
            cv[k]++;
        } else {
            CHECKF(k + 1 < d.nedge && d.edge_ms[k + 1] == (double)hi,
                   "duration %lld: bin [%lld, %lld) missing", (long long)v[i], (long long)lo,
                   (long long)hi);
            ev[k]++;
        }
    }
    int occupied = 0;
    for (int k = 0; k < d.nedge; k++) {
        CHECK(k == 0 || d.edge_ms[k] > d.edge_ms[k - 1]);
        CHECK_NEAR(d.n_cens[k], cv[k], 0);
        if (k + 1 == d.nedge)
            continue;
        CHECK_NEAR(d.n_event[k], ev[k], 0);
        if (d.n_event[k] > 0) {
            occupied++;
            double w = d.edge_ms[k + 1] - d.edge_ms[k];
            CHECKF(w <= fmax(1, d.edge_ms[k] / CR_DURATION_COARSEN), "bin [%g, %g) too wide",
                   d.edge_ms[k], d.edge_ms[k + 1]);
        }
    }
    printf("     %d durations (%zu ended) in %d occupied bins\n", N, d.nended, occupied);
    free(ev);
    free(cv);
    free(v);
    free(c);
    cr_duration_data_free(&d);
}

TEST_MAIN(RUN(test_data_binning))
