/* The hand-written log density and gradient of the AR(1) hierarchical negative binomial model
 * (lib/model/nbh_ar1.c) against: central finite differences, a per-second brute-force sum
 * written here from GSL's negative binomial, normal and beta densities (AR states from their
 * recursion), the same for the pointwise log-likelihood, and rstan's log_prob/grad_log_prob of
 * models/nbh_ar1.stan. */
#include "test.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "ar1_test.h"

enum { NF = CR_NBH_AR1_NFIXED };

typedef struct {
    rows r;
    int *state; /* per row, its AR state (cell) counted here from the rows */
    int nstate;
    cr_nbh_ar1_data d;
    cr_model m;
} dataset;

static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double sm, double sn, double rho, double phi, int gap, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    if (gap)
        ar_drop_minute(&ds->r, 1, 2);
    ds->state = xmalloc((ds->r.n + 1) * sizeof(int));
    ds->nstate = ar_row_states(&ds->r, ds->state);
    if (isfinite(alpha)) {
        gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(g, seed);
        const double v0[NF] = {alpha, sm, sn, rho, phi};
        double *v = xmalloc((size_t)(NF + K + ds->nstate) * sizeof(double));
        ar_draw_outputs(g, K, &ds->r, ds->state, ds->nstate, v0, v);
        cr_nbh_ar1_simulate(ds->r.n, ds->r.machine, ds->r.minute, v, g, ds->r.y);
        free(v);
        gsl_rng_free(g);
    }
    cr_nbh_ar1_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    cr_nbh_ar1_model(&ds->m, &ds->d);
}

enum { NDATA = 6 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, wide[] = {45, 610, 300, 59}, gap[] = {300, 130};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.7, 0.5, 0.6, 2.0, 0, 1);
    make_dataset(&data[1], "zeros", 2, zeros, -INFINITY, 0, 0, 0, 1, 0, 2);
    make_dataset(&data[2], "one_machine", 1, one, 0.3, 0.1, 0.8, -0.4, 0.7, 0, 3);
    make_dataset(&data[3], "large_counts", 2, large, 7.0, 0.4, 0.3, 0.9, 50, 0, 4);
    make_dataset(&data[4], "sparse", 4, wide, -2.0, 1.0, 1.2, 0.3, 0.2, 0, 5);
    make_dataset(&data[5], "gap", 2, gap, 1.5, 0.5, 0.6, 0.7, 3, 1, 6);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_nbh_ar1_data_free(&data[k].d);
        rows_free(&data[k].r);
        free(data[k].state);
    }
}

/* A random unconstrained point around the data's scale; phi_spread widens log inv_sqrt_phi. */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    double ybar = (double)ds->d.cells.total / (double)ds->d.cells.nseconds;
    th[CR_NBH_AR1_ALPHA] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_LOG_SIGMA_MACHINE] = gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_LOG_SIGMA_MINUTE] = gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_RHO] = gsl_ran_gaussian(g, 1.5);
    th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = gsl_ran_gaussian(g, phi_spread);
    for (int i = NF; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
}

static void test_cells(void)
{
    const cr_nbh_ar1_data *d = &data[5].d; /* 300 s and 130 s, minute 2 of machine 1 dropped */
    CHECK_INT(d->cells.ncells, 5 + 3);
    CHECK_INT(data[5].nstate, 8);
    CHECK_INT(d->cells.cell_n[1], 0);
    CHECK_INT(d->cells.cell_minute[1], 2);
    CHECK_INT(d->cells.cell_n[2], 60);
    CHECK_INT(d->first_cell[0], 0);
    CHECK_INT(d->first_cell[1], 5);
    CHECK_INT(d->first_cell[2], 8);
    CHECK_INT(d->cells.cell_n[7], 10);
    CHECK_INT(data[0].d.cells.ncells, 4 + 2 + 3);
    CHECK_INT(data[0].m.dim, 5 + 3 + 9);
    char buf[64];
    data[0].m.name(&data[0].m, 3, buf, sizeof buf);
    CHECK_STR(buf, "rho");
    data[0].m.name(&data[0].m, 4, buf, sizeof buf);
    CHECK_STR(buf, "phi");
    data[0].m.name(&data[0].m, 7, buf, sizeof buf);
    CHECK_STR(buf, "z_machine[3]");
    data[0].m.name(&data[0].m, 8 + 5, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[2,2]");
    data[5].m.name(&data[5].m, 7 + 1, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[1,2]");
}

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
                th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = -7; /* phi = e^14 */
            if (rep == 1)
                th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = 3; /* phi = e^-6 */
            if (rep == 2)
                th[CR_NBH_AR1_RHO] = 9; /* rho = 0.9998 */
            if (rep == 3)
                th[CR_NBH_AR1_RHO] = -6;
            char what[96];
            snprintf(what, sizeof what, "%s coordinates %d point %d", ds->r.name,
                     ds->d.centred, rep);
            double w = fd_worst(&ds->m, th, what);
            worst = w > worst ? w : worst;
        }
        free(th);
        ds->d.centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
    CHECK(worst <= 1);
}

