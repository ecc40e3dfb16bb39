/* The hand-written log density and gradient of the lognormal-Poisson model (lib/model/pois.c)
 * against: central finite differences, a per-second brute-force sum written here from the
 * Poisson pmf, GSL's Poisson pmf for the pointwise log-likelihood, and rstan's
 * log_prob/grad_log_prob of models/pois.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/pois.h"
#include "model_test.h"

typedef struct {
    rows r;
    double *truth; /* the output values the counts were drawn at */
    cr_pois_data d;
    cr_model m;
} dataset;

/* Counts drawn from the model at (alpha, sigma_machine, sigma_minute) and standard normal z's;
 * alpha = -INFINITY gives all zeros. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double sm, double sn, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    int nout = CR_POIS_NFIXED + K + rows_ncells(&ds->r);
    ds->truth = xmalloc((size_t)nout * sizeof(double));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    ds->truth[0] = alpha, ds->truth[1] = sm, ds->truth[2] = sn;
    for (int i = CR_POIS_NFIXED; i < nout; i++)
        ds->truth[i] = gsl_ran_gaussian(g, 1);
    if (isfinite(alpha))
        cr_pois_simulate(ds->r.n, ds->r.machine, ds->r.minute, ds->truth, g, ds->r.y);
    gsl_rng_free(g);
    cr_pois_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    cr_pois_model(&ds->m, &ds->d);
}

enum { NDATA = 5 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, wide[] = {45, 610, 300, 59};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.7, 0.5, 1);
    make_dataset(&data[1], "zeros", 2, zeros, -INFINITY, 0, 0, 2);
    make_dataset(&data[2], "one_machine", 1, one, 0.3, 0.1, 0.8, 3);
    make_dataset(&data[3], "large_counts", 2, large, 7.0, 0.4, 0.3, 4);
    make_dataset(&data[4], "sparse", 4, wide, -2.0, 1.0, 1.2, 5);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_pois_data_free(&data[k].d);
        rows_free(&data[k].r);
        free(data[k].truth);
    }
}

static void random_point(const dataset *ds, gsl_rng *g, double *th)
{
    double ybar = (double)ds->d.cells.total / (double)ds->d.cells.nseconds;
    th[0] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    for (int i = 1; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
}

static void test_cells_and_names(void)
{
    const cr_cells *c = &data[0].d.cells;
    CHECK_INT(c->nmachines, 3);
    CHECK_INT(c->ncells, 4 + 2 + 3); /* 200 s = 4 minutes, 61 s = 2, 125 s = 3 */
    CHECK_INT(c->cell_n[3], 20);
    CHECK_INT(c->cell_minute[5], 2);
    CHECK_INT(c->cell_n[5], 1);
    long long y = 0, y5 = 0;
    for (size_t r = 0; r < data[0].r.n; r++) {
        y += data[0].r.y[r];
        y5 += data[0].r.machine[r] == 2 && data[0].r.minute[r] == 2 ? data[0].r.y[r] : 0;
    }
    CHECK_INT(c->total, y);
    CHECK_INT(c->cell_y[5], y5);
    CHECK_INT(cr_cells_find(c, 2, 2), 5);
    CHECK_INT(cr_cells_find(c, 1, 1), 0);
    CHECK_INT(cr_cells_find(c, 3, 3), 8);
    CHECK_INT(cr_cells_find(c, 2, 3), -1);
    CHECK_INT(cr_cells_find(c, 4, 1), -1);
    CHECK_INT(data[0].m.dim, 3 + 3 + 9);
    char buf[64];
    data[0].m.name(&data[0].m, 2, buf, sizeof buf);
    CHECK_STR(buf, "sigma_minute");
    data[0].m.name(&data[0].m, 5, buf, sizeof buf);
    CHECK_STR(buf, "z_machine[3]");
    data[0].m.name(&data[0].m, 6 + 5, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[2,2]");
}

/* All three sampling coordinates (model/effects.h; non-centred as pois.stan), 12 random points
 * each. */
static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < CR_EFFECTS_NCOORDS * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        ds->d.centred = k / NDATA;
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        for (int rep = 0; rep < 12; rep++) {
            random_point(ds, g, th);
            double w = fd_worst(&ds->m, th, ds->r.name);
            worst = w > worst ? w : worst;
        }
        free(th);
        ds->d.centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
    CHECK(worst <= 1);
}

