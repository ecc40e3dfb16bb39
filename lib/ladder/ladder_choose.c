#include "ladder/ladder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* How many standard errors of the elpd difference make a model worse than the best. */
#define SE_MARGIN 2

void cr_ladder_choose(int n, const cr_ladder_candidate *c, const char *const *names,
                      const double *weight, size_t npoints, cr_ladder_choice *out)
{
    memset(out, 0, sizeof *out);
    const double *elpd[CR_LADDER_NMODELS] = {NULL};
    int idx[CR_LADDER_NMODELS] = {0}, m = 0;
    for (int i = 0; i < n; i++)
        if (c[i].converged && c[i].ppc_pass)
            idx[m++] = i;
    out->failing = m == 0;
    for (int i = 0; i < n && out->failing; i++)
        if (c[i].usable)
            idx[m++] = i;
    if (m == 0)
        for (int i = 0; i < n; i++)
            idx[m++] = i;
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        out->elpd_diff[i] = out->se_diff[i] = NAN;
    if (n == 1) { /* nothing to compare: LOO was not computed */
        snprintf(out->reason, sizeof out->reason, "%s was the only model fitted%s.", names[0],
                 out->failing ? " and failed the checks: treat its numbers with caution" : "");
        return;
    }
    for (int j = 0; j < m; j++) {
        elpd[j] = c[idx[j]].elpd;
        out->compared[idx[j]] = 1;
    }
    cr_loo_compare_row rows[CR_LADDER_NMODELS];
    cr_loo_compare(elpd, m, weight, npoints, rows);
    for (int j = 0; j < m; j++) {
        out->elpd_diff[idx[rows[j].model]] = rows[j].elpd_diff;
        out->se_diff[idx[rows[j].model]] = rows[j].se_diff;
    }
    out->best = idx[rows[0].model];
    out->chosen = out->best;
    if (out->failing) {
        snprintf(out->reason, sizeof out->reason,
                 "No model passed both the convergence and the predictive checks, so %s, the "
                 "one that predicts left-out seconds best, is kept and marked as failing: treat "
                 "its numbers with caution.", names[out->best]);
        return;
    }
    for (int j = 0; j < m; j++) { /* idx ascending: the first within the margin is simplest */
        int i = idx[j];
        if (-out->elpd_diff[i] <= SE_MARGIN * out->se_diff[i] || i == out->best) {
            out->chosen = i;
            break;
        }
    }
    if (out->chosen == out->best)
        snprintf(out->reason, sizeof out->reason,
                 "%s passed the checks and predicts left-out seconds best%s.", names[out->best],
                 m > 1 ? ", by more than 2 standard errors over every simpler model that passed"
                       : " (the only model that passed)");
    else
        snprintf(out->reason, sizeof out->reason,
                 "%s predicts left-out seconds best, but the simpler %s is within 2 standard "
                 "errors of it (elpd difference %.1f, standard error %.1f), so the simpler "
                 "model is kept.", names[out->best], names[out->chosen],
                 out->elpd_diff[out->chosen], out->se_diff[out->chosen]);
}
