/* MCMC convergence diagnostics computed exactly as R's posterior package (1.4.0) computes them:
 * rank-normalized split R-hat, bulk/tail ESS, MCSE, type-7 quantiles, plus rstan's E-BFMI.
 *
 * Draws of one variable are laid out chain-major: draws[chain * n + iter], `chains` chains of `n`
 * iterations each (the column-major layout of posterior's iterations x chains matrix).
 *
 * NA convention: wherever posterior returns NA (constant draws, any NA/NaN/Inf draw, too few
 * iterations, ...) these functions return NAN. Values posterior returns as Inf (e.g. R-hat when
 * every split chain is constant but the chains differ) are returned as INFINITY.
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

/* Everything posterior's summarise_draws() can report for one variable. Names follow posterior:
 * q5/q50/q95 = quantile2(x, c(.05, .5, .95)); ess_basic = ess_mean = ess_basic(x) (split);
 * mcse_q50 = mcse_median. */
typedef struct {
    double mean, median, sd, mad;
    double q5, q50, q95;
    double rhat, rhat_basic;
    double ess_bulk, ess_tail, ess_basic, ess_sd, ess_median;
    double mcse_mean, mcse_sd, mcse_q5, mcse_q50, mcse_q95;
} cr_diag_summary;

/* Fills every field of *out. */
void cr_diag_summarise(const double *draws, int chains, int n, cr_diag_ws *ws,
                       cr_diag_summary *out);

/* Summarises `vars` variables stored one after another (variable v at draws + v * chains * n)
 * on up to `threads` threads (<= 1: the calling thread). */
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
