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

/* Adds the likelihood of every cell at log rates eta[c] to *lp; with g != NULL writes its
 * derivative in eta[c] into g[c] and adds phi times its derivative in phi to *dphi. Per cell
 * (n seconds, total Y) it is Y (eta - lse) + n phi (log phi - lse), lse = log(mu + phi), taken
 * from the sign-split softplus so that neither tail overflows. */
static void cell_terms(const cr_nbh_data *d, const double *eta, double logphi, double *lp,
                       double *g, double *dphi)
{
    const double phi = exp(logphi);
    double v = 0, gp = 0;
    for (int c = 0; c < d->ncells; c++) {
        const double n = d->cell_n[c], Y = d->cell_y[c], dd = eta[c] - logphi;
        double lse_eta, lse_phi, q, phi_p, f; /* q = 1 - p, p = mu / (mu + phi) */
        if (dd < 0) {
            double x = exp(dd);
            lse_phi = log1p(x);
            lse_eta = lse_phi - dd;
            q = 1 / (1 + x);
            phi_p = phi * x * q; /* mu q */
            f = p_minus_log1p(x);
        } else {
            double u = exp(-dd);
            lse_eta = log1p(u);
            lse_phi = dd + lse_eta;
            q = u / (1 + u);
            phi_p = phi / (1 + u);
            f = 1 / (1 + u) - lse_phi;
        }
        v -= Y * lse_eta + n * phi * lse_phi;
        if (g) {
            g[c] = Y * q - n * phi_p;
            gp += -Y * q + n * phi * f;
        }
    }
    *lp += v;
    *dphi += gp;
}

double cr_nbh_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_nbh_data *d = m->data;
    const int K = d->nmachines, C = d->ncells, centred = d->centred;
    const double alpha = theta[CR_NBH_ALPHA];
    const double lsm = theta[CR_NBH_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lsn = theta[CR_NBH_LOG_SIGMA_MINUTE], sn = exp(lsn);
    const double lisp = theta[CR_NBH_LOG_INV_SQRT_PHI], isp = exp(lisp);
    const double logphi = -2 * lisp;
    const double *zk = theta + CR_NBH_NFIXED, *zc = zk + K;
    double *own = scratch ? NULL : xmalloc((size_t)(C ? C : 1) * sizeof(double));
    if (!isfinite(exp(logphi)) || !(exp(logphi) > 0) || !isfinite(sm) || !isfinite(sn) ||
        !(sm > 0) || !(sn > 0)) {
        free(own);
        return -INFINITY;
    }

    /* priors of alpha and the three scales, with the log-scale Jacobians */
    double lp = -alpha * alpha / 18 - 0.5 * (sm * sm + sn * sn + isp * isp) + lsm + lsn + lisp;
    double *eta = scratch ? scratch : own, *g = grad ? grad + CR_NBH_NFIXED + K : NULL, dphi = 0;
    double sk = 0, sc = 0; /* sums of squared standardized effects */
    if (!centred) {
        for (int k = 0; k < K; k++)
            sk += zk[k] * zk[k];
        for (int c = 0; c < C; c++) {
            eta[c] = alpha + sm * zk[d->cell_machine[c]] + sn * zc[c];
            sc += zc[c] * zc[c];
        }
        lp -= 0.5 * (sk + sc);
    } else {
        /* theta holds v[k] = alpha + sigma_machine z_machine[k] and u[c] = eta[c]: the same
         * density with the Jacobians 1 / sigma_machine per machine, 1 / sigma_minute per cell */
        for (int k = 0; k < K; k++)
            sk += (zk[k] - alpha) * (zk[k] - alpha);
        for (int c = 0; c < C; c++) {
            double r = zc[c] - zk[d->cell_machine[c]];
            eta[c] = zc[c];
            sc += r * r;
        }
        lp -= 0.5 * (sk / (sm * sm) + sc / (sn * sn)) + K * lsm + C * lsn;
    }
    cell_terms(d, eta, logphi, &lp, g, &dphi);
    histogram_terms(d, exp(logphi), &lp, &dphi);
    free(own);
    if (!grad)
        return lp;

    /* g[c] holds d lp / d eta[c]; chain it back to theta */
    double *gk = grad + CR_NBH_NFIXED, ga = -alpha / 9, gsm = 0, gsn = 0;
    memset(gk, 0, (size_t)K * sizeof(double));
    if (!centred) {
        for (int c = 0; c < C; c++) {
            ga += g[c];
            gsn += g[c] * zc[c];
            gk[d->cell_machine[c]] += g[c];
            g[c] = sn * g[c] - zc[c];
        }
        for (int k = 0; k < K; k++) {
            gsm += gk[k] * zk[k];
            gk[k] = sm * gk[k] - zk[k];
        }
        gsm *= sm;
        gsn *= sn;
    } else {
        const double pk = 1 / (sm * sm), pc = 1 / (sn * sn);
        for (int c = 0; c < C; c++) {
            double r = (zc[c] - zk[d->cell_machine[c]]) * pc;
            g[c] -= r;
            gk[d->cell_machine[c]] += r;
        }
        for (int k = 0; k < K; k++) {
            double r = (zk[k] - alpha) * pk;
            gk[k] -= r;
            ga += r;
        }
        gsm = sk * pk - K;
        gsn = sc * pc - C;
    }
    grad[CR_NBH_ALPHA] = ga;
    grad[CR_NBH_LOG_SIGMA_MACHINE] = gsm - sm * sm + 1;
    grad[CR_NBH_LOG_SIGMA_MINUTE] = gsn - sn * sn + 1;
    /* phi = isp^-2, so d phi / d log isp = -2 phi */
    grad[CR_NBH_LOG_INV_SQRT_PHI] = -2 * dphi - isp * isp + 1;
    return lp;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cr_nbh_prefer_centred(const cr_nbh_data *d)
{
    if (d->ncells == 0 || d->nseconds == 0)
        return 0;
    double m = (double)d->total / (double)d->nseconds, m2 = 0;
    for (int i = 0; i < d->ndistinct; i++)
        m2 += d->hist_n[i] * d->hist_y[i] * d->hist_y[i];
    double var = m2 / (double)d->nseconds - m * m;
    double phi = var > m ? m * m / (var - m) : INFINITY;
    double *info = xmalloc((size_t)d->ncells * sizeof(double));
    for (int c = 0; c < d->ncells; c++) {
        double mc = d->cell_y[c] / d->cell_n[c];
        info[c] = isinf(phi) ? d->cell_y[c] : d->cell_n[c] * mc * phi / (mc + phi);
    }
    qsort(info, (size_t)d->ncells, sizeof(double), cmp_double);
    int centred = info[d->ncells / 2] > 4;
    free(info);
    return centred;
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
    const cr_nbh_data *d = m->data;
    if (!d->centred)
        return;
    const double *v = theta + CR_NBH_NFIXED, *u = v + d->nmachines;
    double *zk = out + CR_NBH_NFIXED, *zc = zk + d->nmachines;
    for (int k = 0; k < d->nmachines; k++)
        zk[k] = (v[k] - theta[CR_NBH_ALPHA]) / out[CR_NBH_LOG_SIGMA_MACHINE];
    for (int c = 0; c < d->ncells; c++)
        zc[c] = (u[c] - v[d->cell_machine[c]]) / out[CR_NBH_LOG_SIGMA_MINUTE];
}

void cr_nbh_model(cr_model *m, const cr_nbh_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_NBH_NFIXED + d->nmachines + d->ncells;
    m->logp = cr_nbh_logp;
    m->scratch_size = (size_t)(d->ncells ? d->ncells : 1) * sizeof(double);
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
