/* The hand-written log density and gradient of nbh_burst with per-machine minute spreads
 * (lib/model/nbh_burst_msd.c) against: fourth-order finite differences, a per-second
 * brute-force sum written here from GSL's negative binomial pmf and densities, the pointwise
 * log-likelihood and the law likewise, the simulator's per-machine minute spreads, and rstan's
 * log_prob/grad_log_prob of models/nbh_burst_msd.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "model/nbh_burst_msd.h"
#include "model_test.h"

typedef struct {
    rows r;
    cr_nbh_burst_msd_data d;
    cr_model m;
} dataset;

/* Counts drawn from the model itself at (alpha, sigma_machine, mu_s, tau_s, phi, w, lambda_b,
 * phi_b) and standard normal z's. */
static void make_dataset(dataset *ds, const char *name, int K, const int *nsec,
                         const double *pop, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    const int C = rows_ncells(&ds->r), at = CR_MSD_NFIXED + K + C;
    const int nout = at + CR_BURST_NTAIL + K;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    double *v = xmalloc((size_t)nout * sizeof(double));
    memcpy(v, pop, CR_MSD_NFIXED * sizeof(double));
    for (int i = CR_MSD_NFIXED; i < nout; i++)
        v[i] = gsl_ran_gaussian(g, 1);
    memcpy(v + at, pop + CR_MSD_NFIXED, CR_BURST_NTAIL * sizeof(double));
    cr_nbh_burst_msd_simulate(ds->r.n, ds->r.machine, ds->r.minute, v, g, ds->r.y);
    free(v);
    gsl_rng_free(g);
    cr_nbh_burst_msd_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    cr_nbh_burst_msd_model(&ds->m, &ds->d);
}

enum { NDATA = 4 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, one[] = {300}, large[] = {120, 180},
                     wide[] = {45, 610, 300, 59};
    static const double p_mixed[] = {-1.0, 0.7, -0.7, 0.4, 5.0, 0.03, 12, 1.5};
    static const double p_one[] = {0.3, 0.1, -0.2, 0.1, 0.7, 0.2, 3, 0.3};
    static const double p_large[] = {3.0, 0.4, -1.2, 0.6, 50, 0.05, 100, 2};
    static const double p_sparse[] = {-3.0, 1.0, 0.2, 0.3, 2, 0.01, 25, 0.8};
    make_dataset(&data[0], "msd_mixed", 3, mixed, p_mixed, 1);
    make_dataset(&data[1], "msd_one_machine", 1, one, p_one, 3);
    make_dataset(&data[2], "msd_large_counts", 2, large, p_large, 4);
    make_dataset(&data[3], "msd_sparse", 4, wide, p_sparse, 5);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_nbh_burst_msd_data_free(&data[k].d);
        rows_free(&data[k].r);
    }
}

static int tail_at(const dataset *ds)
{
    return cr_nbh_burst_msd_tail_index(&ds->d);
}

/* A random point around the data's scale; phi spread by phi_spread on its log-scale
 * coordinate. The spreads stay below about 2, as in test_nbh_burst (beyond, the mixture's
 * responsibilities switch too sharply for fourth-order differences). */
static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    const cr_cells *c = &ds->d.nbh.cells;
    double ybar = (double)c->total / (double)c->nseconds;
    for (int i = 0; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
    th[CR_MSD_ALPHA] = log(ybar + 0.05) + gsl_ran_gaussian(g, 1);
    th[CR_MSD_LOG_SIGMA_MACHINE] = gsl_ran_gaussian(g, 0.6) - 0.5;
    th[CR_MSD_MU_S] = gsl_ran_gaussian(g, 0.4) - 0.7;
    th[CR_MSD_LOG_TAU_S] = gsl_ran_gaussian(g, 0.5) - 1.2;
    th[CR_MSD_LOG_INV_SQRT_PHI] = gsl_ran_gaussian(g, phi_spread);
    const int at = tail_at(ds);
    th[at + CR_BURST_W] = gsl_ran_gaussian(g, 1.5) - 2;
    th[at + CR_BURST_LAMBDA] = gsl_ran_gaussian(g, 1) + 2;
}

