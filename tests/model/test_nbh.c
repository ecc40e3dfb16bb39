/* The hand-written log density and gradient of the hierarchical negative binomial model
 * (lib/model/nbh.c) against: central finite differences, a per-second brute-force sum written
 * here from the NB2 pmf, and rstan's log_prob/grad_log_prob of the reference nbh.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nbh.h"

/* A data set: rows of (machine, minute, y) ordered by machine then second. */
typedef struct {
    const char *name;
    size_t n;
    int *machine, *second, *minute, *y;
    cr_nbh_data d;
    cr_model m;
} dataset;

/* Draws counts from the model itself at (alpha, sigma_machine, sigma_minute, phi); machines have
 * nsec[k] seconds (partial last minutes included). alpha = -INFINITY gives all zeros. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double sm, double sn, double phi, unsigned long seed)
{
    memset(ds, 0, sizeof *ds);
    ds->name = name;
    for (int k = 0; k < K; k++)
        ds->n += (size_t)nsec[k];
    ds->machine = xmalloc(ds->n * sizeof(int));
    ds->second = xmalloc(ds->n * sizeof(int));
    ds->minute = xmalloc(ds->n * sizeof(int));
    ds->y = xcalloc(ds->n, sizeof(int));
    size_t r = 0;
    int ncell = 0;
    for (int k = 0; k < K; k++)
        for (int s = 1; s <= nsec[k]; s++, r++) {
            ds->machine[r] = k + 1;
            ds->second[r] = s;
            ds->minute[r] = (s - 1) / 60 + 1;
            ncell += s == 1 || ds->minute[r] != ds->minute[r - 1];
        }
    if (isfinite(alpha)) {
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(g, seed);
        double *v = xmalloc((size_t)(CR_NBH_NFIXED + K + ncell) * sizeof(double));
        v[0] = alpha, v[1] = sm, v[2] = sn, v[3] = phi;
        for (int i = 0; i < K + ncell; i++)
            v[CR_NBH_NFIXED + i] = gsl_ran_gaussian(g, 1);
        cr_nbh_simulate(ds->n, ds->machine, ds->minute, v, g, ds->y);
        free(v);
        gsl_rng_free(g);
    }
    cr_nbh_data_from_rows(&ds->d, ds->n, ds->machine, ds->minute, ds->y);
    cr_nbh_model(&ds->m, &ds->d);
}

static void free_dataset(dataset *ds)
{
    cr_nbh_data_free(&ds->d);
    free(ds->machine);
    free(ds->second);
    free(ds->minute);
    free(ds->y);
}

enum { NDATA = 5 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, wide[] = {45, 610, 300, 59};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.7, 0.5, 2.0, 1);
    make_dataset(&data[1], "zeros-only", 2, zeros, -INFINITY, 0, 0, 0, 2);
    make_dataset(&data[2], "one machine", 1, one, 0.3, 0.1, 0.8, 0.7, 3);
    make_dataset(&data[3], "large counts", 2, large, 7.0, 0.4, 0.3, 50, 4);
    make_dataset(&data[4], "sparse overdispersed", 4, wide, -2.0, 1.0, 1.2, 0.2, 5);
}

/* A random point around the data's scale; log inv_sqrt_phi spread wide so that phi covers both
 * tiny values and the Stirling branch (phi >= 1e4). */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    double ybar = (double)ds->d.total / (double)ds->d.nseconds;
    th[0] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    th[1] = gsl_ran_gaussian(g, 1);
    th[2] = gsl_ran_gaussian(g, 1);
    th[3] = gsl_ran_gaussian(g, phi_spread);
    for (int i = CR_NBH_NFIXED; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
}

static double lp_at(const dataset *ds, const double *th)
{
    return cr_nbh_logp(&ds->m, th, NULL, NULL);
}

