/* Helpers shared by the simulation tests: N users simulated under copies of one draw, Monte
 * Carlo estimates whose standard errors come from independent posterior draws (seconds within a
 * draw are correlated, draws are not), and exact pmfs of sums of NB2 counts by convolution. */
#ifndef CR_SIM_TEST_H
#define CR_SIM_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "common/xalloc.h"
#include "sim/users.h"

typedef struct {
    double mean, se;
} estimate;

/* ndraws copies of draw p (fresh). */
static inline cr_sim_draw *draw_copies(const cr_sim_draw *p, int ndraws)
{
    cr_sim_draw *draws = xmalloc(ndraws * sizeof *draws);
    for (int d = 0; d < ndraws; d++)
        draws[d] = *p;
    return draws;
}

/* The default configuration for nusers users over seconds. */
static inline cr_sim_config users_config(int nusers, long seconds)
{
    cr_sim_config cfg;
    cr_sim_config_default(&cfg);
    cfg.nusers = nusers;
    cfg.seconds = seconds;
    return cfg;
}

/* ndraws copies of draw p (independent replicates: fresh users each), counts [draw][second]. */
static inline double *simulate_users(const cr_sim_draw *p, int ndraws, int nusers, long seconds,
                                     double tol, int threads, unsigned long seed)
{
    cr_sim_draw *draws = draw_copies(p, ndraws);
    cr_sim_config cfg = users_config(nusers, seconds);
    cfg.skew_tol = tol;
    cfg.threads = threads;
    cfg.seed = seed;
    double *y = xmalloc((size_t)ndraws * seconds * sizeof *y);
    cr_err e;
    if (cr_sim_users(draws, ndraws, &cfg, y, NULL, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        abort();
    }
    free(draws);
    return y;
}

/* Average over draws of each draw's mean of (y - c)^p over its n seconds. */
static inline estimate draw_average(const double *y, int ndraws, long n, double c, int p)
{
    double s = 0, s2 = 0;
    for (int d = 0; d < ndraws; d++) {
        double m = 0;
        for (long i = 0; i < n; i++)
            m += pow(y[(size_t)d * n + i] - c, p);
        m /= n;
        s += m;
        s2 += m * m;
    }
    double mean = s / ndraws, var = (s2 - ndraws * mean * mean) / (ndraws - 1);
    return (estimate){mean, sqrt(fmax(var, 0) / ndraws)};
}

/* Per-draw fraction of seconds with y > c, averaged over draws. */
static inline estimate draw_exceed(const double *y, int ndraws, long n, double c)
{
    double s = 0, s2 = 0;
    for (int d = 0; d < ndraws; d++) {
        double m = 0;
        for (long i = 0; i < n; i++)
            m += y[(size_t)d * n + i] > c;
        m /= n;
        s += m;
        s2 += m * m;
    }
    double mean = s / ndraws, var = (s2 - ndraws * mean * mean) / (ndraws - 1);
    return (estimate){mean, sqrt(fmax(var, 0) / ndraws)};
}

/* NB2(mu, size) pmf on 0..K-1. */
static inline void nb2_pmf(double mu, double size, int K, double *p)
{
    for (int k = 0; k < K; k++)
        p[k] = gsl_ran_negative_binomial_pdf(k, size / (size + mu), size);
}

/* acc <- acc * pmf(NB2(mu, size)), both on 0..K-1. */
static inline void convolve_nb2(double *acc, double mu, double size, int K)
{
    double *p = xmalloc(K * sizeof *p), *out = xcalloc(K, sizeof *out);
    nb2_pmf(mu, size, K, p);
    for (int i = 0; i < K; i++)
        if (acc[i] > 0)
            for (int j = 0; i + j < K; j++)
                out[i + j] += acc[i] * p[j];
    for (int i = 0; i < K; i++)
        acc[i] = out[i];
    free(p);
    free(out);
}

/* Smallest k with cdf >= q. */
static inline int pmf_quantile(const double *p, int K, double q)
{
    double c = 0;
    for (int k = 0; k < K; k++)
        if ((c += p[k]) >= q)
            return k;
    return K - 1;
}

/* Pearson chi-square p-value of integer samples y[0..n) against pmf p on 0..K-1 (the last bin
 * takes everything >= K-1), bins pooled from the right until each expects at least 20. */
static inline double chisq_pvalue(const double *y, long n, const double *p, int K)
{
    double *obs = xcalloc(K, sizeof *obs);
    for (long i = 0; i < n; i++)
        obs[y[i] < K - 1 ? (int)y[i] : K - 1] += 1;
    double stat = 0, e = 0, o = 0, tail = 1;
    int bins = 0;
    for (int k = 0; k < K; k++) {
        double pk = k == K - 1 ? tail : p[k];
        tail -= p[k];
        e += n * pk;
        o += obs[k];
        if (e >= 20 && n * tail >= 20) {
            stat += (o - e) * (o - e) / e;
            bins++;
            e = o = 0;
        }
    }
    if (e > 0) {
        stat += (o - e) * (o - e) / e;
        bins++;
    }
    free(obs);
    return gsl_cdf_chisq_Q(stat, bins - 1);
}

#endif