static void test_layout(void)
{
    char buf[64];
    const dataset *ds = &data[0];
    const int at = tail_at(ds);
    static const char *const want[] = {"alpha", "sigma_machine", "mu_s", "tau_s", "phi"};
    for (int i = 0; i < CR_MSD_NFIXED; i++) {
        ds->m.name(&ds->m, i, buf, sizeof buf);
        CHECK_STR(buf, want[i]);
    }
    ds->m.name(&ds->m, CR_MSD_NFIXED + 3, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[1,1]");
    ds->m.name(&ds->m, at + CR_BURST_LAMBDA, buf, sizeof buf);
    CHECK_STR(buf, "lambda_b");
    ds->m.name(&ds->m, at + CR_BURST_NTAIL + 2, buf, sizeof buf);
    CHECK_STR(buf, "z_s[3]");
    /* 5 fixed, 3 machines, 4 + 2 + 3 cells, 3 burst values, 3 spreads */
    CHECK_INT(ds->m.dim, 5 + 3 + 9 + 3 + 3);
    CHECK_INT(ds->m.nout, ds->m.dim);
    CHECK_INT(cr_nbh_burst_msd_prefer_centred(&ds->d), CR_EFFECTS_NONCENTRED);
}

static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < NDATA; k++) {
        dataset *ds = &data[k];
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        for (int rep = 0; rep < 12; rep++) {
            random_point(ds, g, 2, th);
            if (rep == 0) { /* phi = e^12: the Stirling branch of the base component */
                const cr_cells *c = &ds->d.nbh.cells;
                th[CR_MSD_ALPHA] = log((double)c->total / (double)c->nseconds + 0.05);
                th[CR_MSD_LOG_INV_SQRT_PHI] = -6;
            }
            double w = fd_worst(&ds->m, th, ds->r.name);
            CHECKF(w <= 1, "%s point %d: gradient error / tolerance %.3g", ds->r.name, rep, w);
            worst = w > worst ? w : worst;
        }
        free(th);
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
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
    const double alpha = th[CR_MSD_ALPHA], sm = exp(th[CR_MSD_LOG_SIGMA_MACHINE]);
    const double mus = th[CR_MSD_MU_S], tau = exp(th[CR_MSD_LOG_TAU_S]);
    const double isp = exp(th[CR_MSD_LOG_INV_SQRT_PHI]), phi = 1 / (isp * isp);
    double lp = log(gsl_ran_gaussian_pdf(alpha, 3));
    lp += log(2 * gsl_ran_gaussian_pdf(sm, 1)) + log(sm);
    lp += log(gsl_ran_gaussian_pdf(mus + 0.5, 1));
    lp += log(2 * gsl_ran_gaussian_pdf(tau, 0.5)) + log(tau);
    lp += log(2 * gsl_ran_gaussian_pdf(isp, 1)) + log(isp);
    for (int i = CR_MSD_NFIXED; i < at; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    for (int i = at + CR_BURST_NTAIL; i < ds->m.dim; i++)
        lp += log(gsl_ran_gaussian_pdf(th[i], 1));
    const double s = 1 / (1 + exp(-th[at + CR_BURST_W])), w = s / 2;
    const double lambda = exp(th[at + CR_BURST_LAMBDA]), e = exp(th[at + CR_BURST_PHI_B]);
    const double phib = 1 / ((isp + e) * (isp + e));
    lp += log(gsl_ran_beta_pdf(s, 1, 9)) + log(s * (1 - s));
    lp += log(gsl_ran_lognormal_pdf(lambda, 2, 1.5)) + log(lambda);
    lp += log(2 * gsl_ran_gaussian_pdf(e, 2)) + log(e);
    int cell = -1;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || r->minute[i] != r->minute[i - 1] || r->machine[i] != r->machine[i - 1])
            cell++;
        const int k = r->machine[i] - 1;
        const double sn = exp(mus + tau * th[at + CR_BURST_NTAIL + k]);
        double mu = exp(alpha + sm * th[CR_MSD_NFIXED + k] + sn * th[CR_MSD_NFIXED + K + cell] -
                        sn * sn / 2);
        lp += log((1 - w) * exp(nb2_ref(r->y[i], mu, phi)) +
                  w * exp(nb2_ref(r->y[i], lambda, phib)));
    }
    return lp;
}

static double brute_ref(const void *ds, const double *th)
{
    return brute_lp(ds, th);
}

static void test_density_vs_brute_force(void)
{
    enum { NPTS = 11 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 7);
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        double *th = xmalloc((size_t)NPTS * ds->m.dim * sizeof(double));
        for (int p = 0; p < NPTS; p++)
            random_point(ds, g, 1, th + (size_t)p * ds->m.dim);
        brute_compare(&ds->m, brute_ref, ds, NPTS, th, ds->r.name);
        free(th);
    }
    gsl_rng_free(g);
}

/* The pointwise log-likelihood and the law, at outputs, against GSL's pmf with machine k's own
 * sigma_minute = exp(mu_s + tau_s z_s[k]) and its minute effects centred on their mean. */
