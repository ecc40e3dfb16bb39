/* A duration candidate judged through its Laplace approximation, corrected by importance
 * sampling (fit/fit_duration.h, cr_duration_judge): PSIS-LOO and the check against
 * Kaplan-Meier without a NUTS run. */
#include "fit/fit_duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/clock.h"
#include "common/pool.h"
#include "common/splitmix.h"
#include "common/xalloc.h"
#include "duration/mixture.h"

/* Independent draws of each candidate's approximation behind its PSIS-LOO, per pass: a
 * multivariate t, whose heavier tails cover the skew of a mixture's posterior that a normal
 * misses (on the 8 x 8 h TCP flows with 4 components, Pareto k 0.89 with a normal proposal),
 * first with the Laplace covariance, then with the moments its weights give (approx_adapt). */
#define APPROX_DRAWS 1000
#define APPROX_DF 5.0
/* The approximation is trusted where the Pareto k of its importance ratios p / g is at most
 * this (loo's threshold for reliable importance sampling)... */
#define APPROX_K_MAX 0.7
/* ... and where the start search found no other mode within this many log units of density of
 * the highest: draws around one mode cannot see another's mass, and once the proposal is
 * adapted to the highest its k says nothing of it. Four components had such a mode 0 to 11
 * units below (2 and 3 components: 91 units or more) on every set of synth captures measured,
 * and on the 8 x 8 h TCP flows, k 0.39 once adapted, NUTS then failed R-hat and ESS in 66 s of
 * retries. */
#define APPROX_MODE_GAP 30.0

typedef struct {
    const cr_duration_data *d;
    const cr_duration_candidate *c;
    uint64_t seed;
    const double *loc, *root;   /* the proposal's place and lower Cholesky factor in the
                                 * whitened coordinates (root NULL: 0 and the identity) */
    double *z;                  /* [APPROX_DRAWS][CR_DUR_MAXDIM]: each draw there */
    double *ll;                 /* [nobs][APPROX_DRAWS] (NULL: not computed) */
    double *lr;                 /* [APPROX_DRAWS]: log p - log g */
    cr_duration_params *params; /* [APPROX_DRAWS] */
} approx_ctx;

/* Draw j of the approximation: theta = mode + R^-T z, z = loc + root u with u multivariate t
 * from (seed, j). log g drops the constant log |root|, which normalised weights cancel. */
static void approx_draw(void *ctx, size_t j, int worker)
{
    const approx_ctx *a = ctx;
    const cr_duration_start *st = &a->c->start;
    const int n = CR_DUR_DIM(st->k);
    (void)worker;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)cr_splitmix64(a->seed ^ cr_splitmix64(j)));
    double u[CR_DUR_MAXDIM], th[CR_DUR_MAXDIM], out[CR_DUR_MAXDIM], zz = 0;
    double *z = a->z + j * CR_DUR_MAXDIM;
    double scale = sqrt(APPROX_DF / gsl_ran_chisq(r, APPROX_DF));
    for (int i = 0; i < n; i++) {
        u[i] = gsl_ran_gaussian_ziggurat(r, 1);
        zz += u[i] * u[i];
        u[i] *= scale;
    }
    zz *= scale * scale;
    gsl_rng_free(r);
    for (int i = 0; i < n; i++) {
        if (!a->root) {
            z[i] = u[i];
            continue;
        }
        z[i] = a->loc[i];
        for (int l = 0; l <= i; l++)
            z[i] += a->root[i * n + l] * u[l];
    }
    cr_duration_start_theta(st, z, th);
    cr_model m;
    cr_duration_model(&m, a->d, st->k);
    a->lr[j] = cr_duration_logp(&m, th, NULL, NULL) + (APPROX_DF + n) / 2 * log1p(zz / APPROX_DF);
    m.constrain(&m, th, out);
    a->params[j] = cr_duration_params_at(st->k, (double)a->d->res_ms / 1000, out);
    if (!isfinite(a->lr[j])) /* a draw where the density is zero or past double range */
        a->lr[j] = -INFINITY;
    if (!a->ll) /* a pass whose weights only adapt the proposal */
        return;
    size_t nobs = cr_duration_nobs(a->d);
    double *row = xmalloc((nobs + 1) * sizeof *row);
    if (isfinite(a->lr[j]))
        cr_duration_loglik(a->d, &a->params[j], row);
    else
        memset(row, 0, nobs * sizeof *row);
    for (size_t o = 0; o < nobs; o++)
        a->ll[o * APPROX_DRAWS + j] = row[o];
    free(row);
}

