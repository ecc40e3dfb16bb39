#include "duration/mixture.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HALF_LOG_2PI 0.91893853320467274178

/* ---- log density ----
 * Each bin edge is visited once per component: the smaller tail of z = (x - m) / s by erfc, and
 * phi(z). A bin's probability is then a difference of tails on its own side of m (so a narrow
 * bin far out keeps its digits), and the mixture is summed in probability space: one log per
 * bin. Where every component's probability underflows (a chain far out in warmup), the bin is
 * redone in log space. */

/* Below this a mixture probability is redone in log space: the tails behind it may be
 * subnormal. */
#define TINY 1e-250

enum { KMAX = CR_DUR_KMAX };


static double log_phi(double z)
{
    return -0.5 * z * z - HALF_LOG_2PI;
}

/* One component's contribution: log value L and its derivatives in m and log s. */
typedef struct {
    double l, dm, dls;
} term;

static term survival_term(double x, double m, double s)
{
    double z = (x - m) / s, l = cr_duration_log_q(z), h = exp(log_phi(z) - l);
    return (term){l, h / s, h * z};
}

/* log P(lo < X < hi) for X ~ Normal(m, s); lo may be -INFINITY. The difference is taken in the
 * tail it lies in, so a narrow interval far from m keeps its digits. */
static term interval_term(double lo, double hi, double m, double s)
{
    double za = (lo - m) / s, zb = (hi - m) / s, l;
    if (isinf(za))
        l = cr_duration_log_q(-zb);
    else if (zb <= 0) {
        double lb = cr_duration_log_q(-zb);
        l = lb + log(-expm1(cr_duration_log_q(-za) - lb));
    } else if (za >= 0) {
        double la = cr_duration_log_q(za);
        l = la + log(-expm1(cr_duration_log_q(zb) - la));
    } else {
        l = log1p(-(exp(cr_duration_log_q(-za)) + exp(cr_duration_log_q(zb))));
    }
    double pb = exp(log_phi(zb) - l), pa = isinf(za) ? 0 : exp(log_phi(za) - l);
    double pza = isinf(za) ? 0 : pa * za;
    return (term){l, -(pb - pa) / s, -(pb * zb - pza)};
}

/* One component at one edge: t the smaller tail of z (P(Z > z) when up, else P(Z <= z)),
 * phi(z) and phi(z) z. */
typedef struct {
    double t, phi, phiz;
    int up;
} edge_val;

static edge_val edge_at(double x, double m, double s)
{
    if (isinf(x))
        return (edge_val){0, 0, 0, 0};
    double z = (x - m) / s, phi = exp(log_phi(z));
    return (edge_val){0.5 * erfc(fabs(z) * M_SQRT1_2), phi, phi * z, z >= 0};
}

/* A probability and its derivatives in m and log s (not logs). */
typedef struct {
    double p, dm, dls;
} prob;

static prob bin_prob(edge_val a, edge_val b, double s)
{
    double p = !b.up ? b.t - a.t : a.up ? a.t - b.t : 1 - a.t - b.t;
    return (prob){p, -(b.phi - a.phi) / s, -(b.phiz - a.phiz)};
}

static prob survival_prob(edge_val a, double s)
{
    return (prob){a.up ? a.t : 1 - a.t, a.phi / s, a.phiz};
}

/* The mixture at one point, and the data's gradient accumulated in it. */
typedef struct {
    int k;
    double w[KMAX], lw[KMAX], m[KMAX], s[KMAX];
    double gm[KMAX], gls[KMAX]; /* d loglik / d m_j, d log s_j */
    double r[KMAX];             /* sum over connections of component j's responsibility,
                                 * i.e. w_j d loglik / d w_j */
    double lp0, l1p0;           /* log p0, log(1 - p0) */
} mix;

/* log of one connection's sum_j w_j e^{t_j} and, scaled by count, its gradient. */
static double add_mix(mix *x, const term *t, double count, int grad)
{
    double a[KMAX], hi = -INFINITY, sum = 0;
    for (int j = 0; j < x->k; j++)
        a[j] = x->lw[j] + t[j].l, hi = fmax(hi, a[j]);
    for (int j = 0; j < x->k; j++)
        sum += exp(a[j] - hi);
    double l = hi + log(sum);
    if (grad)
        for (int j = 0; j < x->k; j++) {
            double r = count * exp(a[j] - l);
            x->gm[j] += r * t[j].dm;
            x->gls[j] += r * t[j].dls;
            x->r[j] += r;
        }
    return l;
}

/* The same from probabilities; returns NAN when their mixture is below TINY. */
static double add_prob(mix *x, const prob *p, double count, int grad)
{
    double tot = 0;
    for (int j = 0; j < x->k; j++)
        tot += x->w[j] * p[j].p;
    if (!(tot >= TINY))
        return NAN;
    if (grad)
        for (int j = 0; j < x->k; j++) {
            double c = count * x->w[j] / tot;
            x->gm[j] += c * p[j].dm;
            x->gls[j] += c * p[j].dls;
            x->r[j] += c * p[j].p;
        }
    return log(tot);
}

