/* The hand-written log density and gradient of the hurdle AR(1) negative binomial model
 * (lib/model/hurdle_nbh_ar1.c) against: central finite differences, a per-second brute-force sum
 * from GSL's densities, the analytic small-rate limit of log(1 - NB(0)), the simulator's zero
 * share and truncated moments against their closed forms, and rstan's log_prob/grad_log_prob of
 * models/hurdle_nbh_ar1.stan. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_sf_gamma.h>

#include "ar1_test.h"
#include "common/xalloc.h"
#include "model/hurdle_nbh_ar1.h"

enum { NF = CR_NBH_AR1_NFIXED };

typedef struct {
    rows r;
    int *state;
    int nstate;
    cr_hurdle_nbh_ar1_data d;
    cr_model m;
} dataset;

static double inv_logit(double l)
{
    return 1 / (1 + exp(-l));
}

/* Output values for simulation: nbh_ar1's at v0, then mu_pi, sigma_pi and z_pi ~ normal(0,1). */
static double *draw_outputs(gsl_rng *g, const rows *r, const int *state, int nstate,
                            const double *v0, double mu_pi, double sigma_pi)
{
    const int K = r->nmachines, at = NF + K + nstate;
    double *v = xmalloc((size_t)(at + 2 + K) * sizeof(double));
    ar_draw_outputs(g, K, r, state, nstate, v0, v);
    v[at] = mu_pi, v[at + 1] = sigma_pi;
    for (int k = 0; k < K; k++)
        v[at + 2 + k] = gsl_ran_gaussian(g, 1);
    return v;
}

static void make_dataset(dataset *ds, const char *name, int K, const int *nsec, double alpha,
                         double rho, double phi, double mu_pi, int gap, unsigned long seed)
{
    rows_layout(&ds->r, name, K, nsec);
    if (gap)
        ar_drop_minute(&ds->r, 1, 2);
    ds->state = xmalloc((ds->r.n + 1) * sizeof(int));
    ds->nstate = ar_row_states(&ds->r, ds->state);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    const double v0[NF] = {alpha, 0.6, 0.5, rho, phi};
    double *v = draw_outputs(g, &ds->r, ds->state, ds->nstate, v0, mu_pi, 0.8);
    cr_hurdle_nbh_ar1_simulate(ds->r.n, ds->r.machine, ds->r.minute, v, g, ds->r.y);
    free(v);
    gsl_rng_free(g);
    cr_hurdle_nbh_ar1_data_from_rows(&ds->d, ds->r.n, ds->r.machine, ds->r.minute, ds->r.y);
    ds->d.pi_centred = 0; /* Stan's coordinates, unless a test asks for the centred ones */
    cr_hurdle_nbh_ar1_model(&ds->m, &ds->d);
}

enum { NDATA = 6 };
static dataset data[NDATA];

static void setup(void)
{
    static const int mixed[] = {200, 61, 125}, zeros[] = {90, 150}, one[] = {300},
                     large[] = {120, 180}, rare[] = {45, 610, 300, 59}, gap[] = {300, 130};
    make_dataset(&data[0], "mixed", 3, mixed, 1.0, 0.6, 2.0, 0.0, 0, 1);
    make_dataset(&data[1], "zeros", 2, zeros, 1.0, 0.0, 1.0, 30, 0, 2); /* pi = 1 in effect */
    make_dataset(&data[2], "one_machine", 1, one, 0.3, -0.4, 0.7, -1.0, 0, 3);
    make_dataset(&data[3], "large_counts", 2, large, 7.0, 0.9, 50, -3.0, 0, 4);
    make_dataset(&data[4], "rare", 4, rare, -4.0, 0.3, 0.5, 1.0, 0, 5);
    make_dataset(&data[5], "gap", 2, gap, 1.5, 0.7, 3, 0.5, 1, 6);
}

static void teardown(void)
{
    for (int k = 0; k < NDATA; k++) {
        cr_hurdle_nbh_ar1_data_free(&data[k].d);
        rows_free(&data[k].r);
        free(data[k].state);
    }
}

