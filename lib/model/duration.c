#include "model/duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "common/xalloc.h"
#include "ingest/packet.h"

#define LOG_HALF (-0.69314718055994530942)
#define HALF_LOG_2PI 0.91893853320467274178

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored)
{
    memset(d, 0, sizeof *d);
    d->exact_ms = xmalloc((n + 1) * sizeof(double));
    d->cens_ms = xmalloc((n + 1) * sizeof(double));
    int64_t *shorts = xmalloc((n + 1) * sizeof(int64_t));
    size_t nshort = 0;
    for (size_t i = 0; i < n; i++) {
        if (censored && censored[i]) {
            if (ms[i] > 0)
                d->cens_ms[d->ncens++] = (double)ms[i];
            else
                d->ncens_zero++;
        } else if (ms[i] >= CR_DURATION_EXACT_MS) {
            d->exact_ms[d->nexact++] = (double)ms[i];
        } else {
            shorts[nshort++] = ms[i] < 0 ? 0 : ms[i];
        }
    }
    qsort(shorts, nshort, sizeof *shorts, cmp_i64);
    d->bin_ms = xmalloc((nshort + 1) * sizeof(int));
    d->bin_n = xmalloc((nshort + 1) * sizeof(double));
    for (size_t i = 0; i < nshort; i++) {
        if (i == 0 || shorts[i] != shorts[i - 1]) {
            d->bin_ms[d->nbin] = (int)shorts[i];
            d->bin_n[d->nbin++] = 0;
        }
        d->bin_n[d->nbin - 1] += 1;
    }
    free(shorts);
}

void cr_duration_data_free(cr_duration_data *d)
{
    free(d->exact_ms);
    free(d->bin_ms);
    free(d->bin_n);
    free(d->cens_ms);
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
                                 uint8_t proto)
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
    cr_duration_data_init(d, k, ms, cens);
    free(ms);
    free(cens);
}

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

static term density_term(double x, double m, double s, double ls)
{
    double z = (x - m) / s;
    return (term){-0.5 * z * z - ls, z / s, z * z - 1};
}

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

typedef struct {
    double w, lw, l1w; /* w, log w, log(1 - w) */
    double m[2], s[2], ls[2];
    double g[2][2];    /* d lp / d m_k, d lp / d log s_k */
    double gw;         /* d lp / d logit w */
} mix;

/* Adds count * log(w e^t1 + (1 - w) e^t2) and its gradient. */
static double add_mix(mix *x, term t1, term t2, double count, int grad)
{
    double a1 = x->lw + t1.l, a2 = x->l1w + t2.l;
    double hi = a1 > a2 ? a1 : a2;
    double l = hi + log(exp(a1 - hi) + exp(a2 - hi));
    if (grad) {
        double r1 = exp(a1 - l), r2 = exp(a2 - l);
        x->g[0][0] += count * r1 * t1.dm;
        x->g[0][1] += count * r1 * t1.dls;
        x->g[1][0] += count * r2 * t2.dm;
        x->g[1][1] += count * r2 * t2.dls;
        x->gw += count * (r1 * (1 - x->w) - r2 * x->w);
    }
    return count * l;
}

