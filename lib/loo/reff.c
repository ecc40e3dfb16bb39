/* loo's relative_eff(): the ess_rfun() of exp(ll), chains unsplit, divided by S.
 *
 * This is not posterior's ESS (lib/diag): chains are not split, and loo's autocovariance()
 * divides the inverse FFT of the zero-padded series by N^2 * 2 although it is 2M times the
 * lagged sum of products (M = the next 2^a 3^b 5^c >= N), so every lag is scaled by M / N^2
 * instead of 1 / N. That is reproduced. Geyer's truncation usually stops after a few lags,
 * so lags are summed directly on demand and only a slowly mixing chain pays for an FFT of
 * every lag (GSL's radix-2 real FFT; any padding >= 2N - 1 gives the same linear lagged sums,
 * equal to R's complex FFT to rounding). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "common/xalloc.h"
#include "loo/loo_internal.h"

enum { DIRECT_LAGS = 64, LAG_BLOCK = 4 };

typedef struct {
    cr_loo_ws *ws;
    int chains, n;
    double scale;      /* loo's M / N^2 */
    size_t fft_len;    /* power of two >= 2n */
    int done;          /* lags 0..done-1 are in ws->acov */
} acov_state;

/* loo's fft_next_good_size() */
static size_t good_size(size_t n)
{
    if (n <= 2) return 2;
    for (size_t m = n;; m++) {
        size_t r = m;
        while (r % 2 == 0) r /= 2;
        while (r % 3 == 0) r /= 3;
        while (r % 5 == 0) r /= 5;
        if (r == 1) return m;
    }
}

static void direct_lags(acov_state *a, int upto)
{
    size_t n = (size_t)a->n;
    const double *yc0 = a->ws->yc;
    int k = a->done;
    for (; k <= upto; k += LAG_BLOCK) {
        double tot[LAG_BLOCK] = {0};
        for (int c = 0; c < a->chains; c++) {
            if (!a->ws->live[c]) continue;
            const double *yc = yc0 + (size_t)c * n;
            double s[LAG_BLOCK] = {0};
            size_t i = 0;
            for (; i + (size_t)k + LAG_BLOCK - 1 < n; i++)
                for (int l = 0; l < LAG_BLOCK; l++) s[l] += yc[i] * yc[i + k + l];
            for (; i < n; i++)
                for (int l = 0; l < LAG_BLOCK; l++)
                    if (i + k + l < n) s[l] += yc[i] * yc[i + k + l];
            for (int l = 0; l < LAG_BLOCK; l++) tot[l] += s[l] * a->scale;
        }
        for (int l = 0; l < LAG_BLOCK && (size_t)(k + l) < n; l++)
            a->ws->acov[k + l] = tot[l] / a->chains;
    }
    a->done = k < a->n ? k : a->n;
}

static void fft_lags(acov_state *a)
{
    size_t n = (size_t)a->n, p = a->fft_len;
    double *acov = a->ws->acov, *b = a->ws->yc + (size_t)a->chains * n;
    memset(acov, 0, n * sizeof *acov);
    for (int c = 0; c < a->chains; c++) {
        if (!a->ws->live[c]) continue;
        memcpy(b, a->ws->yc + (size_t)c * n, n * sizeof *b);
        memset(b + n, 0, (p - n) * sizeof *b);
        gsl_fft_real_radix2_transform(b, 1, p);
        /* radix-2 halfcomplex: b[k] real and b[p - k] imaginary part of frequency k */
        b[0] *= b[0];
        b[p / 2] *= b[p / 2];
        for (size_t k = 1; k < p / 2; k++) {
            b[k] = b[k] * b[k] + b[p - k] * b[p - k];
            b[p - k] = 0;
        }
        gsl_fft_halfcomplex_radix2_inverse(b, 1, p);
        for (size_t k = 0; k < n; k++) acov[k] += b[k] * a->scale;
    }
    for (size_t k = 0; k < n; k++) acov[k] /= a->chains;
    a->done = a->n;
}

/* mean(acov[lag + 1, ]) in loo's terms; NAN beyond the last lag, as R's NA. */
static double acov_at(acov_state *a, int lag)
{
    if (lag >= a->n) return NAN;
    if (lag >= a->done) {
        if (lag < DIRECT_LAGS) direct_lags(a, lag);
        else fft_lags(a);
    }
    return a->ws->acov[lag];
}

