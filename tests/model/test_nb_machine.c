/* The hand-written log density and gradient of the negative binomial model with machine effects
 * only (lib/model/nb_machine.c) against: central finite differences, a per-second brute-force
 * sum written here from the NB2 pmf, GSL's negative binomial pmf for the pointwise
 * log-likelihood, and rstan's log_prob/grad_log_prob of models/nb_machine.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nb_machine.h"
#include "model_test.h"

typedef struct {
    rows r;
    double *truth; /* the output values the counts were drawn at */
    cr_nb_machine_data d;
    cr_model m;
} dataset;

/* Counts drawn from the model at (alpha, sigma_machine, phi) and standard normal z's;
 * alpha = -INFINITY gives all zeros. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double sm, double phi, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    int nout = CR_NB_MACHINE_NFIXED + K;
    ds->truth = xmalloc((size_t)nout * sizeof(double));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    ds->truth[0] = alpha, ds->truth[1] = sm, ds->truth[2] = phi;
    for (int i = CR_NB_MACHINE_NFIXED; i < nout; i++)
        ds->truth[i] = gsl_ran_gaussian(g, 1);
    if (isfinite(alpha))
        cr_nb_machine_simulate(ds->r.n, ds->r.machine, ds->r.minute, ds->truth, g, ds->r.y);
    gsl_rng_free(g);
    cr_nb_machine_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.y);
    cr_nb_machine_model(&ds->m, &ds->d);
}

enum { NDATA = 5 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, wide[] = {45, 610, 300, 59};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.7, 2.0, 1);
    make_dataset(&data[1], "zeros", 2, zeros, -INFINITY, 0, 1, 2);
    make_dataset(&data[2], "one_machine", 1, one, 0.3, 0.1, 0.7, 3);
    make_dataset(&data[3], "large_counts", 2, large, 7.0, 0.4, 50, 4);
    make_dataset(&data[4], "sparse", 4, wide, -2.0, 1.0, 0.2, 5);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_nb_machine_data_free(&data[k].d);
        rows_free(&data[k].r);
        free(data[k].truth);
    }
}

/* A random point around the data's scale; log inv_sqrt_phi spread by phi_spread so that phi can
 * cover both tiny values and the Stirling branch (phi >= 1e4). */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    double ybar = (double)ds->d.cells.total / (double)ds->d.cells.nseconds;
    th[0] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    th[1] = gsl_ran_gaussian(g, 1);
    th[2] = gsl_ran_gaussian(g, phi_spread);
    for (int i = CR_NB_MACHINE_NFIXED; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
}

static void test_cells_and_names(void)
{
    const cr_cells *c = &data[4].d.cells;
    CHECK_INT(c->nmachines, 4);
    CHECK_INT(c->ncells, 4);
    CHECK_INT(c->cell_n[1], 610);
    CHECK_INT(c->cell_machine[3], 3);
    long long y = 0, y2 = 0;
    for (size_t r = 0; r < data[4].r.n; r++) {
        y += data[4].r.y[r];
        y2 += data[4].r.machine[r] == 2 ? data[4].r.y[r] : 0;
    }
    CHECK_INT(c->total, y);
    CHECK_INT(c->cell_y[1], y2);
    double n = 0, yh = 0;
    for (int i = 0; i < c->ndistinct; i++)
        n += c->hist_n[i], yh += c->hist_n[i] * c->hist_y[i];
    long zeros = 0;
    for (size_t r = 0; r < data[4].r.n; r++)
        zeros += data[4].r.y[r] == 0;
    CHECK_INT(n + (double)zeros, 1014);
    CHECK_INT(yh, y);
    CHECK_INT(cr_cells_find(c, 3, 7), 2);
    CHECK_INT(data[1].d.cells.ndistinct, 0);
    CHECK_INT(data[4].m.dim, 3 + 4);
    char buf[64];
    data[4].m.name(&data[4].m, 2, buf, sizeof buf);
    CHECK_STR(buf, "phi");
    data[4].m.name(&data[4].m, 6, buf, sizeof buf);
    CHECK_STR(buf, "z_machine[4]");
}

/* Both sampling coordinates (non-centred as nb_machine.stan, and the machine levels with
 * alpha's anchor), 12 random points each, two of them with phi = e^14 (Stirling branch) and
 * e^-6. */