static void test_cells_and_histogram(void)
{
    const cr_nbh_data *d = &data[0].d;
    CHECK_INT(d->nmachines, 3);
    CHECK_INT(d->ncells, 4 + 2 + 3); /* 200 s = 4 minutes, 61 s = 2, 125 s = 3 */
    CHECK_INT(d->cell_n[3], 20);
    CHECK_INT(d->cell_minute[5], 2);
    CHECK_INT(d->cell_n[5], 1);
    double n = 0, y = 0;
    for (int i = 0; i < d->ndistinct; i++)
        n += d->hist_n[i], y += d->hist_n[i] * d->hist_y[i];
    long zeros = 0;
    for (size_t r = 0; r < data[0].n; r++)
        zeros += data[0].y[r] == 0;
    CHECK_INT(n + (double)zeros, 386);
    CHECK_INT(y, d->total);
    CHECK_INT(data[1].d.ndistinct, 0);
    CHECK_INT(data[1].m.dim, 4 + 2 + 2 + 3);
    char buf[64];
    data[0].m.name(&data[0].m, 3, buf, sizeof buf);
    CHECK_STR(buf, "phi");
    data[0].m.name(&data[0].m, 6, buf, sizeof buf);
    CHECK_STR(buf, "z_machine[3]");
    data[0].m.name(&data[0].m, 7 + 5, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[2,2]");
}

/* Fourth-order central differences: truncation O(h^4) is far below the round-off left. Both
 * sampling coordinates (non-centred as nbh.stan, and centred). */
static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < 2 * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        ds->d.centred = k >= NDATA;
        int dim = ds->m.dim;
        double *th = xmalloc((size_t)dim * sizeof(double));
        double *gr = xmalloc((size_t)dim * sizeof(double));
        for (int rep = 0; rep < 12; rep++) {
            random_point(ds, g, 2.5, th);
            if (rep == 0)
                th[3] = -7; /* phi = e^14, Stirling branch */
            if (rep == 1)
                th[3] = 3; /* phi = e^-6 */
            double lp = cr_nbh_logp(&ds->m, th, gr, NULL);
            CHECKF(isfinite(lp), "%s: lp not finite", ds->name);
            CHECKF(fabs(lp - lp_at(ds, th)) <= 1e-12 * fabs(lp), "%s: lp differs without grad",
                   ds->name);
            for (int i = 0; i < dim; i++) {
                double x = th[i], h = 1e-3 * (1 + fabs(x)), f[4];
                static const double off[4] = {-2, -1, 1, 2};
                for (int j = 0; j < 4; j++) {
                    th[i] = x + off[j] * h;
                    f[j] = lp_at(ds, th);
                }
                th[i] = x;
                double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
                double tol = 1e-6 * (1 + fabs(gr[i])) + 1e-14 * fabs(lp) / h;
                double err = fabs(fd - gr[i]) / tol;
                worst = err > worst ? err : worst;
                CHECKF(err <= 1, "%s point %d coordinate %d: gradient %.12g, differences %.12g",
                       ds->name, rep, i, gr[i], fd);
            }
        }
        free(th);
        free(gr);
        ds->d.centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
}

/* Centred coordinates v = alpha + sigma_machine z_machine, u = v + sigma_minute z_minute carry
 * the same density times the Jacobian sigma_machine^-K sigma_minute^-C, and map back to the
 * same outputs. */
static void test_centred_is_reparameterization(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < NDATA; k++) {
        dataset *ds = &data[k];
        int dim = ds->m.dim, K = ds->d.nmachines, C = ds->d.ncells;
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, 1, z);
        memcpy(c, z, (size_t)dim * sizeof(double));
        double sm = exp(z[1]), sn = exp(z[2]);
        for (int i = 0; i < K; i++)
            c[CR_NBH_NFIXED + i] = z[0] + sm * z[CR_NBH_NFIXED + i];
        for (int j = 0; j < C; j++)
            c[CR_NBH_NFIXED + K + j] =
                c[CR_NBH_NFIXED + ds->d.cell_machine[j]] + sn * z[CR_NBH_NFIXED + K + j];
        double lnc = lp_at(ds, z);
        ds->m.constrain(&ds->m, z, o1);
        ds->d.centred = 1;
        double lc = lp_at(ds, c);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.centred = 0;
        CHECKF(fabs(lc - (lnc - K * z[1] - C * z[2])) <= 1e-10 * fabs(lnc), "%s: %.15g vs %.15g",
               ds->name, lc, lnc - K * z[1] - C * z[2]);
        for (int i = 0; i < dim; i++)
            CHECK_NEAR(o2[i], o1[i], 1e-10 * (1 + fabs(o1[i])));
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* The NB2 log pmf per second, from its textbook form, plus the priors and log-scale Jacobians:
 * an independent evaluation of the same density (constants included). */
static double brute_lp(const dataset *ds, const double *th)
{
    int K = ds->d.nmachines;
    double alpha = th[0], sm = exp(th[1]), sn = exp(th[2]), isp = exp(th[3]);
    double phi = 1 / (isp * isp), lp = 0;
    lp += log(gsl_ran_gaussian_pdf(alpha, 3));
    for (int j = 1; j <= 3; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[j]), 1)) + th[j];
    for (int i = CR_NBH_NFIXED; i < ds->m.dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    int cell = -1;
    for (size_t r = 0; r < ds->n; r++) {
        if (r == 0 || ds->minute[r] != ds->minute[r - 1] || ds->machine[r] != ds->machine[r - 1])
            cell++;
        double mu = exp(alpha + sm * th[CR_NBH_NFIXED + ds->machine[r] - 1] +
                        sn * th[CR_NBH_NFIXED + K + cell]);
        double y = ds->y[r];
        lp += lgamma(y + phi) - lgamma(phi) - lgamma(y + 1) + phi * log(phi / (mu + phi)) +
              y * log(mu / (mu + phi));
    }
    return lp;
}

static void test_density_vs_brute_force(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 7);
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        double *t0 = xmalloc((size_t)ds->m.dim * sizeof(double));
        double *t1 = xmalloc((size_t)ds->m.dim * sizeof(double));
        random_point(ds, g, 1, t0);
        double ours0 = lp_at(ds, t0), ref0 = brute_lp(ds, t0);
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, 1, t1);
            double d_ours = lp_at(ds, t1) - ours0, d_ref = brute_lp(ds, t1) - ref0;
            CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
                   "%s: lp difference %.15g, brute force %.15g", ds->name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

