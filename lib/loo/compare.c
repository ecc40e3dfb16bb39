/* loo_compare(): models ordered by elpd_loo, each against the best through the pointwise
 * differences (sum and sqrt(N) sd), rows weighted by how many observations they stand for. */
#include <math.h>

#include "loo/loo_internal.h"

static double row_weight(const double *weight, size_t i)
{
    return weight ? weight[i] : 1;
}

void cr_loo_compare(const double *const *elpd, int models, const double *weight, size_t n,
                    cr_loo_compare_row *out)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) total += row_weight(weight, i);
    /* insertion sort keeps equal elpd_loo in model order, as R's order(decreasing = TRUE) */
    for (int m = 0; m < models; m++) {
        long double s = 0;
        for (size_t i = 0; i < n; i++) s += row_weight(weight, i) * (long double)elpd[m][i];
        cr_loo_compare_row row = {m, (double)s, 0, 0};
        int j = m;
        for (; j > 0 && out[j - 1].elpd_loo < row.elpd_loo; j--) out[j] = out[j - 1];
        out[j] = row;
    }
    const double *best = elpd[out[0].model];
    for (int r = 0; r < models; r++) {
        const double *e = elpd[out[r].model];
        long double s = 0, ss = 0;
        for (size_t i = 0; i < n; i++) s += row_weight(weight, i) * (long double)(e[i] - best[i]);
        double mean = (double)(s / total);
        for (size_t i = 0; i < n; i++) {
            double d = e[i] - best[i] - mean;
            ss += row_weight(weight, i) * (long double)(d * d);
        }
        out[r].elpd_diff = (double)s;
        out[r].se_diff = total > 1 ? sqrt(total * (double)(ss / (total - 1))) : NAN;
    }
}
