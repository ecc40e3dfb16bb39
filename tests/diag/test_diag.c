/* lib/diag against R's posterior package: the same draw arrays (generated here with a fixed
 * seed) go through cr_diag_* and through posterior's summarise_draws() (tests/diag/
 * posterior_ref.R), and every measure must agree to 1e-6 relative, NA matching NA. */
#include "diag/diag.h"
#include "test.h"

#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define REL_TOL 1e-6

typedef struct {
    const char *name;
    int chains, n;
    double *x;
} draws_case;

enum { MAX_CASES = 64, NMEASURES = 19 };

static const char *measure_names[NMEASURES] = {
    "mean",      "median",   "sd",       "mad",        "q5",        "q50",     "q95",
    "rhat",      "rhat_basic", "ess_bulk", "ess_tail", "ess_basic", "ess_sd", "ess_median",
    "mcse_mean", "mcse_sd",  "mcse_q5",  "mcse_q50",   "mcse_q95"};

/* Which measures cr_diag_summarise() (without _full) computes. */
static const int is_core[NMEASURES] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 1,
                                       1, 1, 0, 0, 1, 0, 0, 0, 0};

/* The summary in the order of measure_names (and of posterior_ref.R). */
static void summary_values(const cr_diag_summary *s, double v[NMEASURES])
{
    const double vals[NMEASURES] = {s->mean,       s->median,   s->sd,         s->mad,
                                    s->q5,         s->q50,      s->q95,        s->rhat,
                                    s->rhat_basic, s->ess_bulk, s->ess_tail,   s->ess_basic,
                                    s->ess_sd,     s->ess_median, s->mcse_mean, s->mcse_sd,
                                    s->mcse_q5,    s->mcse_q50, s->mcse_q95};
    memcpy(v, vals, sizeof vals);
}

/* The same measures through the single-measure API. */
static void single_values(const draws_case *c, cr_diag_ws *ws, double v[NMEASURES])
{
    const double *x = c->x;
    int ch = c->chains, n = c->n;
    cr_diag_summary s;
    cr_diag_summarise(x, ch, n, ws, &s); /* mean/median/sd/mad have no single function */
    const double vals[NMEASURES] = {
        s.mean, s.median, s.sd, s.mad,
        cr_diag_quantile(x, ch, n, 0.05, ws), cr_diag_quantile(x, ch, n, 0.5, NULL),
        cr_diag_quantile(x, ch, n, 0.95, ws), cr_diag_rhat(x, ch, n, ws),
        cr_diag_rhat_basic(x, ch, n, NULL), cr_diag_ess_bulk(x, ch, n, ws),
        cr_diag_ess_tail(x, ch, n, ws), cr_diag_ess_basic(x, ch, n, ws),
        cr_diag_ess_sd(x, ch, n, ws), cr_diag_ess_quantile(x, ch, n, 0.5, ws),
        cr_diag_mcse_mean(x, ch, n, NULL), cr_diag_mcse_sd(x, ch, n, ws),
        cr_diag_mcse_quantile(x, ch, n, 0.05, ws), cr_diag_mcse_quantile(x, ch, n, 0.5, ws),
        cr_diag_mcse_quantile(x, ch, n, 0.95, NULL)};
    memcpy(v, vals, sizeof vals);
}

static double worst_rel; /* largest relative difference seen among finite values */

static int agrees(double ours, double ref)
{
    if (isnan(ref) || isnan(ours)) return isnan(ref) && isnan(ours);
    if (isinf(ref) || isinf(ours)) return ours == ref;
    double scale = fmax(fabs(ours), fabs(ref));
    if (scale > 0) worst_rel = fmax(worst_rel, fabs(ours - ref) / scale);
    return fabs(ours - ref) <= REL_TOL * scale;
}

/* ---- draw generators (fixed seed) ---- */

static gsl_rng *rng;
static draws_case cases[MAX_CASES];
static int ncases;

static double *add_case(const char *name, int chains, int n)
{
    if (ncases == MAX_CASES) abort(); /* raise MAX_CASES */
    draws_case *c = &cases[ncases++];
    c->name = name;
    c->chains = chains;
    c->n = n;
    c->x = calloc((size_t)chains * n, sizeof(double));
    return c->x;
}

