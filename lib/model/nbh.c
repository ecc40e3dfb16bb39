#include "model/nbh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "common/xalloc.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void cr_nbh_data_from_rows(cr_nbh_data *d, size_t nrows, const int *machine, const int *minute,
                           const int *y)
{
    memset(d, 0, sizeof *d);
    size_t cap = 0;
    for (size_t r = 0; r < nrows; r++) {
        int c = d->ncells - 1;
        if (r == 0 || machine[r] != machine[r - 1] || minute[r] != minute[r - 1]) {
            c = d->ncells++;
            if ((size_t)c >= cap) {
                cap = cap ? 2 * cap : 256;
                d->cell_machine = xrealloc(d->cell_machine, cap * sizeof(int));
                d->cell_minute = xrealloc(d->cell_minute, cap * sizeof(int));
                d->cell_n = xrealloc(d->cell_n, cap * sizeof(double));
                d->cell_y = xrealloc(d->cell_y, cap * sizeof(double));
            }
            d->cell_machine[c] = machine[r] - 1;
            d->cell_minute[c] = minute[r];
            d->cell_n[c] = d->cell_y[c] = 0;
            if (machine[r] > d->nmachines)
                d->nmachines = machine[r];
        }
        d->cell_n[c] += 1;
        d->cell_y[c] += y[r];
        d->total += y[r];
    }
    d->nseconds = (long)nrows;

    int *pos = xmalloc((nrows + 1) * sizeof(int));
    size_t np = 0;
    for (size_t r = 0; r < nrows; r++)
        if (y[r] > 0)
            pos[np++] = y[r];
    qsort(pos, np, sizeof(int), cmp_int);
    d->hist_y = xmalloc((np + 1) * sizeof(double));
    d->hist_n = xmalloc((np + 1) * sizeof(double));
    for (size_t i = 0; i < np; i++) {
        if (i == 0 || pos[i] != pos[i - 1]) {
            d->hist_y[d->ndistinct] = pos[i];
            d->hist_n[d->ndistinct++] = 0;
        }
        d->hist_n[d->ndistinct - 1] += 1;
    }
    free(pos);
}

void cr_nbh_data_from_cps(cr_nbh_data *d, const cr_cps_table *t, int series)
{
    cr_nbh_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_nbh_data_free(cr_nbh_data *d)
{
    free(d->cell_machine);
    free(d->cell_minute);
    free(d->cell_n);
    free(d->cell_y);
    free(d->hist_y);
    free(d->hist_n);
    memset(d, 0, sizeof *d);
}

/* Above this phi, lgamma(phi + y) - lgamma(phi) and psi(phi + y) - psi(phi) come from the
 * differenced Stirling series: differencing two huge lgamma values would lose the digits that
 * matter (the terms left out are below 1e-15 relative here). */
#define STIRLING_PHI 1e4

/* Adds sum_y n_y (lgamma(phi + y) - lgamma(phi)) to *lp and sum_y n_y phi (psi(phi + y) -
 * psi(phi)) to *dphi (the derivative times phi, which is what the log-scale gradient needs). */
static void histogram_terms(const cr_nbh_data *d, double phi, double *lp, double *dphi)
{
    double v = 0, g = 0;
    if (phi >= STIRLING_PHI) {
        for (int i = 0; i < d->ndistinct; i++) {
            double y = d->hist_y[i], n = d->hist_n[i], a = phi, r = y / a;
            v += n * ((a - 0.5) * log1p(r) + y * log(a + y) - y - y / (12 * a * (a + y)));
            g += n * a * (log1p(r) + y / (2 * a * (a + y)) +
                          y * (2 * a + y) / (12 * a * a * (a + y) * (a + y)));
        }
    } else {
        double lg0 = gsl_sf_lngamma(phi), psi0 = gsl_sf_psi(phi), nsum = 0;
        for (int i = 0; i < d->ndistinct; i++) {
            double y = d->hist_y[i], n = d->hist_n[i];
            v += n * gsl_sf_lngamma(phi + y);
            g += n * gsl_sf_psi(phi + y);
            nsum += n;
        }
        v -= nsum * lg0;
        g = phi * (g - nsum * psi0);
    }
    *lp += v;
    *dphi += g;
}

/* x/(1+x) - log1p(x), by its series where the two terms nearly cancel. */
static double p_minus_log1p(double x)
{
    if (x < 1e-3)
        return x * x * (-0.5 + x * (2.0 / 3 + x * (-0.75 + x * 0.8)));
    return x / (1 + x) - log1p(x);
}

double cr_nbh_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    (void)scratch;
    const cr_nbh_data *d = m->data;
    const int K = d->nmachines, C = d->ncells;
    const double alpha = theta[CR_NBH_ALPHA];
    const double sm = exp(theta[CR_NBH_LOG_SIGMA_MACHINE]);
    const double sn = exp(theta[CR_NBH_LOG_SIGMA_MINUTE]);
    const double isp = exp(theta[CR_NBH_LOG_INV_SQRT_PHI]);
    const double logphi = -2 * theta[CR_NBH_LOG_INV_SQRT_PHI], phi = exp(logphi);
    const double *zk = theta + CR_NBH_NFIXED, *zc = zk + K;
    if (!isfinite(phi) || !(phi > 0) || !isfinite(sm) || !isfinite(sn))
        return -INFINITY;

    double lp = -alpha * alpha / 18 - 0.5 * (sm * sm + sn * sn + isp * isp) +
                theta[CR_NBH_LOG_SIGMA_MACHINE] + theta[CR_NBH_LOG_SIGMA_MINUTE] +
                theta[CR_NBH_LOG_INV_SQRT_PHI];
    for (int i = 0; i < K + C; i++)
        lp -= 0.5 * zk[i] * zk[i];

    /* Per cell (n seconds, total Y): Y (eta - lse) + n phi (log phi - lse) with
     * lse = log(mu + phi), from the sign-split softplus so neither tail overflows. */
    double g_alpha = 0, g_sn = 0, g_phi = 0;
    double *gk = grad ? grad + CR_NBH_NFIXED : NULL, *gc = gk ? gk + K : NULL;
    if (gk)
        memset(gk, 0, (size_t)K * sizeof(double));
    for (int c = 0; c < C; c++) {
        const double n = d->cell_n[c], Y = d->cell_y[c];
        const double eta = alpha + sm * zk[d->cell_machine[c]] + sn * zc[c];
        const double dd = eta - logphi;
        double lse_eta, lse_phi, q, phi_p, f; /* q = 1 - p, p = mu / (mu + phi) */
        if (dd < 0) {
            double x = exp(dd);
            lse_phi = log1p(x);
            lse_eta = lse_phi - dd;
            q = 1 / (1 + x);
            phi_p = exp(eta) * q;
            f = p_minus_log1p(x);
        } else {
            double u = exp(-dd);
            lse_eta = log1p(u);
            lse_phi = dd + lse_eta;
            q = u / (1 + u);
            phi_p = phi / (1 + u);
            f = 1 / (1 + u) - lse_phi;
        }
        lp -= Y * lse_eta + n * phi * lse_phi;
        if (!grad)
            continue;
        const double g = Y * q - n * phi_p; /* d/d eta */
        g_alpha += g;
        g_sn += g * zc[c];
        gk[d->cell_machine[c]] += g;
        gc[c] = sn * g - zc[c];
        g_phi += -Y * q + n * phi * f; /* phi d/d phi */
    }
    double h_dphi = 0;
    histogram_terms(d, phi, &lp, &h_dphi);
    if (!grad)
        return lp;

    double g_sm = 0;
    for (int k = 0; k < K; k++) {
        g_sm += gk[k] * zk[k];
        gk[k] = sm * gk[k] - zk[k];
    }
    grad[CR_NBH_ALPHA] = g_alpha - alpha / 9;
    grad[CR_NBH_LOG_SIGMA_MACHINE] = sm * g_sm - sm * sm + 1;
    grad[CR_NBH_LOG_SIGMA_MINUTE] = sn * g_sn - sn * sn + 1;
    /* phi = isp^-2, so d phi / d log isp = -2 phi. */
    grad[CR_NBH_LOG_INV_SQRT_PHI] = -2 * (g_phi + h_dphi) - isp * isp + 1;
    return lp;
}

