/* PSIS-LOO (Pareto smoothed importance sampling leave-one-out cross-validation) computed
 * exactly as R's loo package 2.5.1 computes it: loo(ll, r_eff = relative_eff(exp(ll),
 * chain_id)), loo_compare(), pareto_k_table(), mcse_loo(); psis() and gpdfit() underneath.
 *
 * The log-likelihood of one observation over S = chains * n posterior draws is laid out
 * chain-major, ll[chain * n + iter] (a column of loo's S x N matrix with
 * chain_id = rep(1:chains, each = n)). Observations are processed one at a time so that
 * observations with identical log-likelihood vectors can be computed once and weighted
 * (cr_loo_acc_add, cr_loo_compare): a weight w means "this row repeated w times".
 *
 * loo quirks reproduced on purpose (they move the numbers):
 *   - relative_eff's autocovariance is scaled by M / N (M = next 2^a 3^b 5^c >= N), so
 *     it is exact only when the iterations per chain are such a number (1000, 2000 ...);
 *   - a relative_eff whose truncation stops at lag 0 (e.g. exp(ll) constant) counts
 *     rho[0] twice (R's 1:0 index), giving r_eff = 0.5;
 *   - pareto_k is Inf when the tail has fewer than 5 draws, when its values are all
 *     equal (constant log-likelihood), or when the GPD fit yields NaN; the weights are
 *     then the raw (truncated at the max) importance ratios, as in loo.
 * k bins are loo 2.5.1's: (-Inf, 0.5] good, (0.5, 0.7] ok, (0.7, 1] bad, (1, Inf] very
 * bad. loo >= 2.6 instead flags k > min(1 - 1/log10(S), 0.7); that count is reported too.
 *
 * Thread safety: no static state. A workspace serves one thread at a time. */
#ifndef CR_LOO_H
#define CR_LOO_H

#include <stddef.h>

/* Scratch memory reused across calls; grows on demand. */
typedef struct cr_loo_ws cr_loo_ws;

cr_loo_ws *cr_loo_ws_new(void);
void cr_loo_ws_free(cr_loo_ws *ws);

/* One observation: a row of loo's $pointwise plus what loo computes along the way. */
typedef struct {
    double elpd_loo;      /* log sum exp(ll + normalized log weights) */
    double mcse_elpd_loo; /* loo's mcse_elpd() (normal approximation, 1000 quantiles) */
    double p_loo;         /* lpd - elpd_loo */
    double looic;         /* -2 elpd_loo */
    double pareto_k;      /* influence_pareto_k = diagnostics$pareto_k */
    double lpd;           /* log mean exp(ll) */
    double n_eff;         /* diagnostics$n_eff: r_eff / sum(normalized weights^2) */
    double r_eff;         /* the relative efficiency used */
} cr_loo_pointwise;

/* loo::relative_eff(exp(ll), chain_id) of one observation (loo's ess_rfun, not posterior's
 * split-chain ESS, divided by S). Needs n >= 2. */
double cr_loo_relative_eff(const double *ll, int chains, int n, cr_loo_ws *ws);

/* PSIS-LOO of one observation with a given r_eff (> 0; anything else means 1, loo's value
 * when r_eff is NA). Returns 0, or -1 (and every field NAN) when some ll is not finite,
 * which loo rejects. ws may be NULL (allocated per call). */
int cr_loo_point(const double *ll, int chains, int n, double r_eff, cr_loo_ws *ws,
                 cr_loo_pointwise *out);
/* The same with r_eff = cr_loo_relative_eff(ll), sharing its exp(ll). */
int cr_loo_point_reff(const double *ll, int chains, int n, cr_loo_ws *ws,
                      cr_loo_pointwise *out);
/* cr_loo_point_reff() of `obs` observations stored one after another (observation i at
 * ll + i * chains * n) on up to `threads` threads. Returns how many were rejected. */