static double log_sum_exp(const double *x, int n)
{
    double hi = -INFINITY, s = 0;
    for (int i = 0; i < n; i++)
        hi = fmax(hi, x[i]);
    for (int i = 0; i < n; i++)
        s += exp(x[i] - hi);
    return hi + log(s);
}

/* One pass of draws of the proposal a describes, into a's arrays: the Pareto k of p / g, and
 * the smoothed log weights in lw. */
static double approx_pass(approx_ctx *a, int threads, double *lw)
{
    cr_pool_run(APPROX_DRAWS, threads, approx_draw, a);
    cr_loo_ws *ws = cr_loo_ws_new();
    double k = cr_loo_psis(a->lr, APPROX_DRAWS, 1, lw, ws);
    cr_loo_ws_free(ws);
    return k;
}

/* The proposal moved onto the weighted moments of a's draws (importance weighted moment
 * matching, as loo's moment matching adapts its draws), pulled toward the Laplace
 * approximation by n pseudo-draws so that weights carried by a few draws do not collapse it:
 * loc = ess m / (ess + n), root root' = (ess S + n I) / (ess + n). 0 when that has no
 * Cholesky factor. */
static int approx_adapt(const approx_ctx *a, int n, const double *lw, double *loc,
                        double *root)
{
    double norm = log_sum_exp(lw, APPROX_DRAWS), sw2 = 0, m[CR_DUR_MAXDIM] = {0};
    double *w = xmalloc(APPROX_DRAWS * sizeof *w);
    for (int j = 0; j < APPROX_DRAWS; j++) {
        w[j] = exp(lw[j] - norm);
        sw2 += w[j] * w[j];
        for (int i = 0; i < n; i++)
            m[i] += w[j] * a->z[j * CR_DUR_MAXDIM + i];
    }
    const double ess = 1 / sw2, f = ess / (ess + n);
    for (int i = 0; i < n; i++) {
        loc[i] = f * m[i];
        for (int l = 0; l <= i; l++) {
            double c = 0;
            for (int j = 0; j < APPROX_DRAWS; j++)
                c += w[j] * (a->z[j * CR_DUR_MAXDIM + i] - m[i]) *
                     (a->z[j * CR_DUR_MAXDIM + l] - m[l]);
            root[i * n + l] = f * c + (i == l ? 1 - f : 0);
            root[l * n + i] = root[i * n + l];
        }
    }
    free(w);
    gsl_matrix_view v = gsl_matrix_view_array(root, (size_t)n, (size_t)n);
    int rc = gsl_linalg_cholesky_decomp1(&v.matrix); /* the start search turned the aborting
                                                        * handler off (common/gsl_handler.h) */
    for (int i = 0; i < n; i++)
        for (int l = i + 1; l < n; l++)
            root[i * n + l] = 0;
    return rc == 0;
}

typedef struct {
    const approx_ctx *a;
    const double *lw_post;  /* smoothed, normalized log weights of the whole posterior */
    cr_loo_pointwise *pw;
    double **buf;           /* per worker: 3 x APPROX_DRAWS */
    cr_loo_ws **ws;
} loo_ctx;

/* PSIS-LOO of observation o from the approximation's draws: the ratios of leaving it out are
 * those of the approximation times 1 / p(y_o | theta) (loo's loo_approximate_posterior). */
static void approx_loo_obs(void *ctx, size_t o, int worker)
{
    const loo_ctx *c = ctx;
    const double *ll = c->a->ll + o * APPROX_DRAWS;
    double *lr = c->buf[worker], *lw = lr + APPROX_DRAWS, *t = lw + APPROX_DRAWS;
    for (int j = 0; j < APPROX_DRAWS; j++)
        lr[j] = c->a->lr[j] - ll[j];
    cr_loo_pointwise *p = &c->pw[o];
    memset(p, 0, sizeof *p);
    p->pareto_k = cr_loo_psis(lr, APPROX_DRAWS, 1, lw, c->ws[worker]);
    double norm = log_sum_exp(lw, APPROX_DRAWS);
    for (int j = 0; j < APPROX_DRAWS; j++)
        t[j] = lw[j] + ll[j];
    p->elpd_loo = log_sum_exp(t, APPROX_DRAWS) - norm;
    for (int j = 0; j < APPROX_DRAWS; j++)
        t[j] = c->lw_post[j] + ll[j];
    p->lpd = log_sum_exp(t, APPROX_DRAWS);
    p->p_loo = p->lpd - p->elpd_loo;
    p->looic = -2 * p->elpd_loo;
    p->r_eff = 1;
    p->n_eff = NAN;
}

