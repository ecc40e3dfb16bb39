#include "model/hurdle_nbh_ar1.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

void cr_hurdle_nbh_ar1_data_from_rows(cr_hurdle_nbh_ar1_data *d, size_t nrows,
                                      const int *machine, const int *minute, const int *y)
{
    memset(d, 0, sizeof *d);
    cr_nbh_ar1_data_from_rows(&d->ar, nrows, machine, minute, y);
    cr_cells *cl = &d->ar.cells;
    const int K = cl->nmachines;
    d->machine_zero = xcalloc((size_t)K + 1, sizeof(double));
    d->machine_pos = xcalloc((size_t)K + 1, sizeof(double));
    for (int c = 0; c < cl->ncells; c++)
        cl->cell_n[c] = 0;
    cl->nseconds = 0;
    for (size_t r = 0; r < nrows; r++) {
        if (y[r] == 0) {
            d->machine_zero[machine[r] - 1] += 1;
            continue;
        }
        d->machine_pos[machine[r] - 1] += 1;
        cl->cell_n[cr_cells_find(cl, machine[r], minute[r])] += 1;
        cl->nseconds++;
    }
    double *info = xmalloc(((size_t)K + 1) * sizeof(double));
    for (int k = 0; k < K; k++) {
        double n = d->machine_zero[k] + d->machine_pos[k];
        info[k] = n > 0 ? d->machine_zero[k] * d->machine_pos[k] / n : 0;
    }
    d->pi_centred = K == 1 || cr_effects_prefer_centred(info, K);
    free(info);
}