/* The log-likelihood of the data under x (gradient of the mixture's part into x when grad):
 * the zero class holds the bin [0, r), every other connection log(1 - p0) plus the mixture's
 * log-probability given D >= r. Each observation's log-likelihood per connection into pw when
 * not NULL. */
static double loglik(const cr_duration_data *d, mix *x, int grad, double *pw)
{
    const int k = x->k;
    const double npos = (double)(d->nended + d->ncens) - d->n_zero;
    double lp, trunc = 0;
    edge_val prev[KMAX], cur[KMAX];
    prob p[KMAX] = {{0, 0, 0}};
    term t[KMAX];
    if (npos > 0) { /* log S(r) of the mixture, once per connection it holds: a negative count */
        for (int j = 0; j < k; j++)
            p[j] = survival_prob(edge_at(d->x_res, x->m[j], x->s[j]), x->s[j]);
        trunc = add_prob(x, p, -npos, grad);
        if (isnan(trunc)) {
            for (int j = 0; j < k; j++)
                t[j] = survival_term(d->x_res, x->m[j], x->s[j]);
            trunc = add_mix(x, t, -npos, grad);
        }
    }
    lp = d->n_zero * x->lp0 + npos * (x->l1p0 - trunc);
    memset(prev, 0, sizeof prev);
    for (int i = 0; i < d->nedge; i++) {
        double xi = d->x[i];
        for (int j = 0; j < k; j++)
            cur[j] = edge_at(xi, x->m[j], x->s[j]);
        double n = i > 0 ? d->n_event[i - 1] : 0;
        if (n > 0 && d->edge_ms[i - 1] == 0) {
            if (pw)
                *pw++ = x->lp0;
        } else if (n > 0) {
            for (int j = 0; j < k; j++)
                p[j] = bin_prob(prev[j], cur[j], x->s[j]);
            double l = add_prob(x, p, n, grad);
            if (isnan(l)) {
                for (int j = 0; j < k; j++)
                    t[j] = interval_term(d->x[i - 1], xi, x->m[j], x->s[j]);
                l = add_mix(x, t, n, grad);
            }
            lp += n * l;
            if (pw)
                *pw++ = x->l1p0 + l - trunc;
        }
        if (d->n_cens[i] > 0) {
            for (int j = 0; j < k; j++)
                p[j] = survival_prob(cur[j], x->s[j]);
            double l = add_prob(x, p, d->n_cens[i], grad);
            if (isnan(l)) {
                for (int j = 0; j < k; j++)
                    t[j] = survival_term(xi, x->m[j], x->s[j]);
                l = add_mix(x, t, d->n_cens[i], grad);
            }
            lp += d->n_cens[i] * l;
            if (pw)
                *pw++ = x->l1p0 + l - trunc;
        }
        memcpy(prev, cur, sizeof prev);
    }
    return lp;
}

/* log inverse logit, without forming 1 - z. */
static double log_inv_logit(double a)
{
    return a > 0 ? -log1p(exp(-a)) : a - log1p(exp(a));
}

/* The model's k from its dimension 3k. */
static int model_k(const cr_model *m)
{
    return m->dim / 3;
}


