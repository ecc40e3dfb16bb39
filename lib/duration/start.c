#include "duration/start.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "common/gsl_handler.h"
#include "common/pool.h"
#include "duration/entry.h"

enum { KMAX = CR_DUR_KMAX };

/* The log density of k components on duration.stan's scale (gradient into grad unless NULL). */
static double logp_data(const cr_duration_data *d, int k, const double *theta, double *grad)
{
    cr_model m;
    cr_duration_model(&m, d, k);
    return cr_duration_logp(&m, theta, grad, NULL);
}

/* The p-quantile of the durations the mixture holds (at or beyond the resolution) in log
 * seconds, censored ones at their age: only to place the starts. */
static double data_quantile(const cr_duration_data *d, double p)
{
    double target = p * ((double)(d->nended + d->ncens) - d->n_zero), cum = 0;
    for (int i = 0; i < d->nedge; i++) {
        int zero_bin = d->edge_ms[i] == 0;
        cum += d->n_cens[i] + (i + 1 < d->nedge && !zero_bin ? d->n_event[i] : 0);
        if (cum >= target && cum > 0)
            return i + 1 < d->nedge ? log((d->edge_ms[i] + d->edge_ms[i + 1]) / 2000) : d->x[i];
    }
    return 0;
}

/* The Cholesky factor of the n x n matrix a (row-major) into l, lower triangle (the upper one
 * zeroed); 0 unless a is not positive definite, which GSL reports as an error (its handler is
 * off: cr_duration_find_start). */
static int cholesky(int n, const double *a, double *l)
{
    memcpy(l, a, (size_t)(n * n) * sizeof *l);
    gsl_matrix_view lv = gsl_matrix_view_array(l, (size_t)n, (size_t)n);
    if (gsl_linalg_cholesky_decomp1(&lv.matrix) != GSL_SUCCESS)
        return -1;
    int ok = 1;
    for (int i = 0; i < n; i++) {
        ok = ok && isfinite(l[i * n + i]); /* GSL lets a NaN through */
        for (int j = i + 1; j < n; j++)
            l[i * n + j] = 0;
    }
    return ok ? 0 : -1;
}

/* Solves l l' x = b in place. */
static void chol_solve(int n, double *l, double *b)
{
    gsl_matrix_view lv = gsl_matrix_view_array(l, (size_t)n, (size_t)n);
    gsl_vector_view bv = gsl_vector_view_array(b, (size_t)n);
    gsl_linalg_cholesky_svx(&lv.matrix, &bv.vector);
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
            if (!(shift < INFINITY)) /* a Hessian no shift makes definite: not finite */
                return lp;
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
 * median, interquartile spread and share; p0 at its own mode, which does not depend on the
 * mixture. */
static void start_from_groups(const cr_duration_data *d, int k, const double *lo, double *th)
{
    double npos = (double)(d->nended + d->ncens) - d->n_zero;
    th[CR_DUR_Y_P0(k)] = log((d->n_zero + CR_DUR_P0_A) / (npos + CR_DUR_P0_B));
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
    cr_gsl_handler_init(); /* cholesky() */
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
    const int n = CR_DUR_DIM(s->k);
    gsl_matrix_const_view r = gsl_matrix_const_view_array(s->root, (size_t)n, (size_t)n);
    gsl_vector_view t = gsl_vector_view_array(theta, (size_t)n);
    memcpy(theta, u, (size_t)n * sizeof *theta);
    gsl_blas_dtrsv(CblasLower, CblasTrans, CblasNonUnit, &r.matrix, &t.vector);
    for (int i = 0; i < n; i++)
        theta[i] += s->mode[i];
}

static double logp_at(const cr_model *m, const double *u, double *grad, void *scratch)
{
    const cr_duration_start *s = m->data;
    const int n = m->dim;
    double th[D];
    (void)scratch;
    cr_duration_start_theta(s, u, th);
    double lp = logp_data(s->d, s->k, th, grad);
    if (grad) { /* d lp / du = R^-1 d lp / dtheta */
        gsl_matrix_const_view r = gsl_matrix_const_view_array(s->root, (size_t)n, (size_t)n);
        gsl_vector_view g = gsl_vector_view_array(grad, (size_t)n);
        gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, &r.matrix, &g.vector);
    }
    return lp;
}

static void constrain_at(const cr_model *m, const double *u, double *out)
{
    const cr_duration_start *s = m->data;
    double th[D];
    cr_model plain;
    cr_duration_model(&plain, s->d, s->k);
    cr_duration_start_theta(s, u, th);
    plain.constrain(&plain, th, out);
}

void cr_duration_model_at(cr_model *m, const cr_duration_start *s)
{
    cr_duration_model(m, s->d, s->k);
    m->logp = logp_at;
    m->constrain = constrain_at;
    m->data = (void *)s;
    m->entry = &cr_duration_entry;
}