/* Stationary AR(1) with unit marginal variance, chain c shifted by shift * c. */
static void ar1(const char *name, int chains, int n, double rho, double shift)
{
    double *x = add_case(name, chains, n);
    for (int c = 0; c < chains; c++) {
        double v = gsl_ran_gaussian(rng, 1);
        for (int i = 0; i < n; i++) {
            v = rho * v + sqrt(1 - rho * rho) * gsl_ran_gaussian(rng, 1);
            x[c * n + i] = v + shift * c;
        }
    }
}

static void make_cases(void)
{
    if (ncases) return;
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240611);
    double *x;
    ar1("iid normal 4x1000", 4, 1000, 0, 0);
    ar1("AR(1) 0.9", 4, 1000, 0.9, 0);
    ar1("AR(1) -0.3", 4, 1000, -0.3, 0);
    ar1("AR(1) 0.99 (FFT lags)", 4, 1000, 0.99, 0);
    ar1("AR(1) 0.95 2x5000", 2, 5000, 0.95, 0);
    ar1("AR(1) -0.95", 4, 200, -0.95, 0);
    ar1("chain means differ", 4, 500, 0.3, 0.7);
    ar1("single chain", 1, 1000, 0.7, 0);
    ar1("odd n 101", 4, 101, 0.5, 0);
    ar1("n 1", 4, 1, 0, 0);
    ar1("n 2", 4, 2, 0, 0);
    ar1("n 3", 4, 3, 0, 0);
    ar1("n 4", 4, 4, 0, 0);
    ar1("n 5", 4, 5, 0, 0);
    ar1("n 7 x3", 3, 7, 0, 0);
    ar1("n 10", 4, 10, 0.2, 0);
    ar1("n 11", 4, 11, 0.2, 0);
    ar1("n 13", 2, 13, 0.2, 0);
    ar1("1 chain x 1", 1, 1, 0, 0);
    ar1("1 chain x 2", 1, 2, 0, 0);
    ar1("1 chain x 3", 1, 3, 0, 0);
    ar1("1 chain x 6", 1, 6, 0, 0);
    ar1("8 chains x 50", 8, 50, 0.6, 0.1);

    x = add_case("stuck chain", 4, 400);
    for (int i = 0; i < 4 * 400; i++) x[i] = i / 400 == 2 ? 1.7 : gsl_ran_gaussian(rng, 1);
    x = add_case("all constant", 4, 100);
    for (int i = 0; i < 4 * 100; i++) x[i] = 3.25;
    x = add_case("each chain constant", 4, 50);
    for (int i = 0; i < 4 * 50; i++) x[i] = i / 50;
    x = add_case("within eps of constant", 4, 200);
    for (int i = 0; i < 4 * 200; i++) x[i] = 1e-18 * gsl_ran_gaussian(rng, 1);
    x = add_case("cauchy", 4, 1000);
    for (int i = 0; i < 4 * 1000; i++) x[i] = gsl_ran_cauchy(rng, 1);
    x = add_case("student t1 x2", 2, 777);
    for (int i = 0; i < 2 * 777; i++) x[i] = gsl_ran_tdist(rng, 1);
    x = add_case("exponential", 4, 1000);
    for (int i = 0; i < 4 * 1000; i++) x[i] = gsl_ran_exponential(rng, 2);
    x = add_case("ties rounded", 4, 500);
    for (int i = 0; i < 4 * 500; i++) x[i] = round(2 * gsl_ran_gaussian(rng, 1)) / 2;
    x = add_case("ties poisson 0.3", 4, 300);
    for (int i = 0; i < 4 * 300; i++) x[i] = gsl_ran_poisson(rng, 0.3);
    x = add_case("signed zeros", 4, 100);
    for (int i = 0; i < 4 * 100; i++) {
        unsigned k = gsl_rng_uniform_int(rng, 3);
        x[i] = k == 0 ? -0.0 : k == 1 ? 0.0 : gsl_ran_gaussian(rng, 1);
    }
    x = add_case("tight cluster and a far outlier", 4, 250);
    for (int i = 0; i < 4 * 250; i++) x[i] = 1000 + 1e-9 * gsl_ran_gaussian(rng, 1);
    x[600] = -1e300;
    x = add_case("one NaN", 4, 100);
    for (int i = 0; i < 4 * 100; i++) x[i] = gsl_ran_gaussian(rng, 1);
    x[123] = NAN;
    x = add_case("one Inf", 4, 100);
    for (int i = 0; i < 4 * 100; i++) x[i] = gsl_ran_gaussian(rng, 1);
    x[250] = INFINITY;
    x = add_case("-Inf and Inf", 4, 100);
    for (int i = 0; i < 4 * 100; i++) x[i] = gsl_ran_gaussian(rng, 1);
    x[7] = -INFINITY;
    x[333] = INFINITY;
    x = add_case("mostly Inf", 2, 50);
    for (int i = 0; i < 2 * 50; i++) x[i] = i % 3 ? INFINITY : gsl_ran_gaussian(rng, 1);
}