static void random_point(const dataset *ds, gsl_rng *g, double phi_spread, double *th)
{
    const cr_cells *cl = &ds->d.ar.cells;
    double ybar = cl->nseconds ? (double)cl->total / (double)cl->nseconds : 1;
    th[CR_NBH_AR1_ALPHA] = log(ybar) + gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_LOG_SIGMA_MACHINE] = gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_LOG_SIGMA_MINUTE] = gsl_ran_gaussian(g, 1);
    th[CR_NBH_AR1_RHO] = gsl_ran_gaussian(g, 1.5);
    th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = gsl_ran_gaussian(g, phi_spread);
    for (int i = NF; i < ds->m.dim; i++)
        th[i] = gsl_ran_gaussian(g, 1);
}

static void test_statistics(void)
{
    const dataset *ds = &data[0];
    const cr_hurdle_nbh_ar1_data *d = &ds->d;
    double zero[3] = {0}, pos[3] = {0}, cpos[9] = {0};
    for (size_t i = 0; i < ds->r.n; i++) {
        int k = ds->r.machine[i] - 1;
        if (ds->r.y[i] == 0)
            zero[k]++;
        else
            pos[k]++, cpos[ds->state[i]]++;
    }
    for (int k = 0; k < 3; k++) {
        CHECK_INT(d->machine_zero[k], zero[k]);
        CHECK_INT(d->machine_pos[k], pos[k]);
    }
    CHECK_INT(d->ar.cells.ncells, 9);
    for (int c = 0; c < 9; c++)
        CHECK_INT(d->ar.cells.cell_n[c], cpos[c]);
    CHECK(pos[0] > 0 && zero[0] > 0);
    CHECK_INT(data[1].d.ar.cells.nseconds, 0);
    CHECK_INT(cr_hurdle_nbh_ar1_pi_index(d), 5 + 3 + 9);
    CHECK_INT(ds->m.dim, 5 + 3 + 9 + 2 + 3);
    char buf[64];
    ds->m.name(&ds->m, 17, buf, sizeof buf);
    CHECK_STR(buf, "mu_pi");
    ds->m.name(&ds->m, 18, buf, sizeof buf);
    CHECK_STR(buf, "sigma_pi");
    ds->m.name(&ds->m, 21, buf, sizeof buf);
    CHECK_STR(buf, "z_pi[3]");
    ds->m.name(&ds->m, 3, buf, sizeof buf);
    CHECK_STR(buf, "rho");
    ds->m.name(&ds->m, 16, buf, sizeof buf);
    CHECK_STR(buf, "z_minute[3,3]");
}

/* log(1 - NB(0)) against log1p(-exp(-phi log1p(mu / phi))) in long double (the cases checked to
 * 1e-13 with mpmath at 40 digits, e.g. eta 0.5, log phi 30: -0.21355918537346442), and against
 * its small-rate expansion log t - t / 2, t = phi log1p(mu / phi), where that loses its
 * digits. */
static void test_log_positive(void)
{
    static const double cases[][2] = {{0, 0}, {2, -3}, {-2, 3}, {1, 10}, {5, -1}, {0.5, 30}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long double eta = cases[i][0], logphi = cases[i][1], phi = expl(logphi);
        long double ref = log1pl(-expl(-phi * log1pl(expl(eta) / phi)));
        double ours = cr_nb2_log_positive((double)eta, (double)logphi);
        CHECKF(fabsl(ours - ref) <= 1e-13L * fabsl(ref), "eta %g log phi %g: %.17g vs %.17Lg",
               cases[i][0], cases[i][1], ours, ref);
    }
    static const double tiny[][2] = {{-30, 0}, {-46, 2}, {-40, -5}, {-800, 1}, {-25, 35}};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        double eta = tiny[i][0], logphi = tiny[i][1], phi = exp(logphi);
        double mu_over_phi = exp(eta - logphi), t = phi * log1p(mu_over_phi);
        double ref = eta + log(log1p(mu_over_phi) / mu_over_phi) - t / 2;
        if (mu_over_phi == 0)
            ref = eta;
        double ours = cr_nb2_log_positive(eta, logphi);
        CHECKF(fabs(ours - ref) <= 1e-13 * fabs(ref), "eta %g log phi %g: %.17g vs %.17g", eta,
               logphi, ours, ref);
    }
}

