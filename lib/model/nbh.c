#include "model/nbh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

void cr_nbh_data_from_rows(cr_nbh_data *d, size_t nrows, const int *machine, const int *minute,
                           const int *y)
{
    memset(d, 0, sizeof *d);
    cr_cells_from_rows(&d->cells, nrows, machine, minute, y);
}

void cr_nbh_data_from_cps(cr_nbh_data *d, const cr_cps_table *t, int series)
{
    cr_nbh_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_nbh_data_free(cr_nbh_data *d)
{
    cr_cells_free(&d->cells);
}

int cr_nbh_prefer_centred(const cr_nbh_data *d)
{
    return cr_effects_choose(&d->cells, cr_nb2_prefer_centred(&d->cells), 0);
}

double cr_nbh_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_nbh_data *d = m->data;
    const cr_cells *c = &d->cells;
    const int K = c->nmachines, C = c->ncells;
    const double lsm = theta[CR_NBH_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lsn = theta[CR_NBH_LOG_SIGMA_MINUTE], sn = exp(lsn);
    const double lisp = theta[CR_NBH_LOG_INV_SQRT_PHI], isp = exp(lisp);
    const double logphi = -2 * lisp, phi = exp(logphi);
    if (!isfinite(phi) || !(phi > 0) || !isfinite(sm) || !isfinite(sn) || !(sm > 0) || !(sn > 0))
        return -INFINITY;
    double *own = scratch ? NULL : xmalloc(m->scratch_size);
    double *eta = scratch ? scratch : own, *g = grad ? grad + CR_NBH_NFIXED + K : NULL, dphi = 0;
    cr_effects x = {theta[CR_NBH_ALPHA], sm, sn, theta + CR_NBH_NFIXED,
                    theta + CR_NBH_NFIXED + K, d->centred, 0, eta + C};

    double lp = cr_effects_eta(c, &x, eta);
    /* priors of alpha and the three scales, with the log-scale Jacobians */
    lp += -x.alpha * x.alpha / 18 - 0.5 * (sm * sm + sn * sn + isp * isp) + lsm + lsn + lisp;
    cr_nb2_cells(c, eta, logphi, &lp, g, &dphi);
    cr_nb2_histogram(c, phi, &lp, &dphi);
    if (grad) {
        grad[CR_NBH_ALPHA] = -x.alpha / 9;
        grad[CR_NBH_LOG_SIGMA_MACHINE] = 1 - sm * sm;
        grad[CR_NBH_LOG_SIGMA_MINUTE] = 1 - sn * sn;
        /* phi = isp^-2, so d phi / d log isp = -2 phi */
        grad[CR_NBH_LOG_INV_SQRT_PHI] = -2 * dphi - isp * isp + 1;
        memset(grad + CR_NBH_NFIXED, 0, (size_t)K * sizeof(double));
        cr_effects_grad(c, &x, g, grad + CR_NBH_NFIXED, grad);
    }
    free(own);
    return lp;
}

static void nbh_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[] = {"alpha", "sigma_machine", "sigma_minute", "phi"};
    const cr_cells *c = &((const cr_nbh_data *)m->data)->cells;
    if (i < CR_NBH_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else if (i < CR_NBH_NFIXED + c->nmachines)
        snprintf(buf, n, "z_machine[%d]", i - CR_NBH_NFIXED + 1);
    else {
        int k = i - CR_NBH_NFIXED - c->nmachines;
        snprintf(buf, n, "z_minute[%d,%d]", c->cell_machine[k] + 1, c->cell_minute[k]);
    }
}

static void nbh_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_nbh_data *d = m->data;
    const int K = d->cells.nmachines;
    out[CR_NBH_LOG_SIGMA_MACHINE] = exp(theta[CR_NBH_LOG_SIGMA_MACHINE]);
    out[CR_NBH_LOG_SIGMA_MINUTE] = exp(theta[CR_NBH_LOG_SIGMA_MINUTE]);
    out[CR_NBH_LOG_INV_SQRT_PHI] = exp(-2 * theta[CR_NBH_LOG_INV_SQRT_PHI]);
    const cr_effects x = {theta[CR_NBH_ALPHA], out[CR_NBH_LOG_SIGMA_MACHINE],
                          out[CR_NBH_LOG_SIGMA_MINUTE], theta + CR_NBH_NFIXED,
                          theta + CR_NBH_NFIXED + K, d->centred, 0, NULL};
    cr_effects_standardize(&d->cells, &x, &out[CR_NBH_ALPHA], out + CR_NBH_NFIXED,
                           out + CR_NBH_NFIXED + K);
}

void cr_nbh_model(cr_model *m, const cr_nbh_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_NBH_NFIXED + d->cells.nmachines + d->cells.ncells;
    m->logp = cr_nbh_logp;
    /* eta per cell, then the machine levels */
    m->scratch_size = (size_t)(d->cells.ncells + d->cells.nmachines + 1) * sizeof(double);
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
    cr_nb2_sampler ns;
    cr_nb2_sampler_init(&ns);
    for (size_t i = 0; i < nrows; i++) {
        if (i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1])
            zc++;
        double eta = v[CR_NBH_ALPHA] + v[CR_NBH_LOG_SIGMA_MACHINE] * zk[machine[i] - 1] +
                     v[CR_NBH_LOG_SIGMA_MINUTE] * *zc;
        y[i] = cr_nb2_draw(&ns, eta, v[CR_NBH_LOG_INV_SQRT_PHI], r);
    }
}

void cr_nbh_law(const cr_nbh_data *d, const double *v, int machine, int minute,
                cr_count_law *out)
{
    const double *zk = v + CR_NBH_NFIXED;
    *out = cr_count_law_nb2(cr_effects_eta_at(&d->cells, v[CR_NBH_ALPHA],
                                              v[CR_NBH_LOG_SIGMA_MACHINE],
                                              v[CR_NBH_LOG_SIGMA_MINUTE], zk,
                                              zk + d->cells.nmachines, machine, minute),
                            v[CR_NBH_LOG_INV_SQRT_PHI]);
}

double cr_nbh_loglik(const cr_nbh_data *d, const double *v, int machine, int minute, int y)
{
    const double *zk = v + CR_NBH_NFIXED;
    double eta = cr_effects_eta_at(&d->cells, v[CR_NBH_ALPHA], v[CR_NBH_LOG_SIGMA_MACHINE],
                                   v[CR_NBH_LOG_SIGMA_MINUTE], zk, zk + d->cells.nmachines,
                                   machine, minute);
    return cr_nb2_lpmf(y, eta, v[CR_NBH_LOG_INV_SQRT_PHI]);
}
