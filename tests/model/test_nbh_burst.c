/* The hand-written log density and gradient of nbh with burst seconds (lib/model/nbh_burst.c)
 * against: its per-cell count histograms rebuilt from the rows, fourth-order finite differences
 * in every sampling coordinate system, the other coordinates as reparameterizations, a
 * per-second brute-force sum written here from GSL's negative binomial pmf, the pointwise
 * log-likelihood likewise, and rstan's log_prob/grad_log_prob of models/nbh_burst.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nbh_burst.h"
#include "model_test.h"

typedef struct {
    rows r;
    cr_nbh_burst_data d;
    cr_model m;
} dataset;

/* Counts drawn from the model itself at (alpha, sigma_machine, sigma_minute, phi, w, lambda_b,
 * phi_b) and standard normal z's. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec,
                         const double *pop, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    const int C = rows_ncells(&ds->r), at = CR_NBH_NFIXED + K + C;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    double *v = xmalloc((size_t)(at + CR_BURST_NTAIL) * sizeof(double));
    memcpy(v, pop, CR_NBH_NFIXED * sizeof(double));
    for (int i = CR_NBH_NFIXED; i < at; i++)
        v[i] = gsl_ran_gaussian(g, 1);
    memcpy(v + at, pop + CR_NBH_NFIXED, CR_BURST_NTAIL * sizeof(double));
    cr_nbh_burst_simulate(ds->r.n, ds->r.machine, ds->r.minute, v, g, ds->r.y);
    free(v);
    gsl_rng_free(g);
    cr_nbh_burst_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    cr_nbh_burst_model(&ds->m, &ds->d);
}

enum { NDATA = 4 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, one[] = {300}, large[] = {120, 180},
                     wide[] = {45, 610, 300, 59};
    static const double p_mixed[] = {-1.0, 0.7, 0.5, 5.0, 0.03, 12, 1.5};
    static const double p_one[] = {0.3, 0.1, 0.8, 0.7, 0.2, 3, 0.3};
    static const double p_large[] = {3.0, 0.4, 0.3, 50, 0.05, 100, 2};
    static const double p_sparse[] = {-3.0, 1.0, 1.2, 2, 0.01, 25, 0.8};
    make_dataset(&data[0], "burst_mixed", 3, mixed, p_mixed, 1);
    make_dataset(&data[1], "burst_one_machine", 1, one, p_one, 3);
    make_dataset(&data[2], "burst_large_counts", 2, large, p_large, 4);
    make_dataset(&data[3], "burst_sparse", 4, wide, p_sparse, 5);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_nbh_burst_data_free(&data[k].d);
        rows_free(&data[k].r);
    }
}

static int tail_at(const dataset *ds)
{
    return cr_nbh_burst_tail_index(&ds->d);
}

/* A random point around the data's scale; phi spread by phi_spread on its log-scale
 * coordinate. The scales stay below about 2: at sigma_minute = 3.6 a large-count cell's rate
 * reaches e^7, where the responsibilities switch so sharply that the truncation error of the
 * fourth-order differences (1e-4 relative, shrinking as h^4) exceeds the tolerance. */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    const cr_cells *c = &ds->d.nbh.cells;
    double ybar = (double)c->total / (double)c->nseconds;
    th[0] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    th[1] = gsl_ran_gaussian(g, 0.6) - 0.5;
    th[2] = gsl_ran_gaussian(g, 0.6) - 0.5;
    th[3] = gsl_ran_gaussian(g, phi_spread);
    for (int i = CR_NBH_NFIXED; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
    const int at = tail_at(ds);
    th[at + CR_BURST_W] = gsl_ran_gaussian(g, 1.5) - 2;
    th[at + CR_BURST_LAMBDA] = gsl_ran_gaussian(g, 1) + 2;
}

static double lp_at(const dataset *ds, const double *th)
{
    return cr_nbh_burst_logp(&ds->m, th, NULL, NULL);
}