static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < 2 * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        ds->d.centred = k >= NDATA;
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        for (int rep = 0; rep < 12; rep++) {
            random_point(ds, g, 2.5, th);
            if (rep < 2)
                th[CR_NB_MACHINE_LOG_INV_SQRT_PHI] = rep == 0 ? -7 : 3;
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

/* The machine levels with alpha's anchor (to_coords) carry the same density times their
 * Jacobian sigma_machine^(1 - K), and map back to the same outputs. */
static void test_centred_is_reparameterization(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < NDATA; k++) {
        dataset *ds = &data[k];
        int dim = ds->m.dim;
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, 1, z);
        double want = cr_nb_machine_logp(&ds->m, z, NULL, NULL) +
                      to_coords(&ds->d.cells, CR_NB_MACHINE_NFIXED, -1, CR_EFFECTS_CENTRED, z,
                                NULL, c);
        ds->m.constrain(&ds->m, z, o1);
        ds->d.centred = CR_EFFECTS_CENTRED;
        double lc = cr_nb_machine_logp(&ds->m, c, NULL, NULL);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.centred = 0;
        CHECKF(fabs(lc - want) <= 1e-10 * fabs(want), "%s: %.15g vs %.15g", ds->r.name, lc, want);
        for (int i = 0; i < dim; i++)
            CHECK_NEAR(o2[i], o1[i], 1e-10 * (1 + fabs(o1[i])));
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* log NB2(y | mu, phi) from its textbook form. */
static double nb2_textbook(double y, double mu, double phi)
{
    return lgamma(y + phi) - lgamma(phi) - lgamma(y + 1) + phi * log(phi / (mu + phi)) +
           y * log(mu / (mu + phi));
}

/* The NB2 log pmf per second plus the priors and log-scale Jacobians: an independent evaluation
 * of the same density (constants included). */
static double brute_lp(const dataset *ds, const double *th)
{
    double alpha = th[0], sm = exp(th[1]), isp = exp(th[2]), phi = 1 / (isp * isp), lp = 0;
    lp += log(gsl_ran_gaussian_pdf(alpha, 3));
    for (int j = 1; j <= 2; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[j]), 1)) + th[j];
    for (int i = CR_NB_MACHINE_NFIXED; i < ds->m.dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    for (size_t r = 0; r < ds->r.n; r++) {
        double mu = exp(alpha + sm * th[CR_NB_MACHINE_NFIXED + ds->r.machine[r] - 1]);
        lp += nb2_textbook(ds->r.y[r], mu, phi);
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
        double ours0 = cr_nb_machine_logp(&ds->m, t0, NULL, NULL), ref0 = brute_lp(ds, t0);
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, 1, t1);
            double d_ours = cr_nb_machine_logp(&ds->m, t1, NULL, NULL) - ours0;
            double d_ref = brute_lp(ds, t1) - ref0;
            CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
                   "%s: lp difference %.15g, brute force %.15g", ds->r.name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

/* Every second's pointwise log-likelihood against the log of GSL's negative binomial pmf
 * (p = phi / (mu + phi), n = phi), at the values the data were drawn at and at phi = 1e6
 * (the Stirling branch, where the pmf is nearly Poisson). */
static void test_pointwise_loglik(void)
{
    double worst = 0, v[CR_NB_MACHINE_NFIXED + 4];
    int n = 0;
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        if (!isfinite(ds->truth[0]))
            continue;
        memcpy(v, ds->truth, (CR_NB_MACHINE_NFIXED + (size_t)ds->r.nmachines) * sizeof(double));
        for (int pass = 0; pass < 2; pass++) {
            v[2] = pass ? 1e6 : ds->truth[2];
            for (size_t r = 0; r < ds->r.n; r++) {
                double mu = exp(v[0] + v[1] * v[CR_NB_MACHINE_NFIXED + ds->r.machine[r] - 1]);
                double pdf = gsl_ran_negative_binomial_pdf((unsigned)ds->r.y[r], v[2] / (mu + v[2]),
                                                           v[2]);
                if (!(pdf > 1e-300))
                    continue;
                double ours = cr_nb_machine_loglik(&ds->d, v, ds->r.machine[r], ds->r.minute[r],
                                                   ds->r.y[r]);
                /* GSL's pmf itself carries rounding of order 1e-16 * phi * log(phi) in its
                 * lgamma differences */
                double tol = (pass ? 1e-9 : 1e-12) * (1 + fabs(log(pdf)));
                double e = fabs(ours - log(pdf)) / tol;
                worst = e > worst ? e : worst;
                n++;
                CHECKF(e <= 1, "%s row %zu phi %g: %.15g, GSL %.15g", ds->r.name, r, v[2], ours,
                       log(pdf));
            }
        }
    }
    printf("     %d seconds, worst error / tolerance %.3g\n", n, worst);
    CHECK(n > 3000);
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi)
 * terms per second, so its own rounding grows with phi. */
/* phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi) terms per second, so its own
 * rounding grows with phi */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[CR_NB_MACHINE_LOG_INV_SQRT_PHI] = fmax(-4, fmin(2, th[CR_NB_MACHINE_LOG_INV_SQRT_PHI]));
}

static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/nb_machine.stan", NDATA, 8, stan_point);
}

TEST_MAIN(setup(); RUN(test_cells_and_names); RUN(test_gradient_finite_differences);
          RUN(test_centred_is_reparameterization); RUN(test_density_vs_brute_force);
          RUN(test_pointwise_loglik); RUN(test_vs_rstan); teardown())
