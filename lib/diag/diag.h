/* MCMC convergence diagnostics computed exactly as R's posterior package (1.4.0) computes them:
 * rank-normalized split R-hat, bulk/tail ESS, MCSE, type-7 quantiles, plus rstan's E-BFMI.
 *
 * Draws of one variable are laid out chain-major: draws[chain * n + iter], `chains` chains of `n`
 * iterations each (the column-major layout of posterior's iterations x chains matrix).
 *
 * NA convention: wherever posterior returns NA (or NaN) these functions return NAN, and Inf
 * stays INFINITY. posterior's rules, reproduced here:
 *   - any NaN draw: everything is NAN (mean and sd too);
 *   - +-Inf draws: mean/sd/quantiles follow R arithmetic; the rank-based rhat and ess_bulk are
 *     still computed (ranks are finite) unless the median is infinite; ess_tail, ess_basic,
 *     the mcse_* and rhat_basic are NAN;
 *   - draws constant to within DBL_EPSILON (absolute: max - min < 2.2e-16): R-hat, ESS and
 *     MCSE are NAN;
 *   - chains are split in halves (the middle draw of an odd n is dropped); an ESS needs at
 *     least 3 draws per half (n >= 6), an R-hat at least 2 (n >= 4). Exception, as in
 *     posterior: the quantile ESS (ess_tail, ess_median, mcse_q*) of n = 2 or 3 treats the
 *     first and last draws as 2 "chains" of `chains` draws (R drops a 1-row matrix to a
 *     vector there);
 *   - R-hat is INFINITY, or a huge finite number decided by rounding exactly as in R, when
 *     every split chain is constant but they differ.
 *
 * Thread safety: no static state. A workspace may be used by one thread at a time; pass NULL
 * to let a call allocate (and free) its own. */
#ifndef CR_DIAG_H
#define CR_DIAG_H

#include <stddef.h>

/* Scratch memory reused across calls; grows on demand, so one workspace serves any size. */
typedef struct cr_diag_ws cr_diag_ws;

cr_diag_ws *cr_diag_ws_new(void);
void cr_diag_ws_free(cr_diag_ws *ws);

/* What posterior's summarise_draws() reports for one variable. Names follow posterior:
 * q5/q50/q95 = quantile2(x, c(.05, .5, .95)); ess_basic = ess_mean = ess_basic(x) (split);
 * mcse_q50 = mcse_median. */
typedef struct {
    /* posterior's default summary plus ess_basic and mcse_mean */
    double mean, median, sd, mad;
    double q5, q50, q95;
    double rhat, ess_bulk, ess_tail, ess_basic, mcse_mean;
    /* cr_diag_summarise_full() only (NAN otherwise): three more ESS and six beta quantiles,
     * about doubling the cost */
    double rhat_basic, ess_sd, ess_median;
    double mcse_sd, mcse_q5, mcse_q50, mcse_q95;
} cr_diag_summary;

/* Fills *out, all but the cr_diag_summarise_full() fields. */
void cr_diag_summarise(const double *draws, int chains, int n, cr_diag_ws *ws,
                       cr_diag_summary *out);
/* Fills every field of *out. */
void cr_diag_summarise_full(const double *draws, int chains, int n, cr_diag_ws *ws,
                            cr_diag_summary *out);

/* cr_diag_summarise() of `vars` variables stored one after another (variable v at
 * draws + v * chains * n) on up to `threads` threads (<= 1: the calling thread). */
void cr_diag_summarise_many(const double *draws, int vars, int chains, int n, int threads,
                            cr_diag_summary *out);

/* The single measures, each equal to the posterior function of the same name. */
double cr_diag_rhat(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_rhat_basic(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_ess_bulk(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_ess_tail(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_ess_basic(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_ess_sd(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_ess_quantile(const double *draws, int chains, int n, double prob,
                            cr_diag_ws *ws);
double cr_diag_mcse_mean(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_mcse_sd(const double *draws, int chains, int n, cr_diag_ws *ws);
double cr_diag_mcse_quantile(const double *draws, int chains, int n, double prob,
                             cr_diag_ws *ws);
/* quantile2(x, prob): R's type-7 quantile over all draws; NAN when any draw is NaN. */
double cr_diag_quantile(const double *draws, int chains, int n, double prob, cr_diag_ws *ws);

/* E-BFMI of one chain's energy__ draws, as rstan's get_bfmi():
 * sum(diff(e)^2) / n / var(e) with var's n - 1 denominator. (CmdStan's diagnose divides the sum
 * by n - 1 instead and pools all chains; rstan's per-chain value is the R reference used here.)
 * NAN when n < 2 or the energy is constant. */
double cr_diag_ebfmi(const double *energy, int n);

#endif
