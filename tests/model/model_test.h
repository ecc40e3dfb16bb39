/* Helpers shared by the rate models' tests (every rung of the ladder): CPS-like row layouts,
 * finite difference gradient checks, and rstan's log_prob of a Stan twin as the reference.
 * Header-only: each test binary is built from a single test_*.c. */
#ifndef CR_MODEL_TEST_H
#define CR_MODEL_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/cells.h"
#include "model/effects.h"
#include "model/model.h"
#include "test.h"

/* Rows of a CPS series ordered by machine then second: machine k has nsec[k] seconds (partial
 * last minutes included). */
typedef struct {
    const char *name;
    size_t n;
    int nmachines;
    int *machine, *minute, *y;
} rows;

static inline void rows_layout(rows *r, const char *name, int K, const int *nsec)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->nmachines = K;
    for (int k = 0; k < K; k++)
        r->n += (size_t)nsec[k];
    r->machine = xmalloc(r->n * sizeof(int));
    r->minute = xmalloc(r->n * sizeof(int));
    r->y = xcalloc(r->n, sizeof(int));
    size_t i = 0;
    for (int k = 0; k < K; k++)
        for (int s = 1; s <= nsec[k]; s++, i++) {
            r->machine[i] = k + 1;
            r->minute[i] = (s - 1) / 60 + 1;
        }
}

/* Number of machine-minute cells of the rows. */
static inline int rows_ncells(const rows *r)
{
    int c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += i == 0 || r->machine[i] != r->machine[i - 1] || r->minute[i] != r->minute[i - 1];
    return c;
}

static inline void rows_free(rows *r)
{
    free(r->machine);
    free(r->minute);
    free(r->y);
}

/* The rows in R dump format for the ladder's Stan programs (K, C, cell_machine, S, sec_cell,
 * y), written from the rows themselves rather than from the library's cells. */
static inline int rows_write_rdump(const rows *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "K <- %d\nC <- %d\nS <- %zu\ncell_machine <- c(", r->nmachines, rows_ncells(r),
            r->n);
    for (size_t i = 0, c = 0; i < r->n; i++)
        if (i == 0 || r->machine[i] != r->machine[i - 1] || r->minute[i] != r->minute[i - 1])
            fprintf(f, "%s%d", c++ ? "," : "", r->machine[i]);
    fprintf(f, ")\nsec_cell <- c(");
    for (size_t i = 0, c = 0; i < r->n; i++) {
        c += i == 0 || r->machine[i] != r->machine[i - 1] || r->minute[i] != r->minute[i - 1];
        fprintf(f, "%s%zu", i ? "," : "", c);
    }
    fprintf(f, ")\ny <- c(");
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "%s%d", i ? "," : "", r->y[i]);
    fprintf(f, ")\n");
    return fclose(f);
}

/* The gradient of m->logp at th against fourth-order central differences (truncation O(h^4) is
 * far below the round-off left): the worst |error| / tolerance over the coordinates (a failure
 * is above 1; the first is printed). */
static inline double fd_worst(const cr_model *m, double *th, const char *what)
{
    double *gr = xmalloc((size_t)m->dim * sizeof(double)), worst = 0;
    double lp = m->logp(m, th, gr, NULL);
    if (!isfinite(lp)) {
        printf("     %s: log density not finite\n", what);
        free(gr);
        return INFINITY;
    }
    if (fabs(m->logp(m, th, NULL, NULL) - lp) > 1e-12 * fabs(lp)) {
        printf("     %s: log density differs without gradient\n", what);
        free(gr);
        return INFINITY;
    }
    for (int i = 0; i < m->dim; i++) {
        static const double off[4] = {-2, -1, 1, 2};
        double x = th[i], h = 1e-3 * (1 + fabs(x)), f[4];
        for (int j = 0; j < 4; j++) {
            th[i] = x + off[j] * h;
            f[j] = m->logp(m, th, NULL, NULL);
        }
        th[i] = x;
        double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
        double tol = 1e-6 * (1 + fabs(gr[i])) + 1e-14 * fabs(lp) / h;
        double err = fabs(fd - gr[i]) / tol;
        if (err > 1 && worst <= 1)
            printf("     %s coordinate %d: gradient %.12g, differences %.12g\n", what, i, gr[i],
                   fd);
        worst = err > worst ? err : worst;
    }
    free(gr);
    return worst;
}

