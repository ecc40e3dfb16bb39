/* The binning of durations (lib/duration/data.c) against its definition: by hand at 1 ms and at
 * whole seconds, and coarsened against the grid walked as docs/durations.md defines it, at both
 * resolutions. */
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
    cr_duration_data_init(&d, 10, ms, cens, 1, 0);
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
    CHECK_NEAR(d.n_zero, 2, 0);
    CHECK_NEAR(d.x_res, log(0.001), 1e-15);
    cr_duration_data_free(&d);

    /* whole seconds, by hand: 0 s is below the resolution, 1500 ms counts as 1 s, a connection
     * alive at 999 ms is younger than the resolution (left out) */
    int64_t sec[] = {0, 0, 0, 1000, 1500, 7000, 999, 3000};
    uint8_t sc[] = {0, 0, 0, 0, 0, 0, 1, 1};
    cr_duration_data_init(&d, 8, sec, sc, 1000, 0);
    static const double sedges[] = {0, 1000, 2000, 3000, 7000, 8000};
    static const double sevents[] = {3, 2, 0, 0, 1};
    CHECK_INT(d.nedge, 6);
    for (int i = 0; i < 6; i++) {
        CHECK_NEAR(d.edge_ms[i], sedges[i], 0);
        CHECK_NEAR(d.n_cens[i], i == 3, 0);
        if (i < 5)
            CHECK_NEAR(d.n_event[i], sevents[i], 0);
    }
    CHECK_INT(d.ncens_zero, 1);
    CHECK_NEAR(d.n_zero, 3, 0);
    CHECK_NEAR(d.x_res, 0, 0);
    cr_duration_data_free(&d);
}

/* Coarsened, against the grid's definition at a resolution of res ms (durations floored to
 * it, as timestamps of that resolution make them): every connection counted in its own bin,
 * bins no wider than 1/coarsen of their lower edge (one resolution below), edges whole
 * multiples of the resolution, the zero class the ended durations below it. */
static void check_grid(int64_t res)
{
    enum { N = 5000 };
    cr_duration_data d;
    int64_t *v = xmalloc(N * sizeof *v);
    uint8_t *c = xmalloc(N);
    synth(&TCP_TRUTH, N, 600, 5, v, c);
    v[0] = 0, c[0] = 0;
    v[1] = 0, c[1] = 1;
    double zero = 0;
    for (size_t i = 0; i < N; i++) {
        v[i] -= v[i] % res;
        zero += !c[i] && v[i] == 0;
    }
    cr_duration_data_init(&d, N, v, c, res, CR_DURATION_COARSEN);
    CHECK_INT(d.nended + d.ncens + d.ncens_zero, N);
    CHECK_NEAR(d.n_zero, zero, 0);
    double *ev = xcalloc((size_t)d.nedge, sizeof *ev), *cv = xcalloc((size_t)d.nedge, sizeof *cv);
    for (size_t i = 0; i < N; i++) {
        if (c[i] && v[i] == 0)
            continue;
        int64_t lo, hi;
        grid_bin(v[i], res, CR_DURATION_COARSEN, &lo, &hi);
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
        CHECK(fmod(d.edge_ms[k], (double)res) == 0);
        CHECK_NEAR(d.n_cens[k], cv[k], 0);
        if (k + 1 == d.nedge)
            continue;
        CHECK_NEAR(d.n_event[k], ev[k], 0);
        if (d.n_event[k] > 0) {
            occupied++;
            double w = d.edge_ms[k + 1] - d.edge_ms[k];
            CHECKF(w <= fmax((double)res, d.edge_ms[k] / CR_DURATION_COARSEN),
                   "bin [%g, %g) too wide", d.edge_ms[k], d.edge_ms[k + 1]);
        }
    }
    printf("     resolution %lld ms: %d durations (%zu ended, %.0f below the resolution) in %d "
           "occupied bins\n", (long long)res, N, d.nended, d.n_zero, occupied);
    free(ev);
    free(cv);
    free(v);
    free(c);
    cr_duration_data_free(&d);
}

static void test_grid_ms(void)
{
    check_grid(1);
}

static void test_grid_seconds(void)
{
    check_grid(1000);
}

TEST_MAIN(RUN(test_data_binning); RUN(test_grid_ms); RUN(test_grid_seconds))
