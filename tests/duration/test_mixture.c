/* The log density of the duration model (lib/duration/mixture.c, models/duration.stan) for 1
 * to 4 components: its gradient against finite differences, the density against a brute-force
 * evaluation from GSL's normal cdf per connection, against log-space tails up to 60 sd, and
 * against rstan's log_prob and grad_log_prob. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>

#include "duration/data.h"
#include "duration/mixture.h"
#include "duration_test.h"

/* A small set touching every term: binned ended durations (two of 0 ms), censored ones. */
enum { NSMALL = 400 };
typedef struct {
    int64_t ms[NSMALL];
    uint8_t cens[NSMALL];
} small_set;

static void small_make(small_set *s, unsigned long seed)
{
    synth(&TCP_TRUTH, NSMALL, 300, seed, s->ms, s->cens);
    s->ms[0] = 0, s->cens[0] = 0;
    s->ms[1] = 0, s->cens[1] = 0;
}

static const int COARSENS[2] = {0, CR_DURATION_COARSEN};

static void test_gradient_finite_differences(void)
{
    small_set set;
    small_make(&set, 11);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 12);
    double worst = 0;
    for (int c = 0; c < 2; c++) {
        cr_duration_data d;
        cr_duration_data_init(&d, NSMALL, set.ms, set.cens, 1, COARSENS[c]);
        for (int k = 1; k <= CR_DUR_KMAX; k++) {
            cr_model m;
            cr_duration_model(&m, &d, k);
            CHECK_INT(m.dim, CR_DUR_DIM(k));
            for (int rep = 0; rep < 20; rep++) {
                double th[CR_DUR_MAXDIM], gr[CR_DUR_MAXDIM];
                random_theta(g, k, th);
                if (k == 2 && rep == 0) /* every duration far in component 1's upper tail */
                    th[M1] = -14, th[LOG_S1] = -1, th[LOG_DM] = 2.6;
                if (k == 2 && rep == 1) /* ... and far in component 2's lower tail */
                    th[M1] = -3, th[LOG_DM] = 2.7, th[LOG_S2] = -1.2;
                if (k == 2 && rep == 2) /* w near 1 */
                    th[LOGIT_W] = 9;
                if (k == 2 && rep == 3) /* both components hundreds of sd away: log space */
                    th[M1] = -40, th[LOG_DM] = 0, th[LOG_S1] = -3, th[LOG_S2] = -3;
                if (k == 2 && rep == 4) /* some bins near component 2, the rest in log space */
                    th[M1] = -40, th[LOG_DM] = log(39), th[LOG_S1] = -1, th[LOG_S2] = -1.5;
                if (k == 4 && rep == 0) /* the last stick nearly empty */
                    th[0] = 6, th[1] = 6, th[2] = 6;
                double lp = cr_duration_logp(&m, th, gr, NULL);
                CHECKF(isfinite(lp), "coarsen %d, %d components, point %d: lp %g", COARSENS[c], k,
                       rep, lp);
                CHECK_NEAR(cr_duration_logp(&m, th, NULL, NULL), lp, 1e-12 * fabs(lp));
                for (int i = 0; i < m.dim; i++) {
                    double x = th[i], h = 1e-4 * (1 + fabs(x)), f[4];
                    static const double off[4] = {-2, -1, 1, 2};
                    for (int j = 0; j < 4; j++) {
                        th[i] = x + off[j] * h;
                        f[j] = cr_duration_logp(&m, th, NULL, NULL);
                    }
                    th[i] = x;
                    double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
                    double tol = 1e-6 * (1 + fabs(gr[i])) + 1e-13 * fabs(lp) / h;
                    double err = fabs(fd - gr[i]) / tol;
                    worst = err > worst ? err : worst;
                    CHECKF(err <= 1, "coarsen %d, %d components, point %d, coordinate %d: "
                           "gradient %.12g, differences %.12g", COARSENS[c], k, rep, i, gr[i], fd);
                }
            }
        }
        cr_duration_data_free(&d);
    }
    printf("     1 to %d components; worst gradient error / tolerance: %.3g\n", CR_DUR_KMAX,
           worst);
    gsl_rng_free(g);
}

