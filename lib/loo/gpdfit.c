/* loo's gpdfit(): the generalized Pareto fit of Zhang & Stephens (2009), the posterior mean
 * of theta over a fixed grid, with loo's weakly informative prior pulling k towards 0.5
 * (adjust_k_wip: as if 10 more observations had k = 0.5). */
#include <math.h>

#include "loo/loo_internal.h"

enum { MIN_GRID_PTS = 30, PRIOR = 3, WIP_N = 10 };

/* mean(log1p(-theta * x)): the profile estimate of k for a given theta */
static double k_of_theta(const double *x, int n, double theta, double *buf)
{
    for (int i = 0; i < n; i++) buf[i] = log1p(-theta * x[i]);
    return cr_loo_rmean(buf, (size_t)n);
}

void cr_loo_gpdfit(const double *x, int n, cr_loo_ws *ws, double *k, double *sigma)
{
    int m = MIN_GRID_PTS + (int)floor(sqrt((double)n));
    int q = (int)floor(n / 4.0 + 0.5); /* 1-based index of the first quartile */
    if (n < 1 || q < 1) {
        *k = INFINITY;
        *sigma = NAN;
        return;
    }
    double *theta = cr_loo_ws_fit(ws, 2 * (size_t)m + (size_t)n), *l = theta + m, *buf = l + m;
    double xstar = x[q - 1];
    for (int j = 1; j <= m; j++)
        theta[j - 1] = 1 / x[n - 1] + (1 - sqrt(m / (j - 0.5))) / PRIOR / xstar;
    /* lx(): the profile log-likelihood of each theta */
    for (int j = 0; j < m; j++) {
        double a = -theta[j], kj = k_of_theta(x, n, theta[j], buf);
        l[j] = n * (log(a / kj) - kj - 1);
    }
    double lse = cr_loo_logsumexp(l, (size_t)m);
    for (int j = 0; j < m; j++) l[j] = theta[j] * exp(l[j] - lse);
    double theta_hat = cr_loo_rsum(l, (size_t)m);
    double kk = k_of_theta(x, n, theta_hat, buf);
    *sigma = -kk / theta_hat;
    kk = kk * n / (n + WIP_N) + WIP_N * 0.5 / (n + WIP_N);
    *k = isnan(kk) ? INFINITY : kk;
}