void cr_hurdle_nbh_ar1_data_from_cps(cr_hurdle_nbh_ar1_data *d, const cr_cps_table *t,
                                     int series)
{
    cr_hurdle_nbh_ar1_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_hurdle_nbh_ar1_data_free(cr_hurdle_nbh_ar1_data *d)
{
    cr_nbh_ar1_data_free(&d->ar);
    free(d->machine_zero);
    free(d->machine_pos);
    memset(d, 0, sizeof *d);
}

int cr_hurdle_nbh_ar1_pi_index(const cr_hurdle_nbh_ar1_data *d)
{
    return CR_NBH_AR1_NFIXED + d->ar.cells.nmachines + d->ar.cells.ncells;
}

/* With t = -log NB2(0) = phi log(1 + mu / phi): L = log(1 - e^-t), and for its derivatives
 * R1 = p / log(1 + mu / phi) (p = mu / (mu + phi)) and R2 = t / expm1(t). Both ratios tend to 1
 * as mu -> 0, where t underflows before eta does: then log t = log phi + eta - log phi. */
typedef struct {
    double L, R1, R2;
} positive_terms;

static positive_terms positive_at(double eta, double logphi)
{
    positive_terms o;
    const double dd = eta - logphi;
    double lse, p;
    if (dd < 0) {
        double x = exp(dd);
        lse = log1p(x);
        p = x / (1 + x);
    } else {
        double u = exp(-dd);
        lse = dd + log1p(u);
        p = 1 / (1 + u);
    }
    const double logt = logphi + (lse > 0 ? log(lse) : dd), t = exp(logt);
    if (t < 1e-8)
        o.L = logt - t / 2; /* log(1 - e^-t) = log t - t/2 + O(t^2) */
    else
        o.L = t < M_LN2 ? log(-expm1(-t)) : log1p(-exp(-t));
    o.R1 = lse > 0 ? p / lse : 1;
    o.R2 = t > 0 ? t / expm1(t) : 1;
    return o;
}

double cr_nb2_log_positive(double eta, double logphi)
{
    return positive_at(eta, logphi).L;
}

/* The truncation: minus log(1 - NB2(0)) for every positive second, per cell. */
static double truncation(const void *ctx, const double *eta, double logphi, double *geta,
                         double *glogphi)
{
    const cr_cells *cl = &((const cr_hurdle_nbh_ar1_data *)ctx)->ar.cells;
    double lp = 0, gl = 0;
    for (int c = 0; c < cl->ncells; c++) {
        const double n = cl->cell_n[c];
        if (n == 0) {
            if (geta)
                geta[c] = 0;
            continue;
        }
        positive_terms o = positive_at(eta[c], logphi);
        lp -= n * o.L;
        if (geta) {
            geta[c] = -n * o.R1 * o.R2;
            gl += n * (o.R1 - 1) * o.R2;
        }
    }
    *glogphi += gl;
    return lp;
}

/* inv_logit(l) and its log, without overflow in either tail */
static double inv_logit(double l)
{
    return l < 0 ? exp(l) / (1 + exp(l)) : 1 / (1 + exp(-l));
}

static double log_inv_logit(double l)
{
    return l < 0 ? l - log1p(exp(l)) : -log1p(exp(-l));
}

double cr_hurdle_nbh_ar1_logp(const cr_model *m, const double *theta, double *grad,
                              void *scratch)
{
    const cr_hurdle_nbh_ar1_data *d = m->data;
    double *own = scratch ? NULL : xmalloc(cr_nbh_ar1_scratch_size(&d->ar));
    double lp = cr_nbh_ar1_logp_with(&d->ar, theta, grad, scratch ? scratch : own, truncation, d);
    free(own);
    if (!isfinite(lp))
        return lp;

    const int K = d->ar.cells.nmachines, at = cr_hurdle_nbh_ar1_pi_index(d);
    const double lsp = theta[at + CR_HURDLE_LOG_SIGMA_PI], sp = exp(lsp);
    const double *z = theta + at + CR_HURDLE_NFIXED, w = theta[at + CR_HURDLE_MU_PI];
    if (!isfinite(sp) || !(sp > 0))
        return -INFINITY;
    /* centred, z holds the logits and mu_pi's coordinate is model/effects.h's w */
    double mu = w;
    if (d->pi_centred)
        lp += cr_level_lp(K, z, w, sp, &mu);
    /* priors of mu_pi and sigma_pi (with its log-scale Jacobian) */
    lp += -mu * mu / 8 - 0.5 * sp * sp + lsp;
    double gmu = -mu / 4, gsp = 0, *g = grad ? grad + at + CR_HURDLE_NFIXED : NULL;
    for (int k = 0; k < K; k++) {
        const double l = d->pi_centred ? z[k] : mu + sp * z[k]; /* logit pi[k] */
        const double Z = d->machine_zero[k], P = d->machine_pos[k];
        lp += Z * log_inv_logit(l) + P * log_inv_logit(-l);
        if (!d->pi_centred)
            lp -= 0.5 * z[k] * z[k];
        if (!grad)
            continue;
        /* d/dl: Z (1 - pi) - P pi, with pi = inv_logit(l) */
        const double pi = inv_logit(l), gl = Z * (1 - pi) - P * pi;
        if (d->pi_centred) {
            g[k] = gl;
        } else {
            g[k] = sp * gl - z[k];
            gmu += gl;
            gsp += sp * gl * z[k];
        }
    }
    if (grad) {
        if (d->pi_centred)
            gmu = cr_level_grad(K, z, w, sp, gmu, g, &gsp);
        grad[at + CR_HURDLE_MU_PI] = gmu;
        grad[at + CR_HURDLE_LOG_SIGMA_PI] = gsp - sp * sp + 1;
    }
    return lp;
}

/* The rate part's names and outputs are nbh_ar1's on the same cells. */
static cr_model rate_model(const cr_hurdle_nbh_ar1_data *d)
{
    cr_model am;
    cr_nbh_ar1_model(&am, &d->ar);
    return am;
}

static void hurdle_name(const cr_model *m, int i, char *buf, size_t n)
{
    const cr_hurdle_nbh_ar1_data *d = m->data;
    const int at = cr_hurdle_nbh_ar1_pi_index(d);
    if (i < at) {
        cr_model am = rate_model(d);
        am.name(&am, i, buf, n);
    } else if (i == at + CR_HURDLE_MU_PI) {
        snprintf(buf, n, "mu_pi");
    } else if (i == at + CR_HURDLE_LOG_SIGMA_PI) {
        snprintf(buf, n, "sigma_pi");
    } else {
        snprintf(buf, n, "z_pi[%d]", i - at - CR_HURDLE_NFIXED + 1);
    }
}

static void hurdle_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_hurdle_nbh_ar1_data *d = m->data;
    const int at = cr_hurdle_nbh_ar1_pi_index(d);
    cr_model am = rate_model(d);
    am.constrain(&am, theta, out);
    memcpy(out + at, theta + at, (size_t)(m->dim - at) * sizeof(double));
    const double sp = exp(theta[at + CR_HURDLE_LOG_SIGMA_PI]);
    out[at + CR_HURDLE_LOG_SIGMA_PI] = sp;
    if (d->pi_centred) {
        const int K = d->ar.cells.nmachines;
        const double *l = theta + at + CR_HURDLE_NFIXED;
        double mu;
        cr_level_lp(K, l, theta[at + CR_HURDLE_MU_PI], sp, &mu);
        out[at + CR_HURDLE_MU_PI] = mu;
        for (int k = 0; k < K; k++)
            out[at + CR_HURDLE_NFIXED + k] = (l[k] - mu) / sp;
    }
}

