/* Summaries of large predictive samples (per-second counts of all draws pooled). Quantiles are
 * exact, R's type 7 (quantile()'s default), found by sorting the sample in place: the only
 * memory is the sample itself (200 draws x 3600 s = 5.8 MB), so no streaming sketch is needed. */
#ifndef CR_SIM_QUANTILES_H
#define CR_SIM_QUANTILES_H

#include <stddef.h>

typedef struct {
    size_t n;
    double mean, q50, q90, q95, q99, q999, max;
} cr_sim_summary;

/* Sorts x[0..n) ascending (no NaN). */
void cr_sim_sort(double *x, size_t n);

/* Moves the k-th smallest of x[0..n) (k < n, no NaN) to x[k], with nothing larger before it and
 * nothing smaller after it (quickselect: linear time on average). */
void cr_sim_select(double *x, size_t n, size_t k);

/* Sorts x[0..n) (n >= 1, no NaN) and fills s. */
void cr_sim_summarize(double *x, size_t n, cr_sim_summary *s);

/* Quantile p in [0,1] of a sorted sample, R's type 7: linear between order statistics
 * floor(h) and floor(h) + 1 (0-based), h = (n - 1) p. */
double cr_sim_quantile_sorted(const double *x, size_t n, double p);

#endif
