#include "model/nbh_ar1.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

/* Inserts an empty cell for every minute missing between two cells of one machine, and records
 * where each machine's cells start. */
static void index_machines(cr_nbh_ar1_data *d)
{
    cr_cells *cl = &d->cells;
    const int K = cl->nmachines, C = cl->ncells;
    int need = C;
    for (int c = 1; c < C; c++)
        if (cl->cell_machine[c] == cl->cell_machine[c - 1])
            need += cl->cell_minute[c] - cl->cell_minute[c - 1] - 1;
    if (need > C) {
        int *mach = xmalloc((size_t)need * sizeof(int)), *min = xmalloc((size_t)need * sizeof(int));
        double *n = xmalloc((size_t)need * sizeof(double));
        double *y = xmalloc((size_t)need * sizeof(double));
        double *yy = xmalloc((size_t)need * sizeof(double));
        int o = 0;
        for (int c = 0; c < C; c++) {
            if (c > 0 && cl->cell_machine[c] == cl->cell_machine[c - 1])
                for (int m = cl->cell_minute[c - 1] + 1; m < cl->cell_minute[c]; m++, o++)
                    mach[o] = cl->cell_machine[c], min[o] = m, n[o] = y[o] = yy[o] = 0;
            mach[o] = cl->cell_machine[c], min[o] = cl->cell_minute[c];
            n[o] = cl->cell_n[c], y[o] = cl->cell_y[c], yy[o++] = cl->cell_yy[c];
        }
        free(cl->cell_machine), free(cl->cell_minute), free(cl->cell_n), free(cl->cell_y);
        free(cl->cell_yy);
        cl->cell_machine = mach, cl->cell_minute = min, cl->cell_n = n, cl->cell_y = y;
        cl->cell_yy = yy;
        cl->ncells = need;
    }
    d->first_cell = xmalloc((size_t)(K + 1) * sizeof(int));
    for (int k = 0, c = 0; k <= K; k++) {
        while (c < cl->ncells && cl->cell_machine[c] < k)
            c++;
        d->first_cell[k] = c;
    }
}

void cr_nbh_ar1_data_from_rows(cr_nbh_ar1_data *d, size_t nrows, const int *machine,
                               const int *minute, const int *y)
{
    memset(d, 0, sizeof *d);
    cr_cells_from_rows(&d->cells, nrows, machine, minute, y);
    index_machines(d);
}