/* The collapsed coordinates from the machine levels v, by their definition in model/effects.h,
 * given per machine what stands for its level in the data, d[k], and its variance e[k]:
 * P and M, then w = (alpha - M) sqrt(P) into *w and xi[k] = (v[k] - alpha - lambda (d[k] -
 * alpha)) / s into xi (which may be v). Returns the log Jacobian of (w, xi) -> (alpha, v):
 * -log(P) / 2 + sum log s. */
static inline double to_collapsed(int K, const double *d, const double *e, double alpha,
                                  double sm, const double *v, double *w, double *xi)
{
    double P = 1.0 / 9, S = 0, jac = 0;
    for (int k = 0; k < K; k++) {
        P += 1 / (sm * sm + e[k]);
        S += d[k] / (sm * sm + e[k]);
    }
    *w = (alpha - S / P) * sqrt(P);
    jac -= 0.5 * log(P);
    for (int k = 0; k < K; k++) {
        const double lambda = isinf(e[k]) ? 0 : sm * sm / (sm * sm + e[k]);
        const double s = isinf(e[k]) ? sm : sqrt(e[k] * lambda);
        xi[k] = (v[k] - alpha - lambda * (d[k] - alpha)) / s;
        jac += log(s);
    }
    return jac;
}

/* d and e of CR_EFFECTS_COLLAPSED (the mean of a machine's cell rates u and sn^2 / its cells)
 * or of CR_EFFECTS_COLLAPSED_NC (log((T + 1/2) / N) - sn times the mean z over its cells with
 * seconds, and 1 / (T + 1/2), infinite without seconds); cell values x are u or z. */
static inline void collapsed_data(const cr_cells *c, int coords, double sn, const double *x,
                                  double *d, double *e)
{
    const int K = c->nmachines, nc = coords == CR_EFFECTS_COLLAPSED_NC;
    for (int k = 0; k < K; k++) {
        double sum = 0, sum_data = 0, T = 0, N = 0;
        int n = 0, ndata = 0;
        for (int i = 0; i < c->ncells; i++)
            if (c->cell_machine[i] == k) {
                sum += x[i], n++;
                if (c->cell_n[i] > 0)
                    sum_data += x[i], ndata++;
                T += c->cell_y[i], N += c->cell_n[i];
            }
        if (!nc) {
            d[k] = sum / n;
            e[k] = sn * sn / n;
        } else {
            d[k] = N > 0 ? log((T + 0.5) / N) - sn * (ndata ? sum_data / ndata : sum / n) : 0;
            e[k] = N > 0 ? 1 / (T + 0.5) : INFINITY; /* no seconds: no data */
        }
    }
}

/* The non-centred point th (alpha at 0, log sigma_machine at 1, log sigma_minute at isn or none
 * when isn < 0; machine coordinates from nfixed on, then one per cell) in the sampling
 * coordinates coords of model/effects.h, written here from their definitions:
 * v = alpha + sigma_machine z_machine, u = v + sigma_minute zc (zc: the cells' standardized
 * effects, th's cell coordinates when NULL); CR_EFFECTS_CELLS: mean(v) in alpha's place, the
 * z_machine, and u; otherwise the anchor w of alpha = mean(v) + sigma_machine w / sqrt(K), and
 * per machine either (centred cells, then u) the anchor of v[k] = mean of its u +
 * sigma_minute w[k] / sqrt(C_k) or the mean of its u over the cells with seconds. Cell
 * coordinates that stay non-centred are copied from th. Returns the log Jacobian of the map
 * back to th, constants dropped as the models drop them: the density in the new coordinates is
 * th's plus this: (1 - K) log sigma_machine with alpha from below, -C log sigma_minute with
 * centred cells, and K log sigma_minute with the machine levels from below them. */
