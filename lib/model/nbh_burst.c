#include "model/nbh_burst.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/nb2.h"

/* Priors of the burst part: 2 w ~ beta(W_A, W_B), lambda_b ~ lognormal(LAMBDA_M, LAMBDA_S),
 * 1/sqrt(phi_b) - 1/sqrt(phi) ~ half-normal(0, EXT_S). */
#define W_A 1.0
#define W_B 9.0
#define LAMBDA_M 2.0
#define LAMBDA_S 1.5
#define EXT_S 2.0

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int val_index(const cr_nbh_burst_data *d, int y)
{
    int lo = 0, hi = d->nvals - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (d->val_y[mid] < y)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void cr_nbh_burst_data_from_rows(cr_nbh_burst_data *d, size_t nrows, const int *machine,
                                 const int *minute, const int *y)
{
    memset(d, 0, sizeof *d);
    cr_nbh_data_from_rows(&d->nbh, nrows, machine, minute, y);
    const cr_cells *c = &d->nbh.cells;
    d->nvals = c->ndistinct + 1;
    d->val_y = xmalloc((size_t)d->nvals * sizeof(double));
    d->val_y[0] = 0;
    memcpy(d->val_y + 1, c->hist_y, (size_t)c->ndistinct * sizeof(double));
    d->cell_first = xmalloc(((size_t)c->ncells + 1) * sizeof(int));
    d->ent_val = xmalloc((nrows + 1) * sizeof(int));
    d->ent_n = xmalloc((nrows + 1) * sizeof(double));
    int *ys = xmalloc((nrows + 1) * sizeof(int)), cell = 0;
    for (size_t a = 0, b; a < nrows; a = b, cell++) {
        for (b = a; b < nrows && machine[b] == machine[a] && minute[b] == minute[a];)
            b++;
        memcpy(ys, y + a, (b - a) * sizeof(int));
        qsort(ys, b - a, sizeof(int), cmp_int);
        d->cell_first[cell] = d->nentries;
        for (size_t i = 0; i < b - a; i++) {
            if (i == 0 || ys[i] != ys[i - 1]) {
                d->ent_val[d->nentries] = val_index(d, ys[i]);
                d->ent_n[d->nentries++] = 0;
            }
            d->ent_n[d->nentries - 1] += 1;
        }
    }
    d->cell_first[cell] = d->nentries;
    free(ys);
}

void cr_nbh_burst_data_from_cps(cr_nbh_burst_data *d, const cr_cps_table *t, int series)
{
    cr_nbh_burst_data_from_rows(d, t->nrows, t->machine, t->minute, t->count[series]);
}

void cr_nbh_burst_data_free(cr_nbh_burst_data *d)
{
    cr_nbh_data_free(&d->nbh);
    free(d->cell_first);
    free(d->ent_val);
    free(d->ent_n);
    free(d->val_y);
    memset(d, 0, sizeof *d);
}

int cr_nbh_burst_tail_index(const cr_nbh_burst_data *d)
{
    return CR_NBH_NFIXED + d->nbh.cells.nmachines + d->nbh.cells.ncells;
}

/* log inv_logit(l) and inv_logit(l) without overflow in either tail */
static double log_inv_logit(double l)
{
    return l < 0 ? l - log1p(exp(l)) : -log1p(exp(-l));
}

static double inv_logit(double l)
{
    return l < 0 ? exp(l) / (1 + exp(l)) : 1 / (1 + exp(-l));
}

/* The burst part's values at theta's tail. */
typedef struct {
    double s, w, log_w, log_1mw; /* s = 2 w, the inverse logit of the coordinate */
    double log_lambda, lambda;
    double lext, ext, ispb, logphib, phib; /* 1/sqrt(phi_b) = 1/sqrt(phi) + ext */
} burst_par;

static burst_par burst_at(const double *tail, double isp)
{
    burst_par b;
    const double l = tail[CR_BURST_W];
    b.s = inv_logit(l);
    b.w = b.s / 2;
    b.log_w = log_inv_logit(l) - M_LN2;
    b.log_1mw = log1p(-b.w);
    b.log_lambda = tail[CR_BURST_LAMBDA];
    b.lambda = exp(b.log_lambda);
    b.lext = tail[CR_BURST_PHI_B];
    b.ext = exp(b.lext);
    b.ispb = isp + b.ext;
    b.logphib = -2 * log(b.ispb);
    b.phib = exp(b.logphib);
    return b;
}

/* Scratch of cr_nbh_burst_mix: the base component's NB2 terms per cell, and per distinct count
 * the base's lgamma ratios with their derivatives and the burst component's log pmf (less
 * lgamma(y + 1)), its derivative in log lambda_b and in log phi_b. */
enum { MIX_PER_CELL = 5, MIX_PER_VALUE = 5 };

size_t cr_nbh_burst_mix_scratch(const cr_nbh_burst_data *d)
{
    return MIX_PER_CELL * (size_t)d->nbh.cells.ncells + MIX_PER_VALUE * (size_t)d->nvals + 1;
}

/* Scratch of the model: eta, the machine levels, then the mixture's. */
static size_t scratch_doubles(const cr_nbh_burst_data *d)
{
    return (size_t)d->nbh.cells.ncells + (size_t)d->nbh.cells.nmachines + 1 +
           cr_nbh_burst_mix_scratch(d);
}

static cr_nb2_terms terms_at(double *p, size_t C)
{
    return (cr_nb2_terms){p, p + C, p + 2 * C, p + 3 * C, p + 4 * C};
}

/* The burst component, the same in every cell: per distinct count y its log pmf less
 * lgamma(y + 1) into lb[v], and its derivatives in log lambda_b and log phi_b into gl[v] and
 * gp[v]. Gb is scratch for the lgamma ratios, then their derivatives go to gp. */
static void burst_component(const cr_nbh_burst_data *d, const burst_par *b, double *lb,
                            double *gl, double *gp)
{
    double le, lf, p, q, f;
    cr_nb2_cell_terms(1, &b->log_lambda, b->logphib, &(cr_nb2_terms){&le, &lf, &p, &q, &f});
    cr_nb2_lgamma_ratios(d->nvals, d->val_y, b->phib, lb, gp);
    for (int v = 0; v < d->nvals; v++) {
        const double y = d->val_y[v];
        lb[v] += b->log_w - y * le - b->phib * lf;
        gl[v] = y * q - b->phib * p;
        gp[v] += -y * q + b->phib * f;
    }
}

/* Whether the burst part's values are usable. */
static int burst_ok(const burst_par *b)
{
    return isfinite(b->phib) && b->phib > 0 && isfinite(b->lambda) && isfinite(b->log_w) &&
           isfinite(b->ext);
}

double cr_nbh_burst_mix(const cr_nbh_burst_data *d, const double *eta, double lisp,
                        const double *tail, double *geta, double *gpar, double *scratch)
{
    const int C = d->nbh.cells.ncells, nv = d->nvals;
    const double isp = exp(lisp), logphi = -2 * lisp, phi = exp(logphi);
    const burst_par b = burst_at(tail, isp);
    if (!isfinite(phi) || !(phi > 0) || !burst_ok(&b))
        return -INFINITY;
    const cr_nb2_terms ta = terms_at(scratch, (size_t)C);
    double *Ga = scratch + 5 * (size_t)C, *dGa = Ga + nv, *lb = dGa + nv, *gl = lb + nv;
    double *gp = gl + nv;
    /* the burst part's priors, with the Jacobians of logit(2 w), log lambda_b and log e */
    const double l = tail[CR_BURST_W];
    double lp = W_A * log_inv_logit(l) + W_B * log_inv_logit(-l);
    lp += -0.5 * (b.log_lambda - LAMBDA_M) * (b.log_lambda - LAMBDA_M) / (LAMBDA_S * LAMBDA_S);
    lp += -0.5 * b.ext * b.ext / (EXT_S * EXT_S) + b.lext;
    cr_nb2_cell_terms(C, eta, logphi, &ta);
    cr_nb2_lgamma_ratios(nv, d->val_y, phi, Ga, dGa);
    burst_component(d, &b, lb, gl, gp);

    /* per (cell, count): l = log((1 - w) NB2(y | mu, phi) + w NB2(y | lambda_b, phi_b)), and
     * each component's responsibility, its share of that sum */
    double data = 0, gw = 0, gk = 0, gla = 0, glb = 0;
    for (int i = 0; i < C; i++) {
        const double base_a = b.log_1mw - phi * ta.lse_phi[i];
        double ge = 0;
        for (int e = d->cell_first[i]; e < d->cell_first[i + 1]; e++) {
            const int vi = d->ent_val[e];
            const double y = d->val_y[vi], n = d->ent_n[e];
            const double la = base_a + Ga[vi] - y * ta.lse_eta[i], dl = lb[vi] - la;
            const double t = exp(-fabs(dl)), s = 1 / (1 + t);
            data += n * (fmax(la, lb[vi]) + log1p(t));
            if (!geta)
                continue;
            const double rb = dl > 0 ? s : t * s, ra = dl > 0 ? t * s : s;
            ge += n * ra * (y * ta.q[i] - phi * ta.p[i]);
            gla += n * ra * (dGa[vi] - y * ta.q[i] + phi * ta.f[i]);
            gw += n * rb;
            gk += n * rb * gl[vi];
            glb += n * rb * gp[vi];
        }
        if (geta)
            geta[i] = ge;
    }
    lp += data;
    if (geta) {
        const double nsec = (double)d->nbh.cells.nseconds;
        /* log phi = -2 log isp and log phi_b = -2 log(isp + e) */
        gpar[0] = -2 * gla - 2 * glb * isp / b.ispb;
        /* d/dl of log((1 - w) A + w B), w = inv_logit(l) / 2, is (1 - 2w) (rb - w) / (1 - w)
         * per second */
        gpar[1 + CR_BURST_W] =
            (1 - b.s) * (gw - nsec * b.w) / (1 - b.w) + W_A * (1 - b.s) - W_B * b.s;
        gpar[1 + CR_BURST_LAMBDA] = gk - (b.log_lambda - LAMBDA_M) / (LAMBDA_S * LAMBDA_S);
        gpar[1 + CR_BURST_PHI_B] =
            -2 * glb * b.ext / b.ispb - b.ext * b.ext / (EXT_S * EXT_S) + 1;
    }
    return lp;
}

double cr_nbh_burst_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_nbh_burst_data *d = m->data;
    const cr_cells *c = &d->nbh.cells;
    const int K = c->nmachines, C = c->ncells, at = cr_nbh_burst_tail_index(d);
    const double lsm = theta[CR_NBH_LOG_SIGMA_MACHINE], sm = exp(lsm);
    const double lsn = theta[CR_NBH_LOG_SIGMA_MINUTE], sn = exp(lsn);
    const double lisp = theta[CR_NBH_LOG_INV_SQRT_PHI], isp = exp(lisp);
    if (!isfinite(sm) || !isfinite(sn) || !(sm > 0) || !(sn > 0) || !isfinite(isp))
        return -INFINITY;
    double *own = scratch ? NULL : xmalloc(m->scratch_size);
    double *eta = scratch ? scratch : own, *v = eta + C, *mix = v + K + 1;
    double *g = grad ? grad + CR_NBH_NFIXED + K : NULL, gpar[1 + CR_BURST_NTAIL];
    cr_effects x = {theta[CR_NBH_ALPHA], sm, sn, theta + CR_NBH_NFIXED,
                    theta + CR_NBH_NFIXED + K, d->nbh.centred, 0, v};

    double lp = cr_effects_eta(c, &x, eta);
    lp += -x.alpha * x.alpha / 18 - 0.5 * (sm * sm + sn * sn + isp * isp) + lsm + lsn + lisp;
    lp += cr_nbh_burst_mix(d, eta, lisp, theta + at, g, gpar, mix);
    if (grad && isfinite(lp)) {
        grad[CR_NBH_ALPHA] = -x.alpha / 9;
        grad[CR_NBH_LOG_SIGMA_MACHINE] = 1 - sm * sm;
        grad[CR_NBH_LOG_SIGMA_MINUTE] = 1 - sn * sn;
        grad[CR_NBH_LOG_INV_SQRT_PHI] = gpar[0] - isp * isp + 1;
        memset(grad + CR_NBH_NFIXED, 0, (size_t)K * sizeof(double));
        cr_effects_grad(c, &x, g, grad + CR_NBH_NFIXED, grad);
        memcpy(grad + at, gpar + 1, CR_BURST_NTAIL * sizeof(double));
    }
    free(own);
    return isfinite(lp) ? lp : -INFINITY;
}

