/* Shared internals of lib/loo: the workspace and R-exact arithmetic. Not for use outside
 * lib/loo. */
#ifndef CR_LOO_INTERNAL_H
#define CR_LOO_INTERNAL_H

#include <stddef.h>

#include "loo/loo.h"

/* loo's mcse_elpd() approximates the elpd distribution by 1000 normal quantiles. */
enum { CR_LOO_MCSE_QUANTILES = 1000 };

typedef struct {
    double v;
    int i;
} cr_loo_item;

struct cr_loo_ws {
    size_t cap;        /* draws the per-draw arrays hold */
    double *lik;       /* exp(ll) */
    double *lw;        /* log weights */
    double *tmp;       /* per-draw scratch */
    cr_loo_item *top;  /* the tail draws (and the cutoff) with their positions */

    size_t lag_cap;    /* per-lag arrays (iterations per chain) */
    double *acov;      /* mean over chains of the autocovariance at each lag */
    double *rho;
    size_t chain_cap;  /* per-chain arrays */
    double *chain_mean;
    unsigned char *live; /* chain not constant */
    size_t yc_cap;
    double *yc;        /* centred exp(ll), chain by chain; FFT scratch after it */

    size_t fit_cap;    /* gpdfit scratch */
    double *fit;

    double zn[CR_LOO_MCSE_QUANTILES];
    int zn_ready;
};

void cr_loo_ws_reserve(cr_loo_ws *ws, size_t draws);
/* Makes ws->fit hold at least n doubles. */
double *cr_loo_ws_fit(cr_loo_ws *ws, size_t n);

/* matrixStats::logSumExp(): max + log1p(sum of the others' exp(x - max)); NaN if any NaN. */
double cr_loo_logsumexp(const double *x, size_t n);
/* R's sum(), mean() (with its refinement pass) and var(), in long double like R. */
double cr_loo_rsum(const double *x, size_t n);
double cr_loo_rmean(const double *x, size_t n);
double cr_loo_rvar(const double *x, size_t n);

/* The core of cr_loo_point() once ws->lik holds exp(ll). */
void cr_loo_point_lik(const double *ll, int s, double r_eff, cr_loo_ws *ws,
                      cr_loo_pointwise *out);
/* cr_loo_relative_eff() of the exp(ll) in lik. */
double cr_loo_reff_lik(const double *lik, int chains, int n, cr_loo_ws *ws);

#endif
