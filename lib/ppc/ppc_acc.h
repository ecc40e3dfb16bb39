/* Internal to lib/ppc: the summary of one sample of counts from which every statistic and class
 * frequency follows. Everything is derived from the histogram and the per-minute maximum, so a
 * permutation of the same counts gives bit-identical statistics (ties stay ties in p-values). */
#ifndef CR_PPC_ACC_H
#define CR_PPC_ACC_H

#include <stddef.h>

#include "ppc/ppc.h"

/* Counts above this are refused: the histogram would not fit in memory sensibly. */
#define CR_PPC_COUNT_LIMIT (1 << 22)

typedef struct {
    size_t n;
    long long minute_max;
    int *hist;       /* hist[0..len-1]; len = max + 1 */
    int len;
    size_t cap;
    long long *mtot; /* per-minute totals scratch */
    size_t mcap;
} cr_ppc_acc;

/* The public sink (ppc.h): an acc, the running total of the current minute, whether a count
 * out of range came and the first one. */
struct cr_ppc_sink {
    cr_ppc_acc acc;
    long long minute_total;
    int has_bad, bad;
};

void cr_ppc_acc_free(cr_ppc_acc *a);
/* Adds `times` seconds of count y (in 0..CR_PPC_COUNT_LIMIT). */
void cr_ppc_acc_add_count(cr_ppc_acc *a, int y, long times);
void cr_ppc_acc_reset(cr_ppc_acc *a);
/* Adds n counts (all in 0..CR_PPC_COUNT_LIMIT) with their minutes (1..nminutes); the minute
 * maximum is taken over these rows only, then over successive adds. */
void cr_ppc_acc_add(cr_ppc_acc *a, const int *y, const int *minute, size_t n, int nminutes);
/* Adds another summary (a machine into the pooled one). */
void cr_ppc_acc_merge(cr_ppc_acc *a, const cr_ppc_acc *b);
void cr_ppc_acc_stats(const cr_ppc_acc *a, double *T);
/* Histogram folded into CR_PPC_MAX_CLASSES + 1 bins, the last holding everything above. */
void cr_ppc_acc_fold(const cr_ppc_acc *a, int *bins);
/* R's type 7 quantile of n ascending values, value j (0-based) read through at(x, j). */
double cr_ppc_type7(double (*at)(const void *, size_t), const void *x, size_t n, double p);
/* Smallest c with at least fraction q of the counts <= c, for q in (0, 1]. */
int cr_ppc_bins_quantile(const long long *bins, int nbins, double q);

#endif
