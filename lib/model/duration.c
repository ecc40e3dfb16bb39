#include "model/duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "common/pool.h"
#include "common/splitmix.h"
#include "common/xalloc.h"
#include "ingest/packet.h"

#define LOG_HALF (-0.69314718055994530942)
#define HALF_LOG_2PI 0.91893853320467274178

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The grid's edge after g: 1 ms on until g / coarsen exceeds it, then that (in whole ms, so
 * every bin is a union of the 1 ms intervals the timestamps give). */
static int64_t grid_next(int64_t g, int coarsen)
{
    int64_t w = coarsen > 0 ? g / coarsen : 0;
    return g + (w > 1 ? w : 1);
}

/* Sorted values to (grid lower edge, count) pairs, in place of v; returns the number of pairs.
 * lo[k] is the lower edge of pair k. */
static size_t to_grid(int64_t *v, size_t n, int coarsen, int64_t *lo, double *count)
{
    qsort(v, n, sizeof *v, cmp_i64);
    size_t k = 0;
    int64_t g = 0, next = grid_next(0, coarsen);
    for (size_t i = 0; i < n; i++) {
        if (coarsen <= 0 || v[i] < coarsen)
            g = v[i], next = v[i] + 1; /* 1 ms bins: no walk needed */
        else
            while (next <= v[i])
                g = next, next = grid_next(g, coarsen);
        if (k == 0 || lo[k - 1] != g)
            lo[k] = g, count[k++] = 0;
        count[k - 1] += 1;
    }
    return k;
}

static void add_edge(cr_duration_data *d, int64_t e)
{
    if (d->nedge == 0 || d->edge_ms[d->nedge - 1] != (double)e)
        d->edge_ms[d->nedge++] = (double)e;
}

void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored, int coarsen)
{
    memset(d, 0, sizeof *d);
    int64_t *ended = xmalloc((n + 1) * sizeof *ended), *cens = xmalloc((n + 1) * sizeof *cens);
    for (size_t i = 0; i < n; i++) {
        if (censored && censored[i]) {
            if (ms[i] > 0)
                cens[d->ncens++] = ms[i];
            else
                d->ncens_zero++;
        } else {
            ended[d->nended++] = ms[i] < 0 ? 0 : ms[i];
        }
    }
    int64_t *elo = xmalloc((d->nended + 1) * sizeof *elo);
    int64_t *clo = xmalloc((d->ncens + 1) * sizeof *clo);
    double *en = xmalloc((d->nended + 1) * sizeof *en), *cn = xmalloc((d->ncens + 1) * sizeof *cn);
    size_t ne = to_grid(ended, d->nended, coarsen, elo, en);
    size_t nc = to_grid(cens, d->ncens, coarsen, clo, cn);
    /* edges: both ends of every occupied bin and the lower end of every censored one, merged */
    size_t cap = 2 * ne + nc + 1;
    d->edge_ms = xmalloc(cap * sizeof *d->edge_ms);
    d->x = xmalloc(cap * sizeof *d->x);
    d->n_event = xcalloc(cap, sizeof *d->n_event);
    d->n_cens = xcalloc(cap, sizeof *d->n_cens);
    for (size_t i = 0, j = 0; i < ne || j < nc;) {
        if (j == nc || (i < ne && elo[i] <= clo[j])) {
            if (j < nc && elo[i] == clo[j]) {
                add_edge(d, clo[j]);
                d->n_cens[d->nedge - 1] = cn[j++];
            }
            add_edge(d, elo[i]);
            d->n_event[d->nedge - 1] = en[i];
            add_edge(d, grid_next(elo[i], coarsen));
            i++;
        } else {
            add_edge(d, clo[j]);
            d->n_cens[d->nedge - 1] = cn[j++];
        }
    }
    for (int i = 0; i < d->nedge; i++)
        d->x[i] = d->edge_ms[i] > 0 ? log(d->edge_ms[i] / 1000) : -INFINITY;
    free(ended);
    free(cens);
    free(elo);
    free(clo);
    free(en);
    free(cn);
}

void cr_duration_data_free(cr_duration_data *d)
{
    free(d->edge_ms);
    free(d->x);
    free(d->n_event);
    free(d->n_cens);
    memset(d, 0, sizeof *d);
}

