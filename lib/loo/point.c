/* loo's pointwise_loo_calcs() and mcse_elpd() for one observation. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "common/pool.h"
#include "common/xalloc.h"
#include "loo/loo_internal.h"

static void set_nan(cr_loo_pointwise *out)
{
    double n = NAN;
    *out = (cr_loo_pointwise){n, n, n, n, n, n, n, n};
}

/* mcse_elpd(): the elpd's Monte Carlo variance through a normal approximation of the
 * expected predictive density, exp(elpd) +- sd at 1000 Blom-type normal quantiles, mapped
 * through log (non-positive values dropped). w2 holds the squared normalized weights. */
static double mcse_elpd(const double *lik, const double *w2, int s, double elpd, double r_eff,
                        cr_loo_ws *ws)
{
    if (!ws->zn_ready) {
        const double c = 3.0 / 8, q = CR_LOO_MCSE_QUANTILES;
        for (int r = 1; r <= CR_LOO_MCSE_QUANTILES; r++)
            ws->zn[r - 1] = gsl_cdf_ugaussian_Pinv((r - c) / (q - 2 * c + 1));
        ws->zn_ready = 1;
    }
    double e_epd = exp(elpd), *t = ws->tmp;
    for (int i = 0; i < s; i++) t[i] = w2[i] * ((lik[i] - e_epd) * (lik[i] - e_epd));
    double sd = sqrt(cr_loo_rsum(t, (size_t)s));
    double *logz = cr_loo_ws_fit(ws, CR_LOO_MCSE_QUANTILES);
    size_t m = 0;
    for (int r = 0; r < CR_LOO_MCSE_QUANTILES; r++) {
        double z = e_epd + sd * ws->zn[r];
        if (z > 0) logz[m++] = log(z);
    }
    return sqrt(cr_loo_rvar(logz, m) / r_eff);
}

void cr_loo_point_lik(const double *ll, int s, double r_eff, cr_loo_ws *ws,
                      cr_loo_pointwise *out)
{
    if (!(r_eff > 0)) r_eff = 1;
    double *lw = ws->lw, *t = ws->tmp;
    for (int i = 0; i < s; i++) lw[i] = -ll[i];
    out->pareto_k = cr_loo_psis(lw, s, r_eff, lw, ws);
    double norm = cr_loo_logsumexp(lw, (size_t)s);
    for (int i = 0; i < s; i++) lw[i] -= norm;
    for (int i = 0; i < s; i++) t[i] = ll[i] + lw[i];
    out->elpd_loo = cr_loo_logsumexp(t, (size_t)s);
    out->lpd = cr_loo_logsumexp(ll, (size_t)s) - log((double)s);
    out->p_loo = out->lpd - out->elpd_loo;
    out->looic = -2 * out->elpd_loo;
    out->r_eff = r_eff;
    /* lw becomes the squared normalized weights */
    for (int i = 0; i < s; i++) {
        double w = exp(lw[i]);
        lw[i] = w * w;
    }
    out->n_eff = 1 / cr_loo_rsum(lw, (size_t)s) * r_eff;
    out->mcse_elpd_loo = mcse_elpd(ws->lik, lw, s, out->elpd_loo, r_eff, ws);
}

/* Fills ws->lik with exp(ll); 0 when every ll is finite (loo's validate_ll). */
static int load(const double *ll, int chains, int n, cr_loo_ws *ws, int *s)
{
    *s = chains > 0 && n > 0 ? chains * n : 0;
    cr_loo_ws_reserve(ws, (size_t)*s);
    int bad = *s == 0;
    for (int i = 0; i < *s; i++) {
        bad |= !isfinite(ll[i]);
        ws->lik[i] = exp(ll[i]);
    }
    return bad ? -1 : 0;
}

static int point(const double *ll, int chains, int n, double r_eff, int with_reff,
                 cr_loo_ws *ws, cr_loo_pointwise *out)
{
    cr_loo_ws *own = ws ? NULL : cr_loo_ws_new();
    if (own) ws = own;
    int s, rc = load(ll, chains, n, ws, &s);
    if (rc == 0) {
        if (with_reff) r_eff = cr_loo_reff_lik(ws->lik, chains, n, ws);
        cr_loo_point_lik(ll, s, r_eff, ws, out);
    } else {
        set_nan(out);
    }
    cr_loo_ws_free(own);
    return rc;
}

int cr_loo_point(const double *ll, int chains, int n, double r_eff, cr_loo_ws *ws,
                 cr_loo_pointwise *out)
{
    return point(ll, chains, n, r_eff, 0, ws, out);
}

int cr_loo_point_reff(const double *ll, int chains, int n, cr_loo_ws *ws,
                      cr_loo_pointwise *out)
{
    return point(ll, chains, n, NAN, 1, ws, out);
}

typedef struct {
    const double *ll;
    int chains, n;
    cr_loo_ws **ws; /* [worker] */
    cr_loo_pointwise *out;
    int *rejected;  /* [observation] */
} many;

static void point_one(void *ctx, size_t i, int worker)
{
    const many *m = ctx;
    m->rejected[i] = cr_loo_point_reff(m->ll + i * (size_t)m->chains * m->n, m->chains, m->n,
                                       m->ws[worker], &m->out[i]) != 0;
}

size_t cr_loo_point_many(const double *ll, size_t obs, int chains, int n, int threads,
                         cr_loo_pointwise *out)
{
    threads = threads < 1 ? 1 : threads;
    many m = {ll, chains, n, xmalloc((size_t)threads * sizeof(cr_loo_ws *)), out,
              xcalloc(obs + 1, sizeof(int))};
    for (int t = 0; t < threads; t++)
        m.ws[t] = cr_loo_ws_new();
    cr_pool_run(obs, threads, point_one, &m);
    size_t rejected = 0;
    for (size_t i = 0; i < obs; i++)
        rejected += m.rejected[i];
    for (int t = 0; t < threads; t++)
        cr_loo_ws_free(m.ws[t]);
    free(m.ws);
    free(m.rejected);
    return rejected;
}