static int write_doubles(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(x, sizeof *x, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static double *read_doubles(const char *path, size_t n)
{
    size_t len;
    char *buf = cr_test_slurp(path, &len);
    if (!buf || len != n * sizeof(double)) {
        free(buf);
        return NULL;
    }
    double *x = malloc(n * sizeof *x);
    memcpy(x, buf, len);
    free(buf);
    return x;
}

/* Energy chains for E-BFMI: AR(1) energies of different stickiness, plus an exact one. */
enum { NENERGY = 5, ENERGY_N = 1000 };
static double energy[NENERGY][ENERGY_N];
static const int energy_n[NENERGY] = {1000, 1000, 1000, 999, 2};

static void make_energy(void)
{
    const double rho[NENERGY] = {0, 0.5, 0.95, -0.4, 0};
    for (int e = 0; e < NENERGY; e++) {
        double v = 0;
        for (int i = 0; i < energy_n[e]; i++) {
            v = rho[e] * v + gsl_ran_chisq(rng, 3);
            energy[e][i] = 40 + v;
        }
    }
}

static double *ref;          /* posterior's values, NMEASURES per case */
static double *ref_ebfmi;
static int ref_state;        /* 0 not tried, 1 available, -1 R or posterior missing */

static void need_reference(void)
{
    if (ref_state) return;
    ref_state = -1;
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0) return;
    if (cr_test_sh("Rscript -e 'library(posterior)' >/dev/null 2>&1") != 0) return;
    make_cases();
    make_energy();
    const char *dir = cr_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *list = fopen(path, "w");
    CHECK(list != NULL);
    for (int i = 0; i < ncases; i++) {
        char file[64];
        snprintf(file, sizeof file, "case%02d.bin", i);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        CHECK(write_doubles(path, cases[i].x, (size_t)cases[i].chains * cases[i].n) == 0);
        fprintf(list, "%s %d %d\n", file, cases[i].chains, cases[i].n);
    }
    CHECK(fclose(list) == 0);
    snprintf(path, sizeof path, "%s/energy.txt", dir);
    list = fopen(path, "w");
    CHECK(list != NULL);
    for (int e = 0; e < NENERGY; e++) {
        char file[64];
        snprintf(file, sizeof file, "energy%d.bin", e);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        CHECK(write_doubles(path, energy[e], (size_t)energy_n[e]) == 0);
        fprintf(list, "%s %d\n", file, energy_n[e]);
    }
    CHECK(fclose(list) == 0);
    CHECK_INT(cr_test_sh("Rscript tests/diag/posterior_ref.R '%s'", dir), 0);
    snprintf(path, sizeof path, "%s/posterior.bin", dir);
    ref = read_doubles(path, (size_t)ncases * NMEASURES);
    CHECK(ref != NULL);
    snprintf(path, sizeof path, "%s/ebfmi.bin", dir);
    ref_ebfmi = read_doubles(path, NENERGY);
    CHECK(ref_ebfmi != NULL);
    ref_state = 1;
}

#define NEED_REFERENCE()                                                                      \
    do {                                                                                      \
        need_reference();                                                                     \
        if (cr_test_stop) return;                                                             \
        if (ref_state < 0) SKIP("Rscript with the posterior package is not installed");     \
    } while (0)

/* Compares one case's values with posterior's; reports every disagreement. A core-only
 * summary must leave the other measures NAN. */
static int compare_case(int ci, const double v[NMEASURES], const char *api, int core_only,
                        long *compared)
{
    int bad = 0;
    for (int m = 0; m < NMEASURES; m++) {
        double r = core_only && !is_core[m] ? NAN : ref[ci * NMEASURES + m];
        (*compared)++;
        if (!agrees(v[m], r)) {
            printf("  %s: case \"%s\" %s = %.17g, posterior %.17g\n", api, cases[ci].name,
                   measure_names[m], v[m], r);
            bad++;
        }
    }
    return bad;
}

static void test_summarise_matches_posterior(void)
{
    NEED_REFERENCE();
    cr_diag_ws *ws = cr_diag_ws_new();
    long compared = 0;
    int bad = 0;
    for (int i = 0; i < ncases; i++) {
        cr_diag_summary s;
        double v[NMEASURES];
        cr_diag_summarise_full(cases[i].x, cases[i].chains, cases[i].n, i % 2 ? ws : NULL, &s);
        summary_values(&s, v);
        bad += compare_case(i, v, "summarise_full", 0, &compared);
    }
    cr_diag_ws_free(ws);
    printf("     %ld values of %d cases compared with posterior::summarise_draws, "
           "largest relative difference %.2g\n", compared, ncases, worst_rel);
    CHECK_INT(bad, 0);
}

static void test_single_measures_match_posterior(void)
{
    NEED_REFERENCE();
    cr_diag_ws *ws = cr_diag_ws_new();
    long compared = 0;
    int bad = 0;
    for (int i = 0; i < ncases; i++) {
        double v[NMEASURES];
        single_values(&cases[i], ws, v);
        bad += compare_case(i, v, "single", 0, &compared);
    }
    cr_diag_ws_free(ws);
    printf("     %ld values compared\n", compared);
    CHECK_INT(bad, 0);
}

/* The threaded batch API over the cases that share the 4 x 1000 shape. */
static void test_summarise_many_matches_posterior(void)
{
    NEED_REFERENCE();
    int idx[MAX_CASES], k = 0;
    for (int i = 0; i < ncases; i++)
        if (cases[i].chains == 4 && cases[i].n == 1000) idx[k++] = i;
    CHECK(k >= 4);
    double *all = malloc((size_t)k * 4000 * sizeof *all);
    cr_diag_summary *out = malloc((size_t)k * sizeof *out);
    for (int j = 0; j < k; j++) memcpy(all + (size_t)j * 4000, cases[idx[j]].x, 4000 * sizeof *all);
    cr_diag_summarise_many(all, k, 4, 1000, 3, out);
    long compared = 0;
    int bad = 0;
    for (int j = 0; j < k; j++) {
        double v[NMEASURES];
        summary_values(&out[j], v);
        bad += compare_case(idx[j], v, "many", 1, &compared);
    }
    free(all);
    free(out);
    printf("     %ld values of %d variables compared\n", compared, k);
    CHECK_INT(bad, 0);
}

static void test_ebfmi_matches_rstan_definition(void)
{
    NEED_REFERENCE();
    for (int e = 0; e < NENERGY; e++) {
        double ours = cr_diag_ebfmi(energy[e], energy_n[e]);
        CHECKF(agrees(ours, ref_ebfmi[e]), "energy %d: E-BFMI %.17g, R %.17g", e, ours,
               ref_ebfmi[e]);
    }
    printf("     %d E-BFMI values compared\n", NENERGY);
}

/* Without R: closed forms and posterior's NA rules. */
static void test_analytic(void)
{
    /* alternating energy 0,1,0,1,...: sum(diff^2)/n = (n-1)/n, var = n / (4 (n-1)) */
    double e[10];
    for (int i = 0; i < 10; i++) e[i] = i % 2;
    CHECK_NEAR(cr_diag_ebfmi(e, 10), 4.0 * 81 / 100, 1e-15);
    CHECK(isnan(cr_diag_ebfmi(e, 1)));
    double c[12] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    CHECK(isnan(cr_diag_ebfmi(c, 12)));
    cr_diag_summary s;
    cr_diag_summarise(c, 3, 4, NULL, &s);
    CHECK_NEAR(s.mean, 2, 0);
    CHECK_NEAR(s.sd, 0, 0);
    CHECK_NEAR(s.q5, 2, 0);
    CHECK_NEAR(s.mad, 0, 0);
    CHECK(isnan(s.rhat) && isnan(s.ess_bulk) && isnan(s.ess_tail) && isnan(s.mcse_mean));
    /* type-7 quantiles of 1..12: 1 + 11 p */
    for (int i = 0; i < 12; i++) c[i] = i + 1;
    CHECK_NEAR(cr_diag_quantile(c, 3, 4, 0.05, NULL), 1.55, 1e-14);
    CHECK_NEAR(cr_diag_quantile(c, 3, 4, 0.95, NULL), 11.45, 1e-14);
    CHECK(isnan(cr_diag_rhat(c, 0, 4, NULL)));
}

TEST_MAIN(RUN(test_analytic); RUN(test_summarise_matches_posterior);
          RUN(test_single_measures_match_posterior); RUN(test_summarise_many_matches_posterior);
          RUN(test_ebfmi_matches_rstan_definition))