int cr_flow_duration(const cr_flow *f, int64_t capture_end_ms, int64_t *ms)
{
    if (f->proto == CR_PROTO_UDP) {
        *ms = f->last_ms - f->start_ms;
        return 0;
    }
    if (f->reason != CR_REASON_OPEN) {
        *ms = f->end_ms - f->start_ms;
        return 0;
    }
    int64_t end = capture_end_ms > f->last_ms ? capture_end_ms : f->last_ms;
    *ms = end - f->start_ms;
    return 1;
}

void cr_duration_data_from_flows(cr_duration_data *d, const cr_flow *fl, size_t n,
                                 const int *machine, const int64_t *capture_end_ms,
                                 uint8_t proto, int coarsen)
{
    int64_t *ms = xmalloc((n + 1) * sizeof(int64_t));
    uint8_t *cens = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (fl[i].proto != proto)
            continue;
        int64_t end = capture_end_ms ? capture_end_ms[machine[i]] : CR_NA_I64;
        cens[k] = (uint8_t)cr_flow_duration(&fl[i], end, &ms[k]);
        k++;
    }
    cr_duration_data_init(d, k, ms, cens, coarsen);
    free(ms);
    free(cens);
}

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

/* log P(Z > z) for standard normal Z, accurate in both tails. */
static double log_q(double z)
{
    return LOG_HALF + gsl_sf_log_erfc(z * M_SQRT1_2);
}

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
    double z = (x - m) / s, l = log_q(z), h = exp(log_phi(z) - l);
    return (term){l, h / s, h * z};
}

/* log P(lo < X < hi) for X ~ Normal(m, s); lo may be -INFINITY. The difference is taken in the
 * tail it lies in, so a narrow interval far from m keeps its digits. */