double cr_duration_logp(const cr_model *m, const double *theta, double *grad, void *scratch)
{
    const cr_duration_data *d = m->data;
    mix x;
    memset(&x, 0, sizeof x);
    double lt = theta[CR_DUR_LOGIT_W], dm = exp(theta[CR_DUR_LOG_DM]);
    /* log w and log(1 - w) from the logit without forming 1 - w */
    x.lw = lt > 0 ? -log1p(exp(-lt)) : lt - log1p(exp(lt));
    x.l1w = x.lw - lt;
    x.w = exp(x.lw);
    x.m[0] = theta[CR_DUR_M1];
    x.m[1] = x.m[0] + dm;
    x.ls[0] = theta[CR_DUR_LOG_S1];
    x.ls[1] = theta[CR_DUR_LOG_S2];
    x.s[0] = exp(x.ls[0]);
    x.s[1] = exp(x.ls[1]);
    if (!isfinite(x.m[1]) || !(x.s[0] > 0) || !(x.s[1] > 0) || !isfinite(x.s[0]) ||
        !isfinite(x.s[1]) || !isfinite(x.lw) || !isfinite(x.l1w))
        return -INFINITY;

    /* beta(2, 2) on w with the logit Jacobian; normal(0, 5) on m with the ordering Jacobian;
     * lognormal(0, 1) on s with the log Jacobian, i.e. normal(0, 1) on log s */
    double lp = 2 * (x.lw + x.l1w) - (x.m[0] * x.m[0] + x.m[1] * x.m[1]) / 50 +
                theta[CR_DUR_LOG_DM] - 0.5 * (x.ls[0] * x.ls[0] + x.ls[1] * x.ls[1]);
    const int g = grad != NULL;
    const double log1000 = log(1000.0);
    for (size_t i = 0; i < d->nexact; i++) {
        double v = log(d->exact_ms[i] + 0.5) - log1000;
        lp += add_mix(&x, density_term(v, x.m[0], x.s[0], x.ls[0]),
                      density_term(v, x.m[1], x.s[1], x.ls[1]), 1, g);
    }
    for (int i = 0; i < d->nbin; i++) {
        double lo = d->bin_ms[i] ? log(d->bin_ms[i]) - log1000 : -INFINITY;
        double hi = log(d->bin_ms[i] + 1.0) - log1000;
        lp += add_mix(&x, interval_term(lo, hi, x.m[0], x.s[0]),
                      interval_term(lo, hi, x.m[1], x.s[1]), d->bin_n[i], g);
    }
    for (size_t i = 0; i < d->ncens; i++) {
        double v = log(d->cens_ms[i]) - log1000;
        lp += add_mix(&x, survival_term(v, x.m[0], x.s[0]), survival_term(v, x.m[1], x.s[1]), 1,
                      g);
    }
    (void)scratch;
    if (!g)
        return lp;
    double gm1 = x.g[0][0] - x.m[0] / 25, gm2 = x.g[1][0] - x.m[1] / 25;
    grad[CR_DUR_LOGIT_W] = x.gw + 2 - 4 * x.w;
    grad[CR_DUR_M1] = gm1 + gm2;
    grad[CR_DUR_LOG_DM] = gm2 * dm + 1;
    grad[CR_DUR_LOG_S1] = x.g[0][1] - x.ls[0];
    grad[CR_DUR_LOG_S2] = x.g[1][1] - x.ls[1];
    return lp;
}

static void duration_name(const cr_model *m, int i, char *buf, size_t n)
{
    static const char *const names[CR_DUR_DIM] = {"w", "m1", "m2", "s1", "s2"};
    (void)m;
    snprintf(buf, n, "%s", names[i]);
}

static void duration_constrain(const cr_model *m, const double *theta, double *out)
{
    (void)m;
    out[0] = 1 / (1 + exp(-theta[CR_DUR_LOGIT_W]));
    out[1] = theta[CR_DUR_M1];
    out[2] = theta[CR_DUR_M1] + exp(theta[CR_DUR_LOG_DM]);
    out[3] = exp(theta[CR_DUR_LOG_S1]);
    out[4] = exp(theta[CR_DUR_LOG_S2]);
}

void cr_duration_model(cr_model *m, const cr_duration_data *d)
{
    memset(m, 0, sizeof *m);
    m->dim = CR_DUR_DIM;
    m->logp = cr_duration_logp;
    m->nout = CR_DUR_DIM;
    m->name = duration_name;
    m->constrain = duration_constrain;
    m->data = (void *)d;
}

cr_duration_params cr_duration_params_at(const double *out)
{
    return (cr_duration_params){out[0], out[1], out[2], out[3], out[4]};
}

double cr_duration_survival(const cr_duration_params *p, double t)
{
    if (!(t > 0))
        return 1;
    double x = log(t);
    return p->w * gsl_cdf_ugaussian_Q((x - p->m1) / p->s1) +
           (1 - p->w) * gsl_cdf_ugaussian_Q((x - p->m2) / p->s2);
}

double cr_duration_draw(const cr_duration_params *p, gsl_rng *r)
{
    int first = gsl_rng_uniform(r) < p->w;
    return exp(first ? p->m1 + p->s1 * gsl_ran_gaussian(r, 1)
                     : p->m2 + p->s2 * gsl_ran_gaussian(r, 1));
}

double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r)
{
    if (!(age > 0))
        return cr_duration_draw(p, r);
    /* the component given D > age has weight w_k S_k(age); then log D is its normal truncated
     * to (log age, inf), drawn by inverting the upper tail (Qinv keeps the far tail exact) */
    double x = log(age), z1 = (x - p->m1) / p->s1, z2 = (x - p->m2) / p->s2;
    double q1 = gsl_cdf_ugaussian_Q(z1), q2 = gsl_cdf_ugaussian_Q(z2);
    double a = p->w * q1, b = (1 - p->w) * q2;
    int first = a + b > 0 ? gsl_rng_uniform(r) * (a + b) < a : z1 < z2;
    double q = first ? q1 : q2, m = first ? p->m1 : p->m2, s = first ? p->s1 : p->s2;
    if (!(q > 0))
        return age; /* beyond double range: the connection ends now */
    double u = gsl_rng_uniform_pos(r) * q;
    return exp(m + s * gsl_cdf_ugaussian_Qinv(u));
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

void cr_km_free(cr_km *km)
{
    free(km->t);
    free(km->s);
    free(km->se);
    memset(km, 0, sizeof *km);
}