/* P(lo <= X < hi) (lo may be -INFINITY) for X ~ Normal(m, s) by GSL's cdf, on the side of m
 * where the interval lies. */
static double gsl_interval(double lo, double hi, double m, double s)
{
    if (lo > m)
        return gsl_cdf_gaussian_Q(lo - m, s) - gsl_cdf_gaussian_Q(hi - m, s);
    return gsl_cdf_gaussian_P(hi - m, s) - (isinf(lo) ? 0 : gsl_cdf_gaussian_P(lo - m, s));
}

/* Stan's stick-breaking as its manual writes it: w_j = (1 - w_1 - ... - w_{j-1}) z_j with
 * z_j = inv_logit(y_j - log(k - j)) (1-based j), w_k what is left. */
static void sticks(int k, const double *y, double *w)
{
    double left = 1;
    for (int j = 0; j + 1 < k; j++) {
        w[j] = left / (1 + exp(-(y[j] - log((double)(k - 1 - j)))));
        left -= w[j];
    }
    w[k - 1] = left;
}

/* log |det dw_{1..k-1} / dy| by central differences (k <= 4: at most 3 x 3). */
static double log_jacobian_fd(int k, const double *y)
{
    int n = k - 1;
    double J[3][3], yy[3], wp[4], wm[4];
    for (int j = 0; j < n; j++) {
        double h = 1e-6;
        memcpy(yy, y, (size_t)n * sizeof *yy);
        yy[j] = y[j] + h;
        sticks(k, yy, wp);
        yy[j] = y[j] - h;
        sticks(k, yy, wm);
        for (int i = 0; i < n; i++)
            J[i][j] = (wp[i] - wm[i]) / (2 * h);
    }
    double det = n == 0 ? 1 : n == 1 ? J[0][0] : n == 2 ? J[0][0] * J[1][1] - J[0][1] * J[1][0]
               : J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
                 J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                 J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
    return log(fabs(det));
}

/* The same density per connection from GSL's normal pdf and cdf in probability space: a 0 ms
 * duration log p0, every other log(1 - p0) and its interval's (or survival's) probability under
 * the mixture divided by the mixture's P(D >= 1 ms), each interval from grid_bin; priors as
 * textbook densities (GSL's dirichlet, normal, lognormal and beta) plus the Jacobians, the
 * simplex's and p0's by finite differences: valid where nothing underflows, which the points
 * below ensure. */
static double brute_lp(const small_set *set, int coarsen, int k, const double *th)
{
    double w[CR_DUR_KMAX], m[CR_DUR_KMAX], sd[CR_DUR_KMAX];
    static const double alpha[CR_DUR_KMAX] = {2, 2, 2, 2};
    sticks(k, th, w);
    double lp = (k > 1 ? gsl_ran_dirichlet_lnpdf((size_t)k, alpha, w) : 0) + log_jacobian_fd(k, th);
    for (int j = 0; j < k; j++) {
        double y = th[CR_DUR_Y_M(k) + j], ls = th[CR_DUR_Y_S(k) + j];
        m[j] = j ? m[j - 1] + exp(y) : y;
        sd[j] = exp(ls);
        lp += log(gsl_ran_gaussian_pdf(m[j], 5)) + (j ? y : 0);
        lp += log(gsl_ran_lognormal_pdf(sd[j], 0, 1)) + ls;
    }
    /* p0 = inv_logit(y): beta(1, 1) and the Jacobian dp0/dy by differences */
    double y0 = th[CR_DUR_Y_P0(k)], p0 = 1 / (1 + exp(-y0)), h = 1e-6;
    lp += log(gsl_ran_beta_pdf(p0, 1, 1)) +
          log((1 / (1 + exp(-(y0 + h))) - 1 / (1 + exp(-(y0 - h)))) / (2 * h));
    for (size_t i = 0; i < NSMALL; i++) {
        if (set->cens[i] && set->ms[i] == 0)
            continue;
        int64_t a, b;
        if (!set->cens[i] && set->ms[i] == 0) { /* below the 1 ms resolution */
            lp += log(p0);
            continue;
        }
        grid_bin(set->ms[i], 1, coarsen, &a, &b);
        double lo = log(a / 1000.0), hi = log(b / 1000.0), p = 0, sr = 0;
        for (int j = 0; j < k; j++) {
            p += w[j] * (set->cens[i] ? gsl_cdf_gaussian_Q(lo - m[j], sd[j])
                                      : gsl_interval(lo, hi, m[j], sd[j]));
            sr += w[j] * gsl_cdf_gaussian_Q(log(0.001) - m[j], sd[j]);
        }
        lp += log(1 - p0) + log(p / sr);
    }
    return lp;
}