/* Each cell's entries are its seconds' distinct counts with their multiplicities. */
static void test_cell_histograms(void)
{
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        const cr_nbh_burst_data *d = &ds->d;
        const cr_cells *c = &d->nbh.cells;
        CHECK_INT(d->val_y[0], 0);
        size_t row = 0;
        for (int i = 0; i < c->ncells; i++) {
            double n = 0, y = 0;
            for (int e = d->cell_first[i]; e < d->cell_first[i + 1]; e++) {
                n += d->ent_n[e];
                y += d->ent_n[e] * d->val_y[d->ent_val[e]];
                if (e > d->cell_first[i])
                    CHECK(d->ent_val[e] > d->ent_val[e - 1]);
            }
            CHECK_INT(n, c->cell_n[i]);
            CHECK_INT(y, c->cell_y[i]);
            for (int e = d->cell_first[i]; e < d->cell_first[i + 1]; e++) {
                int seen = 0;
                for (size_t r = row; r < row + (size_t)c->cell_n[i]; r++)
                    seen += ds->r.y[r] == d->val_y[d->ent_val[e]];
                CHECK_INT(seen, d->ent_n[e]);
            }
            row += (size_t)c->cell_n[i];
        }
    }
    char buf[64];
    const dataset *ds = &data[0];
    ds->m.name(&ds->m, tail_at(ds) + CR_BURST_LAMBDA, buf, sizeof buf);
    CHECK_STR(buf, "lambda_b");
    ds->m.name(&ds->m, 3, buf, sizeof buf);
    CHECK_STR(buf, "phi");
    CHECK_INT(ds->m.dim, 4 + 3 + 9 + 3);
}

static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < CR_EFFECTS_NCOORDS * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        ds->d.nbh.centred = k / NDATA;
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, 2, th);
            if (rep == 0) { /* phi = e^12: the Stirling branch of the base component, at the
                             * data's mean rate (far from it the same truncation error) */
                const cr_cells *c = &ds->d.nbh.cells;
                th[0] = log((double)c->total / (double)c->nseconds + 0.05);
                th[3] = -6;
            }
            double w = fd_worst(&ds->m, th, ds->r.name);
            CHECKF(w <= 1, "%s coordinates %d point %d: gradient error / tolerance %.3g",
                   ds->r.name, ds->d.nbh.centred, rep, w);
            worst = w > worst ? w : worst;
        }
        free(th);
        ds->d.nbh.centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
}

static void test_coordinates_are_reparameterizations(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < (CR_EFFECTS_NCOORDS - 1) * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        const int coords = k / NDATA + 1, dim = ds->m.dim, at = tail_at(ds);
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, 1, z);
        double jac = to_coords(&ds->d.nbh.cells, CR_NBH_NFIXED, CR_NBH_LOG_SIGMA_MINUTE, coords,
                               z, NULL, c);
        memcpy(c + at, z + at, CR_BURST_NTAIL * sizeof(double));
        double lnc = lp_at(ds, z);
        ds->m.constrain(&ds->m, z, o1);
        ds->d.nbh.centred = coords;
        double lc = lp_at(ds, c);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.nbh.centred = 0;
        check_reparam(ds->r.name, coords, lc, lnc + jac, fabs(lnc), 1e-10, o1, o2, dim);
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* log NB2(y | mu, phi) from GSL's pmf (p = phi / (mu + phi), n = phi) */
static double nb2_ref(int y, double mu, double phi)
{
    return log(gsl_ran_negative_binomial_pdf((unsigned)y, phi / (mu + phi), phi));
}

/* The mixture per second, the priors and the Jacobians from their definitions, constants
 * included. */
