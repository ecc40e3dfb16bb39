/* Shared internals of lib/diag: the workspace layout and the R-exact building blocks the
 * measures are assembled from. Not for use outside lib/diag. */
#ifndef CR_DIAG_INTERNAL_H
#define CR_DIAG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "diag/diag.h"

/* posterior's .split_chains() of a draws object: a len x cols column-major matrix, the first
 * halves of all chains, then the second halves (the middle draw of an odd n is dropped);
 * n = 1 is not split. (On a plain R matrix, n = 2 or 3 would drop to vectors and transpose;
 * summarise_draws() passes draws_array slices, which do not.) */
typedef struct {
    int cols, len;
} cr_split;

struct cr_diag_ws {
    size_t cap;          /* draws the per-draw arrays below hold */
    double *sorted;      /* the draws in ascending order ... */
    int *ord;            /* ... and where each came from */
    uint64_t *key, *key2;
    int *ord2;           /* radix sort scratch */
    double *fold;        /* |x - median(x)| in ascending order ... */
    int *ford;           /* ... and where each came from */
    double *mat;         /* a split matrix (z-scores, indicators, transformed draws) */
    double *yc;          /* centred columns for the autocovariance */
    int *pos;            /* split-matrix position of each draw, -1 if dropped */
    int pos_chains, pos_n;

    size_t lag_cap;      /* per-lag and per-column arrays */
    double *acov, *rho;
    double *colmean, *colvar, *colss; /* per column: mean, variance, centred sum of squares */

    size_t ztab_kept;    /* qnorm((r - 3/8) / (kept + 1/4)) for r = 1..kept */
    double *ztab;

    size_t fft_n;        /* GSL real FFT plan for the zero-padded autocovariance */
    gsl_fft_real_wavetable *fft_rw;
    gsl_fft_halfcomplex_wavetable *fft_hw;
    gsl_fft_real_workspace *fft_work;
    double *fft_buf;
};

/* Makes every per-draw array hold at least s draws, per-lag arrays at least s entries. */
void cr_diag_ws_reserve(cr_diag_ws *ws, size_t s);

/* Makes ws->fft_* a plan for real FFTs of length n (kept while n stays the same). */
void cr_diag_ws_fft_plan(cr_diag_ws *ws, size_t n);

/* sum(x) and sum((x - m)^2), accumulated four ways for speed. */
double cr_diag_sum(const double *x, size_t n);
double cr_diag_sumsq(const double *x, size_t n, double m);
/* R's mean(): sum, then one refinement pass. */
double cr_diag_mean(const double *x, size_t n);
/* matrixStats::colMeans2()/rowMeans2(): a plain running double sum divided by n (its exact
 * rounding decides posterior's R-hat when every split chain is constant). */
double cr_diag_col_mean(const double *x, size_t n);
/* R's var(): n - 1 denominator; NAN for n < 2. */
double cr_diag_var(const double *x, size_t n);
/* posterior's should_return_NA(): any NaN/Inf, or max - min below DBL_EPSILON. */
int cr_diag_return_na(const double *x, size_t n);
/* R's median() and quantile(type = 7) of values already sorted ascending. */
double cr_diag_median_sorted(const double *s, size_t n);
double cr_diag_quantile_sorted(const double *s, size_t n, double prob);

cr_split cr_diag_split_shape(int chains, int n);
/* Copies .split_chains(x) into out (cols * len doubles). */
void cr_diag_split(const double *x, int chains, int n, double *out);
/* The same for a plain R matrix, which .ess_quantile() makes of its draws with as.matrix():
 * for n = 2 or 3, x[1:1, ] drops to a vector and the result is a chains x 2 matrix of the
 * first and last draws of each chain. Returns the shape. */
cr_split cr_diag_split_plain(const double *x, int chains, int n, double *out);

/* Sorts the draws into ws->sorted / ws->ord (NaN-free input). */
void cr_diag_sort(cr_diag_ws *ws, const double *x, size_t s);
/* z_scale(.split_chains(x)) into ws->mat, from ws->sorted/ord (bulk) ... */
void cr_diag_zscale_bulk(cr_diag_ws *ws, int chains, int n);
/* ... or of fold_draws(x) = |x - med|, also leaving the sorted folded draws in ws->fold.
 * Returns -1 (and leaves ws->mat alone) when folding yields NaN, i.e. med is infinite. */
int cr_diag_zscale_fold(cr_diag_ws *ws, int chains, int n, double med);

/* posterior's .ess() and .rhat() of a split matrix. */
double cr_diag_ess_mat(cr_diag_ws *ws, const double *y, cr_split sp);
double cr_diag_rhat_mat(cr_diag_ws *ws, const double *y, cr_split sp);

/* Mean over the columns of posterior's autocovariance(): column by column the FFT-based
 * estimate, which equals sum(yc[i] * yc[i + lag]) / len. Computed lazily because Geyer's
 * truncation usually stops after a few lags. */
typedef struct {
    cr_diag_ws *ws;
    cr_split sp;
    int done;            /* lags 0..done-1 are in ws->acov */
} cr_acov;

/* Centres the columns of y; leaves their means in ws->colmean. */
void cr_acov_init(cr_acov *a, cr_diag_ws *ws, const double *y, cr_split sp);
double cr_acov_at(cr_acov *a, int lag);

/* The quantities that need ws->sorted (of the same draws) on entry. */
double cr_diag_ess_quantile_sorted(cr_diag_ws *ws, const double *x, int chains, int n,
                                   double prob);
double cr_diag_mcse_quantile_sorted(size_t s, const double *sorted, double ess, double prob);

#endif