/* The rate part's names and outputs are nbh's on the same cells. */
static cr_model nbh_view(const cr_nbh_burst_data *d)
{
    cr_model m;
    cr_nbh_model(&m, &d->nbh);
    return m;
}

static void burst_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const tail[CR_BURST_NTAIL] = {"w", "lambda_b", "phi_b"};
    const cr_nbh_burst_data *d = m->data;
    const int at = cr_nbh_burst_tail_index(d);
    if (i >= at) {
        snprintf(buf, n, "%s", tail[i - at]);
        return;
    }
    cr_model nm = nbh_view(d);
    nm.name(&nm, i, buf, n);
}

static void burst_constrain(const cr_model *m, const double *theta, double *out)
{
    const cr_nbh_burst_data *d = m->data;
    const int at = cr_nbh_burst_tail_index(d);
    cr_model nm = nbh_view(d);
    nm.constrain(&nm, theta, out);
    cr_nbh_burst_tail_values(theta + at, theta[CR_NBH_LOG_INV_SQRT_PHI], out + at);
}

void cr_nbh_burst_tail_values(const double *tail, double lisp, double *out)
{
    const burst_par b = burst_at(tail, exp(lisp));
    out[CR_BURST_W] = b.w;
    out[CR_BURST_LAMBDA] = b.lambda;
    out[CR_BURST_PHI_B] = b.phib;
}

