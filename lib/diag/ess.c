/* posterior's .ess(): effective sample size of a split matrix from the averaged
 * autocovariances, with Geyer's initial positive and initial monotone sequence truncation.
 * Index arithmetic mirrors posterior's 1-based R code shifted to 0-based, including its corner
 * cases (no pairs examined when len <= 5, the cap at 1 / log10(draws)). */
#include <math.h>
#include <string.h>

#include "diag/diag_internal.h"

double cr_diag_ess_mat(cr_diag_ws *ws, const double *y, cr_split sp)
{
    int cols = sp.cols, len = sp.len;
    if (len < 3 || cr_diag_return_na(y, (size_t)cols * len)) return NAN;

    cr_acov a;
    cr_acov_init(&a, ws, y, sp);
    double mean_var = cr_acov_at(&a, 0) * len / (len - 1);
    double var_plus = mean_var * (len - 1) / len;
    if (cols > 1) var_plus += cr_diag_var(ws->colmean, (size_t)cols);

    double *rho = ws->rho;
    memset(rho, 0, (size_t)len * sizeof *rho);
    int t = 0;
    double even = 1, odd = 1 - (mean_var - cr_acov_at(&a, 1)) / var_plus;
    rho[0] = even;
    rho[1] = odd;
    while (t < len - 5 && !isnan(even + odd) && even + odd > 0) {
        t += 2;
        even = 1 - (mean_var - cr_acov_at(&a, t)) / var_plus;
        odd = 1 - (mean_var - cr_acov_at(&a, t + 1)) / var_plus;
        if (even + odd >= 0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
    int max_t = t;
    if (even > 0) rho[max_t] = even;

    for (t = 2; t <= max_t - 2; t += 2) {
        if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
            rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
            rho[t + 1] = rho[t];
        }
    }

    /* R's sum(rho_hat_t[1:max_t]) is rho[0] alone when max_t == 0 (1:0 is c(1, 0)) */
    long double sum = rho[0];
    for (t = 1; t < max_t; t++) sum += rho[t];
    double draws = (double)cols * len;
    double tau_hat = -1 + 2 * (double)sum + rho[max_t];
    double tau_bound = 1 / log10(draws);
    if (tau_hat < tau_bound) tau_hat = tau_bound;
    return draws / tau_hat;
}
