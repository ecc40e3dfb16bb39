/* The time-consistent busy hour (docs/scale.md, "The busy hour"): of the minutes of the data on
 * one clock, the 60 consecutive ones with the most new connections over all machines together.
 *
 * Firewall sizing sizes for the busy hour (ITU-T E.500's time-consistent busy hour: the one
 * window, the same for every machine, in which the total traffic is highest). Each machine's
 * own busiest hour would not do: picking every machine's maximum selects on the noise of each
 * one and biases the sizing upward, and N users at once are never each in their own peak.
 * A day of workstations is two regimes (busy hours many times the night's rate); the rate
 * models' minute effects are one spread, so they are fitted to one regime, the one that sizes.
 *
 * The window slides over the minutes of the data (it need not start on the hour): the first of
 * the windows with the largest total, so that the same data always give the same window. */
#ifndef CR_BUSYHOUR_H
#define CR_BUSYHOUR_H

#include <stddef.h>
#include <stdint.h>

#include "series/cps_table.h"

#define CR_BUSY_HOUR_MINUTES 60

typedef struct {
    size_t start;   /* first minute of the window, 0-based */
    size_t minutes; /* width, or every minute when the data have fewer */
    uint64_t total; /* the sum over the window */
} cr_busy_window;

/* The `width` consecutive entries of x[0..n) with the largest sum, the earliest of equal sums;
 * all n when n <= width. */
cr_busy_window cr_busy_window_pick(const uint64_t *x, size_t n, size_t width);

/* The total of series a + b of t per minute of one clock (a fresh array, *n minutes): row r of
 * machine k (1-based) is second offset_s[k-1] + t->second[r] - 1 of the clock, minute 0 being
 * its seconds 0..59 (offsets >= 0). */
uint64_t *cr_busy_minute_totals(const cr_cps_table *t, const int64_t *offset_s, int a, int b,
                                size_t *n);

#endif