void cr_hurdle_nbh_ar1_model(cr_model *m, const cr_hurdle_nbh_ar1_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = cr_hurdle_nbh_ar1_pi_index(d) + CR_HURDLE_NFIXED + d->ar.cells.nmachines;
    m->logp = cr_hurdle_nbh_ar1_logp;
    m->scratch_size = cr_nbh_ar1_scratch_size(&d->ar);
    m->nout = m->dim;
    m->name = hurdle_name;
    m->constrain = hurdle_constrain;
    m->data = (void *)d;
}

void cr_hurdle_nbh_ar1_law(const cr_hurdle_nbh_ar1_data *d, const double *v, int machine,
                           int minute, cr_count_law *out)
{
    const int at = cr_hurdle_nbh_ar1_pi_index(d);
    *out = cr_count_law_nb2(cr_nbh_ar1_eta(&d->ar, v, machine, minute),
                            v[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
    out->hurdle = inv_logit(v[at + CR_HURDLE_MU_PI] + v[at + CR_HURDLE_LOG_SIGMA_PI] *
                                                          v[at + CR_HURDLE_NFIXED + machine - 1]);
}

double cr_hurdle_nbh_ar1_loglik(const cr_hurdle_nbh_ar1_data *d, const double *v, int machine,
                                int minute, int y)
{
    const int at = cr_hurdle_nbh_ar1_pi_index(d);
    const double eta = cr_nbh_ar1_eta(&d->ar, v, machine, minute);
    const double l = v[at + CR_HURDLE_MU_PI] +
                     v[at + CR_HURDLE_LOG_SIGMA_PI] * v[at + CR_HURDLE_NFIXED + machine - 1];
    if (y == 0)
        return isnan(eta) ? NAN : log_inv_logit(l);
    const double phi = v[CR_NBH_AR1_LOG_INV_SQRT_PHI];
    return log_inv_logit(-l) + cr_nb2_lpmf(y, eta, phi) - positive_at(eta, log(phi)).L;
}

void cr_hurdle_nbh_ar1_simulate(size_t nrows, const int *machine, const int *minute,
                                const double *v, gsl_rng *r, int *y)
{
    int K = 0;
    for (size_t i = 0; i < nrows; i++)
        K = machine[i] > K ? machine[i] : K;
    double *eta = xmalloc((nrows + 1) * sizeof(double));
    const int C = cr_nbh_ar1_row_eta(nrows, machine, minute, v, eta);
    const double *pv = v + CR_NBH_AR1_NFIXED + K + C, phi = v[CR_NBH_AR1_LOG_INV_SQRT_PHI];
    cr_nb2_sampler ns;
    cr_nb2_sampler_init(&ns);
    for (size_t i = 0; i < nrows; i++) {
        double l = pv[CR_HURDLE_MU_PI] + pv[CR_HURDLE_LOG_SIGMA_PI] *
                                             pv[CR_HURDLE_NFIXED + machine[i] - 1];
        y[i] = gsl_rng_uniform(r) < inv_logit(l) ? 0 : cr_nb2_draw_positive(&ns, eta[i], phi, r);
    }
    free(eta);
}