void cr_nbh_burst_model(cr_model *m, const cr_nbh_burst_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = cr_nbh_burst_tail_index(d) + CR_BURST_NTAIL;
    m->logp = cr_nbh_burst_logp;
    m->scratch_size = scratch_doubles(d) * sizeof(double);
    m->nout = m->dim;
    m->name = burst_name;
    m->constrain = burst_constrain;
    m->data = (void *)d;
}

double cr_nbh_burst_mixture_lpmf(int y, double eta, double phi, const double *tail)
{
    const double w = tail[CR_BURST_W];
    const double la = log1p(-w) + cr_nb2_lpmf(y, eta, phi);
    const double lb =
        log(w) + cr_nb2_lpmf(y, log(tail[CR_BURST_LAMBDA]), tail[CR_BURST_PHI_B]);
    return fmax(la, lb) + log1p(exp(-fabs(la - lb)));
}

cr_count_law cr_nbh_burst_law_at(double eta, double phi, const double *tail)
{
    const double w = tail[CR_BURST_W];
    return (cr_count_law){NAN, 2, {1 - w, w}, {eta, log(tail[CR_BURST_LAMBDA])},
                          {phi, tail[CR_BURST_PHI_B]}};
}

void cr_nbh_burst_law(const cr_nbh_burst_data *d, const double *v, int machine, int minute,
                      cr_count_law *out)
{
    const cr_cells *c = &d->nbh.cells;
    const double *zk = v + CR_NBH_NFIXED;
    *out = cr_nbh_burst_law_at(cr_effects_eta_at(c, v[CR_NBH_ALPHA], v[CR_NBH_LOG_SIGMA_MACHINE],
                                                 v[CR_NBH_LOG_SIGMA_MINUTE], zk,
                                                 zk + c->nmachines, machine, minute),
                               v[CR_NBH_LOG_INV_SQRT_PHI], v + cr_nbh_burst_tail_index(d));
}

