#include "series/busyhour.h"

#include "common/xalloc.h"

cr_busy_window cr_busy_window_pick(const uint64_t *x, size_t n, size_t width)
{
    cr_busy_window w = {0, n < width ? n : width, 0};
    for (size_t i = 0; i < w.minutes; i++)
        w.total += x[i];
    uint64_t sum = w.total;
    for (size_t i = w.minutes; i < n; i++) {
        sum += x[i] - x[i - w.minutes]; /* wraps back: the window's sum is never negative */
        if (sum > w.total) { /* strictly: a tie keeps the earlier window */
            w.total = sum;
            w.start = i + 1 - w.minutes;
        }
    }
    return w;
}

uint64_t *cr_busy_minute_totals(const cr_cps_table *t, const int64_t *offset_s, int a, int b,
                                size_t *n)
{
    size_t m = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        size_t k = (size_t)(offset_s[t->machine[r] - 1] + t->second[r] - 1) / 60 + 1;
        m = k > m ? k : m;
    }
    uint64_t *x = xcalloc(m + 1, sizeof *x);
    for (size_t r = 0; r < t->nrows; r++)
        x[(offset_s[t->machine[r] - 1] + t->second[r] - 1) / 60] +=
            (uint64_t)t->count[a][r] + (uint64_t)t->count[b][r];
    *n = m;
    return x;
}
