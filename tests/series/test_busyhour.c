/* The busy hour (lib/series/busyhour.h) against a brute-force scan: on random minute totals,
 * with ties (totals from a few values, and runs of equal ones), windows at either edge, data
 * as long as the window and shorter; and the minute totals of a table on one clock against a
 * sum row by row. */
#include <stdlib.h>
#include <string.h>

#include "common/splitmix.h"
#include "common/xalloc.h"
#include "series/busyhour.h"
#include "test.h"

static uint64_t next(uint64_t *st) { return cr_splitmix64((*st)++); }

/* Every window's sum from scratch; the first of the largest. */
static cr_busy_window brute(const uint64_t *x, size_t n, size_t width)
{
    cr_busy_window best = {0, n < width ? n : width, 0};
    int any = 0;
    for (size_t s = 0; s + best.minutes <= n; s++) {
        uint64_t sum = 0;
        for (size_t i = s; i < s + best.minutes; i++)
            sum += x[i];
        if (!any || sum > best.total) {
            best.start = s;
            best.total = sum;
            any = 1;
        }
    }
    return best;
}

static void check_against_brute(const uint64_t *x, size_t n, size_t width)
{
    cr_busy_window a = cr_busy_window_pick(x, n, width), b = brute(x, n, width);
    CHECKF(a.start == b.start && a.minutes == b.minutes && a.total == b.total,
           "n %zu width %zu: start %zu minutes %zu total %llu, brute force %zu %zu %llu", n,
           width, a.start, a.minutes, (unsigned long long)a.total, b.start, b.minutes,
           (unsigned long long)b.total);
}

static void random_totals(void)
{
    uint64_t st = 17;
    uint64_t *x = xmalloc(400 * sizeof *x);
    for (int rep = 0; rep < 3000 && !cr_test_stop; rep++) {
        size_t n = (size_t)(next(&st) % 400), width = 1 + (size_t)(next(&st) % 90);
        int kind = rep % 4;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = next(&st);
            x[i] = kind == 0   ? r % 3                   /* ties everywhere */
                   : kind == 1 ? r % 1000000             /* few ties */
                   : kind == 2 ? (i / 7) % 2 * 5         /* equal plateaus */
                               : r % 50 + (r >> 40) % 2 * 4000000000ULL; /* large sums */
        }
        check_against_brute(x, n, width);
    }
    free(x);
}

static void edges_and_short_data(void)
{
    uint64_t x[150];
    for (size_t i = 0; i < 150; i++)
        x[i] = 1;
    /* all equal: the earliest */
    cr_busy_window w = cr_busy_window_pick(x, 150, 60);
    CHECK_INT(w.start, 0);
    CHECK_INT(w.total, 60);
    /* the busiest at the very end, and at the very start */
    x[149] = 100;
    w = cr_busy_window_pick(x, 150, 60);
    CHECK_INT(w.start, 90);
    x[0] = 100;
    w = cr_busy_window_pick(x, 150, 60);
    CHECK_INT(w.start, 0); /* a tie with the last window keeps the first */
    /* as long as the window, shorter, empty */
    w = cr_busy_window_pick(x, 60, 60);
    CHECK(w.start == 0 && w.minutes == 60 && w.total == 159);
    w = cr_busy_window_pick(x, 25, 60);
    CHECK(w.start == 0 && w.minutes == 25 && w.total == 124);
    w = cr_busy_window_pick(x, 0, 60);
    CHECK(w.start == 0 && w.minutes == 0 && w.total == 0);
    for (size_t n = 0; n <= 150; n++)
        check_against_brute(x, n, 60);
}

/* Three machines on one clock, each a run of seconds from its own start. */
static void minute_totals_on_one_clock(void)
{
    static const int nsec[3] = {200, 61, 130};
    static const int64_t off[3] = {0, 59, 1000};
    cr_cps_table t;
    memset(&t, 0, sizeof t);
    t.nmachines = 3;
    size_t n = 391;
    t.machine = xmalloc(n * sizeof(int));
    t.second = xmalloc(n * sizeof(int));
    t.minute = xmalloc(n * sizeof(int));
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        t.count[k] = xmalloc(n * sizeof(int));
    uint64_t want[20] = {0}, st = 5;
    for (int m = 0; m < 3; m++)
        for (int s = 1; s <= nsec[m]; s++) {
            size_t r = t.nrows++;
            t.machine[r] = m + 1;
            t.second[r] = s;
            t.minute[r] = (s - 1) / 60 + 1;
            for (int k = 0; k < CR_CPS_NSERIES; k++)
                t.count[k][r] = (int)(next(&st) % 5);
            want[(off[m] + s - 1) / 60] +=
                (uint64_t)(t.count[CR_CPS_TCP_NEW][r] + t.count[CR_CPS_UDP_NEW][r]);
        }
    size_t nmin;
    uint64_t *x = cr_busy_minute_totals(&t, off, CR_CPS_TCP_NEW, CR_CPS_UDP_NEW, &nmin);
    CHECK_INT(nmin, (1000 + 130 - 1) / 60 + 1); /* the last second is in minute 18 */
    for (size_t i = 0; i < nmin; i++)
        CHECKF(x[i] == want[i], "minute %zu: %llu, expected %llu", i, (unsigned long long)x[i],
               (unsigned long long)want[i]);
    free(x);
    free(t.machine);
    free(t.second);
    free(t.minute);
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        free(t.count[k]);
}

TEST_MAIN(RUN(random_totals); RUN(edges_and_short_data); RUN(minute_totals_on_one_clock))