double cr_nbh_burst_loglik(const cr_nbh_burst_data *d, const double *v, int machine, int minute,
                           int y)
{
    const cr_cells *c = &d->nbh.cells;
    const double *zk = v + CR_NBH_NFIXED;
    const double eta = cr_effects_eta_at(c, v[CR_NBH_ALPHA], v[CR_NBH_LOG_SIGMA_MACHINE],
                                         v[CR_NBH_LOG_SIGMA_MINUTE], zk, zk + c->nmachines,
                                         machine, minute);
    if (isnan(eta))
        return NAN;
    return cr_nbh_burst_mixture_lpmf(y, eta, v[CR_NBH_LOG_INV_SQRT_PHI],
                                     v + cr_nbh_burst_tail_index(d));
}

void cr_nbh_burst_draw_rows(size_t nrows, const int *machine, const int *minute,
                            const double *eta, double phi, const double *tail, gsl_rng *r,
                            int *y)
{
    const double lb = log(tail[CR_BURST_LAMBDA]);
    /* one sampler per component keeps each one's setup across seconds */
    cr_nb2_sampler base, burst;
    cr_nb2_sampler_init(&base);
    cr_nb2_sampler_init(&burst);
    for (size_t i = 0, c = 0; i < nrows; i++) {
        c += i > 0 && (machine[i] != machine[i - 1] || minute[i] != minute[i - 1]);
        y[i] = gsl_rng_uniform(r) < tail[CR_BURST_W]
                   ? cr_nb2_draw(&burst, lb, tail[CR_BURST_PHI_B], r)
                   : cr_nb2_draw(&base, eta[c], phi, r);
    }
}

void cr_nbh_burst_simulate(size_t nrows, const int *machine, const int *minute, const double *v,
                           gsl_rng *r, int *y)
{
    int K = 0, C = 0;
    for (size_t i = 0; i < nrows; i++) {
        K = machine[i] > K ? machine[i] : K;
        C += i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1];
    }
    const double *zk = v + CR_NBH_NFIXED, *zc = zk + K;
    double *eta = xmalloc(((size_t)C + 1) * sizeof *eta);
    for (size_t i = 0, c = 0; i < nrows; i++)
        if (i == 0 || machine[i] != machine[i - 1] || minute[i] != minute[i - 1]) {
            eta[c] = v[CR_NBH_ALPHA] + v[CR_NBH_LOG_SIGMA_MACHINE] * zk[machine[i] - 1] +
                     v[CR_NBH_LOG_SIGMA_MINUTE] * zc[c];
            c++;
        }
    cr_nbh_burst_draw_rows(nrows, machine, minute, eta, v[CR_NBH_LOG_INV_SQRT_PHI], zk + K + C,
                           r, y);
    free(eta);
}