/* The other coordinates (to_coords: machine levels, cell rates and the anchors of their means)
 * carry the same density times their Jacobian and map back to the same outputs. */
static void test_centred_is_reparameterization(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < (CR_EFFECTS_NCOORDS - 1) * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        const int coords = k / NDATA + 1, dim = ds->m.dim;
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, z);
        double want = cr_pois_logp(&ds->m, z, NULL, NULL) +
                      to_coords(&ds->d.cells, CR_POIS_NFIXED, CR_POIS_LOG_SIGMA_MINUTE, coords,
                                z, NULL, c);
        ds->m.constrain(&ds->m, z, o1);
        ds->d.centred = coords;
        double lc = cr_pois_logp(&ds->m, c, NULL, NULL);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.centred = 0;
        check_reparam(ds->r.name, coords, lc, want, fabs(want), 1e-10, o1, o2, dim);
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* The Poisson log pmf per second from its textbook form, plus the priors and log-scale
 * Jacobians: an independent evaluation of the same density (constants included). */
static double brute_lp(const dataset *ds, const double *th)
{
    int K = ds->r.nmachines;
    double alpha = th[0], sm = exp(th[1]), sn = exp(th[2]), lp = 0;
    lp += log(gsl_ran_gaussian_pdf(alpha, 3));
    for (int j = 1; j <= 2; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[j]), 1)) + th[j];
    for (int i = CR_POIS_NFIXED; i < ds->m.dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    int cell = -1;
    for (size_t r = 0; r < ds->r.n; r++) {
        if (r == 0 || ds->r.minute[r] != ds->r.minute[r - 1] ||
            ds->r.machine[r] != ds->r.machine[r - 1])
            cell++;
        double mu = exp(alpha + sm * th[CR_POIS_NFIXED + ds->r.machine[r] - 1] +
                        sn * th[CR_POIS_NFIXED + K + cell]);
        double y = ds->r.y[r];
        lp += y * log(mu) - mu - lgamma(y + 1);
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
        random_point(ds, g, t0);
        double ours0 = cr_pois_logp(&ds->m, t0, NULL, NULL), ref0 = brute_lp(ds, t0);
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, t1);
            double d_ours = cr_pois_logp(&ds->m, t1, NULL, NULL) - ours0;
            double d_ref = brute_lp(ds, t1) - ref0;
            CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
                   "%s: lp difference %.15g, brute force %.15g", ds->r.name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

/* At the values the data were drawn at, every second's pointwise log-likelihood equals the log
 * of GSL's Poisson pmf; a (machine, minute) outside the data has none. */
static void test_pointwise_loglik(void)
{
    double worst = 0;
    int n = 0;
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        const double *v = ds->truth;
        int cell = -1, K = ds->r.nmachines;
        if (!isfinite(v[0]))
            continue;
        for (size_t r = 0; r < ds->r.n; r++) {
            if (r == 0 || ds->r.minute[r] != ds->r.minute[r - 1] ||
                ds->r.machine[r] != ds->r.machine[r - 1])
                cell++;
            double mu = exp(v[0] + v[1] * v[CR_POIS_NFIXED + ds->r.machine[r] - 1] +
                            v[2] * v[CR_POIS_NFIXED + K + cell]);
            double pdf = gsl_ran_poisson_pdf((unsigned)ds->r.y[r], mu);
            if (!(pdf > 1e-300))
                continue;
            double ours = cr_pois_loglik(&ds->d, v, ds->r.machine[r], ds->r.minute[r], ds->r.y[r]);
            double e = fabs(ours - log(pdf)) / (1e-12 * (1 + fabs(log(pdf))));
            worst = e > worst ? e : worst;
            n++;
            CHECKF(e <= 1, "%s row %zu: %.15g, GSL %.15g", ds->r.name, r, ours, log(pdf));
        }
    }
    printf("     %d seconds, worst error / tolerance (1e-12 relative) %.3g\n", n, worst);
    CHECK(n > 1000);
    CHECK(isnan(cr_pois_loglik(&data[0].d, data[0].truth, 2, 3, 0)));
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. */
static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/pois.stan", NDATA, 8, random_point);
}

TEST_MAIN(setup(); RUN(test_cells_and_names); RUN(test_gradient_finite_differences);
          RUN(test_centred_is_reparameterization); RUN(test_density_vs_brute_force);
          RUN(test_pointwise_loglik); RUN(test_vs_rstan); teardown())
