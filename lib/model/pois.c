#include "model/pois.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

void cr_pois_data_from_rows(cr_pois_data *d, size_t nrows, const int *machine, const int *minute,
                            const int *y)
{
    memset(d, 0, sizeof *d);
    cr_cells_from_rows(&d->cells, nrows, machine, minute, y);
}

void cr_pois_data_from_cps(cr_pois_data *d, const cr_cps_table *t, int series)
{
    cr_pois_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_pois_data_free(cr_pois_data *d)
{
    cr_cells_free(&d->cells);
}

int cr_pois_prefer_centred(const cr_pois_data *d)
{
    const cr_cells *c = &d->cells;
    double *info = xmalloc((size_t)(c->ncells + 1) * sizeof(double));
    memcpy(info, c->cell_y, (size_t)c->ncells * sizeof(double));
    int coords = cr_effects_choose(c, cr_effects_prefer_centred(info, c->ncells), 1);
    free(info);
    return coords;
}

double cr_pois_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_pois_data *d = m->data;
    const cr_cells *c = &d->cells;
    const int K = c->nmachines, C = c->ncells;
    const double lsm = theta[CR_POIS_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lsn = theta[CR_POIS_LOG_SIGMA_MINUTE], sn = exp(lsn);
    if (!isfinite(sm) || !isfinite(sn) || !(sm > 0) || !(sn > 0))
        return -INFINITY;
    double *own = scratch ? NULL : xmalloc(m->scratch_size);
    double *eta = scratch ? scratch : own;
    cr_effects x = {theta[CR_POIS_ALPHA], sm, sn, theta + CR_POIS_NFIXED,
                    theta + CR_POIS_NFIXED + K, d->centred, 0, eta + C};

    double lp = cr_effects_eta(c, &x, eta);
    /* priors of alpha and the two scales, with the log-scale Jacobians */
    lp += -x.alpha * x.alpha / 18 - 0.5 * (sm * sm + sn * sn) + lsm + lsn;
    /* per cell: sum over seconds of y eta - exp(eta), lgamma(y + 1) dropped */
    double *g = grad ? grad + CR_POIS_NFIXED + K : NULL;
    for (int i = 0; i < C; i++) {
        double nmu = c->cell_n[i] * exp(eta[i]);
        lp += c->cell_y[i] * eta[i] - nmu;
        if (g)
            g[i] = c->cell_y[i] - nmu;
    }
    if (grad) {
        grad[CR_POIS_ALPHA] = -x.alpha / 9;
        grad[CR_POIS_LOG_SIGMA_MACHINE] = 1 - sm * sm;
        grad[CR_POIS_LOG_SIGMA_MINUTE] = 1 - sn * sn;
        memset(grad + CR_POIS_NFIXED, 0, (size_t)K * sizeof(double));
        cr_effects_grad(c, &x, g, grad + CR_POIS_NFIXED, grad);
    }
    free(own);
    return lp;
}

static void pois_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[] = {"alpha", "sigma_machine", "sigma_minute"};
    const cr_cells *c = &((const cr_pois_data *)m->data)->cells;
    if (i < CR_POIS_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else if (i < CR_POIS_NFIXED + c->nmachines)
        snprintf(buf, n, "z_machine[%d]", i - CR_POIS_NFIXED + 1);
    else {
        int k = i - CR_POIS_NFIXED - c->nmachines;
        snprintf(buf, n, "z_minute[%d,%d]", c->cell_machine[k] + 1, c->cell_minute[k]);
    }
}

static void pois_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_pois_data *d = m->data;
    const int K = d->cells.nmachines;
    out[CR_POIS_LOG_SIGMA_MACHINE] = exp(theta[CR_POIS_LOG_SIGMA_MACHINE]);
    out[CR_POIS_LOG_SIGMA_MINUTE] = exp(theta[CR_POIS_LOG_SIGMA_MINUTE]);
    const cr_effects x = {theta[CR_POIS_ALPHA], out[CR_POIS_LOG_SIGMA_MACHINE],
                          out[CR_POIS_LOG_SIGMA_MINUTE], theta + CR_POIS_NFIXED,
                          theta + CR_POIS_NFIXED + K, d->centred, 0, NULL};
    cr_effects_standardize(&d->cells, &x, &out[CR_POIS_ALPHA], out + CR_POIS_NFIXED,
                           out + CR_POIS_NFIXED + K);
}

void cr_pois_model(cr_model *m, const cr_pois_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_POIS_NFIXED + d->cells.nmachines + d->cells.ncells;
    m->logp = cr_pois_logp;
    /* eta per cell, then the machine levels */
    m->scratch_size = (size_t)(d->cells.ncells + d->cells.nmachines + 1) * sizeof(double);
    m->nout = m->dim;
    m->name = pois_name;
    m->constrain = pois_constrain;
    m->data = (void *)d;
}

void cr_pois_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                      gsl_rng *r, int *y)
{
    int K = 0;
    for (size_t i = 0; i < nrows; i++)
        K = machine[i] > K ? machine[i] : K;
    const double *zk = v + CR_POIS_NFIXED, *zc = zk + K - 1;
    cr_nb2_sampler ns;
    cr_nb2_sampler_init(&ns);
    for (size_t i = 0; i < nrows; i++) {
        if (i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1])
            zc++;
        double eta = v[CR_POIS_ALPHA] + v[CR_POIS_LOG_SIGMA_MACHINE] * zk[machine[i] - 1] +
                     v[CR_POIS_LOG_SIGMA_MINUTE] * *zc;
        y[i] = cr_nb2_draw(&ns, eta, INFINITY, r);
    }
}

void cr_pois_law(const cr_pois_data *d, const double *v, int machine, int minute,
                 cr_count_law *out)
{
    const double *zk = v + CR_POIS_NFIXED;
    *out = cr_count_law_nb2(cr_effects_eta_at(&d->cells, v[CR_POIS_ALPHA],
                                              v[CR_POIS_LOG_SIGMA_MACHINE],
                                              v[CR_POIS_LOG_SIGMA_MINUTE], zk,
                                              zk + d->cells.nmachines, machine, minute),
                            INFINITY);
}

double cr_pois_loglik(const cr_pois_data *d, const double *v, int machine, int minute, int y)
{
    const double *zk = v + CR_POIS_NFIXED;
    double eta = cr_effects_eta_at(&d->cells, v[CR_POIS_ALPHA], v[CR_POIS_LOG_SIGMA_MACHINE],
                                   v[CR_POIS_LOG_SIGMA_MINUTE], zk, zk + d->cells.nmachines,
                                   machine, minute);
    return y * eta - exp(eta) - gsl_sf_lnfact((unsigned)y);
}