static term interval_term(double lo, double hi, double m, double s)
{
    double za = (lo - m) / s, zb = (hi - m) / s, l;
    if (isinf(za))
        l = log_q(-zb);
    else if (zb <= 0) {
        double lb = log_q(-zb);
        l = lb + log(-expm1(log_q(-za) - lb));
    } else if (za >= 0) {
        double la = log_q(za);
        l = la + log(-expm1(log_q(zb) - la));
    } else {
        l = log1p(-(exp(log_q(-za)) + exp(log_q(zb))));
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

/* The log-likelihood of the data under x (gradient into x when grad), and each observation's
 * log-likelihood per connection into pw when not NULL. */
static double loglik(const cr_duration_data *d, mix *x, int grad, double *pw)
{
    const int k = x->k;
    double lp = 0;
    edge_val prev[KMAX], cur[KMAX];
    prob p[KMAX];
    term t[KMAX];
    memset(prev, 0, sizeof prev);
    for (int i = 0; i < d->nedge; i++) {
        double xi = d->x[i];
        for (int j = 0; j < k; j++)
            cur[j] = edge_at(xi, x->m[j], x->s[j]);
        double n = i > 0 ? d->n_event[i - 1] : 0;
        if (n > 0) {
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
                *pw++ = l;
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
                *pw++ = l;
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

/* The model's k from its dimension 3k - 1. */
static int model_k(const cr_model *m)
{
    return (m->dim + 1) / 3;
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
    const int g = grad != NULL;
    lp += loglik(d, &x, g, NULL);
    if (!g)
        return lp;
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
    else
        snprintf(buf, n, "s[%d]", i - (2 * k - 1) + 1);
}

/* w_1..w_{k-1}, m, s: w_k = 1 - the others' sum is left out, a constant column for k = 1 */
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

size_t cr_duration_nobs(const cr_duration_data *d)
{
    size_t n = 0;
    for (int i = 0; i < d->nedge; i++)
        n += (i > 0 && d->n_event[i - 1] > 0) + (d->n_cens[i] > 0);
    return n;
}

void cr_duration_obs_weights(const cr_duration_data *d, double *weight)
{
    for (int i = 0; i < d->nedge; i++) {
        if (i > 0 && d->n_event[i - 1] > 0)
            *weight++ = d->n_event[i - 1];
        if (d->n_cens[i] > 0)
            *weight++ = d->n_cens[i];
    }
}

void cr_duration_loglik(const cr_duration_data *d, const cr_duration_params *p, double *ll)
{
    mix x;
    memset(&x, 0, sizeof x);
    x.k = p->k;
    for (int j = 0; j < p->k; j++)
        x.w[j] = p->w[j], x.lw[j] = log(p->w[j]), x.m[j] = p->m[j], x.s[j] = p->s[j];
    loglik(d, &x, 0, ll);
}

/* ---- where the chains start ---- */

/* The p-quantile of the durations in log seconds, censored ones at their age: only to place
 * the starts. */
static double data_quantile(const cr_duration_data *d, double p)
{
    double target = p * (double)(d->nended + d->ncens), cum = 0;
    for (int i = 0; i < d->nedge; i++) {
        cum += d->n_cens[i] + (i + 1 < d->nedge ? d->n_event[i] : 0);
        if (cum >= target && cum > 0)
            return i + 1 < d->nedge ? log((d->edge_ms[i] + d->edge_ms[i + 1]) / 2000) : d->x[i];
    }
    return 0;
}

/* Cholesky factor of the n x n matrix a (row-major) into l; 0 unless a is not positive
 * definite. */
static int cholesky(int n, const double *a, double *l)
{
    memset(l, 0, (size_t)(n * n) * sizeof *l);
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (int k = 0; k < j; k++)
            s -= l[j * n + k] * l[j * n + k];
        if (!(s > 0) || !isfinite(s))
            return -1;
        l[j * n + j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (int k = 0; k < j; k++)
                t -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = t / l[j * n + j];
        }
    }
    return 0;
}

/* Solves l l' x = b in place. */
static void chol_solve(int n, const double *l, double *b)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++)
            b[i] -= l[i * n + k] * b[k];
        b[i] /= l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        for (int k = i + 1; k < n; k++)
            b[i] -= l[k * n + i] * b[k];
        b[i] /= l[i * n + i];
    }
}

enum { D = CR_DUR_MAXDIM }; /* room for the matrices below; n = CR_DUR_DIM(k) is used */

/* Minus the Hessian (n x n) of the log density at th, by central differences of the
 * gradient. */
static void neg_hessian(const cr_duration_data *d, int k, const double *th, double *h)
{
    const int n = CR_DUR_DIM(k);
    double x[D], gp[D], gm[D];
    for (int j = 0; j < n; j++) {
        double step = 1e-5 * (1 + fabs(th[j]));
        memcpy(x, th, (size_t)n * sizeof *x);
        x[j] = th[j] + step;
        logp_data(d, k, x, gp);
        x[j] = th[j] - step;
        logp_data(d, k, x, gm);
        for (int i = 0; i < n; i++)
            h[i * n + j] = -(gp[i] - gm[i]) / (2 * step);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            h[i * n + j] = h[j * n + i] = (h[i * n + j] + h[j * n + i]) / 2;
}

/* Newton's method with a Levenberg shift where the Hessian is not negative definite and a
 * backtracking line search, from th to a local mode; returns the log density there. From the
 * quantile starts a mode is reached in 10 to 30 steps; 60 bounds the climbs along a ridge (a
 * component below the clock's resolution), which have no mode to reach. */
static double ascend(const cr_duration_data *d, int k, double *th)
{
    const int n = CR_DUR_DIM(k);
    double g[D], h[D * D], l[D * D], step[D], x[D];
    double lp = logp_data(d, k, th, g);
    for (int it = 0; it < 60 && isfinite(lp); it++) {
        neg_hessian(d, k, th, h);
        double shift = 0, maxdiag = 0;
        for (int i = 0; i < n; i++)
            maxdiag = fmax(maxdiag, fabs(h[i * n + i]));
        for (;;) {
            for (int i = 0; i < n; i++)
                h[i * n + i] += shift;
            int ok = cholesky(n, h, l) == 0;
            for (int i = 0; i < n; i++)
                h[i * n + i] -= shift;
            if (ok)
                break;
            shift = shift > 0 ? 4 * shift : 1e-8 * (maxdiag + 1);
        }
        memcpy(step, g, (size_t)n * sizeof *step);
        chol_solve(n, l, step);
        double decrement = 0, longest = 0;
        for (int i = 0; i < n; i++)
            decrement += g[i] * step[i], longest = fmax(longest, fabs(step[i]));
        if (!(decrement > 1e-6)) /* within a millionth of a log unit of the mode */
            break;
        /* never more than 2 units in any coordinate in one step */
        double t = longest > 2 ? 2 / longest : 1, next = -INFINITY;
        for (; t > 1e-12; t /= 2) {
            for (int i = 0; i < n; i++)
                x[i] = th[i] + t * step[i];
            next = logp_data(d, k, x, NULL);
            if (next >= lp + 1e-4 * t * decrement)
                break;
        }
        if (!(t > 1e-12))
            break;
        memcpy(th, x, (size_t)n * sizeof *x);
        lp = logp_data(d, k, th, g);
    }
    return lp;
}

/* The quantiles at which the durations are split into groups, one group per component. */
static const double CUTS[] = {0.1, 0.3, 0.5, 0.7, 0.9};
enum { NCUTS = sizeof CUTS / sizeof CUTS[0] };

/* A start from k groups between the cut quantiles lo[0] = 0 < ... < lo[k] = 1: each group's
 * median, interquartile spread and share. */
static void start_from_groups(const cr_duration_data *d, int k, const double *lo, double *th)
{
    double left = 1, prev_m = 0;
    for (int j = 0; j < k; j++) {
        double a = lo[j], b = lo[j + 1], w = b - a;
        double q1 = data_quantile(d, a + 0.25 * w), q2 = data_quantile(d, a + 0.5 * w),
               q3 = data_quantile(d, a + 0.75 * w);
        if (j + 1 < k) {
            double z = w / left;
            th[j] = log(z / (1 - z)) + log((double)(k - 1 - j));
            left -= w;
        }
        th[CR_DUR_Y_M(k) + j] = j ? log(fmax(q2 - prev_m, 0.1)) : q2;
        th[CR_DUR_Y_S(k) + j] = log(fmin(fmax((q3 - q1) / 1.349, 0.1), 5));
        prev_m = q2;
    }
}

typedef struct {
    const cr_duration_data *d;
    int k;
    double (*th)[D];
    double *lp;
} ascent_ctx;

static void ascent_job(void *ctx, size_t i, int worker)
{
    const ascent_ctx *a = ctx;
    (void)worker;
    a->lp[i] = ascend(a->d, a->k, a->th[i]);
}

void cr_duration_find_start(const cr_duration_data *d, int k, int threads, cr_duration_start *s)
{
    memset(s, 0, sizeof *s);
    s->d = d;
    s->k = k;
    s->lp = s->next_lp = -INFINITY;
    const int n = CR_DUR_DIM(k);
    /* every choice of k - 1 cut quantiles (C(5, k - 1) of them), then the origin, where the
     * sampler's own inits centre */
    enum { MAXSTARTS = 11 };
    double found[MAXSTARTS][D], flp[MAXSTARTS];
    int ns = 0, c[KMAX] = {0};
    for (int j = 0; j + 1 < k; j++)
        c[j] = j;
    for (;;) {
        double lo[KMAX + 1] = {0};
        for (int j = 0; j + 1 < k; j++)
            lo[j + 1] = CUTS[c[j]];
        lo[k] = 1;
        memset(found[ns], 0, sizeof found[ns]);
        start_from_groups(d, k, lo, found[ns++]);
        int j = k - 2; /* the next combination in lexicographic order */
        while (j >= 0 && c[j] == NCUTS - (k - 1) + j)
            j--;
        if (j < 0)
            break;
        c[j]++;
        for (int i = j + 1; i + 1 < k; i++)
            c[i] = c[i - 1] + 1;
    }
    memset(found[ns], 0, sizeof found[ns]);
    ns++;
    ascent_ctx ac = {d, k, found, flp};
    cr_pool_run((size_t)ns, threads, ascent_job, &ac);
    for (int i = 0; i < ns; i++) {
        if (flp[i] > s->lp) {
            s->lp = flp[i];
            memcpy(s->mode, found[i], sizeof s->mode);
        }
    }
    s->starts = ns;
    double h[D * D], cov[D];
    neg_hessian(d, k, s->mode, h);
    int ok = cholesky(n, h, s->root) == 0;
    for (int j = 0; j < n; j++) {
        double e[D] = {0};
        e[j] = 1;
        if (ok)
            chol_solve(n, s->root, e);
        cov[j] = e[j];
        ok = ok && e[j] > 0 && isfinite(e[j]);
    }
    if (!ok)
        memset(s->root, 0, sizeof s->root);
    for (int j = 0; j < n; j++) {
        s->scale[j] = ok ? sqrt(cov[j]) : 1;
        if (!ok)
            s->root[j * n + j] = 1;
    }
    /* distinct modes: apart by more than one Laplace sd of the best in some coordinate */
    for (int i = 0; i < ns; i++) {
        if (!isfinite(flp[i]))
            continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            int same = isfinite(flp[j]);
            for (int q = 0; q < n && same; q++)
                same = fabs(found[i][q] - found[j][q]) <= s->scale[q];
            seen = same;
        }
        if (seen)
            continue;
        s->modes++;
        int best = 1;
        for (int q = 0; q < n && best; q++)
            best = fabs(found[i][q] - s->mode[q]) <= s->scale[q];
        if (!best && flp[i] > s->next_lp) {
            s->next_lp = flp[i];
            memcpy(s->next_mode, found[i], sizeof s->next_mode);
        }
    }
}

void cr_duration_start_theta(const cr_duration_start *s, const double *u, double *theta)
{
    /* R' (theta - mode) = u, R' upper triangular: theta holds theta - mode until the end */
    const int n = CR_DUR_DIM(s->k);
    for (int i = n - 1; i >= 0; i--) {
        double x = u[i];
        for (int j = i + 1; j < n; j++)
            x -= s->root[j * n + i] * theta[j];
        theta[i] = x / s->root[i * n + i];
    }
    for (int i = 0; i < n; i++)
        theta[i] += s->mode[i];
}

static double logp_at(const cr_model *m, const double *u, double *grad, void *scratch)
{
    const cr_duration_start *s = m->data;
    const int n = m->dim;
    double th[D], g[D];
    (void)scratch;
    cr_duration_start_theta(s, u, th);
    double lp = logp_data(s->d, s->k, th, grad ? g : NULL);
    if (grad) /* d lp / du = R^-1 d lp / dtheta */
        for (int i = 0; i < n; i++) {
            double x = g[i];
            for (int j = 0; j < i; j++)
                x -= s->root[i * n + j] * grad[j];
            grad[i] = x / s->root[i * n + i];
        }
    return lp;
}

static void constrain_at(const cr_model *m, const double *u, double *out)
{
    const cr_duration_start *s = m->data;
    double th[D];
    cr_duration_start_theta(s, u, th);
    constrain(s->k, th, out);
}

void cr_duration_model_at(cr_model *m, const cr_duration_start *s)
{
    cr_duration_model(m, s->d, s->k);
    m->logp = logp_at;
    m->constrain = constrain_at;
    m->data = (void *)s;
}

cr_duration_params cr_duration_params_at(int k, const double *out)
{
    cr_duration_params p;
    memset(&p, 0, sizeof p);
    p.k = k;
    double left = 1;
    for (int j = 0; j < k; j++) {
        p.w[j] = j + 1 < k ? out[j] : fmax(left, 0);
        left -= p.w[j];
        p.m[j] = out[k - 1 + j];
        p.s[j] = out[2 * k - 1 + j];
    }
    return p;
}

double cr_duration_survival(const cr_duration_params *p, double t)
{
    if (!(t > 0))
        return 1;
    double x = log(t), sum = 0;
    for (int j = 0; j < p->k; j++)
        sum += p->w[j] * gsl_cdf_ugaussian_Q((x - p->m[j]) / p->s[j]);
    return sum;
}

double cr_duration_mean(const cr_duration_params *p)
{
    double sum = 0;
    for (int j = 0; j < p->k; j++)
        if (p->w[j] > 0) /* an empty component adds nothing, even with an overflowing mean */
            sum += p->w[j] * exp(p->m[j] + p->s[j] * p->s[j] / 2);
    return sum;
}

/* E[min(D, t)] of one lognormal: the mean below t plus t times P(D > t). */
static double lognormal_within(double m, double s, double t)
{
    double x = log(t);
    /* exp(m + s^2 / 2) Phi(z) in logs: for a wide component far beyond t the first factor
     * overflows while Phi underflows (1e17 s means on short real captures) */
    return exp(m + s * s / 2 + log_q(-(x - m - s * s) / s)) +
           t * gsl_cdf_ugaussian_Q((x - m) / s);
}

double cr_duration_mean_within(const cr_duration_params *p, double t)
{
    if (!(t > 0))
        return 0;
    if (isinf(t))
        return cr_duration_mean(p);
    double sum = 0;
    for (int j = 0; j < p->k; j++)
        sum += p->w[j] * lognormal_within(p->m[j], p->s[j], t);
    return sum;
}

/* The component a uniform u picks with probabilities a[0..k-1] summing to total. */
static int pick(const double *a, int k, double total, double u)
{
    double c = 0, target = u * total;
    for (int j = 0; j + 1 < k; j++)
        if (target < (c += a[j]))
            return j;
    return k - 1;
}

double cr_duration_draw(const cr_duration_params *p, gsl_rng *r)
{
    int j = pick(p->w, p->k, 1, gsl_rng_uniform(r));
    return exp(p->m[j] + p->s[j] * gsl_ran_gaussian(r, 1));
}

double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r)
{
    if (!(age > 0))
        return cr_duration_draw(p, r);
    /* the component given D > age has weight w_j S_j(age); then log D is its normal truncated
     * to (log age, inf), drawn by inverting the upper tail (Qinv keeps the far tail exact) */
    double x = log(age), q[KMAX], a[KMAX], total = 0;
    int nearest = 0;
    for (int j = 0; j < p->k; j++) {
        double z = (x - p->m[j]) / p->s[j];
        q[j] = gsl_cdf_ugaussian_Q(z);
        a[j] = p->w[j] * q[j];
        total += a[j];
        if (z < (x - p->m[nearest]) / p->s[nearest])
            nearest = j;
    }
    int j = total > 0 ? pick(a, p->k, total, gsl_rng_uniform(r)) : nearest;
    if (!(q[j] > 0))
        return age; /* beyond double range: the connection ends now */
    double u = gsl_rng_uniform_pos(r) * q[j];
    return exp(p->m[j] + p->s[j] * gsl_cdf_ugaussian_Qinv(u));
}

