/* The hand-written log density and gradient of the hierarchical negative binomial model
 * (lib/model/nbh.c) against: central finite differences, a per-second brute-force sum written
 * here from the NB2 pmf, GSL's negative binomial pmf for the pointwise log-likelihood, and
 * rstan's log_prob/grad_log_prob of the reference nbh.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nbh.h"
#include "model_test.h"

typedef struct {
    rows r;
    cr_nbh_data d;
    cr_model m;
} dataset;

/* Draws counts from the model itself at (alpha, sigma_machine, sigma_minute, phi) and standard
 * normal z's; alpha = -INFINITY gives all zeros. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double sm, double sn, double phi, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    if (isfinite(alpha)) {
        int nout = CR_NBH_NFIXED + K + rows_ncells(&ds->r);
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(g, seed);
        double *v = xmalloc((size_t)nout * sizeof(double));
        v[0] = alpha, v[1] = sm, v[2] = sn, v[3] = phi;
        for (int i = CR_NBH_NFIXED; i < nout; i++)
            v[i] = gsl_ran_gaussian(g, 1);
        cr_nbh_simulate(ds->r.n, ds->r.machine, ds->r.minute, v, g, ds->r.y);
        free(v);
        gsl_rng_free(g);
    }
    cr_nbh_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    cr_nbh_model(&ds->m, &ds->d);
}

enum { NDATA = 5 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, wide[] = {45, 610, 300, 59};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.7, 0.5, 2.0, 1);
    make_dataset(&data[1], "zeros", 2, zeros, -INFINITY, 0, 0, 0, 2);
    make_dataset(&data[2], "one_machine", 1, one, 0.3, 0.1, 0.8, 0.7, 3);
    make_dataset(&data[3], "large_counts", 2, large, 7.0, 0.4, 0.3, 50, 4);
    make_dataset(&data[4], "sparse", 4, wide, -2.0, 1.0, 1.2, 0.2, 5);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_nbh_data_free(&data[k].d);
        rows_free(&data[k].r);
    }
}

/* A random point around the data's scale; log inv_sqrt_phi spread wide so that phi covers both
 * tiny values and the Stirling branch (phi >= 1e4). */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    double ybar = (double)ds->d.cells.total / (double)ds->d.cells.nseconds;
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
    const cr_cells *d = &data[0].d.cells;
    CHECK_INT(d->nmachines, 3);
    CHECK_INT(d->ncells, 4 + 2 + 3); /* 200 s = 4 minutes, 61 s = 2, 125 s = 3 */
    CHECK_INT(d->cell_n[3], 20);
    CHECK_INT(d->cell_minute[5], 2);
    CHECK_INT(d->cell_n[5], 1);
    double n = 0, y = 0;
    for (int i = 0; i < d->ndistinct; i++)
        n += d->hist_n[i], y += d->hist_n[i] * d->hist_y[i];
    long zeros = 0;
    for (size_t r = 0; r < data[0].r.n; r++)
        zeros += data[0].r.y[r] == 0;
    CHECK_INT(n + (double)zeros, 386);
    CHECK_INT(y, d->total);
    CHECK_INT(data[1].d.cells.ndistinct, 0);
    CHECK_INT(data[1].m.dim, 4 + 2 + 2 + 3);
    char buf[64];
    data[0].m.name(&data[0].m, 3, buf, sizeof buf);
    CHECK_STR(buf, "phi");
    data[0].m.name(&data[0].m, 6, buf, sizeof buf);
    CHECK_STR(buf, "z_machine[3]");
    data[0].m.name(&data[0].m, 7 + 5, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[2,2]");
}