static void test_density_vs_brute_force(void)
{
    small_set set;
    small_make(&set, 21);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 22);
    double worst = 0;
    for (int c = 0; c < 2; c++) {
        cr_duration_data d;
        cr_duration_data_init(&d, NSMALL, set.ms, set.cens, 1, COARSENS[c]);
        for (int k = 1; k <= CR_DUR_KMAX; k++) {
            cr_model m;
            cr_duration_model(&m, &d, k);
            double t0[CR_DUR_MAXDIM], t1[CR_DUR_MAXDIM];
            random_theta(g, k, t0);
            double ours0 = cr_duration_logp(&m, t0, NULL, NULL);
            double ref0 = brute_lp(&set, COARSENS[c], k, t0);
            for (int rep = 0; rep < 10; rep++) {
                random_theta(g, k, t1);
                double dours = cr_duration_logp(&m, t1, NULL, NULL) - ours0;
                double dref = brute_lp(&set, COARSENS[c], k, t1) - ref0;
                double e = fabs(dours - dref) / (1e-9 * (fabs(dref) + fabs(ref0)));
                worst = e > worst ? e : worst;
                CHECKF(e <= 1, "coarsen %d, %d components, point %d: lp difference %.15g, brute "
                       "force %.15g", COARSENS[c], k, rep, dours, dref);
            }
        }
        cr_duration_data_free(&d);
    }
    printf("     1 to %d components; worst error / tolerance (1e-9 relative): %.3g\n",
           CR_DUR_KMAX, worst);
    gsl_rng_free(g);
}

/* log P(Z > z) from GSL's log erfc, and log P(a <= X < b) from it in the tail the interval lies
 * in: the reference where probabilities underflow. */
static double ref_log_q(double z)
{
    return log(0.5) + gsl_sf_log_erfc(z / sqrt(2));
}

static double ref_log_interval(double za, double zb)
{
    if (za >= 0)
        return ref_log_q(za) + log1p(-exp(ref_log_q(zb) - ref_log_q(za)));
    if (zb <= 0)
        return ref_log_q(-zb) + log1p(-exp(ref_log_q(-za) - ref_log_q(-zb)));
    return log1p(-exp(ref_log_q(-za)) - exp(ref_log_q(zb)));
}

/* One duration (a 5 s bin, or alive at 5 s) seen from components up to 60 sd away on either
 * side: probability space near them, log space far out, and the switch between the two, for the
 * bin and for the mixture's survival at the resolution it is conditioned on. */