/* The other coordinates (to_coords: machine levels, cell rates u = v + sigma_minute z_minute at
 * the AR states, and the anchors of their means) carry the same density times their Jacobian,
 * with centred cells times that of eps -> z, sqrt(1 - rho^2)^-(C - K), and give the same
 * outputs. */
static void test_centred_is_reparameterization(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < (CR_EFFECTS_NCOORDS - 1) * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        const int coords = k / NDATA + 1;
        const int dim = ds->m.dim, K = ds->d.cells.nmachines, C = ds->d.cells.ncells;
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, 1, z);
        ds->m.constrain(&ds->m, z, o1);
        const double rho = o1[3];
        double expect = cr_nbh_ar1_logp(&ds->m, z, NULL, NULL) +
                        to_coords(&ds->d.cells, NF, CR_NBH_AR1_LOG_SIGMA_MINUTE, coords, z,
                                  o1 + NF + K, c);
        if (cr_effects_centred_cells(coords))
            expect -= 0.5 * (C - K) * log(1 - rho * rho);
        ds->d.centred = coords;
        double lc = cr_nbh_ar1_logp(&ds->m, c, NULL, NULL);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.centred = 0;
        check_reparam(ds->r.name, coords, lc, expect, fabs(expect), 1e-9, o1, o2, dim);
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* The density from textbook pieces (ar1_test.h), constants included: NB2 per second at the
 * AR states. */
static double brute_lp(const dataset *ds, const double *th)
{
    double *eta = xmalloc((ds->r.n + 1) * sizeof(double));
    ar_brute_eta(&ds->r, ds->state, ds->nstate, ds->d.cells.nmachines, th, eta);
    double lp = ar_brute_prior(th, ds->m.dim), phi = exp(-2 * th[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
    for (size_t i = 0; i < ds->r.n; i++)
        lp += nb_log_pmf(ds->r.y[i], exp(eta[i]), phi);
    free(eta);
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
        double ours0 = cr_nbh_ar1_logp(&ds->m, t0, NULL, NULL), ref0 = brute_lp(ds, t0);
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, 1, t1);
            double d_ours = cr_nbh_ar1_logp(&ds->m, t1, NULL, NULL) - ours0;
            double d_ref = brute_lp(ds, t1) - ref0;
            CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
                   "%s: lp difference %.15g, brute force %.15g", ds->r.name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

/* The pointwise log-likelihood at a draw's outputs against GSL's pmf per second; a minute the
 * data do not have gives NaN. */
static void test_loglik(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    double worst = 0;
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        const int K = ds->d.cells.nmachines;
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        double *v = xmalloc((size_t)ds->m.dim * sizeof(double));
        random_point(ds, g, 1, th);
        ds->m.constrain(&ds->m, th, v);
        for (size_t i = 0; i < ds->r.n; i++) {
            double mu = exp(v[0] + v[1] * v[NF + ds->r.machine[i] - 1] +
                            v[2] * v[NF + K + ds->state[i]]);
            double ref = nb_log_pmf(ds->r.y[i], mu, v[4]);
            double ours = cr_nbh_ar1_loglik(&ds->d, v, ds->r.machine[i], ds->r.minute[i],
                                            ds->r.y[i]);
            double e = fabs(ours - ref) / (1e-10 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
            CHECKF(e <= 1, "%s row %zu: %.15g, GSL %.15g", ds->r.name, i, ours, ref);
        }
        CHECK(isnan(cr_nbh_ar1_loglik(&ds->d, v, K + 1, 1, 0)));
        CHECK(isnan(cr_nbh_ar1_loglik(&ds->d, v, 1, 1000, 0)));
        free(th);
        free(v);
    }
    printf("     worst pointwise error / tolerance (1e-10 relative): %.3g\n", worst);
    gsl_rng_free(g);
}

/* The last (gap) data set is left out: the Stan data written from the rows have no cell for the
 * missing minute. */
/* phi within [e^-4, e^4]: Stan 2.21 differences lgamma(phi) per second */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = fmax(-2, fmin(2, th[CR_NBH_AR1_LOG_INV_SQRT_PHI]));
}

static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/nbh_ar1.stan", NDATA - 1, 8, stan_point);
}

TEST_MAIN(setup(); RUN(test_cells); RUN(test_gradient_finite_differences);
          RUN(test_centred_is_reparameterization); RUN(test_density_vs_brute_force);
          RUN(test_loglik); RUN(test_vs_rstan); teardown())