/* The data in R dump format for nbh.stan (K, C, cell_machine, S, sec_cell, y). */
static int write_rdump(const dataset *ds, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "K <- %d\nC <- %d\nS <- %zu\ncell_machine <- c(", ds->d.nmachines, ds->d.ncells,
            ds->n);
    for (int c = 0; c < ds->d.ncells; c++)
        fprintf(f, "%s%d", c ? "," : "", ds->d.cell_machine[c] + 1);
    fprintf(f, ")\nsec_cell <- c(");
    int cell = 0;
    for (size_t r = 0; r < ds->n; r++) {
        if (r && (ds->minute[r] != ds->minute[r - 1] || ds->machine[r] != ds->machine[r - 1]))
            cell++;
        fprintf(f, "%s%d", r ? "," : "", cell + 1);
    }
    fprintf(f, ")\ny <- c(");
    for (size_t r = 0; r < ds->n; r++)
        fprintf(f, "%s%d", r ? "," : "", ds->y[r]);
    fprintf(f, ")\n");
    return fclose(f);
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. Compilation flags: see tests/fit/with_rstan.sh. */
static void test_vs_rstan(void)
{
    const char *shared = cr_test_shared();
    if (!shared)
        SKIP("no shared reference folder");
    const char *tmp = cr_test_tmpdir();
    enum { NPTS = 8 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 99);
    double worst_lp = 0, worst_g = 0;
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        int dim = ds->m.dim;
        char dpath[512], ppath[512], opath[512];
        snprintf(dpath, sizeof dpath, "%s/nbh%d.data.R", tmp, k);
        snprintf(ppath, sizeof ppath, "%s/nbh%d.points", tmp, k);
        snprintf(opath, sizeof opath, "%s/nbh%d.rstan", tmp, k);
        CHECK(write_rdump(ds, dpath) == 0);
        double *th = xmalloc((size_t)NPTS * dim * sizeof(double));
        FILE *f = fopen(ppath, "w");
        CHECK(f != NULL);
        for (int p = 0; p < NPTS; p++) {
            /* phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi) terms per second, so
             * its own rounding grows with phi */
            random_point(ds, g, 1, th + p * dim);
            th[p * dim + 3] = fmax(-4, fmin(2, th[p * dim + 3]));
            for (int i = 0; i < dim; i++)
                fprintf(f, "%s%.17g", i ? " " : "", th[p * dim + i]);
            fprintf(f, "\n");
        }
        fclose(f);
        int rc = cr_test_sh("sh tests/fit/with_rstan.sh tests/fit/rstan_logprob.R "
                            "'%s/reference/nbh.stan' '%s' '%s' '%s' >'%s/rstan.log' 2>&1",
                            shared, dpath, ppath, opath, tmp);
        if (rc == 77) {
            free(th);
            gsl_rng_free(g);
            SKIP("rstan not usable (R, rstan or Boost headers missing)");
        }
        if (rc != 0) {
            free(th);
            gsl_rng_free(g);
            SKIP("rstan failed to compile or run the model (see %s/rstan.log)", tmp);
        }
        f = fopen(opath, "r");
        CHECK(f != NULL);
        double *gr = xmalloc((size_t)dim * sizeof(double)), ref0 = 0, ours0 = 0;
        for (int p = 0; p < NPTS; p++) {
            double lp_ref, gi;
            CHECK(fscanf(f, "%lf", &lp_ref) == 1);
            double lp = cr_nbh_logp(&ds->m, th + p * dim, gr, NULL);
            if (p == 0)
                ref0 = lp_ref, ours0 = lp;
            double dref = lp_ref - ref0, dours = lp - ours0;
            double e = fabs(dref - dours) / (1e-8 * (fabs(dref) + 1));
            worst_lp = e > worst_lp ? e : worst_lp;
            CHECKF(e <= 1, "%s point %d: lp difference %.15g, rstan %.15g", ds->name, p, dours,
                   dref);
            for (int i = 0; i < dim; i++) {
                CHECK(fscanf(f, "%lf", &gi) == 1);
                e = fabs(gi - gr[i]) / (1e-8 * (fabs(gi) + 1));
                worst_g = e > worst_g ? e : worst_g;
                CHECKF(e <= 1, "%s point %d coordinate %d: gradient %.15g, rstan %.15g",
                       ds->name, p, i, gr[i], gi);
            }
        }
        fclose(f);
        free(gr);
        free(th);
    }
    printf("     worst error / tolerance (1e-8 relative): lp differences %.3g, gradient %.3g\n",
           worst_lp, worst_g);
    gsl_rng_free(g);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++)
        free_dataset(&data[k]);
}

TEST_MAIN(setup(); RUN(test_cells_and_histogram); RUN(test_gradient_finite_differences);
          RUN(test_centred_is_reparameterization);
          RUN(test_density_vs_brute_force); RUN(test_vs_rstan); teardown())
