/* Connection durations of one protocol, binned for the likelihood of the duration model
 * (duration/mixture.h; docs/durations.md, "Likelihood on binned durations").
 *
 * Timestamps have a resolution r (1 ms for connrate's flows), so a duration observed as d says
 * D is in [d, d + r), and every ended duration contributes that interval's probability: no
 * log(0) for 0 ms, and ties cannot pull a component onto one value with a vanishing spread. A
 * duration observed as 0 says D < r: the model's zero-duration class. The intervals are then
 * merged into bins of width max(r, lower edge / coarsen, rounded down to whole r) on a fixed
 * grid, and a bin of k durations contributes k log P(lo <= D < hi): the exact likelihood of the
 * durations rounded down to the grid, so a gradient costs O(bins) instead of O(connections)
 * (about 100 per factor e of durations, some 1,300 bins for 1 ms to 3 h at coarsen 100).
 * Durations still running at capture end contribute log P(D > c), c their age then rounded down
 * to the same grid (c below r carries no information and is left out). coarsen 0 keeps bins of
 * one resolution everywhere: the likelihood of the durations as measured, which the tests
 * compare with. */
#ifndef CR_DURATION_DATA_H
#define CR_DURATION_DATA_H

#include <stddef.h>
#include <stdint.h>

/* Bins at most 1% of their lower edge wide: the posterior moves by about 0.01 posterior sd
 * (docs/durations.md, tests/duration/test_fit.c). */
#define CR_DURATION_COARSEN 100

typedef struct {
    int64_t res_ms;      /* the timestamps' resolution r: every edge is a multiple of it */
    double x_res;        /* log(r / 1000), log seconds */
    int nedge;
    double *edge_ms;     /* ascending bin edges in ms (whole numbers); edge_ms[0] may be 0 */
    double *x;           /* log(edge_ms / 1000), log seconds (-INFINITY for 0) */
    double *n_event;     /* [nedge - 1]: ended durations in [edge_ms[i], edge_ms[i + 1]) */
    double *n_cens;      /* [nedge]: durations alive at capture end, counted as D > edge_ms[i] */
    size_t nended, ncens; /* connections behind n_event and n_cens */
    size_t ncens_zero;   /* connections alive at capture end, younger than r (left out) */
    double n_zero;       /* ended durations below r, observed as 0: the bin [0, r) */
} cr_duration_data;

/* From n durations in ms (>= 0) observed at a resolution of res_ms (>= 1; a value that is not a
 * multiple of it counts as the multiple below); censored[i] set means ms[i] is a lower bound
 * (still alive). coarsen: CR_DURATION_COARSEN, or 0 for bins of one resolution throughout. */
void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored, int64_t res_ms, int coarsen);
void cr_duration_data_free(cr_duration_data *d);

/* The grid's edge after g ms for a resolution of res ms (the grid starts at 0): the predictive
 * check counts on the same grid (duration/check.h). */
int64_t cr_duration_grid_next(int64_t g, int64_t res, int coarsen);

/* The observations of PSIS-LOO: the occupied bins and the groups of censored durations, in
 * edge order (a bin [edge i-1, edge i) before the durations censored at edge i); observation j
 * stands for weight[j] connections with the same log-likelihood, so loo's "one row repeated
 * weight times" (lib/loo/loo.h) is exact. Their log-likelihoods: cr_duration_loglik
 * (duration/mixture.h). */
size_t cr_duration_nobs(const cr_duration_data *d);
void cr_duration_obs_weights(const cr_duration_data *d, double *weight);

#endif
