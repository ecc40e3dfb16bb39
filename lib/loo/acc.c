/* loo's $estimates (table_of_estimates: sum and sqrt(N var)), mcse_loo() and
 * pareto_k_table() over weighted rows. */
#include <math.h>
#include <string.h>

#include "loo/loo_internal.h"

void cr_loo_acc_init(cr_loo_acc *acc, int draws)
{
    memset(acc, 0, sizeof *acc);
    acc->draws = draws;
    acc->k_threshold = fmin(1 - 1 / log10((double)draws), 0.7);
    for (int b = 0; b < CR_LOO_K_BINS; b++) acc->k_min_n_eff[b] = NAN;
}

/* k_cut(): cut(k, c(-Inf, 0.5, 0.7, 1, Inf)), right-closed; -1 for NA. */
static int k_bin(double k)
{
    if (isnan(k) || k == -INFINITY) return -1;
    return k <= 0.5 ? CR_LOO_K_GOOD : k <= 0.7 ? CR_LOO_K_OK : k <= 1 ? CR_LOO_K_BAD
                                                                      : CR_LOO_K_VERY_BAD;
}

void cr_loo_acc_add(cr_loo_acc *acc, const cr_loo_pointwise *p, double weight)
{
    if (!(weight > 0)) return;
    const double v[2] = {p->elpd_loo, p->p_loo};
    acc->n += weight;
    for (int j = 0; j < 2; j++) {
        long double d = v[j] - acc->mean[j];
        acc->mean[j] += d * weight / acc->n;
        acc->m2[j] += weight * d * (v[j] - acc->mean[j]);
        acc->sum[j] += weight * (long double)v[j];
    }
    acc->mcse_sq += weight * p->mcse_elpd_loo * p->mcse_elpd_loo;
    acc->k_over_07 |= p->pareto_k > 0.7;
    if (p->pareto_k > acc->k_threshold) acc->k_above += weight;
    int b = k_bin(p->pareto_k);
    if (b < 0) return;
    /* R's min(): NA wins */
    double *m = &acc->k_min_n_eff[b];
    if (acc->k_count[b] == 0) *m = p->n_eff;
    else if (!isnan(*m)) *m = isnan(p->n_eff) ? NAN : fmin(*m, p->n_eff);
    acc->k_count[b] += weight;
}

void cr_loo_acc_result(const cr_loo_acc *acc, cr_loo_estimates *out)
{
    double se[2];
    for (int j = 0; j < 2; j++)
        se[j] = acc->n > 1 ? sqrt(acc->n * (double)(acc->m2[j] / (acc->n - 1))) : NAN;
    out->n = acc->n;
    out->elpd_loo = (double)acc->sum[0];
    out->se_elpd_loo = se[0];
    out->p_loo = (double)acc->sum[1];
    out->se_p_loo = se[1];
    out->looic = -2 * out->elpd_loo;
    out->se_looic = 2 * se[0];
    out->mcse_elpd_loo = acc->k_over_07 ? NAN : sqrt(acc->mcse_sq);
    memcpy(out->k_count, acc->k_count, sizeof out->k_count);
    memcpy(out->k_min_n_eff, acc->k_min_n_eff, sizeof out->k_min_n_eff);
    out->k_threshold = acc->k_threshold;
    out->k_above_threshold = acc->k_above;
}

void cr_loo_estimate(const cr_loo_pointwise *pw, size_t n, const double *weight, int draws,
                     double *elpd, cr_loo_estimates *out)
{
    cr_loo_acc acc;
    cr_loo_acc_init(&acc, draws);
    for (size_t i = 0; i < n; i++) {
        if (elpd)
            elpd[i] = pw[i].elpd_loo;
        cr_loo_acc_add(&acc, &pw[i], weight ? weight[i] : 1);
    }
    cr_loo_acc_result(&acc, out);
}
