#include "sim/mcse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* sd(v[0..n)) / sqrt(n), n >= 2, in units of the largest |v| so that no square overflows
 * whatever the counts' size. */
static double se_of_mean(const double *v, int n)
{
    double top = 0, mean = 0, ss = 0;
    for (int i = 0; i < n; i++)
        top = fmax(top, fabs(v[i]));
    if (!(top > 0))
        return top == 0 ? 0 : NAN;
    for (int i = 0; i < n; i++)
        mean += v[i] / top;
    mean /= n;
    for (int i = 0; i < n; i++)
        ss += (v[i] / top - mean) * (v[i] / top - mean);
    return top * sqrt(ss / (n - 1) / n);
}

double cr_sim_mcse_mean(const double *x, int ndraws, long nsec)
{
    if (ndraws < 2)
        return NAN;
    double *m = xmalloc((size_t)ndraws * sizeof *m);
    for (int d = 0; d < ndraws; d++) {
        double sum = 0;
        for (long s = 0; s < nsec; s++)
            sum += x[(size_t)d * nsec + s];
        m[d] = sum / (double)nsec;
    }
    double se = se_of_mean(m, ndraws);
    free(m);
    return se;
}

double cr_sim_mcse_quantile(const double *x, const double *sorted, int ndraws, long nsec,
                            double p)
{
    if (ndraws < 2)
        return NAN;
    const size_t n = (size_t)ndraws * (size_t)nsec;
    const double q = cr_sim_quantile_sorted(sorted, n, p);
    double *f = xmalloc((size_t)ndraws * sizeof *f);
    for (int d = 0; d < ndraws; d++) {
        long below = 0;
        for (long s = 0; s < nsec; s++)
            below += x[(size_t)d * nsec + s] <= q;
        f[d] = (double)below / (double)nsec;
    }
    double se = se_of_mean(f, ndraws);
    free(f);
    return (cr_sim_quantile_sorted(sorted, n, fmin(p + se, 1)) -
            cr_sim_quantile_sorted(sorted, n, fmax(p - se, 0))) / 2;
}

int cr_sim_draws_above(const double *x, int ndraws, long nsec, double q)
{
    int count = 0;
    for (int d = 0; d < ndraws; d++) {
        long s = 0;
        while (s < nsec && !(x[(size_t)d * nsec + s] > q))
            s++;
        count += s < nsec;
    }
    return count;
}

void cr_sim_summarize_draws(double *x, int ndraws, long nsec, cr_sim_summary *s, cr_sim_mcse *m)
{
    const size_t n = (size_t)ndraws * (size_t)nsec;
    double *sorted = xmalloc(n * sizeof *sorted);
    memcpy(sorted, x, n * sizeof *sorted);
    cr_sim_summarize(sorted, n, s);
    m->mean = cr_sim_mcse_mean(x, ndraws, nsec);
    m->q50 = cr_sim_mcse_quantile(x, sorted, ndraws, nsec, 0.5);
    m->q90 = cr_sim_mcse_quantile(x, sorted, ndraws, nsec, 0.9);
    m->q95 = cr_sim_mcse_quantile(x, sorted, ndraws, nsec, 0.95);
    m->q99 = cr_sim_mcse_quantile(x, sorted, ndraws, nsec, 0.99);
    m->q999 = cr_sim_mcse_quantile(x, sorted, ndraws, nsec, 0.999);
    m->draws_above_q99 = cr_sim_draws_above(x, ndraws, nsec, s->q99);
    m->draws_above_q999 = cr_sim_draws_above(x, ndraws, nsec, s->q999);
    memcpy(x, sorted, n * sizeof *x);
    free(sorted);
}