static void test_gradient_finite_differences(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 42);
    double worst = 0;
    for (int k = 0; k < CR_EFFECTS_NCOORDS * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        ds->d.ar.centred = k / NDATA;
        ds->d.pi_centred = k >= NDATA;
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        for (int rep = 0; rep < 12; rep++) {
            random_point(ds, g, 2.5, th);
            if (rep == 0)
                th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = -7; /* phi = e^14 */
            if (rep == 1)
                th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = 3; /* phi = e^-6 */
            if (rep == 2)
                th[CR_NBH_AR1_RHO] = 9;
            if (rep == 3) /* rates so small that 1 - NB(0) is below 1e-8 */
                th[CR_NBH_AR1_ALPHA] = -25;
            char what[96];
            snprintf(what, sizeof what, "%s coordinates %d point %d", ds->r.name,
                     ds->d.ar.centred, rep);
            double w = fd_worst(&ds->m, th, what);
            worst = w > worst ? w : worst;
        }
        free(th);
        ds->d.ar.centred = ds->d.pi_centred = 0;
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
    CHECK(worst <= 1);
}

/* The rate part's other coordinates (to_coords, as for nbh_ar1) and the hurdle's centred ones
 * (logit pi[k] = mu_pi + sigma_pi z_pi[k] and the anchor w of mu_pi = mean logit + sigma_pi w /
 * sqrt(K)) carry the same density times their Jacobians, sigma_pi^(1 - K) for the hurdle's,
 * and give the same outputs. */
static void test_centred_is_reparameterization(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int k = 0; k < (CR_EFFECTS_NCOORDS - 1) * NDATA; k++) {
        dataset *ds = &data[k % NDATA];
        const int coords = k / NDATA + 1;
        const int dim = ds->m.dim, K = ds->d.ar.cells.nmachines, C = ds->d.ar.cells.ncells;
        const int at = cr_hurdle_nbh_ar1_pi_index(&ds->d);
        double *z = xmalloc((size_t)dim * sizeof(double)), *c = xmalloc((size_t)dim * 8);
        double *o1 = xmalloc((size_t)dim * sizeof(double)), *o2 = xmalloc((size_t)dim * 8);
        random_point(ds, g, 1, z);
        ds->m.constrain(&ds->m, z, o1);
        const double rho = o1[3], mu = z[at], sp = exp(z[at + 1]);
        double expect = cr_hurdle_nbh_ar1_logp(&ds->m, z, NULL, NULL) +
                        to_coords(&ds->d.ar.cells, NF, CR_NBH_AR1_LOG_SIGMA_MINUTE, coords, z,
                                  o1 + NF + K, c);
        if (cr_effects_centred_cells(coords))
            expect -= 0.5 * (C - K) * log(1 - rho * rho);
        double lbar = 0;
        c[at + 1] = z[at + 1];
        for (int j = 0; j < K; j++)
            lbar += (c[at + 2 + j] = mu + sp * z[at + 2 + j]) / K;
        c[at] = (mu - lbar) * sqrt(K) / sp;
        expect += (1 - K) * z[at + 1];
        ds->d.ar.centred = coords;
        ds->d.pi_centred = 1;
        double lc = cr_hurdle_nbh_ar1_logp(&ds->m, c, NULL, NULL);
        ds->m.constrain(&ds->m, c, o2);
        ds->d.ar.centred = ds->d.pi_centred = 0;
        check_reparam(ds->r.name, coords, lc, expect, fabs(expect), 1e-9, o1, o2, dim);
        free(z);
        free(c);
        free(o1);
        free(o2);
    }
    gsl_rng_free(g);
}

