/* posterior's .rhat(): potential scale reduction of a split matrix. */
#include <math.h>

#include "diag/diag_internal.h"

double cr_diag_rhat_mat(cr_diag_ws *ws, const double *y, cr_split sp)
{
    size_t len = (size_t)sp.len;
    if (cr_diag_return_na(y, (size_t)sp.cols * len)) return NAN;
    double *chain_mean = ws->colmean, *chain_var = ws->colvar;
    for (int j = 0; j < sp.cols; j++) {
        const double *col = y + j * len;
        chain_mean[j] = cr_diag_col_mean(col, len);
        /* matrixStats::colVars(center =): colMeans((x - center)^2) * (n / (n - 1)), NA for
         * a single iteration */
        double ss = cr_diag_sumsq(col, len, chain_mean[j]);
        chain_var[j] = len < 2 ? NAN : ss / (double)len * ((double)len / (double)(len - 1));
    }
    double var_between = (double)len * cr_diag_var(chain_mean, (size_t)sp.cols);
    double var_within = cr_diag_mean(chain_var, (size_t)sp.cols);
    return sqrt((var_between / var_within + (double)len - 1) / (double)len);
}