void cr_duration_judge(cr_duration_candidate *c, int k, const cr_duration_data *d,
                       const double *weight, size_t nobs, const cr_duration_obs *obs,
                       double horizon, uint64_t seed, int threads)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    double t0 = cr_now();
    cr_duration_find_start(d, k, threads, &c->start);
    c->seconds[0] = cr_now() - t0;
    {
        double out[CR_DUR_MAXDIM];
        cr_model m;
        cr_duration_model(&m, d, k);
        m.constrain(&m, c->start.mode, out);
        cr_duration_params p = cr_duration_params_at(k, (double)d->res_ms / 1000, out);
        c->resolved = 1;
        for (int j = 0; j < k; j++)
            c->resolved = c->resolved && p.m[j] >= d->x_res;
    }
    approx_ctx a = {d, c, seed, NULL, NULL,
                    xmalloc(APPROX_DRAWS * CR_DUR_MAXDIM * sizeof(double)), NULL,
                    xmalloc(APPROX_DRAWS * sizeof(double)),
                    xmalloc(APPROX_DRAWS * sizeof(cr_duration_params))};
    double *lw = xmalloc(APPROX_DRAWS * sizeof *lw);
    approx_pass(&a, threads, lw);
    double loc[CR_DUR_MAXDIM], root[CR_DUR_MAXDIM * CR_DUR_MAXDIM];
    if (approx_adapt(&a, CR_DUR_DIM(k), lw, loc, root)) {
        a.loc = loc;
        a.root = root;
        a.seed = cr_splitmix64(seed);
    } /* else the judged pass repeats the first one's draws */
    a.ll = xmalloc((nobs * APPROX_DRAWS + 1) * sizeof(double));
    c->approx_k = approx_pass(&a, threads, lw);
    double norm = log_sum_exp(lw, APPROX_DRAWS);
    for (int j = 0; j < APPROX_DRAWS; j++) {
        lw[j] -= norm;
        if (lw[j] > -INFINITY)
            c->mean_s += exp(lw[j]) * cr_duration_mean_within(&a.params[j], horizon);
    }
    loo_ctx lc = {&a, lw, xmalloc((nobs + 1) * sizeof *lc.pw),
                  xmalloc((size_t)threads * sizeof *lc.buf),
                  xmalloc((size_t)threads * sizeof *lc.ws)};
    for (int t = 0; t < threads; t++) {
        lc.buf[t] = xmalloc(3 * APPROX_DRAWS * sizeof(double));
        lc.ws[t] = cr_loo_ws_new();
    }
    cr_pool_run(nobs, threads, approx_loo_obs, &lc);
    c->elpd = xmalloc((nobs + 1) * sizeof *c->elpd);
    cr_loo_estimate(lc.pw, nobs, weight, APPROX_DRAWS, c->elpd, &c->loo);
    for (int t = 0; t < threads; t++) {
        free(lc.buf[t]);
        cr_loo_ws_free(lc.ws[t]);
    }
    free(lc.buf);
    free(lc.ws);
    free(lc.pw);
    c->seconds[1] = cr_now() - t0 - c->seconds[0];
    c->one_mode = c->start.next_lp < c->start.lp - APPROX_MODE_GAP;
    c->usable = c->resolved && c->one_mode && c->approx_k <= APPROX_K_MAX;
    if (c->usable) { /* an unusable candidate is not kept whatever its check would say */
        /* the check's replicates from the weighted draws, by systematic resampling */
        cr_duration_params *p = xmalloc(CR_DUR_FIT_REPLICATES * sizeof *p);
        double cum = exp(lw[0]);
        for (int i = 0, j = 0; i < CR_DUR_FIT_REPLICATES; i++) {
            double u = (i + 0.5) / CR_DUR_FIT_REPLICATES;
            while (cum < u && j + 1 < APPROX_DRAWS)
                cum += exp(lw[++j]);
            p[i] = a.params[j];
        }
        cr_duration_ppc_run(obs, p, CR_DUR_FIT_REPLICATES, cr_splitmix64(seed), threads, &c->ppc);
        free(p);
    }
    c->seconds[2] = cr_now() - t0 - c->seconds[0] - c->seconds[1];
    free(lw);
    free(a.z);
    free(a.ll);
    free(a.lr);
    free(a.params);
}