/* The hurdle's log pmf of one second from GSL's NB pmf. */
static double brute_second(int y, double eta, double phi, double l)
{
    if (y == 0)
        return log(inv_logit(l));
    double p0 = gsl_ran_negative_binomial_pdf(0, phi / (exp(eta) + phi), phi);
    return log(1 - inv_logit(l)) + nb_log_pmf(y, exp(eta), phi) - log(1 - p0);
}

static double brute_lp(const dataset *ds, const double *th)
{
    const int K = ds->d.ar.cells.nmachines, at = cr_hurdle_nbh_ar1_pi_index(&ds->d);
    double *eta = xmalloc((ds->r.n + 1) * sizeof(double));
    ar_brute_eta(&ds->r, ds->state, ds->nstate, K, th, eta);
    double lp = ar_brute_prior(th, at), phi = exp(-2 * th[CR_NBH_AR1_LOG_INV_SQRT_PHI]);
    double mu = th[at], lsp = th[at + 1];
    lp += log(gsl_ran_gaussian_pdf(mu, 2)) + log(2 * gsl_ran_gaussian_pdf(exp(lsp), 1)) + lsp;
    for (int k = 0; k < K; k++)
        lp += log(gsl_ran_gaussian_pdf(th[at + 2 + k], 1));
    for (size_t i = 0; i < ds->r.n; i++)
        lp += brute_second(ds->r.y[i], eta[i], phi,
                           mu + exp(lsp) * th[at + 2 + ds->r.machine[i] - 1]);
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
        double ours0 = cr_hurdle_nbh_ar1_logp(&ds->m, t0, NULL, NULL), ref0 = brute_lp(ds, t0);
        for (int rep = 0; rep < 10; rep++) {
            random_point(ds, g, 1, t1);
            double d_ours = cr_hurdle_nbh_ar1_logp(&ds->m, t1, NULL, NULL) - ours0;
            double d_ref = brute_lp(ds, t1) - ref0;
            CHECKF(fabs(d_ours - d_ref) <= 1e-9 * (fabs(d_ref) + fabs(ref0) + 1),
                   "%s: lp difference %.15g, brute force %.15g", ds->r.name, d_ours, d_ref);
        }
        free(t0);
        free(t1);
    }
    gsl_rng_free(g);
}

static void test_loglik(void)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 11);
    double worst = 0;
    for (int k = 0; k < NDATA; k++) {
        const dataset *ds = &data[k];
        const int K = ds->d.ar.cells.nmachines, at = cr_hurdle_nbh_ar1_pi_index(&ds->d);
        double *th = xmalloc((size_t)ds->m.dim * sizeof(double));
        double *v = xmalloc((size_t)ds->m.dim * sizeof(double));
        random_point(ds, g, 1, th);
        ds->m.constrain(&ds->m, th, v);
        CHECK_NEAR(v[at + 1], exp(th[at + 1]), 1e-15 * v[at + 1]);
        for (size_t i = 0; i < ds->r.n; i++) {
            double eta = v[0] + v[1] * v[NF + ds->r.machine[i] - 1] +
                         v[2] * v[NF + K + ds->state[i]];
            double ref = brute_second(ds->r.y[i], eta, v[4],
                                      v[at] + v[at + 1] * v[at + 2 + ds->r.machine[i] - 1]);
            double ours = cr_hurdle_nbh_ar1_loglik(&ds->d, v, ds->r.machine[i], ds->r.minute[i],
                                                   ds->r.y[i]);
            double e = fabs(ours - ref) / (1e-10 * (1 + fabs(ref)));
            worst = e > worst ? e : worst;
            CHECKF(e <= 1, "%s row %zu: %.15g, GSL %.15g", ds->r.name, i, ours, ref);
        }
        CHECK(isnan(cr_hurdle_nbh_ar1_loglik(&ds->d, v, 1, 1000, 0)));
        free(th);
        free(v);
    }
    printf("     worst pointwise error / tolerance (1e-10 relative): %.3g\n", worst);
    gsl_rng_free(g);
}