static void test_tails_vs_log_space(void)
{
    cr_duration_data none, d;
    cr_duration_data_init(&none, 0, NULL, NULL, 1, CR_DURATION_COARSEN);
    cr_model m0, m;
    cr_duration_model(&m0, &none, 2);
    double worst = 0;
    for (int cens = 0; cens < 2; cens++) {
        int64_t ms = 5000;
        uint8_t c = (uint8_t)cens;
        cr_duration_data_init(&d, 1, &ms, &c, 1, CR_DURATION_COARSEN);
        cr_duration_model(&m, &d, 2);
        CHECK_INT(d.nedge, cens ? 1 : 2);
        double lo = d.x[0], hi = cens ? lo : d.x[1];
        for (double k = -60; k <= 60; k += 0.25) {
            /* component 1 (sd 0.5) k sd below the bin, component 2 (sd 0.8) 1 above it */
            double th[DIM2] = {0.3, lo - k * 0.5, 0, log(0.5), log(0.8), -1}, m2 = th[1] + 1;
            double w = 1 / (1 + exp(-th[0])), p0 = 1 / (1 + exp(1));
            double z1 = (lo - th[1]) / 0.5, z2 = (lo - m2) / 0.8;
            double l1 = cens ? ref_log_q(z1) : ref_log_interval(z1, (hi - th[1]) / 0.5);
            double l2 = cens ? ref_log_q(z2) : ref_log_interval(z2, (hi - m2) / 0.8);
            double a = log(w) + l1, b = log(1 - w) + l2, top = fmax(a, b);
            /* given D >= 1 ms, where the mixture's survival can underflow too */
            double r1 = log(w) + ref_log_q((log(0.001) - th[1]) / 0.5);
            double r2 = log(1 - w) + ref_log_q((log(0.001) - m2) / 0.8), rt = fmax(r1, r2);
            double ref = log(1 - p0) + top + log(exp(a - top) + exp(b - top)) -
                         (rt + log(exp(r1 - rt) + exp(r2 - rt)));
            double ours =
                cr_duration_logp(&m, th, NULL, NULL) - cr_duration_logp(&m0, th, NULL, NULL);
            double e = fabs(ours - ref) / (1e-10 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
            CHECKF(e <= 1, "%s, component 1 %g sd off: log likelihood %.15g, log space %.15g",
                   cens ? "censored" : "ended", k, ours, ref);
        }
        cr_duration_data_free(&d);
    }
    printf("     worst error / tolerance (1e-10 relative) over 0 to 60 sd: %.3g\n", worst);
    cr_duration_data_free(&none);
}

/* ---------------------------------------------------------------- rstan */

static int write_rdump(const cr_duration_data *d, int k, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "K <- %dL\nres_ms <- %lld\nN_edge <- %d\nedge_ms <- c(", k, (long long)d->res_ms,
            d->nedge);
    for (int i = 0; i < d->nedge; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->edge_ms[i]);
    fprintf(f, ")\nn_event <- c(");
    for (int i = 0; i + 1 < d->nedge; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->n_event[i]);
    fprintf(f, ")\nn_cens <- c(");
    for (int i = 0; i < d->nedge; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->n_cens[i]);
    fprintf(f, ")\n");
    return fclose(f);
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. Debian's rstan 2.21 predates the array[N] syntax of
 * models/duration.stan: tests/fit/rstan_model.R rewrites it mechanically. The data are binned
 * as connrate bins them, with bins holding several connections, two of 0 ms and censored
 * ones; every number of components is compared at 1 ms (two first: rstan failing there skips),
 * and two components on the same durations in whole seconds (a resolution of 1 s). */
static void test_vs_rstan(void)
{
    const char *tmp = cr_test_tmpdir();
    enum { NPTS = 10, N = 2000 };
    int64_t ms[N];
    uint8_t cens[N];
    synth(&TCP4_TRUTH, N, 300, 31, ms, cens);
    ms[0] = ms[1] = 0;
    cens[0] = cens[1] = 0;
    cr_duration_data data[2];
    cr_duration_data_init(&data[0], N, ms, cens, 1, CR_DURATION_COARSEN);
    cr_duration_data_init(&data[1], N, ms, cens, 1000, CR_DURATION_COARSEN);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 32);
    double worst_lp = 0, worst_g = 0;
    static const int order[] = {2, 1, 3, 4, 2}, seconds[] = {0, 0, 0, 0, 1};
    for (int o = 0; o < (int)(sizeof order / sizeof *order); o++) {
        int k = order[o];
        const cr_duration_data *dd = &data[seconds[o]];
        cr_model m;
        cr_duration_model(&m, dd, k);
        char dpath[512], ppath[512], opath[512];
        snprintf(dpath, sizeof dpath, "%s/duration%d.data.R", tmp, o);
        snprintf(ppath, sizeof ppath, "%s/duration%d.points", tmp, o);
        snprintf(opath, sizeof opath, "%s/duration%d.rstan", tmp, o);
        CHECK(write_rdump(dd, k, dpath) == 0);
        double th[NPTS][CR_DUR_MAXDIM];
        FILE *f = fopen(ppath, "w");
        CHECK(f != NULL);
        for (int p = 0; p < NPTS; p++) {
            random_theta(g, k, th[p]);
            for (int i = 0; i < m.dim; i++)
                fprintf(f, "%s%.17g", i ? " " : "", th[p][i]);
            fprintf(f, "\n");
        }
        fclose(f);
        int rc = cr_test_sh("sh tests/fit/with_rstan.sh tests/fit/rstan_logprob.R "
                            "models/duration.stan '%s' '%s' '%s' >'%s/rstan%d.log' 2>&1", dpath,
                            ppath, opath, tmp, o);
        if (o == 0 && rc == 77)
            SKIP("rstan not usable (R, rstan or Boost headers missing)");
        if (o == 0 && rc != 0)
            SKIP("rstan failed to compile or run the model (see %s/rstan0.log)", tmp);
        CHECKF(rc == 0, "rstan failed with %d components (see %s/rstan%d.log)", k, tmp, o);
        f = fopen(opath, "r");
        CHECK(f != NULL);
        double ref0 = 0, ours0 = 0;
        for (int p = 0; p < NPTS; p++) {
            double lp_ref, gi, gr[CR_DUR_MAXDIM];
            CHECK(fscanf(f, "%lf", &lp_ref) == 1);
            double lp = cr_duration_logp(&m, th[p], gr, NULL);
            if (p == 0)
                ref0 = lp_ref, ours0 = lp;
            double dref = lp_ref - ref0, dours = lp - ours0;
            double e = fabs(dref - dours) / (1e-8 * (fabs(dref) + 1));
            worst_lp = e > worst_lp ? e : worst_lp;
            CHECKF(e <= 1, "%d components, resolution %lld ms, point %d: lp difference %.15g, "
                   "rstan %.15g", k, (long long)dd->res_ms, p, dours, dref);
            for (int i = 0; i < m.dim; i++) {
                CHECK(fscanf(f, "%lf", &gi) == 1);
                e = fabs(gi - gr[i]) / (1e-8 * (fabs(gi) + 1));
                worst_g = e > worst_g ? e : worst_g;
                CHECKF(e <= 1, "%d components, resolution %lld ms, point %d, coordinate %d: "
                       "gradient %.15g, rstan %.15g", k, (long long)dd->res_ms, p, i, gr[i], gi);
            }
        }
        fclose(f);
    }
    gsl_rng_free(g);
    printf("     %d bins at 1 ms, %d at 1 s, 1 to %d components; worst error / tolerance (1e-8 "
           "relative): lp differences %.3g, gradient %.3g\n", data[0].nedge - 1,
           data[1].nedge - 1, CR_DUR_KMAX, worst_lp, worst_g);
    cr_duration_data_free(&data[0]);
    cr_duration_data_free(&data[1]);
}

TEST_MAIN(RUN(test_gradient_finite_differences); RUN(test_density_vs_brute_force);
          RUN(test_tails_vs_log_space); RUN_SLOW(test_vs_rstan))