static void nbh_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[] = {"alpha", "sigma_machine", "sigma_minute", "phi"};
    const cr_nbh_data *d = m->data;
    if (i < CR_NBH_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else if (i < CR_NBH_NFIXED + d->nmachines)
        snprintf(buf, n, "z_machine[%d]", i - CR_NBH_NFIXED + 1);
    else {
        int c = i - CR_NBH_NFIXED - d->nmachines;
        snprintf(buf, n, "z_minute[%d,%d]", d->cell_machine[c] + 1, d->cell_minute[c]);
    }
}

static void nbh_constrain(const cr_model *m, const double *theta, double *out)
{
    memcpy(out, theta, (size_t)m->dim * sizeof(double));
    out[CR_NBH_LOG_SIGMA_MACHINE] = exp(theta[CR_NBH_LOG_SIGMA_MACHINE]);
    out[CR_NBH_LOG_SIGMA_MINUTE] = exp(theta[CR_NBH_LOG_SIGMA_MINUTE]);
    out[CR_NBH_LOG_INV_SQRT_PHI] = exp(-2 * theta[CR_NBH_LOG_INV_SQRT_PHI]);
}

void cr_nbh_model(cr_model *m, const cr_nbh_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_NBH_NFIXED + d->nmachines + d->ncells;
    m->logp = cr_nbh_logp;
    m->scratch_size = 0;
    m->nout = m->dim;
    m->name = nbh_name;
    m->constrain = nbh_constrain;
    m->data = (void *)d;
}

void cr_nbh_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                     gsl_rng *r, int *y)
{
    int K = 0;
    for (size_t i = 0; i < nrows; i++)
        K = machine[i] > K ? machine[i] : K;
    const double *zk = v + CR_NBH_NFIXED, *zc = zk + K - 1;
    for (size_t i = 0; i < nrows; i++) {
        if (i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1])
            zc++;
        double mu = exp(v[CR_NBH_ALPHA] + v[CR_NBH_LOG_SIGMA_MACHINE] * zk[machine[i] - 1] +
                        v[CR_NBH_LOG_SIGMA_MINUTE] * *zc);
        double phi = v[CR_NBH_LOG_INV_SQRT_PHI];
        y[i] = (int)gsl_ran_poisson(r, gsl_ran_gamma(r, phi, mu / phi));
    }
}
