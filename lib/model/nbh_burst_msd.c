#include "model/nbh_burst_msd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "model/effects.h"

/* Priors of the minute spreads: mu_s ~ normal(MU_S_M, MU_S_S), tau_s ~ half-normal(0, TAU_S). */
#define MU_S_M -0.5
#define MU_S_S 1.0
#define TAU_S 0.5

void cr_nbh_burst_msd_data_from_rows(cr_nbh_burst_msd_data *d, size_t nrows, const int *machine,
                                     const int *minute, const int *y)
{
    cr_nbh_burst_data_from_rows(d, nrows, machine, minute, y);
}

void cr_nbh_burst_msd_data_free(cr_nbh_burst_msd_data *d)
{
    cr_nbh_burst_data_free(d);
}

int cr_nbh_burst_msd_prefer_centred(const cr_nbh_burst_msd_data *d)
{
    (void)d;
    return CR_EFFECTS_NONCENTRED;
}

int cr_nbh_burst_msd_tail_index(const cr_nbh_burst_msd_data *d)
{
    return CR_MSD_NFIXED + d->nbh.cells.nmachines + d->nbh.cells.ncells;
}

/* Scratch: eta and d lp / d eta per cell, sigma_minute per machine, then the mixture's. */
static size_t scratch_doubles(const cr_nbh_burst_msd_data *d)
{
    return 2 * (size_t)d->nbh.cells.ncells + (size_t)d->nbh.cells.nmachines +
           cr_nbh_burst_mix_scratch(d);
}

