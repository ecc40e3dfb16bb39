#include "sim/mcse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "diag/diag.h"

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

/* ESS needs 3 values per split half of a chain (lib/diag/diag.h). */
#define MIN_CHAIN_SLOTS 6

/* posterior's ess_basic of the slot values v[0..nslots) as the chains give them: runs of
 * equal chain[i], each in its iteration order. Chains of unequal length (nslots not a multiple
 * of the chains) are cut to the shortest for the estimate, whose relative efficiency then
 * stands for all nslots; chains too short to split are taken as one sequence. */
static double slots_ess(const double *v, int nslots, const int *chain)
{
    int nc = 0, m = nslots;
    for (int i = 0, run = 0; i < nslots; i++) {
        run++;
        if (i + 1 == nslots || chain[i + 1] != chain[i]) {
            nc++;
            m = run < m ? run : m;
            run = 0;
        }
    }
    if (m < MIN_CHAIN_SLOTS)
        return cr_diag_ess_basic(v, 1, nslots, NULL);
    double *y = xmalloc((size_t)nc * (size_t)m * sizeof *y);
    for (int i = 0, c = 0, k = 0; i < nslots; i++) {
        if (k < m)
            y[(size_t)c * (size_t)m + (size_t)k] = v[i];
        k++;
        if (i + 1 < nslots && chain[i + 1] != chain[i])
            c++, k = 0;
    }
    double ess = cr_diag_ess_basic(y, nc, m, NULL);
    free(y);
    return ess * nslots / ((double)nc * m);
}

/* The standard error of the mean of v[0..ndraws): draw j is one of posterior slot j mod nslots,
 * so the slots' own means are the values. Slots from consecutive draws of a Markov chain are
 * correlated: with their chains, posterior's mcse_mean (sd / sqrt(ess_basic)) of the slot
 * means; without, the slots count as independent (sd / sqrt(nslots)). */
static double se_of_slots(double *v, int ndraws, int nslots, const int *chain)
{
    if (nslots < 2)
        return NAN;
    for (int j = nslots; j < ndraws; j++)
        v[j % nslots] += v[j];
    for (int i = 0; i < nslots; i++)
        v[i] /= ndraws / nslots;
    double se = se_of_mean(v, nslots);
    if (!chain || !(se > 0))
        return se;
    double ess = slots_ess(v, nslots, chain);
    return ess > 0 ? se * sqrt(nslots / ess) : se;
}

double cr_sim_mcse_mean(const double *x, int ndraws, int nslots, const int *chain, long nsec)
{
    if (nslots < 2)
        return NAN;
    double *m = xmalloc((size_t)ndraws * sizeof *m);
    for (int d = 0; d < ndraws; d++) {
        double sum = 0;
        for (long s = 0; s < nsec; s++)
            sum += x[(size_t)d * nsec + s];
        m[d] = sum / (double)nsec;
    }
    double se = se_of_slots(m, ndraws, nslots, chain);
    free(m);
    return se;
}

/* Each draw's share of seconds above q, into f[0..ndraws). */
static void shares_above(const double *x, int ndraws, long nsec, double q, double *f)
{
    for (int d = 0; d < ndraws; d++) {
        long n = 0;
        for (long s = 0; s < nsec; s++)
            n += x[(size_t)d * nsec + s] > q;
        f[d] = (double)n / (double)nsec;
    }
}

double cr_sim_mcse_quantile(const double *x, const double *sorted, int ndraws, int nslots,
                            const int *chain, long nsec, double p)
{
    if (nslots < 2)
        return NAN;
    const size_t n = (size_t)ndraws * (size_t)nsec;
    double *f = xmalloc((size_t)ndraws * sizeof *f);
    cr_sim_midpoint at = cr_sim_midpoint_sorted(sorted, n, p);
    for (int d = 0; d < ndraws; d++)
        f[d] = cr_sim_mid_cdf(x + (size_t)d * nsec, (size_t)nsec, &at);
    double se = se_of_slots(f, ndraws, nslots, chain);
    free(f);
    return (cr_sim_midquantile_sorted(sorted, n, fmin(p + se, 1)) -
            cr_sim_midquantile_sorted(sorted, n, fmax(p - se, 0))) / 2;
}

double cr_sim_share_above(const double *x, int ndraws, int nslots, const int *chain, long nsec,
                          double q, double *mcse)
{
    double *f = xmalloc((size_t)ndraws * sizeof *f), mean = 0;
    shares_above(x, ndraws, nsec, q, f);
    for (int d = 0; d < ndraws; d++)
        mean += f[d];
    *mcse = se_of_slots(f, ndraws, nslots, chain);
    free(f);
    return mean / ndraws;
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

void cr_sim_summarize_draws(double *x, int ndraws, int nslots, const int *chain, long nsec,
                            cr_sim_summary *s, cr_sim_mcse *m)
{
    const size_t n = (size_t)ndraws * (size_t)nsec;
    double *sorted = xmalloc(n * sizeof *sorted);
    memcpy(sorted, x, n * sizeof *sorted);
    cr_sim_summarize(sorted, n, s);
    m->mean = cr_sim_mcse_mean(x, ndraws, nslots, chain, nsec);
    m->q50 = cr_sim_mcse_quantile(x, sorted, ndraws, nslots, chain, nsec, 0.5);
    m->q90 = cr_sim_mcse_quantile(x, sorted, ndraws, nslots, chain, nsec, 0.9);
    m->q95 = cr_sim_mcse_quantile(x, sorted, ndraws, nslots, chain, nsec, 0.95);
    m->q99 = cr_sim_mcse_quantile(x, sorted, ndraws, nslots, chain, nsec, 0.99);
    m->q999 = cr_sim_mcse_quantile(x, sorted, ndraws, nslots, chain, nsec, 0.999);
    m->draws_above_q99 = cr_sim_draws_above(x, ndraws, nsec, s->q99);
    m->draws_above_q999 = cr_sim_draws_above(x, ndraws, nsec, s->q999);
    memcpy(x, sorted, n * sizeof *x);
    free(sorted);
}