size_t cr_loo_point_many(const double *ll, size_t obs, int chains, int n, int threads,
                         cr_loo_pointwise *out);

/* loo's psis() of one vector of S log importance ratios (for LOO: -ll): writes the
 * unnormalized smoothed log weights to lw (may equal log_ratios) and returns pareto k.
 * tail length = ceiling(min(0.2 S, 3 sqrt(S / r_eff))). */
double cr_loo_psis(const double *log_ratios, int s, double r_eff, double *lw, cr_loo_ws *ws);

/* loo's gpdfit(x, sort_x = FALSE) (Zhang & Stephens with loo's weakly informative prior
 * adjustment of k) of n >= 1 values sorted ascending. k is Inf when the fit yields NaN. */
void cr_loo_gpdfit(const double *x, int n, cr_loo_ws *ws, double *k, double *sigma);

/* loo 2.5.1's pareto k bins (k_cut); NaN k counts in none. */
enum { CR_LOO_K_GOOD, CR_LOO_K_OK, CR_LOO_K_BAD, CR_LOO_K_VERY_BAD, CR_LOO_K_BINS };

/* loo's $estimates and diagnostics over weighted observations. */
typedef struct {
    double n;                          /* observations (sum of weights) */
    double elpd_loo, se_elpd_loo;      /* sum, sqrt(N var(pointwise)) */
    double p_loo, se_p_loo;
    double looic, se_looic;
    double mcse_elpd_loo;              /* mcse_loo(): NAN when any k > 0.7 */
    double k_count[CR_LOO_K_BINS];     /* pareto_k_table() Count */
    double k_min_n_eff[CR_LOO_K_BINS]; /* pareto_k_table() Min. n_eff (NAN: empty bin) */
    double k_threshold;                /* loo >= 2.6: min(1 - 1/log10(S), 0.7) ... */
    double k_above_threshold;          /* ... and how many k exceed it */
} cr_loo_estimates;

/* Streaming sums of weighted pointwise values; the variances use West's weighted update,
 * so adding a row with weight w equals adding it w times. */
typedef struct {
    int draws;
    double n;
    long double sum[2], mean[2], m2[2]; /* elpd_loo, p_loo */
    double mcse_sq;
    int k_over_07;
    double k_count[CR_LOO_K_BINS], k_min_n_eff[CR_LOO_K_BINS];
    double k_threshold, k_above;
} cr_loo_acc;

/* draws = S (for the loo >= 2.6 threshold). */
void cr_loo_acc_init(cr_loo_acc *acc, int draws);
/* Adds a row with weight >= 0 (a weight of 0 adds nothing). */
void cr_loo_acc_add(cr_loo_acc *acc, const cr_loo_pointwise *p, double weight);
void cr_loo_acc_result(const cr_loo_acc *acc, cr_loo_estimates *out);
/* The estimates of n weighted rows at once (weight NULL: all 1), over `draws` draws; elpd
 * (may be NULL) gets each row's elpd_loo. */
void cr_loo_estimate(const cr_loo_pointwise *pw, size_t n, const double *weight, int draws,
                     double *elpd, cr_loo_estimates *out);

/* One row of loo_compare(): models ordered by elpd_loo, best first. */
typedef struct {
    int model;       /* index into the elpd array */
    double elpd_loo; /* the model's (weighted) sum */
    double elpd_diff; /* sum of (this - best) pointwise differences; 0 for the best */
    double se_diff;   /* sqrt(N var(differences)) */
} cr_loo_compare_row;

/* loo_compare() of `models` models (>= 1) from their pointwise elpd_loo over the same n
 * rows: elpd[m][i] is model m's elpd_loo at row i, weight[i] (NULL: all 1) how many
 * observations row i stands for in every model. Ties in elpd_loo keep model order. */
void cr_loo_compare(const double *const *elpd, int models, const double *weight, size_t n,
                    cr_loo_compare_row *out);

#endif