/* All three sampling coordinates (model/effects.h; non-centred as nbh.stan), phi from tiny to
 * the Stirling branch. */
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
            random_point(ds, g, 2.5, th);
            if (rep == 0)
                th[3] = -7; /* phi = e^14, Stirling branch */
            if (rep == 1)
                th[3] = 3; /* phi = e^-6 */
            double w = fd_worst(&ds->m, th, ds->r.name);
            CHECKF(w <= 1, "%s coordinates %d point %d: gradient error / tolerance %.3g",
                   ds->r.name, ds->d.centred, rep, w);
            worst = w > worst ? w : worst;
        }
        free(th);
        ds->d.centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
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
        random_point(ds, g, 1, z);
        double jac = to_coords(&ds->d.cells, CR_NBH_NFIXED, CR_NBH_LOG_SIGMA_MINUTE, coords, z,
                               NULL, c);
        double lnc = lp_at(ds, z);
        ds->m.constrain(&ds->m, z, o1);
        ds->d.centred = coords;
        double lc = lp_at(ds, c);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.centred = 0;
        check_reparam(ds->r.name, coords, lc, lnc + jac, fabs(lnc), 1e-10, o1, o2, dim);
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
    const rows *r = &ds->r;
    int K = ds->d.cells.nmachines;
    double alpha = th[0], sm = exp(th[1]), sn = exp(th[2]), isp = exp(th[3]);
    double phi = 1 / (isp * isp), lp = 0;
    lp += log(gsl_ran_gaussian_pdf(alpha, 3));
    for (int j = 1; j <= 3; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[j]), 1)) + th[j];
    for (int i = CR_NBH_NFIXED; i < ds->m.dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    int cell = -1;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || r->minute[i] != r->minute[i - 1] || r->machine[i] != r->machine[i - 1])
            cell++;
        double mu = exp(alpha + sm * th[CR_NBH_NFIXED + r->machine[i] - 1] +
                        sn * th[CR_NBH_NFIXED + K + cell]);
        double y = r->y[i];
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
                   "%s: lp difference %.15g, brute force %.15g", ds->r.name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

/* The pointwise log-likelihood for PSIS-LOO against GSL's negative binomial pmf
 * (p = phi / (mu + phi), n = phi), at the generating point of the mixed data. */
static void test_loglik_vs_gsl(void)
{
    const dataset *ds = &data[0];
    double *v = xmalloc((size_t)ds->m.nout * sizeof(double)), worst = 0;
    for (int i = 0; i < ds->m.nout; i++)
        v[i] = i < CR_NBH_NFIXED ? 0.5 + 0.25 * i : 0.1 * (i % 7) - 0.3;
    const cr_cells *c = &ds->d.cells;
    for (int i = 0; i < c->ncells; i++)
        for (int y = 0; y < 30; y += 3) {
            int k = c->cell_machine[i] + 1, mi = c->cell_minute[i];
            double mu = exp(v[0] + v[1] * v[CR_NBH_NFIXED + k - 1] +
                            v[2] * v[CR_NBH_NFIXED + c->nmachines + i]);
            double ref = log(gsl_ran_negative_binomial_pdf((unsigned)y, v[3] / (mu + v[3]), v[3]));
            double e = fabs(cr_nbh_loglik(&ds->d, v, k, mi, y) - ref) / (1e-12 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
        }
    CHECKF(worst <= 1, "loglik error / tolerance %.3g", worst);
    CHECK(isnan(cr_nbh_loglik(&ds->d, v, 2, 9, 1)));
    free(v);
}

/* phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi) terms per second, so its own
 * rounding grows with phi */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[3] = fmax(-4, fmin(2, th[3]));
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. The seed's reference nbh.stan when ../shared is there,
 * otherwise the project's twin. */
static void test_vs_rstan(void)
{
    const char *shared = cr_test_shared();
    char stan[512];
    snprintf(stan, sizeof stan, "%s/reference/nbh.stan", shared ? shared : ".");
    if (!shared)
        snprintf(stan, sizeof stan, "models/nbh.stan");
    RSTAN_VS_ALL(stan, NDATA, 8, stan_point);
}

TEST_MAIN(setup(); RUN(test_cells_and_histogram); RUN(test_gradient_finite_differences);
          RUN(test_centred_is_reparameterization);
          RUN(test_density_vs_brute_force); RUN(test_loglik_vs_gsl); RUN(test_vs_rstan); teardown())