static void test_loglik_and_law(void)
{
    const dataset *ds = &data[0];
    const int at = tail_at(ds), K = ds->d.nbh.cells.nmachines;
    double *v = xmalloc((size_t)ds->m.nout * sizeof(double)), worst = 0;
    for (int i = 0; i < ds->m.nout; i++)
        v[i] = i < CR_MSD_NFIXED ? 0.5 + 0.25 * i : 0.1 * (i % 7) - 0.3;
    v[CR_MSD_MU_S] = -0.4;
    v[at + CR_BURST_W] = 0.04, v[at + CR_BURST_LAMBDA] = 14, v[at + CR_BURST_PHI_B] = 0.9;
    const cr_cells *c = &ds->d.nbh.cells;
    for (int i = 0; i < c->ncells; i++) {
        const int k = c->cell_machine[i] + 1, mi = c->cell_minute[i];
        const double sn = exp(v[CR_MSD_MU_S] + v[CR_MSD_LOG_TAU_S] * v[at + 3 + k - 1]);
        const double eta = v[0] + v[1] * v[CR_MSD_NFIXED + k - 1] +
                           sn * v[CR_MSD_NFIXED + K + i] - sn * sn / 2;
        for (int y = 0; y < 40; y += 3) {
            double ref = log(0.96 * exp(nb2_ref(y, exp(eta), v[CR_MSD_LOG_INV_SQRT_PHI])) +
                             0.04 * exp(nb2_ref(y, 14, 0.9)));
            double e = fabs(cr_nbh_burst_msd_loglik(&ds->d, v, k, mi, y) - ref) /
                       (1e-12 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
        }
        cr_count_law l;
        cr_nbh_burst_msd_law(&ds->d, v, k, mi, &l);
        CHECK(isnan(l.hurdle) && l.n == 2);
        CHECK_NEAR(l.w[1], 0.04, 1e-15);
        CHECK_NEAR(l.eta[0], eta, 1e-12);
        CHECK_NEAR(l.eta[1], log(14), 1e-12);
        CHECK_NEAR(l.phi[0], v[CR_MSD_LOG_INV_SQRT_PHI], 1e-15);
        CHECK_NEAR(l.phi[1], 0.9, 1e-15);
    }
    CHECKF(worst <= 1, "loglik error / tolerance %.3g", worst);
    CHECK(isnan(cr_nbh_burst_msd_loglik(&ds->d, v, 2, 9, 1)));
    CHECK(isnan(cr_nbh_burst_msd_loglik(&ds->d, v, K + 1, 1, 1)));
    free(v);
}

/* phi within [e^-4, e^8]: Stan 2.21 differences lgamma(phi) terms per second, so its own
 * rounding grows with phi */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[CR_MSD_LOG_INV_SQRT_PHI] = fmax(-4, fmin(2, th[CR_MSD_LOG_INV_SQRT_PHI]));
}

static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/nbh_burst_msd.stan", NDATA, 6, stan_point);
}

/* The simulator gives each machine its own minute spread: two machines of many minutes with no
 * bursts (w = 0) and counts large enough to read each minute's log rate, z_s = -1 and +1 about
 * mu_s: the sd of the minutes' log counts is sigma_minute[k] (plus the counts' noise), and
 * their mean count 60 e^alpha whatever the spread. */
static void test_simulate_spreads(void)
{
    enum { MINUTES = 2000 };
    rows r;
    const int nsec[] = {60 * MINUTES, 60 * MINUTES};
    rows_layout(&r, "sim", 2, nsec);
    const int C = rows_ncells(&r), at = CR_MSD_NFIXED + 2 + C;
    double *v = xcalloc((size_t)(at + CR_BURST_NTAIL + 2), sizeof(double));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    v[CR_MSD_ALPHA] = log(50), v[CR_MSD_MU_S] = log(0.5), v[CR_MSD_LOG_TAU_S] = 0.5;
    v[CR_MSD_LOG_INV_SQRT_PHI] = 1e6; /* Poisson seconds */
    for (int i = 0; i < C; i++)
        v[CR_MSD_NFIXED + 2 + i] = gsl_ran_gaussian(g, 1);
    v[at + CR_BURST_W] = 0, v[at + CR_BURST_LAMBDA] = 10, v[at + CR_BURST_PHI_B] = 1;
    v[at + CR_BURST_NTAIL] = -1, v[at + CR_BURST_NTAIL + 1] = 1;
    cr_nbh_burst_msd_simulate(r.n, r.machine, r.minute, v, g, r.y);
    for (int k = 0; k < 2; k++) {
        double s1 = 0, s2 = 0, t1 = 0, t2 = 0;
        for (int m = 0; m < MINUTES; m++) {
            double t = 0;
            for (int s = 0; s < 60; s++)
                t += r.y[(size_t)(k * MINUTES + m) * 60 + s];
            const double l = log(t + 0.5);
            s1 += l, s2 += l * l, t1 += t, t2 += t * t;
        }
        const double tm = t1 / MINUTES, se = sqrt((t2 / MINUTES - tm * tm) / MINUTES);
        CHECKF(fabs(tm - 3000) < 4 * se, "machine %d: mean count per minute %.1f (se %.1f), "
                                          "expected 3000", k + 1, tm, se);
        const double sd = sqrt(s2 / MINUTES - (s1 / MINUTES) * (s1 / MINUTES));
        const double want = 0.5 * exp(0.5 * (2 * k - 1));
        /* the log of a Poisson count of mean 3000 e^(sn z) adds a variance of about 1/3000 */
        CHECKF(fabs(sd - want) < 0.05 * want, "machine %d: sd of minutes' log counts %.4f, "
                                               "sigma_minute %.4f", k + 1, sd, want);
    }
    free(v);
    gsl_rng_free(g);
    rows_free(&r);
}

TEST_MAIN(setup(); RUN(test_layout); RUN(test_gradient_finite_differences);
          RUN(test_density_vs_brute_force); RUN(test_loglik_and_law);
          RUN(test_simulate_spreads); RUN(test_vs_rstan); teardown())