/* Centres each chain on R's mean(); fills ws->chain_mean with colMeans() (no refinement). */
static void acov_init(acov_state *a, cr_loo_ws *ws, const double *lik, int chains, int n)
{
    double *chain_mean = ws->chain_mean;
    unsigned char *live = ws->live;
    size_t un = (size_t)n, p = 1;
    while (p < 2 * un) p *= 2;
    xgrow(&ws->yc, &ws->yc_cap, (size_t)chains * un + p, sizeof *ws->yc);
    if (un + 2 > ws->lag_cap) {
        ws->acov = xrealloc(ws->acov, (un + 2) * sizeof *ws->acov);
        ws->rho = xrealloc(ws->rho, (un + 2) * sizeof *ws->rho);
        ws->lag_cap = un + 2;
    }
    *a = (acov_state){ws, chains, n, (double)good_size(un) / ((double)n * n), p, 0};
    for (int c = 0; c < chains; c++) {
        const double *y = lik + (size_t)c * un;
        double *yc = ws->yc + (size_t)c * un;
        /* colMeans() in long double as R: with nearly constant exp(ll) var(chain_mean) is
         * the difference of nearly equal sums, and r_eff moves at 1e-7 otherwise */
        long double s = 0;
        for (size_t i = 0; i < un; i++) s += y[i];
        chain_mean[c] = (double)(s / un);
        double m = cr_loo_rmean(y, un);
        live[c] = 0;
        for (size_t i = 0; i < un; i++) {
            yc[i] = y[i] - m;
            live[c] |= yc[i] != 0;
        }
    }
}

double cr_loo_reff_lik(const double *lik, int chains, int n, cr_loo_ws *ws)
{
    if (chains < 1 || n < 1) return NAN;
    if ((size_t)chains > ws->chain_cap) {
        ws->chain_mean = xrealloc(ws->chain_mean, (size_t)chains * sizeof *ws->chain_mean);
        ws->live = xrealloc(ws->live, (size_t)chains);
        ws->chain_cap = (size_t)chains;
    }
    acov_state a;
    acov_init(&a, ws, lik, chains, n);
    double *rho = ws->rho;
    for (int i = 0; i < n + 2; i++) rho[i] = 0;

    double mean_var = acov_at(&a, 0) * n / (n - 1.0);
    double var_plus = mean_var * (n - 1.0) / n;
    if (chains > 1) var_plus += cr_loo_rvar(ws->chain_mean, (size_t)chains);

    int t = 0;
    double even = 1, odd = 1 - (mean_var - acov_at(&a, 1)) / var_plus;
    rho[0] = even;
    rho[1] = odd;
    while (t < n - 5 && !isnan(even + odd) && even + odd > 0) {
        t += 2;
        even = 1 - (mean_var - acov_at(&a, t)) / var_plus;
        odd = 1 - (mean_var - acov_at(&a, t + 1)) / var_plus;
        if (even + odd >= 0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
    int max_t = t;
    if (even > 0) rho[max_t] = even;
    for (t = 0; t <= max_t - 4;) {
        t += 2;
        if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
            rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
            rho[t + 1] = rho[t];
        }
    }
    double ess = (double)chains * n;
    /* R's rho_hat_t[1:max_t] is rho[0] alone when max_t is 0 */
    double tau = -1 + 2 * cr_loo_rsum(rho, max_t > 0 ? (size_t)max_t : 1) + rho[max_t];
    double floor_tau = 1 / log10(ess);
    tau = isnan(tau) ? NAN : fmax(tau, floor_tau);
    return ess / tau / ess;
}

double cr_loo_relative_eff(const double *ll, int chains, int n, cr_loo_ws *ws)
{
    cr_loo_ws *own = ws ? NULL : cr_loo_ws_new();
    if (own) ws = own;
    size_t s = (size_t)(chains > 0 ? chains : 0) * (size_t)(n > 0 ? n : 0);
    cr_loo_ws_reserve(ws, s);
    for (size_t i = 0; i < s; i++) ws->lik[i] = exp(ll[i]);
    double r = cr_loo_reff_lik(ws->lik, chains, n, ws);
    cr_loo_ws_free(own);
    return r;
}