void cr_nbh_ar1_data_from_cps(cr_nbh_ar1_data *d, const cr_cps_table *t, int series)
{
    cr_nbh_ar1_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_nbh_ar1_data_free(cr_nbh_ar1_data *d)
{
    cr_cells_free(&d->cells);
    free(d->first_cell);
    memset(d, 0, sizeof *d);
}

int cr_nbh_ar1_prefer_centred(const cr_nbh_ar1_data *d)
{
    return cr_effects_choose(&d->cells, cr_nb2_prefer_centred(&d->cells), 0);
}

/* rho = tanh(x / 2), s = sqrt(1 - rho^2) = sech(x / 2) and log(1 - rho^2), without the
 * cancellation of 1 - rho^2 when |rho| is near 1. */
typedef struct {
    double rho, s, q, logq; /* q = s^2 */
} ar_coef;

static ar_coef ar_coef_at(double x)
{
    ar_coef a;
    double ax = fabs(x), e = exp(-ax);
    a.rho = copysign((1 - e) / (1 + e), x);
    a.s = 2 * exp(-ax / 2) / (1 + e);
    a.q = a.s * a.s;
    a.logq = log(4.0) - ax - 2 * log1p(e);
    return a;
}

/* Non-centred: the AR states z of eps are the minute effects; returns the prior correction,
 * the AR(1) density (normal(0,1) on eps) in place of the effects' normal(0,1) on z. */
static double ar_states(const cr_nbh_ar1_data *d, const double *eps, ar_coef a, double *z)
{
    double lp = 0;
    for (int k = 0; k < d->cells.nmachines; k++)
        for (int c = d->first_cell[k]; c < d->first_cell[k + 1]; c++) {
            z[c] = c == d->first_cell[k] ? eps[c] : a.rho * z[c - 1] + a.s * eps[c];
            lp += 0.5 * (z[c] * z[c] - eps[c] * eps[c]);
        }
    return lp;
}

/* The gradient of the density (gz: its gradient in z, the effects' prior included) plus
 * ar_states' correction with respect to eps and x = 2 atanh(rho), back through the
 * recursion. */
static void ar_states_grad(const cr_nbh_ar1_data *d, const double *eps, ar_coef a,
                           const double *z, const double *gz, double *geps, double *gx)
{
    for (int k = 0; k < d->cells.nmachines; k++) {
        int lo = d->first_cell[k];
        double adj = 0; /* d lp / d z[c] through z[c] and every later state of the machine */
        for (int c = d->first_cell[k + 1] - 1; c >= lo; c--) {
            adj = gz[c] + z[c] + a.rho * adj;
            if (c == lo) {
                geps[c] = adj - eps[c];
            } else {
                geps[c] = a.s * adj - eps[c];
                *gx += adj * 0.5 * (a.q * z[c - 1] - a.s * a.rho * eps[c]);
            }
        }
    }
}

/* Centred: z = (u - v) / sigma_minute, charged normal(0,1) by the effects; returns the
 * correction to the AR(1) density, and with gu != NULL adds its gradient to gu (u), gv (v),
 * *glsn (log sigma_minute) and *gx. */
static double ar_centred(const cr_nbh_ar1_data *d, const double *v, const double *u, double sn,
                         ar_coef a, double *gu, double *gv, double *glsn, double *gx)
{
    double lp = 0, srz = 0, srr = 0;
    int nrest = 0;
    for (int k = 0; k < d->cells.nmachines; k++) {
        const int lo = d->first_cell[k], hi = d->first_cell[k + 1];
        double rnext = 0;
        /* backwards, so that r[c+1] is at hand for d/dz[c]; the first state keeps normal(0,1) */
        for (int c = hi - 1; c >= lo; c--) {
            double z = (u[c] - v[k]) / sn, r = 0, h = a.rho * rnext / a.q;
            if (c > lo) {
                double zp = (u[c - 1] - v[k]) / sn;
                r = z - a.rho * zp;
                lp += 0.5 * z * z - 0.5 * r * r / a.q;
                srz += r * zp, srr += r * r, nrest++;
                h += z - r / a.q;
            }
            rnext = r;
            if (gu) {
                gu[c] += h / sn;
                gv[k] -= h / sn;
                *glsn -= h * z;
            }
        }
    }
    lp -= 0.5 * nrest * a.logq;
    if (gu)
        *gx += 0.5 * (srz - a.rho * srr / a.q + nrest * a.rho);
    return lp;
}

size_t cr_nbh_ar1_scratch_size(const cr_nbh_ar1_data *d)
{
    return (4 * (size_t)d->cells.ncells + (size_t)d->cells.nmachines + 1) * sizeof(double);
}

double cr_nbh_ar1_logp_with(const cr_nbh_ar1_data *d, const double *theta, double *grad,
                            double *scratch, cr_nbh_ar1_eta_terms terms, const void *ctx)
{
    const cr_cells *cl = &d->cells;
    const int K = cl->nmachines, C = cl->ncells;
    const int uc = cr_effects_centred_cells(d->centred); /* the cell rates are coordinates */
    const double lsm = theta[CR_NBH_AR1_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lsn = theta[CR_NBH_AR1_LOG_SIGMA_MINUTE], sn = exp(lsn);
    const double lisp = theta[CR_NBH_AR1_LOG_INV_SQRT_PHI], isp = exp(lisp);
    const double logphi = -2 * lisp, phi = exp(logphi);
    const ar_coef a = ar_coef_at(theta[CR_NBH_AR1_RHO]);
    if (!isfinite(sm) || !(sm > 0) || !isfinite(sn) || !(sn > 0) || !isfinite(phi) ||
        !(phi > 0) || (uc && !(a.q > 0)))
        return -INFINITY;
    const double *zk = theta + CR_NBH_AR1_NFIXED, *e = zk + K; /* e: eps, or u when uc */
    double *z = scratch, *eta = z + C, *g = eta + C, *gt = g + C, *v = gt + C, dphi = 0;

    /* (rho + 1) / 2 ~ beta(2,2) with the Jacobian d rho / dx = (1 - rho^2) / 2 */
    double lp = 2 * a.logq;
    if (!uc)
        lp += ar_states(d, e, a, z);
    cr_effects x = {theta[CR_NBH_AR1_ALPHA], sm, sn, zk, uc ? e : z, d->centred, 0, v};
    lp += cr_effects_eta(cl, &x, eta);
    /* priors of alpha, the scales and inv_sqrt_phi, with the log-scale Jacobians */
    lp += -x.alpha * x.alpha / 18 - 0.5 * (sm * sm + sn * sn + isp * isp) + lsm + lsn + lisp;
    cr_nb2_cells(cl, eta, logphi, &lp, grad ? g : NULL, &dphi);
    cr_nb2_histogram(cl, phi, &lp, &dphi);
    if (terms) {
        lp += terms(ctx, eta, logphi, grad ? gt : NULL, &dphi);
        if (grad)
            for (int c = 0; c < C; c++)
                g[c] += gt[c];
    }
    if (!grad)
        return uc ? lp + ar_centred(d, v, e, sn, a, NULL, NULL, NULL, NULL) : lp;

    double gx = -2 * a.rho;
    grad[CR_NBH_AR1_ALPHA] = -x.alpha / 9;
    grad[CR_NBH_AR1_LOG_SIGMA_MACHINE] = 1 - sm * sm;
    grad[CR_NBH_AR1_LOG_SIGMA_MINUTE] = 1 - sn * sn;
    /* phi = isp^-2, so d phi / d log isp = -2 phi */
    grad[CR_NBH_AR1_LOG_INV_SQRT_PHI] = -2 * dphi - isp * isp + 1;
    double *gk = grad + CR_NBH_AR1_NFIXED, *ge = gk + K;
    memset(gk, 0, (size_t)K * sizeof(double));
    /* the AR correction's derivatives in u and v go back through the effects with the rest */
    if (uc)
        lp += ar_centred(d, v, e, sn, a, g, gk, &grad[CR_NBH_AR1_LOG_SIGMA_MINUTE], &gx);
    cr_effects_grad(cl, &x, g, gk, grad); /* alpha, log sigma_machine, log sigma_minute first */
    if (uc)
        memcpy(ge, g, (size_t)C * sizeof(double));
    else
        ar_states_grad(d, e, a, z, g, ge, &gx);
    grad[CR_NBH_AR1_RHO] = gx;
    return lp;
}

double cr_nbh_ar1_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_nbh_ar1_data *d = m->data;
    double *own = scratch ? NULL : xmalloc(cr_nbh_ar1_scratch_size(d));
    double lp = cr_nbh_ar1_logp_with(d, theta, grad, scratch ? scratch : own, NULL, NULL);
    free(own);
    return lp;
}

static void ar1_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const fixed[] = {"alpha", "sigma_machine", "sigma_minute", "rho", "phi"};
    const cr_nbh_ar1_data *d = m->data;
    if (i < CR_NBH_AR1_NFIXED)
        snprintf(buf, n, "%s", fixed[i]);
    else if (i < CR_NBH_AR1_NFIXED + d->cells.nmachines)
        snprintf(buf, n, "z_machine[%d]", i - CR_NBH_AR1_NFIXED + 1);
    else {
        int c = i - CR_NBH_AR1_NFIXED - d->cells.nmachines;
        snprintf(buf, n, "z_minute[%d,%d]", d->cells.cell_machine[c] + 1,
                 d->cells.cell_minute[c]);
    }
}