double cr_nbh_burst_msd_logp(const cr_model *m, const double *theta, double *grad,
                             void *scratch)
{
    const cr_nbh_burst_msd_data *d = m->data;
    const cr_cells *c = &d->nbh.cells;
    const int K = c->nmachines, C = c->ncells, at = cr_nbh_burst_msd_tail_index(d);
    const double alpha = theta[CR_MSD_ALPHA], mus = theta[CR_MSD_MU_S];
    const double lsm = theta[CR_MSD_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double ltau = theta[CR_MSD_LOG_TAU_S], tau = exp(ltau);
    const double lisp = theta[CR_MSD_LOG_INV_SQRT_PHI], isp = exp(lisp);
    const double *zk = theta + CR_MSD_NFIXED, *zc = zk + K, *zs = theta + at + CR_BURST_NTAIL;
    if (!isfinite(sm) || !isfinite(tau) || !isfinite(isp) || !(sm > 0) || !(tau > 0))
        return -INFINITY;
    double *own = scratch ? NULL : xmalloc(m->scratch_size);
    double *eta = scratch ? scratch : own, *geta = eta + C, *sn = geta + C, *mix = sn + K;

    double lp = -alpha * alpha / 18 - 0.5 * sm * sm + lsm - 0.5 * isp * isp + lisp;
    lp += -0.5 * (mus - MU_S_M) * (mus - MU_S_M) / (MU_S_S * MU_S_S);
    lp += -0.5 * tau * tau / (TAU_S * TAU_S) + ltau;
    for (int k = 0; k < K; k++) {
        sn[k] = exp(mus + tau * zs[k]);
        lp += -0.5 * (zk[k] * zk[k] + zs[k] * zs[k]);
    }
    for (int i = 0; i < C; i++) {
        const int k = c->cell_machine[i];
        eta[i] = alpha + sm * zk[k] + sn[k] * (zc[i] - sn[k] / 2);
        lp += -0.5 * zc[i] * zc[i];
    }
    double gpar[1 + CR_BURST_NTAIL];
    lp += cr_nbh_burst_mix(d, eta, lisp, theta + at, grad ? geta : NULL, gpar, mix);
    if (grad && isfinite(lp)) {
        /* h[k] = d lp / d log sigma_minute[k], accumulated in the gradient of z_s[k];
         * d eta / d log sigma_minute = sigma_minute (z_minute - sigma_minute) */
        double *gk = grad + CR_MSD_NFIXED, *gc = gk + K, *gs = grad + at + CR_BURST_NTAIL;
        double ga = -alpha / 9, gsm = 0;
        for (int k = 0; k < K; k++)
            gk[k] = gs[k] = 0;
        for (int i = 0; i < C; i++) {
            const int k = c->cell_machine[i];
            ga += geta[i];
            gsm += geta[i] * zk[k];
            gk[k] += geta[i];
            gs[k] += geta[i] * sn[k] * (zc[i] - sn[k]);
            gc[i] = geta[i] * sn[k] - zc[i];
        }
        double gmu = -(mus - MU_S_M) / (MU_S_S * MU_S_S), gtau = 0;
        for (int k = 0; k < K; k++) {
            gmu += gs[k];
            gtau += gs[k] * zs[k];
            gk[k] = sm * gk[k] - zk[k];
            gs[k] = tau * gs[k] - zs[k];
        }
        grad[CR_MSD_ALPHA] = ga;
        grad[CR_MSD_LOG_SIGMA_MACHINE] = sm * gsm - sm * sm + 1;
        grad[CR_MSD_MU_S] = gmu;
        grad[CR_MSD_LOG_TAU_S] = tau * gtau - tau * tau / (TAU_S * TAU_S) + 1;
        grad[CR_MSD_LOG_INV_SQRT_PHI] = gpar[0] - isp * isp + 1;
        memcpy(grad + at, gpar + 1, CR_BURST_NTAIL * sizeof(double));
    }
    free(own);
    return isfinite(lp) ? lp : -INFINITY;
}

static void msd_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[CR_MSD_NFIXED] = {"alpha", "sigma_machine", "mu_s", "tau_s",
                                                     "phi"};
    static const char *const tail[CR_BURST_NTAIL] = {"w", "lambda_b", "phi_b"};
    const cr_cells *c = &((const cr_nbh_burst_msd_data *)m->data)->nbh.cells;
    const int K = c->nmachines, at = CR_MSD_NFIXED + K + c->ncells;
    if (i < CR_MSD_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else if (i < CR_MSD_NFIXED + K)
        snprintf(buf, n, "z_machine[%d]", i - CR_MSD_NFIXED + 1);
    else if (i < at)
        snprintf(buf, n, "z_minute[%d,%d]", c->cell_machine[i - CR_MSD_NFIXED - K] + 1,
                 c->cell_minute[i - CR_MSD_NFIXED - K]);
    else if (i < at + CR_BURST_NTAIL)
        snprintf(buf, n, "%s", tail[i - at]);
    else
        snprintf(buf, n, "z_s[%d]", i - at - CR_BURST_NTAIL + 1);
}

static void msd_constrain(const cr_model *m, const double *theta, double *out)
{
    const int at = cr_nbh_burst_msd_tail_index(m->data);
    memcpy(out, theta, (size_t)m->dim * sizeof(double));
    out[CR_MSD_LOG_SIGMA_MACHINE] = exp(theta[CR_MSD_LOG_SIGMA_MACHINE]);
    out[CR_MSD_LOG_TAU_S] = exp(theta[CR_MSD_LOG_TAU_S]);
    out[CR_MSD_LOG_INV_SQRT_PHI] = exp(-2 * theta[CR_MSD_LOG_INV_SQRT_PHI]);
    cr_nbh_burst_tail_values(theta + at, theta[CR_MSD_LOG_INV_SQRT_PHI], out + at);
}

void cr_nbh_burst_msd_model(cr_model *m, const cr_nbh_burst_msd_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = cr_nbh_burst_msd_tail_index(d) + CR_BURST_NTAIL + d->nbh.cells.nmachines;
    m->logp = cr_nbh_burst_msd_logp;
    m->scratch_size = scratch_doubles(d) * sizeof(double);
    m->nout = m->dim;
    m->name = msd_name;
    m->constrain = msd_constrain;
    m->data = (void *)d;
}

/* The base component's log mean in (machine, minute) at outputs v; NaN when there is no such
 * cell. */
static double eta_at(const cr_nbh_burst_msd_data *d, const double *v, int machine, int minute)
{
    const cr_cells *c = &d->nbh.cells;
    const int K = c->nmachines, at = cr_nbh_burst_msd_tail_index(d);
    if (machine < 1 || machine > K)
        return NAN;
    const double *zk = v + CR_MSD_NFIXED, *zs = v + at + CR_BURST_NTAIL;
    const double sn = exp(v[CR_MSD_MU_S] + v[CR_MSD_LOG_TAU_S] * zs[machine - 1]);
    return cr_effects_eta_at(c, v[CR_MSD_ALPHA], v[CR_MSD_LOG_SIGMA_MACHINE], sn, zk, zk + K,
                             machine, minute) - sn * sn / 2;
}

double cr_nbh_burst_msd_loglik(const cr_nbh_burst_msd_data *d, const double *v, int machine,
                               int minute, int y)
{
    const double eta = eta_at(d, v, machine, minute);
    if (isnan(eta))
        return NAN;
    return cr_nbh_burst_mixture_lpmf(y, eta, v[CR_MSD_LOG_INV_SQRT_PHI],
                                     v + cr_nbh_burst_msd_tail_index(d));
}

void cr_nbh_burst_msd_law(const cr_nbh_burst_msd_data *d, const double *v, int machine,
                          int minute, cr_count_law *out)
{
    *out = cr_nbh_burst_law_at(eta_at(d, v, machine, minute), v[CR_MSD_LOG_INV_SQRT_PHI],
                               v + cr_nbh_burst_msd_tail_index(d));
}

void cr_nbh_burst_msd_simulate(size_t nrows, const int *machine, const int *minute,
                               const double *v, gsl_rng *r, int *y)
{
    int K = 0, C = 0;
    for (size_t i = 0; i < nrows; i++) {
        K = machine[i] > K ? machine[i] : K;
        C += i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1];
    }
    const double *zk = v + CR_MSD_NFIXED, *zc = zk + K, *tail = zc + C;
    const double *zs = tail + CR_BURST_NTAIL;
    double *eta = xmalloc(((size_t)C + 1) * sizeof *eta);
    for (size_t i = 0, c = 0; i < nrows; i++)
        if (i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1]) {
            const int k = machine[i] - 1;
            const double sn = exp(v[CR_MSD_MU_S] + v[CR_MSD_LOG_TAU_S] * zs[k]);
            eta[c] = v[CR_MSD_ALPHA] + v[CR_MSD_LOG_SIGMA_MACHINE] * zk[k] +
                     sn * (zc[c] - sn / 2);
            c++;
        }
    cr_nbh_burst_draw_rows(nrows, machine, minute, eta, v[CR_MSD_LOG_INV_SQRT_PHI], tail, r, y);
    free(eta);
}