static inline double to_coords(const cr_cells *c, int nfixed, int isn, int coords,
                               const double *th, const double *zc, double *out)
{
    const int K = c->nmachines, C = isn >= 0 ? c->ncells : 0;
    const double sm = exp(th[1]), sn = isn >= 0 ? exp(th[isn]) : 0;
    memcpy(out, th, (size_t)(nfixed + K + C) * sizeof(double));
    if (coords == CR_EFFECTS_NONCENTRED)
        return 0;
    if (!zc)
        zc = th + nfixed + K;
    const int centred = cr_effects_centred_cells(coords) && isn >= 0;
    double *v = out + nfixed, vbar = 0, zbar = 0;
    for (int k = 0; k < K; k++) {
        vbar += (v[k] = th[0] + sm * th[nfixed + k]) / K;
        zbar += th[nfixed + k] / K;
    }
    for (int i = 0; i < C && centred; i++)
        out[nfixed + K + i] = v[c->cell_machine[i]] + sn * zc[i];
    if (coords == CR_EFFECTS_CELLS) {
        out[0] = th[0] + sm * zbar;
        memcpy(v, th + nfixed, (size_t)K * sizeof(double));
        return -C * (isn >= 0 ? th[isn] : 0);
    }
    if ((coords == CR_EFFECTS_COLLAPSED || coords == CR_EFFECTS_COLLAPSED_NC) && isn >= 0) {
        double *d = xmalloc(2 * (size_t)K * sizeof(double)), *e = d + K;
        collapsed_data(c, coords, sn, centred ? out + nfixed + K : zc, d, e);
        double jac = to_collapsed(K, d, e, th[0], sm, v, out, v) - K * th[1] -
                     (centred ? C * th[isn] : 0);
        free(d);
        return jac;
    }
    out[0] = (th[0] - vbar) * sqrt(K) / sm;
    for (int k = 0; k < K && isn >= 0; k++) {
        double all = 0, data = 0;
        int n = 0, ndata = 0;
        for (int i = 0; i < C; i++)
            if (c->cell_machine[i] == k) {
                const double u = v[k] + sn * zc[i];
                all += u, n++;
                if (c->cell_n[i] > 0)
                    data += u, ndata++;
            }
        if (centred)
            v[k] = (v[k] - all / n) * sqrt(n) / sn;
        else
            v[k] = ndata ? data / ndata : all / n;
    }
    return (1 - K) * th[1] + (centred ? (K - C) * th[isn] : 0);
}


/* A reparameterization holds at one point: the log density in the other coordinates is got, and
 * the same parameters give the same outputs (o1 in Stan's coordinates, o2 in the others). */
static inline void check_reparam(const char *name, int coords, double got, double want,
                                 double scale, double tol, const double *o1, const double *o2,
                                 int dim)
{
    CHECKF(fabs(got - want) <= tol * scale, "%s coordinates %d: %.15g vs %.15g", name, coords,
           got, want);
    for (int i = 0; i < dim; i++)
        CHECK_NEAR(o2[i], o1[i], tol * (1 + fabs(o1[i])));
}
/* rstan's log_prob and grad_log_prob (unconstrained, Jacobian included) of the Stan program at
 * npts points th (dim each), data from r: lp[p] and grad[p * dim + i]. Returns 0, 77 when rstan
 * is unusable here, or another status when it failed (log in the test's tmpdir). */
static inline int rstan_eval(const char *stan, const rows *r, int npts, int dim,
                             const double *th, double *lp, double *grad)
{
    const char *tmp = cr_test_tmpdir();
    char dpath[512], ppath[512], opath[512];
    snprintf(dpath, sizeof dpath, "%s/%s.data.R", tmp, r->name);
    snprintf(ppath, sizeof ppath, "%s/%s.points", tmp, r->name);
    snprintf(opath, sizeof opath, "%s/%s.rstan", tmp, r->name);
    FILE *f = fopen(ppath, "w");
    if (rows_write_rdump(r, dpath) != 0 || !f)
        return -1;
    for (int p = 0; p < npts; p++)
        for (int i = 0; i < dim; i++)
            fprintf(f, "%.17g%s", th[p * dim + i], i + 1 < dim ? " " : "\n");
    fclose(f);
    int rc = cr_test_sh("sh tests/fit/with_rstan.sh tests/fit/rstan_logprob.R '%s' '%s' '%s' "
                        "'%s' >'%s/rstan.log' 2>&1",
                        stan, dpath, ppath, opath, tmp);
    if (rc != 0)
        return rc;
    if (!(f = fopen(opath, "r")))
        return -1;
    for (int p = 0; p < npts && rc == 0; p++) {
        rc = fscanf(f, "%lf", &lp[p]) == 1 ? 0 : -1;
        for (int i = 0; i < dim && rc == 0; i++)
            rc = fscanf(f, "%lf", &grad[p * dim + i]) == 1 ? 0 : -1;
    }
    fclose(f);
    return rc;
}

/* m->logp against a brute-force reference ref(ctx, th) at npts points th (dim each): the
 * differences of either from its value at the first point agree within 1e-9 relative to the
 * density's size (CHECKed); the constants either drops do not matter. */