static double logp_data(const cr_duration_data *d, int k, const double *theta, double *grad)
{
    mix x;
    memset(&x, 0, sizeof x);
    x.k = k;
    /* Stan's stick-breaking: z_j = inv_logit(y_j - log(k - 1 - j)) of what is left, L_j;
     * Jacobian sum_j log L_j + log z_j + log(1 - z_j) */
    double z[KMAX], logl = 0, lp = 0;
    for (int j = 0; j + 1 < k; j++) {
        double a = theta[j] - log((double)(k - 1 - j)), lz = log_inv_logit(a), l1z = lz - a;
        z[j] = exp(lz);
        x.lw[j] = logl + lz;
        lp += logl + lz + l1z;
        logl += l1z;
    }
    x.lw[k - 1] = logl;
    const double *ym = theta + CR_DUR_Y_M(k), *ys = theta + CR_DUR_Y_S(k);
    for (int j = 0; j < k; j++) {
        x.w[j] = exp(x.lw[j]);
        x.m[j] = j ? x.m[j - 1] + exp(ym[j]) : ym[0];
        x.s[j] = exp(ys[j]);
        if (!isfinite(x.m[j]) || !(x.s[j] > 0) || !isfinite(x.s[j]) || !isfinite(x.lw[j]))
            return -INFINITY;
        /* dirichlet(2, ..., 2) on w; normal(0, 5) on m, with the ordering Jacobian; lognormal(0,
         * 1) on s with the log Jacobian, i.e. normal(0, 1) on log s */
        lp += x.lw[j] - x.m[j] * x.m[j] / 50 + (j ? ym[j] : 0) - 0.5 * ys[j] * ys[j];
    }
    const double y0 = theta[CR_DUR_Y_P0(k)];
    x.lp0 = log_inv_logit(y0);
    x.l1p0 = x.lp0 - y0;
    if (!isfinite(x.lp0) || !isfinite(x.l1p0))
        return -INFINITY;
    /* the prior on p0 with the logit's Jacobian p0 (1 - p0) */
    lp += CR_DUR_P0_A * x.lp0 + CR_DUR_P0_B * x.l1p0;
    const int g = grad != NULL;
    lp += loglik(d, &x, g, NULL);
    if (!g)
        return lp;
    const double npos = (double)(d->nended + d->ncens) - d->n_zero;
    grad[CR_DUR_Y_P0(k)] =
        (d->n_zero + CR_DUR_P0_A) * exp(x.l1p0) - (npos + CR_DUR_P0_B) * exp(x.lp0);
    /* back through the stick: with A_j = w_j dF/dw_j (data and prior) and B_j = L_j dF/dL_j,
     * dF/dy_j = A_j (1 - z_j) - B_{j+1} z_j + 1 - 2 z_j and B_j = A_j + B_{j+1} + 1 */
    double b = x.r[k - 1] + 1;
    for (int j = k - 2; j >= 0; j--) {
        double a = x.r[j] + 1;
        grad[j] = a * (1 - z[j]) - b * z[j] + 1 - 2 * z[j];
        b += a + 1;
    }
    double gsum = 0;
    for (int j = k - 1; j >= 0; j--) {
        gsum += x.gm[j] - x.m[j] / 25;
        grad[CR_DUR_Y_M(k) + j] = j ? gsum * exp(ym[j]) + 1 : gsum;
        grad[CR_DUR_Y_S(k) + j] = x.gls[j] - ys[j];
    }
    return lp;
}

double cr_duration_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    (void)scratch;
    return logp_data(m->data, model_k(m), theta, grad);
}

static void duration_name(const cr_model *m, int i, char *buf, size_t n)
{
    int k = model_k(m);
    if (i < k - 1)
        snprintf(buf, n, "w[%d]", i + 1);
    else if (i < 2 * k - 1)
        snprintf(buf, n, "m[%d]", i - (k - 1) + 1);
    else if (i < 3 * k - 1)
        snprintf(buf, n, "s[%d]", i - (2 * k - 1) + 1);
    else
        snprintf(buf, n, "p0");
}

/* w_1..w_{k-1}, m, s, p0: w_k = 1 - the others' sum is left out, a constant column for
 * k = 1 */
static void constrain(int k, const double *theta, double *out)
{
    for (int j = 0; j + 1 < k; j++)
        out[j] = 1 / (1 + exp(-(theta[j] - log((double)(k - 1 - j)))));
    double left = 1;
    for (int j = 0; j + 1 < k; j++) {
        out[j] *= left;
        left -= out[j];
    }
    for (int j = 0; j < k; j++) {
        out[k - 1 + j] = j ? out[k - 2 + j] + exp(theta[CR_DUR_Y_M(k) + j]) : theta[CR_DUR_Y_M(k)];
        out[2 * k - 1 + j] = exp(theta[CR_DUR_Y_S(k) + j]);
    }
    out[CR_DUR_Y_P0(k)] = 1 / (1 + exp(-theta[CR_DUR_Y_P0(k)]));
}

static void duration_constrain(const cr_model *m, const double *theta, double *out)
{
    constrain(model_k(m), theta, out);
}

void cr_duration_model(cr_model *m, const cr_duration_data *d, int k)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_DUR_DIM(k);
    m->logp = cr_duration_logp;
    m->nout = CR_DUR_NOUT(k);
    m->name = duration_name;
    m->constrain = duration_constrain;
    m->data = (void *)d;
}

void cr_duration_loglik(const cr_duration_data *d, const cr_duration_params *p, double *ll)
{
    mix x;
    memset(&x, 0, sizeof x);
    x.k = p->k;
    for (int j = 0; j < p->k; j++)
        x.w[j] = p->w[j], x.lw[j] = log(p->w[j]), x.m[j] = p->m[j], x.s[j] = p->s[j];
    x.lp0 = log(p->p0);
    x.l1p0 = log1p(-p->p0);
    loglik(d, &x, 0, ll);
}

cr_duration_params cr_duration_params_at(int k, double res_s, const double *out)
{
    cr_duration_params p;
    memset(&p, 0, sizeof p);
    p.k = k;
    p.p0 = out[CR_DUR_Y_P0(k)];
    p.res = res_s;
    double left = 1;
    for (int j = 0; j < k; j++) {
        p.w[j] = j + 1 < k ? out[j] : fmax(left, 0);
        left -= p.w[j];
        p.m[j] = out[k - 1 + j];
        p.s[j] = out[2 * k - 1 + j];
    }
    return p;
}