typedef struct {
    double t;
    uint8_t cens;
} km_obs;

static int cmp_km(const void *a, const void *b)
{
    const km_obs *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)x->cens - (int)y->cens; /* events before censorings at the same time */
}

void cr_km_estimate(cr_km *km, size_t n, const double *t, const uint8_t *censored)
{
    memset(km, 0, sizeof *km);
    km_obs *o = xmalloc((n + 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = (km_obs){t[i], (uint8_t)(censored && censored[i])};
    qsort(o, n, sizeof *o, cmp_km);
    km->t = xmalloc((n + 1) * sizeof(double));
    km->s = xmalloc((n + 1) * sizeof(double));
    km->se = xmalloc((n + 1) * sizeof(double));
    double s = 1, gw = 0; /* Greenwood: sum of d / (r (r - d)) */
    for (size_t i = 0; i < n;) {
        size_t j = i, events = 0;
        while (j < n && o[j].t == o[i].t)
            events += !o[j++].cens;
        double at_risk = (double)(n - i);
        if (events) {
            s *= 1 - (double)events / at_risk;
            gw += at_risk > (double)events ? (double)events / (at_risk * (at_risk - events)) : 0;
            km->t[km->n] = o[i].t;
            km->s[km->n] = s;
            km->se[km->n++] = s * sqrt(gw);
        }
        i = j;
    }
    free(o);
}

double cr_km_at(const cr_km *km, double t, double *se)
{
    /* the last step at or before t */
    size_t lo = 0, hi = km->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (km->t[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (se)
        *se = lo ? km->se[lo - 1] : 0;
    return lo ? km->s[lo - 1] : 1;
}

double cr_km_mean(const cr_km *km)
{
    double area = 0, prev_t = 0, prev_s = 1;
    for (size_t i = 0; i < km->n; i++) {
        area += prev_s * (km->t[i] - prev_t);
        prev_t = km->t[i];
        prev_s = km->s[i];
    }
    return area;
}

void cr_km_free(cr_km *km)
{
    free(km->t);
    free(km->s);
    free(km->se);
    memset(km, 0, sizeof *km);
}

/* ---- the predictive check against Kaplan-Meier ----
 * Everything is counted on the likelihood's grid (grid_next with CR_DURATION_COARSEN), from 0
 * to past both the longest check time and the longest ended duration: a bin's ended durations
 * and the censored ones at its lower edge, removed from the risk set before the bin's events,
 * as the likelihood takes them. Kaplan-Meier on those counts is the data's own survival rounded
 * down to the grid (1% of t at most); its area is taken linear within a bin. */

const double cr_duration_ppc_times[CR_DUR_PPC_NTIMES] = {1, 10, 60, 300, 3600};

#define PPC_P_LO 0.01
#define PPC_P_HI 0.99

typedef struct {
    int nedge;
    int64_t *edge;              /* ms, from 0 */
    int at[CR_DUR_PPC_NTIMES];  /* the edge of each check time (the last at or below it) */
    int horizon;                /* the bin of the longest ended duration: the area's last */
} ppc_grid;

/* The bin [edge b, edge b + 1) holding v ms, or nedge - 1 when beyond the last edge. */
static int grid_bin(const ppc_grid *g, int64_t v)
{
    int lo = 0, hi = g->nedge - 1;
    if (v >= g->edge[hi])
        return hi;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (g->edge[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Kaplan-Meier at the check times and its area up to the horizon, from counts per bin (ev
 * ended, ce censored at the bin's lower edge; bin nedge - 1 holds what lies beyond). at_risk
 * gets how many were watched up to each check time. */
static void km_stats(const ppc_grid *g, const double *ev, const double *ce, double n,
                     double *stat, double *at_risk)
{
    double r = n, s = 1, area = 0;
    for (int b = 0; b + 1 < g->nedge; b++) {
        for (int t = 0; t < CR_DUR_PPC_NTIMES; t++)
            if (g->at[t] == b) {
                stat[t] = s;
                if (at_risk)
                    at_risk[t] = r;
            }
        r -= ce[b];
        double before = s;
        if (r > 0 && ev[b] > 0)
            s *= 1 - ev[b] / r;
        r -= ev[b];
        if (b <= g->horizon)
            area += (double)(g->edge[b + 1] - g->edge[b]) / 1000 * (before + s) / 2;
    }
    stat[CR_DUR_PPC_RMST] = area;
}

typedef struct {
    const cr_duration_obs *o;
    const ppc_grid *g;
    const cr_duration_params *draws;
    uint64_t seed;
    size_t nbulk;         /* connections watched past the last edge */
    size_t nsmall, *small; /* the others */
    int *follow_bin;      /* [n]: the bin of each connection's watch */
    double **ev, **ce, **cdf; /* per worker */
    double *rep;          /* [nrep][CR_DUR_PPC_NSTATS] */
} ppc_ctx;

/* One replicate: every connection gets a duration from draw i and is watched as long as the
 * real one was. Connections watched past the last edge cannot be cut short before it, so their
 * counts per bin are one multinomial draw (conditional binomials); the others one by one, by
 * inverting the grid's cdf. */
static void ppc_replicate(void *ctx, size_t i, int worker)
{
    const ppc_ctx *c = ctx;
    const ppc_grid *g = c->g;
    const cr_duration_params *p = &c->draws[i];
    const int nb = g->nedge; /* bins 0..nb-2 and "beyond" at nb - 1 */
    double *ev = c->ev[worker], *ce = c->ce[worker], *cdf = c->cdf[worker];
    memset(ev, 0, (size_t)nb * sizeof *ev);
    memset(ce, 0, (size_t)nb * sizeof *ce);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)cr_splitmix64(c->seed ^ cr_splitmix64(i)));
    for (int e = 0; e < nb; e++)
        cdf[e] = e ? 1 - cr_duration_survival(p, (double)g->edge[e] / 1000) : 0;
    unsigned int left = (unsigned int)c->nbulk;
    double rest = 1;
    for (int b = 0; b + 1 < nb && left > 0; b++) {
        double pb = fmax(cdf[b + 1] - cdf[b], 0), q = rest > 0 ? fmin(pb / rest, 1) : 1;
        unsigned int x = gsl_ran_binomial(r, q, left);
        ev[b] += x;
        left -= x;
        rest -= pb;
    }
    for (size_t k = 0; k < c->nsmall; k++) {
        size_t j = c->small[k];
        int b = c->follow_bin[j];
        /* P(D < follow) within its bin taken linear: bins are 1% wide at most */
        double within = (double)(c->o->follow_ms[j] - g->edge[b]) /
                        (double)(g->edge[b + 1] - g->edge[b]);
        double u = gsl_rng_uniform(r), until = cdf[b] + within * (cdf[b + 1] - cdf[b]);
        if (u < until) {
            int lo = 0, hi = b + 1; /* the bin whose cdf interval holds u */
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (cdf[mid] <= u)
                    lo = mid;
                else
                    hi = mid;
            }
            ev[lo]++;
        } else {
            (c->o->beyond_ended ? ev : ce)[b]++;
        }
    }
    gsl_rng_free(r);
    km_stats(g, ev, ce, (double)c->o->n, c->rep + i * CR_DUR_PPC_NSTATS, NULL);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's quantile type 7 of n ascending values. */
static double quantile7(const double *v, int n, double p)
{
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

void cr_duration_ppc_run(const cr_duration_obs *o, const cr_duration_params *draws, int nrep,
                         uint64_t seed, int threads, cr_duration_ppc *out)
{
    memset(out, 0, sizeof *out);
    out->nrep = nrep;
    int64_t longest = -1;
    for (size_t i = 0; i < o->n; i++)
        if (!(o->censored && o->censored[i]) && o->ms[i] > longest)
            longest = o->ms[i];
    ppc_grid g = {0};
    int64_t top = (int64_t)(1000 * cr_duration_ppc_times[CR_DUR_PPC_NTIMES - 1]);
    top = longest >= top ? longest + 1 : top;
    size_t cap = 64;
    g.edge = xmalloc(cap * sizeof *g.edge);
    g.edge[g.nedge++] = 0;
    while (g.edge[g.nedge - 1] <= top) {
        if ((size_t)g.nedge == cap)
            g.edge = xrealloc(g.edge, (cap *= 2) * sizeof *g.edge);
        g.edge[g.nedge] = grid_next(g.edge[g.nedge - 1], CR_DURATION_COARSEN);
        g.nedge++;
    }
    for (int t = 0; t < CR_DUR_PPC_NTIMES; t++)
        g.at[t] = grid_bin(&g, (int64_t)(1000 * cr_duration_ppc_times[t]));
    g.horizon = longest >= 0 ? grid_bin(&g, longest) : -1;

    ppc_ctx c = {.o = o, .g = &g, .draws = draws, .seed = seed};
    c.follow_bin = xmalloc((o->n + 1) * sizeof *c.follow_bin);
    c.small = xmalloc((o->n + 1) * sizeof *c.small);
    double *ev = xcalloc((size_t)g.nedge, sizeof *ev), *ce = xcalloc((size_t)g.nedge, sizeof *ce);
    for (size_t i = 0; i < o->n; i++) {
        int cens = o->censored && o->censored[i];
        (cens ? ce : ev)[grid_bin(&g, o->ms[i])]++;
        c.follow_bin[i] = grid_bin(&g, o->follow_ms[i]);
        if (o->follow_ms[i] >= g.edge[g.nedge - 1])
            c.nbulk++;
        else
            c.small[c.nsmall++] = i;
    }
    double obs[CR_DUR_PPC_NSTATS], at_risk[CR_DUR_PPC_NTIMES];
    km_stats(&g, ev, ce, (double)o->n, obs, at_risk);
    free(ev);
    free(ce);

    threads = cr_pool_threads(threads);
    c.ev = xmalloc((size_t)threads * sizeof *c.ev);
    c.ce = xmalloc((size_t)threads * sizeof *c.ce);
    c.cdf = xmalloc((size_t)threads * sizeof *c.cdf);
    for (int t = 0; t < threads; t++) {
        c.ev[t] = xmalloc((size_t)g.nedge * sizeof(double));
        c.ce[t] = xmalloc((size_t)g.nedge * sizeof(double));
        c.cdf[t] = xmalloc((size_t)g.nedge * sizeof(double));
    }
    c.rep = xmalloc(((size_t)nrep * CR_DUR_PPC_NSTATS + 1) * sizeof *c.rep);
    cr_pool_run((size_t)nrep, threads, ppc_replicate, &c);

    double *v = xmalloc(((size_t)nrep + 1) * sizeof *v);
    for (int k = 0; k < CR_DUR_PPC_NSTATS; k++) {
        cr_duration_ppc_stat *st = &out->stat[k];
        int rmst = k == CR_DUR_PPC_RMST;
        st->t = rmst ? (longest >= 0 ? (double)g.edge[g.horizon + 1] / 1000 : 0)
                     : cr_duration_ppc_times[k];
        st->defined = nrep > 0 && (rmst ? longest >= 0 : at_risk[k] > 0);
        if (!st->defined)
            continue;
        st->obs = obs[k];
        double above = 0, sum = 0;
        for (int i = 0; i < nrep; i++) {
            v[i] = c.rep[(size_t)i * CR_DUR_PPC_NSTATS + k];
            sum += v[i];
            above += v[i] > obs[k] ? 1 : v[i] == obs[k] ? 0.5 : 0;
        }
        qsort(v, (size_t)nrep, sizeof *v, cmp_dbl);
        st->rep_mean = sum / nrep;
        st->rep_median = quantile7(v, nrep, 0.5);
        st->rep_lo = quantile7(v, nrep, PPC_P_LO);
        st->rep_hi = quantile7(v, nrep, PPC_P_HI);
        st->p = above / nrep;
        st->fail = st->p < PPC_P_LO || st->p > PPC_P_HI;
        out->nfail += st->fail;
    }
    free(v);
    for (int t = 0; t < threads; t++) {
        free(c.ev[t]);
        free(c.ce[t]);
        free(c.cdf[t]);
    }
    free(c.ev);
    free(c.ce);
    free(c.cdf);
    free(c.rep);
    free(c.follow_bin);
    free(c.small);
    free(g.edge);
}