static double brute_lp(const dataset *ds, const double *th)
{
    const rows *r = &ds->r;
    const int K = ds->d.nbh.cells.nmachines, at = tail_at(ds);
    double alpha = th[0], sm = exp(th[1]), sn = exp(th[2]), isp = exp(th[3]);
    double phi = 1 / (isp * isp), lp = log(gsl_ran_gaussian_pdf(alpha, 3));
    for (int j = 1; j <= 3; j++)
        lp += log(2 * gsl_ran_gaussian_pdf(exp(th[j]), 1)) + th[j];
    for (int i = CR_NBH_NFIXED; i < at; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    const double s = 1 / (1 + exp(-th[at + CR_BURST_W])), w = s / 2;
    const double lambda = exp(th[at + CR_BURST_LAMBDA]), e = exp(th[at + CR_BURST_PHI_B]);
    const double phib = 1 / ((isp + e) * (isp + e));
    /* 2w ~ beta(1, 9) with the Jacobian of the logit; lognormal(2, 1.5) of lambda_b with its
     * log's; half-normal(0, 2) of e with its log's */
    lp += log(gsl_ran_beta_pdf(s, 1, 9)) + log(s * (1 - s));
    lp += log(gsl_ran_lognormal_pdf(lambda, 2, 1.5)) + log(lambda);
    lp += log(2 * gsl_ran_gaussian_pdf(e, 2)) + log(e);
    int cell = -1;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || r->minute[i] != r->minute[i - 1] || r->machine[i] != r->machine[i - 1])
            cell++;
        double mu = exp(alpha + sm * th[CR_NBH_NFIXED + r->machine[i] - 1] +
                        sn * th[CR_NBH_NFIXED + K + cell]);
        lp += log((1 - w) * exp(nb2_ref(r->y[i], mu, phi)) +
                  w * exp(nb2_ref(r->y[i], lambda, phib)));
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

static void test_loglik_vs_gsl(void)
{
    const dataset *ds = &data[0];
    const int at = tail_at(ds);
    double *v = xmalloc((size_t)ds->m.nout * sizeof(double)), worst = 0;
    for (int i = 0; i < ds->m.nout; i++)
        v[i] = i < CR_NBH_NFIXED ? 0.5 + 0.25 * i : 0.1 * (i % 7) - 0.3;
    v[at + CR_BURST_W] = 0.04, v[at + CR_BURST_LAMBDA] = 14, v[at + CR_BURST_PHI_B] = 0.9;
    const cr_cells *c = &ds->d.nbh.cells;
    for (int i = 0; i < c->ncells; i++)
        for (int y = 0; y < 40; y += 3) {
            int k = c->cell_machine[i] + 1, mi = c->cell_minute[i];
            double mu = exp(v[0] + v[1] * v[CR_NBH_NFIXED + k - 1] +
                            v[2] * v[CR_NBH_NFIXED + c->nmachines + i]);
            double ref = log(0.96 * exp(nb2_ref(y, mu, v[3])) + 0.04 * exp(nb2_ref(y, 14, 0.9)));
            double e = fabs(cr_nbh_burst_loglik(&ds->d, v, k, mi, y) - ref) /
                       (1e-12 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
        }
    CHECKF(worst <= 1, "loglik error / tolerance %.3g", worst);
    CHECK(isnan(cr_nbh_burst_loglik(&ds->d, v, 2, 9, 1)));
    free(v);
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. */
/* phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi) terms per second, so its own
 * rounding grows with phi */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[3] = fmax(-4, fmin(2, th[3]));
}

static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/nbh_burst.stan", NDATA, 6, stan_point);
}

/* The simulator's seconds: the burst share and the two components' moments, from many seconds
 * of one cell layout at a point where the components barely overlap. */
static void test_simulate_moments(void)
{
    enum { NSEC = 200000 };
    rows r;
    const int nsec[] = {NSEC};
    rows_layout(&r, "sim", 1, nsec);
    const int C = rows_ncells(&r), at = CR_NBH_NFIXED + 1 + C;
    double *v = xcalloc((size_t)(at + CR_BURST_NTAIL), sizeof(double));
    v[0] = log(0.2), v[3] = 4; /* every minute at rate 0.2: z's 0 */
    v[at + CR_BURST_W] = 0.05, v[at + CR_BURST_LAMBDA] = 30, v[at + CR_BURST_PHI_B] = 2;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    cr_nbh_burst_simulate(r.n, r.machine, r.minute, v, g, r.y);
    double m = 0, m2 = 0;
    for (size_t i = 0; i < r.n; i++)
        m += r.y[i], m2 += (double)r.y[i] * r.y[i];
    m /= NSEC, m2 /= NSEC;
    /* mixture moments: E y = 0.95 0.2 + 0.05 30; E y^2 = sum w (mu + mu^2 (1 + 1/phi)) */
    const double em = 0.95 * 0.2 + 0.05 * 30;
    const double em2 = 0.95 * (0.2 + 0.04 * 1.25) + 0.05 * (30 + 900 * 1.5);
    const double sd_m = sqrt((em2 - em * em) / NSEC);
    CHECKF(fabs(m - em) < 4 * sd_m, "mean %g, expected %g (sd %g)", m, em, sd_m);
    CHECKF(fabs(m2 - em2) < 0.03 * em2, "E y^2 %g, expected %g", m2, em2);
    free(v);
    gsl_rng_free(g);
    rows_free(&r);
}

TEST_MAIN(setup(); RUN(test_cell_histograms); RUN(test_gradient_finite_differences);
          RUN(test_coordinates_are_reparameterizations); RUN(test_density_vs_brute_force);
          RUN(test_loglik_vs_gsl); RUN(test_simulate_moments); RUN(test_vs_rstan); teardown())