/* One machine, constant rate (sigmas 0): the share of zeros is pi, and the positive counts
 * follow the zero-truncated NB: P(1 | y > 0) and E(y | y > 0) = mu / (1 - NB(0)) in closed
 * form. A rare-rate case takes the simulator's inversion branch, a common one its rejection. */
static void test_simulate_truncated(void)
{
    static const double cases[][3] = {{log(0.002), 2.0, 0.4}, {log(3.0), 0.5, -0.7}};
    enum { SEC = 200000 };
    rows r;
    static const int nsec[] = {SEC};
    rows_layout(&r, "sim", 1, nsec);
    int *state = xmalloc((r.n + 1) * sizeof(int));
    int nstate = ar_row_states(&r, state);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 3);
    for (int c = 0; c < 2; c++) {
        double eta = cases[c][0], phi = cases[c][1], l = cases[c][2];
        const double v0[NF] = {eta, 0, 0, 0.5, phi};
        double *v = draw_outputs(g, &r, state, nstate, v0, l, 0);
        cr_hurdle_nbh_ar1_simulate(r.n, r.machine, r.minute, v, g, r.y);
        double zeros = 0, pos = 0, ones = 0, sum = 0, sum2 = 0;
        for (size_t i = 0; i < r.n; i++) {
            zeros += r.y[i] == 0;
            if (r.y[i] > 0)
                pos++, ones += r.y[i] == 1, sum += r.y[i], sum2 += (double)r.y[i] * r.y[i];
        }
        double mu = exp(eta), ppos = 1 - pow(phi / (mu + phi), phi);
        double p1 = exp(gsl_sf_lngamma(phi + 1) - gsl_sf_lngamma(phi)) *
                    pow(phi / (mu + phi), phi) * mu / (mu + phi) / ppos;
        double pi = inv_logit(l), mean = mu / ppos;
        double var = sum2 / pos - (sum / pos) * (sum / pos);
        printf("     mu %.3g phi %.3g: zeros %.4f (pi %.4f), P(1|y>0) %.4f (%.4f), "
               "E(y|y>0) %.4f (%.4f)\n", mu, phi, zeros / SEC, pi, ones / pos, p1, sum / pos,
               mean);
        CHECK(fabs(zeros / SEC - pi) <= 4 * sqrt(pi * (1 - pi) / SEC));
        CHECK(fabs(ones / pos - p1) <= 4 * sqrt(p1 * (1 - p1) / pos) + 1e-12);
        CHECK(fabs(sum / pos - mean) <= 4 * sqrt(var / pos) + 1e-12);
        free(v);
    }
    gsl_rng_free(g);
    free(state);
    rows_free(&r);
}

/* As in test_nbh_ar1.c, without the gap data set (no cell for its missing minute in the Stan
 * data written from the rows). */
/* phi within [e^-4, e^4]: Stan 2.21 differences lgamma(phi) per second */
static void stan_point(const dataset *ds, gsl_rng *g, double *th)
{
    random_point(ds, g, 1, th);
    th[CR_NBH_AR1_LOG_INV_SQRT_PHI] = fmax(-2, fmin(2, th[CR_NBH_AR1_LOG_INV_SQRT_PHI]));
}

static void test_vs_rstan(void)
{
    RSTAN_VS_ALL("models/hurdle_nbh_ar1.stan", NDATA - 1, 8, stan_point);
}

TEST_MAIN(setup(); RUN(test_statistics); RUN(test_log_positive);
          RUN(test_gradient_finite_differences); RUN(test_centred_is_reparameterization);
          RUN(test_density_vs_brute_force); RUN(test_loglik); RUN(test_simulate_truncated);
          RUN(test_vs_rstan); teardown())