static void ar1_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_nbh_ar1_data *d = m->data;
    const int K = d->cells.nmachines, uc = cr_effects_centred_cells(d->centred);
    out[CR_NBH_AR1_LOG_SIGMA_MACHINE] = exp(theta[CR_NBH_AR1_LOG_SIGMA_MACHINE]);
    out[CR_NBH_AR1_LOG_SIGMA_MINUTE] = exp(theta[CR_NBH_AR1_LOG_SIGMA_MINUTE]);
    out[CR_NBH_AR1_RHO] = ar_coef_at(theta[CR_NBH_AR1_RHO]).rho;
    out[CR_NBH_AR1_LOG_INV_SQRT_PHI] = exp(-2 * theta[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
    const double *zk = theta + CR_NBH_AR1_NFIXED, *e = zk + K;
    double *ok = out + CR_NBH_AR1_NFIXED, *oz = ok + K;
    if (!uc) /* the AR states are the non-centred cell coordinates */
        ar_states(d, e, ar_coef_at(theta[CR_NBH_AR1_RHO]), oz);
    const cr_effects x = {theta[CR_NBH_AR1_ALPHA], out[CR_NBH_AR1_LOG_SIGMA_MACHINE],
                          out[CR_NBH_AR1_LOG_SIGMA_MINUTE], zk, uc ? e : oz, d->centred, 0,
                          NULL};
    cr_effects_standardize(&d->cells, &x, &out[CR_NBH_AR1_ALPHA], ok, oz);
}

void cr_nbh_ar1_model(cr_model *m, const cr_nbh_ar1_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_NBH_AR1_NFIXED + d->cells.nmachines + d->cells.ncells;
    m->logp = cr_nbh_ar1_logp;
    m->scratch_size = cr_nbh_ar1_scratch_size(d);
    m->nout = m->dim;
    m->name = ar1_name;
    m->constrain = ar1_constrain;
    m->data = (void *)d;
}

double cr_nbh_ar1_eta(const cr_nbh_ar1_data *d, const double *v, int machine, int minute)
{
    int c = cr_cells_find(&d->cells, machine, minute);
    if (c < 0)
        return NAN;
    const double *zk = v + CR_NBH_AR1_NFIXED, *z = zk + d->cells.nmachines;
    return v[CR_NBH_AR1_ALPHA] + v[CR_NBH_AR1_LOG_SIGMA_MACHINE] * zk[machine - 1] +
           v[CR_NBH_AR1_LOG_SIGMA_MINUTE] * z[c];
}

void cr_nbh_ar1_law(const cr_nbh_ar1_data *d, const double *v, int machine, int minute,
                    cr_count_law *out)
{
    *out = cr_count_law_nb2(cr_nbh_ar1_eta(d, v, machine, minute),
                            v[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
}

double cr_nbh_ar1_loglik(const cr_nbh_ar1_data *d, const double *v, int machine, int minute,
                         int y)
{
    return cr_nb2_lpmf(y, cr_nbh_ar1_eta(d, v, machine, minute), v[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
}

int cr_nbh_ar1_row_eta(size_t nrows, const int *machine, const int *minute, const double *v,
                       double *eta)
{
    int K = 0;
    for (size_t r = 0; r < nrows; r++)
        K = machine[r] > K ? machine[r] : K;
    const double *zk = v + CR_NBH_AR1_NFIXED, *z = zk + K;
    int c = -1; /* every minute from a machine's first to its last has a cell */
    for (size_t r = 0; r < nrows; r++) {
        c += r == 0 || machine[r] != machine[r - 1] ? 1 : minute[r] - minute[r - 1];
        eta[r] = v[CR_NBH_AR1_ALPHA] + v[CR_NBH_AR1_LOG_SIGMA_MACHINE] * zk[machine[r] - 1] +
                 v[CR_NBH_AR1_LOG_SIGMA_MINUTE] * z[c];
    }
    return c + 1;
}

void cr_nbh_ar1_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                         gsl_rng *r, int *y)
{
    double *eta = xmalloc((nrows + 1) * sizeof(double)), phi = v[CR_NBH_AR1_LOG_INV_SQRT_PHI];
    cr_nbh_ar1_row_eta(nrows, machine, minute, v, eta);
    cr_nb2_sampler ns;
    cr_nb2_sampler_init(&ns);
    for (size_t i = 0; i < nrows; i++)
        y[i] = cr_nb2_draw(&ns, eta[i], phi, r);
    free(eta);
}
