#include "model/nb_machine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

void cr_nb_machine_data_from_rows(cr_nb_machine_data *d, size_t nrows, const int *machine,
                                  const int *y)
{
    memset(d, 0, sizeof *d);
    cr_cells_from_rows(&d->cells, nrows, machine, NULL, y);
}

void cr_nb_machine_data_from_cps(cr_nb_machine_data *d, const cr_cps_table *t, int series)
{
    cr_nb_machine_data_from_rows(d, t->nrows, t->machine, t->count[series]);
}

void cr_nb_machine_data_free(cr_nb_machine_data *d)
{
    cr_cells_free(&d->cells);
}

int cr_nb_machine_prefer_centred(const cr_nb_machine_data *d)
{
    return cr_effects_choose(&d->cells, cr_nb2_prefer_centred(&d->cells), 0);
}

double cr_nb_machine_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_nb_machine_data *d = m->data;
    const cr_cells *c = &d->cells;
    const int C = c->ncells;
    const double lsm = theta[CR_NB_MACHINE_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lisp = theta[CR_NB_MACHINE_LOG_INV_SQRT_PHI], isp = exp(lisp);
    const double logphi = -2 * lisp, phi = exp(logphi);
    if (!isfinite(sm) || !(sm > 0) || !isfinite(phi) || !(phi > 0))
        return -INFINITY;
    double *own = scratch ? NULL : xmalloc(m->scratch_size);
    double *eta = scratch ? scratch : own, *g = grad ? eta + C : NULL, dphi = 0;
    cr_effects x = {theta[CR_NB_MACHINE_ALPHA], sm, 0, theta + CR_NB_MACHINE_NFIXED, NULL,
                    d->centred, 0, eta + 2 * C};

    double lp = cr_effects_eta(c, &x, eta);
    /* priors of alpha, sigma_machine and inv_sqrt_phi, with the log-scale Jacobians */
    lp += -x.alpha * x.alpha / 18 - 0.5 * (sm * sm + isp * isp) + lsm + lisp;
    cr_nb2_cells(c, eta, logphi, &lp, g, &dphi);
    cr_nb2_histogram(c, phi, &lp, &dphi);
    if (grad) {
        grad[CR_NB_MACHINE_ALPHA] = -x.alpha / 9;
        grad[CR_NB_MACHINE_LOG_SIGMA_MACHINE] = 1 - sm * sm;
        /* phi = isp^-2, so d phi / d log isp = -2 phi */
        grad[CR_NB_MACHINE_LOG_INV_SQRT_PHI] = -2 * dphi - isp * isp + 1;
        memset(grad + CR_NB_MACHINE_NFIXED, 0, (size_t)c->nmachines * sizeof(double));
        cr_effects_grad(c, &x, g, grad + CR_NB_MACHINE_NFIXED, grad);
    }
    free(own);
    return lp;
}

static void nb_machine_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[] = {"alpha", "sigma_machine", "phi"};
    if (i < CR_NB_MACHINE_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else
        snprintf(buf, n, "z_machine[%d]", i - CR_NB_MACHINE_NFIXED + 1);
}

static void nb_machine_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_nb_machine_data *d = m->data;
    out[CR_NB_MACHINE_LOG_SIGMA_MACHINE] = exp(theta[CR_NB_MACHINE_LOG_SIGMA_MACHINE]);
    out[CR_NB_MACHINE_LOG_INV_SQRT_PHI] = exp(-2 * theta[CR_NB_MACHINE_LOG_INV_SQRT_PHI]);
    const cr_effects x = {theta[CR_NB_MACHINE_ALPHA], out[CR_NB_MACHINE_LOG_SIGMA_MACHINE], 0,
                          theta + CR_NB_MACHINE_NFIXED, NULL, d->centred, 0, NULL};
    cr_effects_standardize(&d->cells, &x, &out[CR_NB_MACHINE_ALPHA],
                           out + CR_NB_MACHINE_NFIXED, NULL);
}

void cr_nb_machine_model(cr_model *m, const cr_nb_machine_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_NB_MACHINE_NFIXED + d->cells.nmachines;
    m->logp = cr_nb_machine_logp;
    /* eta and its gradient per cell, then the machine levels */
    m->scratch_size = (size_t)(2 * d->cells.ncells + d->cells.nmachines + 1) * sizeof(double);
    m->nout = m->dim;
    m->name = nb_machine_name;
    m->constrain = nb_machine_constrain;
    m->data = (void *)d;
}

void cr_nb_machine_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                            gsl_rng *r, int *y)
{
    (void)minute;
    cr_nb2_sampler ns;
    cr_nb2_sampler_init(&ns);
    for (size_t i = 0; i < nrows; i++) {
        double eta = v[CR_NB_MACHINE_ALPHA] +
                     v[CR_NB_MACHINE_LOG_SIGMA_MACHINE] * v[CR_NB_MACHINE_NFIXED + machine[i] - 1];
        y[i] = cr_nb2_draw(&ns, eta, v[CR_NB_MACHINE_LOG_INV_SQRT_PHI], r);
    }
}

void cr_nb_machine_law(const cr_nb_machine_data *d, const double *v, int machine, int minute,
                       cr_count_law *out)
{
    (void)d, (void)minute;
    *out = cr_count_law_nb2(v[CR_NB_MACHINE_ALPHA] + v[CR_NB_MACHINE_LOG_SIGMA_MACHINE] *
                                                         v[CR_NB_MACHINE_NFIXED + machine - 1],
                            v[CR_NB_MACHINE_LOG_INV_SQRT_PHI]);
}

double cr_nb_machine_loglik(const cr_nb_machine_data *d, const double *v, int machine,
                            int minute, int y)
{
    (void)d, (void)minute;
    double eta = v[CR_NB_MACHINE_ALPHA] +
                 v[CR_NB_MACHINE_LOG_SIGMA_MACHINE] * v[CR_NB_MACHINE_NFIXED + machine - 1];
    return cr_nb2_lpmf(y, eta, v[CR_NB_MACHINE_LOG_INV_SQRT_PHI]);
}