static inline void brute_compare(const cr_model *m, double (*ref)(const void *ctx,
                                                                 const double *th),
                                 const void *ctx, int npts, const double *th, const char *name)
{
    const double ours0 = m->logp(m, th, NULL, NULL), ref0 = ref(ctx, th);
    for (int p = 1; p < npts; p++) {
        const double *t = th + (size_t)p * m->dim;
        double d_ours = m->logp(m, t, NULL, NULL) - ours0, d_ref = ref(ctx, t) - ref0;
        CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
               "%s: lp difference %.15g, brute force %.15g", name, d_ours, d_ref);
    }
}

/* rstan's log_prob and gradient of the Stan program against m->logp at npts points th (dim
 * each): differences of the log density from the first point (rstan drops constants of its own
 * choosing) and the gradients, each as error / tolerance (1e-8 relative), the worst into *wlp
 * and *wg when larger; the first failure of each is printed, so that a model with thousands of
 * coordinates does not flood the log. Returns rstan_eval's status (0: compared, 77: rstan not
 * usable here). */
static inline int rstan_compare(const char *stan, const rows *r, const cr_model *m, int npts,
                                const double *th, double *wlp, double *wg)
{
    const int dim = m->dim;
    double *lp = xmalloc((size_t)npts * sizeof(double));
    double *gr = xmalloc((size_t)npts * dim * sizeof(double));
    double *ours = xmalloc((size_t)dim * sizeof(double)), ours0 = 0;
    int rc = rstan_eval(stan, r, npts, dim, th, lp, gr);
    for (int p = 0; p < npts && rc == 0; p++) {
        double l = m->logp(m, th + (size_t)p * dim, ours, NULL);
        if (p == 0)
            ours0 = l;
        double dref = lp[p] - lp[0], dours = l - ours0;
        double e = fabs(dref - dours) / (1e-8 * (fabs(dref) + 1));
        if (e > 1 && *wlp <= 1)
            printf("     %s point %d: lp difference %.15g, rstan %.15g\n", r->name, p, dours,
                   dref);
        *wlp = e > *wlp ? e : *wlp;
        for (int i = 0; i < dim; i++) {
            double gi = gr[(size_t)p * dim + i];
            e = fabs(gi - ours[i]) / (1e-8 * (fabs(gi) + 1));
            if (e > 1 && *wg <= 1)
                printf("     %s point %d coordinate %d: gradient %.15g, rstan %.15g\n", r->name,
                       p, i, ours[i], gi);
            *wg = e > *wg ? e : *wg;
        }
    }
    free(lp), free(gr), free(ours);
    return rc;
}

/* The body of every rate model's test against its Stan twin: the first n datasets of the test
 * file's data[] (a dataset has the fields r, its rows, and m, its model), npts points each,
 * drawn in turn by point(ds, g, th) from one generator seeded 99 (the file's random point,
 * clamped where Stan's own rounding would dominate the comparison); SKIPs when rstan cannot
 * run here. A macro because each file's dataset is its own type, and SKIP returns from
 * the test. */
#define RSTAN_VS_ALL(stan, n, npts, point)                                                         \
    do {                                                                                           \
        gsl_rng *g_ = gsl_rng_alloc(gsl_rng_mt19937);                                              \
        gsl_rng_set(g_, 99);                                                                       \
        double wlp_ = 0, wg_ = 0;                                                                  \
        int rc_ = 0;                                                                               \
        for (int k_ = 0; k_ < (n) && rc_ == 0; k_++) {                                             \
            const dataset *ds_ = &data[k_];                                                        \
            const size_t dim_ = (size_t)ds_->m.dim;                                                \
            double *th_ = xmalloc((size_t)(npts) * dim_ * sizeof(double));                         \
            for (int p_ = 0; p_ < (npts); p_++)                                                    \
                point(ds_, g_, th_ + (size_t)p_ * dim_);                                           \
            rc_ = rstan_compare(stan, &ds_->r, &ds_->m, npts, th_, &wlp_, &wg_);                   \
            free(th_);                                                                             \
        }                                                                                          \
        gsl_rng_free(g_);                                                                          \
        if (rc_ == 77)                                                                             \
            SKIP("rstan not usable (R, rstan or Boost headers missing)");                          \
        if (rc_ != 0)                                                                              \
            SKIP("rstan failed to compile or run the model (see %s/rstan.log)",                    \
                 cr_test_tmpdir());                                                                \
        printf("     worst error / tolerance (1e-8 relative): lp differences %.3g, "               \
               "gradient %.3g\n", wlp_, wg_);                                                      \
        CHECK(wlp_ <= 1 && wg_ <= 1);                                                              \
    } while (0)

#endif
