/* Summaries of large predictive samples (per-second counts of all draws pooled), found by sorting
 * the sample in place: the only memory is the sample itself (200 draws x 3600 s = 5.8 MB), so no
 * streaming sketch is needed.
 *
 * Quantiles are mid-quantiles (Ma, Genton and Parzen 2011, "Asymptotic properties of sample
 * quantiles of discrete distributions", Ann. Inst. Stat. Math. 63): the samples are integer
 * counts, on which an order-statistic quantile (R's type 7) is a step function of the sample, so
 * that a q99 sitting near a step jumps between two integers from one seed to the next whatever
 * the Monte Carlo effort. The mid-CDF at each distinct value v of the sample,
 *
 *   F_mid(v) = (#{x < v} + #{x = v} / 2) / n,
 *
 * is interpolated linearly between consecutive distinct values, and the quantile at p is its
 * inverse, the smallest (largest) value for p below (above) the range F_mid spans: continuous in
 * p and in the sample. Without ties it is R's quantile(type = 5). */
#ifndef CR_SIM_QUANTILES_H
#define CR_SIM_QUANTILES_H

#include <stddef.h>

typedef struct {
    size_t n;
    double mean, q50, q90, q95, q99, q999, max;
} cr_sim_summary;

/* Where a mid-quantile falls: at lo + w (hi - lo), between consecutive distinct values lo <= hi
 * of the sample, w in [0, 1] (lo = hi, w = 0 when clamped to an end). */
typedef struct {
    double lo, hi, w;
} cr_sim_midpoint;

/* Sorts x[0..n) ascending (no NaN). */
void cr_sim_sort(double *x, size_t n);

/* Moves the k-th smallest of x[0..n) (k < n, no NaN) to x[k], with nothing larger before it and
 * nothing smaller after it (quickselect: linear time on average). */
void cr_sim_select(double *x, size_t n, size_t k);

/* Sorts x[0..n) (n >= 1, no NaN) and fills s. */
void cr_sim_summarize(double *x, size_t n, cr_sim_summary *s);

/* The mid-quantile p in [0, 1] of a sorted sample x[0..n), n >= 1, and where it falls (binary
 * searches for the runs of ties around position p n: O(log n)). */
double cr_sim_midquantile_sorted(const double *x, size_t n, double p);
cr_sim_midpoint cr_sim_midpoint_sorted(const double *x, size_t n, double p);

/* The interpolated mid-CDF of x[0..n) (any order, n >= 1) at where m lies,
 * (1 - w) F_mid(lo) + w F_mid(hi): for the sample m was found in, p itself (inside the range its
 * F_mid spans); at a value of the sample, the share below it plus half the share equal to it. */
double cr_sim_mid_cdf(const double *x, size_t n, const cr_sim_midpoint *m);

/* The interpolated mid-CDF of a sorted sample x[0..n) (n >= 1) at any q: the inverse of
 * cr_sim_midquantile_sorted inside the range F_mid spans, linear between the sample's distinct
 * values; 0 below the smallest, 1 above the largest. 1 minus it is the share of the sample above
 * q as a mid-quantile counts it (a value equal to q half above), so that a sample's own
 * mid-quantile p has exactly 1 - p of it above. */
double cr_sim_mid_cdf_sorted(const double *x, size_t n, double q);

#endif
