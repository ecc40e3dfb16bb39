/* lib/loo against R's loo package: log-likelihood matrices generated here with a fixed seed go
 * through cr_loo_* and through loo (tests/loo/loo_ref.R): relative_eff, every pointwise value,
 * the psis() log weights, the estimates and pareto_k_table(), loo_compare(), gpdfit(), and
 * the weighted accumulator against R on the matrix with the duplicated columns written out.
 * Everything must agree to 1e-6 relative (1e-12 absolute for values that are rounding noise,
 * such as p_loo of a constant column), NA matching NaN and Inf matching Inf. */
#include "loo/loo.h"
#include "test.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#define REL_TOL 1e-6
#define ABS_TOL 1e-12

enum { NPOINT = 8, NEST = 15, MAX_CASES = 16, NCOUNTS = 9 };

typedef struct {
    const char *name;
    int chains, n, obs;
    double *ll; /* obs columns of chains * n draws */
} ll_case;

static ll_case cases[MAX_CASES];
static int ncases;
static const char *dir;
static int have_ref = -1; /* -1 not tried, 0 skipped, 1 reference values written */
static long compared;
static double worst_rel; /* largest relative difference seen above the absolute floor */

/* how many observations each distinct count 0..8 stands for */
static const double counts_w[NCOUNTS] = {120, 310, 280, 150, 70, 30, 9, 3, 1};

static int near(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    if (a == b) return 1;
    double scale = fmax(fabs(a), fabs(b));
    if (fabs(a - b) > ABS_TOL) worst_rel = fmax(worst_rel, fabs(a - b) / scale);
    return fabs(a - b) <= REL_TOL * scale + ABS_TOL;
}

#define CHECK_R(mine, ref, ...)                                                                \
    do {                                                                                       \
        double m_ = (mine), r_ = (ref);                                                        \
        compared++;                                                                            \
        if (!near(m_, r_)) {                                                                   \
            char what_[160];                                                                   \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                        \
            cr_test_fail(__FILE__, __LINE__, "%s: %.17g, R %.17g", what_, m_, r_);             \
            return;                                                                            \
        }                                                                                      \
    } while (0)

static size_t draws(const ll_case *c)
{
    return (size_t)c->chains * (size_t)c->n;
}

static double *col(const ll_case *c, int i)
{
    return c->ll + (size_t)i * draws(c);
}

static ll_case *add_case(const char *name, int chains, int n, int obs)
{
    ll_case *c = &cases[ncases++];
    *c = (ll_case){name, chains, n, obs, calloc((size_t)chains * n * obs, sizeof(double))};
    return c;
}

static const ll_case *find_case(const char *name)
{
    for (int i = 0; i < ncases; i++)
        if (!strcmp(cases[i].name, name)) return &cases[i];
    return NULL;
}

/* Stationary AR(1) standard normal draws, chain by chain: posterior draws that mix like
 * MCMC output, so relative_eff is not 1. */
static void ar1(gsl_rng *r, double *x, int chains, int n, double phi)
{
    double sd = sqrt(1 - phi * phi);
    for (int c = 0; c < chains; c++) {
        double *y = x + (size_t)c * n;
        y[0] = gsl_ran_gaussian(r, 1);
        for (int t = 1; t < n; t++) y[t] = phi * y[t - 1] + sd * gsl_ran_gaussian(r, 1);
    }
}

static double dnorm_log(double y, double mu, double sigma)
{
    double z = (y - mu) / sigma;
    return -0.5 * log(2 * M_PI) - log(sigma) - 0.5 * z * z;
}

static double dt_log(double y, double mu, double sigma, double nu)
{
    double z = (y - mu) / sigma;
    return gsl_sf_lngamma((nu + 1) / 2) - gsl_sf_lngamma(nu / 2) - 0.5 * log(nu * M_PI) -
           log(sigma) - (nu + 1) / 2 * log1p(z * z / nu);
}

static double dpois_log(double y, double lambda)
{
    return y * log(lambda) - lambda - gsl_sf_lngamma(y + 1);
}

static double dnbinom_log(double y, double mu, double phi)
{
    return gsl_sf_lngamma(y + phi) - gsl_sf_lngamma(phi) - gsl_sf_lngamma(y + 1) +
           phi * log(phi / (phi + mu)) + y * log(mu / (phi + mu));
}

/* A normal model with two outlying observations, and a Student-t model of the same data. */
static void gen_normal(gsl_rng *r)
{
    enum { CH = 4, N = 1000, OBS = 40 };
    double *mu = malloc(CH * N * sizeof *mu), *ls = malloc(CH * N * sizeof *ls), y[OBS];
    ar1(r, mu, CH, N, 0.3);
    ar1(r, ls, CH, N, 0.2);
    for (int i = 0; i < OBS; i++) y[i] = gsl_ran_gaussian(r, 1);
    y[OBS - 2] = 3.5;
    y[OBS - 1] = 9;
    ll_case *norm = add_case("normal", CH, N, OBS), *t = add_case("student", CH, N, OBS);
    for (int i = 0; i < OBS; i++)
        for (int s = 0; s < CH * N; s++) {
            double m = 0.1 + 0.16 * mu[s], sg = 1.2 * exp(0.11 * ls[s]);
            col(norm, i)[s] = dnorm_log(y[i], m, sg);
            col(t, i)[s] = dt_log(y[i], m, sg, 4);
        }
    free(mu);
    free(ls);
}

/* Counts 0..8 under three models sharing the rate draws: Poisson, Poisson with a biased rate
 * and negative binomial. One column per distinct count; counts_w says how often each occurs. */
static void gen_counts(gsl_rng *r, const char *names[3], int chains, int n, double phi)
{
    size_t s = (size_t)chains * n;
    double *z = malloc(s * sizeof *z);
    ar1(r, z, chains, n, phi);
    ll_case *c[3];
    for (int m = 0; m < 3; m++) c[m] = names[m] ? add_case(names[m], chains, n, NCOUNTS) : NULL;
    for (int y = 0; y < NCOUNTS; y++)
        for (size_t k = 0; k < s; k++) {
            double lambda = 2.2 * exp(0.08 * z[k]);
            col(c[0], y)[k] = dpois_log(y, lambda);
            if (c[1]) col(c[1], y)[k] = dpois_log(y, 1.35 * lambda);
            if (c[2]) col(c[2], y)[k] = dnbinom_log(y, lambda, 3);
        }
    free(z);
}

/* Importance ratios with Pareto tails of known shape (k = 1 / alpha), log-normal ratios,
 * some of them autocorrelated: pareto k from 0.2 to beyond 1. */
static void gen_heavy(gsl_rng *r)
{
    static const double alpha[] = {0.4, 0.7, 1, 1.3, 1.6, 2, 3, 6};
    static const double sigma[] = {0.3, 1, 2, 3, 4};
    enum { NA = sizeof alpha / sizeof *alpha, NS = sizeof sigma / sizeof *sigma };
    ll_case *c = add_case("heavy", 4, 1000, NA + 2 * NS);
    size_t s = draws(c);
    for (int i = 0; i < NA; i++)
        for (size_t k = 0; k < s; k++) col(c, i)[k] = -gsl_ran_exponential(r, 1) / alpha[i];
    for (int i = 0; i < NS; i++) {
        double *x = col(c, NA + i), *y = col(c, NA + NS + i);
        for (size_t k = 0; k < s; k++) x[k] = -sigma[i] * gsl_ran_gaussian(r, 1);
        ar1(r, y, c->chains, c->n, 0.6);
        for (size_t k = 0; k < s; k++) y[k] *= -sigma[i];
    }
}

/* Columns loo treats specially: constant, tied, underflowing exp(ll), a constant tail, a tail
 * tied with its cutoff (the GPD fit yields NaN), one constant chain, nearly constant. */
static void gen_degenerate(gsl_rng *r)
{
    ll_case *c = add_case("degenerate", 2, 500, 10);
    size_t s = draws(c);
    double *z = malloc(s * sizeof *z);
    for (int i = 0; i < c->obs; i++) {
        double *x = col(c, i);
        for (size_t k = 0; k < s; k++) z[k] = gsl_ran_gaussian(r, 1);
        for (size_t k = 0; k < s; k++) {
            switch (i) {
            case 0: x[k] = -1.3; break;
            case 1: x[k] = 0; break;
            case 2: x[k] = round(z[k]) - 2; break;
            case 3: x[k] = -800 + 0.5 * z[k]; break;
            case 4: x[k] = z[k] < -0.8 ? -3 : z[k]; break;     /* ~21% tied: constant tail */
            case 5: x[k] = z[k] < -1.2 ? -2 - 0.1 * z[k] : z[k] < -1.05 ? -1.05 : z[k]; break;
            case 6: x[k] = 1e-9 * z[k] - 2; break;
            case 7: x[k] = k < (size_t)c->n ? -1 : 0.3 * z[k] - 1; break;
            case 8: x[k] = 30 * z[k]; break;
            default: x[k] = z[k] < 0.4 ? -0.2 : -2.5; break;
            }
        }
    }
    free(z);
}

/* Slowly mixing chains (relative_eff far below 1, long autocorrelation: the FFT path), one
 * chain, and too few draws for a tail fit. */
static void gen_mixing(gsl_rng *r)
{
    static const double phi[] = {0.9, 0.99, 0.995};
    ll_case *c = add_case("slow", 4, 1000, 6);
    size_t s = draws(c);
    double *mu = malloc(s * sizeof *mu);
    for (int i = 0; i < c->obs; i++) {
        ar1(r, mu, c->chains, c->n, phi[i % 3]);
        for (size_t k = 0; k < s; k++) col(c, i)[k] = dnorm_log(i - 2.5, 0.3 * mu[k], 1);
    }
    ll_case *one = add_case("onechain", 1, 1000, 4);
    for (int i = 0; i < one->obs; i++) {
        ar1(r, mu, 1, 1000, 0.5);
        for (int k = 0; k < 1000; k++) col(one, i)[k] = dnorm_log(i, 0.5 * mu[k], 1);
    }
    ll_case *tiny = add_case("tiny", 2, 10, 3);
    for (int i = 0; i < tiny->obs; i++)
        for (int k = 0; k < 20; k++) col(tiny, i)[k] = -fabs(gsl_ran_cauchy(r, 1 + i));
    free(mu);
}

static void generate(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240611);
    gen_normal(r);
    const char *pois[3] = {"pois", "pois_hi", "pois_nb"};
    gen_counts(r, pois, 2, 500, 0.6);
    const char *odd[3] = {"pois_odd", NULL, NULL}; /* 490 iterations: loo's M / N scaling */
    gen_counts(r, odd, 3, 490, 0.4);
    gen_heavy(r);
    gen_degenerate(r);
    gen_mixing(r);
    gsl_rng_free(r);
}

static int write_file(const char *name, const void *p, size_t bytes)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, bytes, f);
    return fclose(f) == 0 && w == bytes ? 0 : -1;
}

static double *read_doubles(const char *name, const char *ext, size_t count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    size_t len;
    char *p = cr_test_slurp(path, &len);
    if (p && len != count * sizeof(double)) {
        free(p);
        return NULL;
    }
    return (double *)p;
}

/* GPD samples for gpdfit: k from -0.3 to 2, 5 to 800 values, sorted */
static const double gpd_k[] = {-0.3, 0.2, 0.6, 1.1, 2};
static const int gpd_n[] = {5, 50, 200, 800};
enum { NGPD_K = sizeof gpd_k / sizeof *gpd_k, NGPD_N = sizeof gpd_n / sizeof *gpd_n };
static double gpd_x[NGPD_K][NGPD_N][800];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void gen_gpd(FILE *list)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int a = 0; a < NGPD_K; a++)
        for (int b = 0; b < NGPD_N; b++) {
            double *x = gpd_x[a][b];
            for (int i = 0; i < gpd_n[b]; i++)
                x[i] = expm1(-gpd_k[a] * log1p(-gsl_rng_uniform(r))) / gpd_k[a];
            qsort(x, (size_t)gpd_n[b], sizeof *x, cmp_double);
            char name[64];
            snprintf(name, sizeof name, "gpd_%d_%d", a, b);
            write_file(name, x, (size_t)gpd_n[b] * sizeof *x);
            fprintf(list, "%s %d\n", name, gpd_n[b]);
        }
    gsl_rng_free(r);
}

/* Writes the inputs, runs loo_ref.R once; 1 when its outputs are there. */
static int reference(void)
{
    if (have_ref >= 0) return have_ref;
    have_ref = 0;
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0) return 0;
    if (cr_test_sh("Rscript -e 'library(loo)' >/dev/null 2>&1") != 0) return 0;
    dir = cr_test_tmpdir();
    generate();
    char path[512];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < ncases; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.bin", cases[i].name);
        write_file(name, cases[i].ll, draws(&cases[i]) * cases[i].obs * sizeof(double));
        fprintf(f, "%s %d %d\n", cases[i].name, cases[i].chains, cases[i].obs);
    }
    if (f) fclose(f);
    FILE *w = fopen((snprintf(path, sizeof path, "%s/counts.txt", dir), path), "w");
    for (int i = 0; w && i < NCOUNTS; i++) fprintf(w, "%.0f\n", counts_w[i]);
    if (w) fclose(w);
    w = fopen((snprintf(path, sizeof path, "%s/weighted.txt", dir), path), "w");
    if (w) fprintf(w, "w_pois pois counts.txt\nw_nb pois_nb counts.txt\n"), fclose(w);
    w = fopen((snprintf(path, sizeof path, "%s/compare.txt", dir), path), "w");
    if (w)
        fprintf(w, "cmp_normal - normal student\ncmp_pois counts.txt pois_hi pois pois_nb\n"),
            fclose(w);
    w = fopen((snprintf(path, sizeof path, "%s/gpd.txt", dir), path), "w");
    if (w) gen_gpd(w), fclose(w);
    if (cr_test_sh("Rscript tests/loo/loo_ref.R '%s' > '%s/r.log' 2>&1", dir, dir) != 0) {
        printf("loo_ref.R failed, see %s/r.log\n", dir);
        have_ref = 0;
        return -1;
    }
    have_ref = 1;
    return 1;
}

#define NEED_REFERENCE()                                                                       \
    do {                                                                                       \
        int ok_ = reference();                                                                 \
        if (ok_ < 0) CHECKF(0, "loo_ref.R failed");                                            \
        if (ok_ == 0) SKIP("Rscript or the loo package not available");                        \
    } while (0)

static void point_values(const cr_loo_pointwise *p, double v[NPOINT])
{
    const double vals[NPOINT] = {p->r_eff, p->elpd_loo, p->mcse_elpd_loo, p->p_loo,
                                 p->looic, p->pareto_k, p->lpd,           p->n_eff};
    memcpy(v, vals, sizeof vals);
}

static void est_values(const cr_loo_estimates *e, double v[NEST])
{
    const double vals[NEST] = {e->elpd_loo,       e->se_elpd_loo,    e->p_loo,
                               e->se_p_loo,       e->looic,          e->se_looic,
                               e->mcse_elpd_loo,  e->k_count[0],     e->k_count[1],
                               e->k_count[2],     e->k_count[3],     e->k_min_n_eff[0],
                               e->k_min_n_eff[1], e->k_min_n_eff[2], e->k_min_n_eff[3]};
    memcpy(v, vals, sizeof vals);
}

static const char *point_names[NPOINT] = {"r_eff", "elpd_loo", "mcse_elpd_loo", "p_loo",
                                          "looic", "pareto_k", "lpd",           "n_eff"};
static const char *est_names[NEST] = {
    "elpd_loo", "se_elpd_loo", "p_loo", "se_p_loo", "looic", "se_looic", "mcse_loo",
    "count good", "count ok", "count bad", "count very bad",
    "min n_eff good", "min n_eff ok", "min n_eff bad", "min n_eff very bad"};

static cr_loo_pointwise *compute_case(const ll_case *c, cr_loo_ws *ws)
{
    cr_loo_pointwise *p = calloc((size_t)c->obs, sizeof *p);
    for (int i = 0; i < c->obs; i++) cr_loo_point_reff(col(c, i), c->chains, c->n, ws, &p[i]);
    return p;
}

/* relative_eff and every pointwise value, observation by observation; cr_loo_relative_eff
 * and cr_loo_point with that r_eff must give the very same numbers. */
static void test_pointwise(void)
{
    NEED_REFERENCE();
    cr_loo_ws *ws = cr_loo_ws_new();
    long before = compared;
    for (int ci = 0; ci < ncases; ci++) {
        const ll_case *c = &cases[ci];
        double *ref = read_doubles(c->name, ".point.bin", (size_t)c->obs * NPOINT);
        CHECKF(ref, "%s: no R pointwise values", c->name);
        cr_loo_pointwise *p = compute_case(c, ws);
        for (int i = 0; i < c->obs; i++) {
            double v[NPOINT], v2[NPOINT];
            point_values(&p[i], v);
            for (int j = 0; j < NPOINT; j++)
                CHECK_R(v[j], ref[i * NPOINT + j], "%s obs %d %s", c->name, i, point_names[j]);
            double r_eff = cr_loo_relative_eff(col(c, i), c->chains, c->n, NULL);
            cr_loo_pointwise q;
            CHECK_INT(cr_loo_point(col(c, i), c->chains, c->n, r_eff, NULL, &q), 0);
            point_values(&q, v2);
            CHECK(memcmp(v, v2, sizeof v) == 0);
        }
        free(p);
        free(ref);
    }
    cr_loo_ws_free(ws);
    printf("     %ld pointwise values compared with R\n", compared - before);
}

/* psis() log weights, compared as sorted vectors (tied ratios may swap places) */
static void test_psis_weights(void)
{
    NEED_REFERENCE();
    cr_loo_ws *ws = cr_loo_ws_new();
    long before = compared;
    for (int ci = 0; ci < ncases; ci++) {
        const ll_case *c = &cases[ci];
        size_t s = draws(c);
        double *ref = read_doubles(c->name, ".lw.bin", s * c->obs), *lw = malloc(s * sizeof *lw);
        CHECKF(ref, "%s: no R log weights", c->name);
        for (int i = 0; i < c->obs; i++) {
            const double *ll = col(c, i);
            for (size_t k = 0; k < s; k++) lw[k] = -ll[k];
            double r_eff = cr_loo_relative_eff(ll, c->chains, c->n, ws);
            cr_loo_psis(lw, (int)s, r_eff, lw, ws);
            qsort(lw, s, sizeof *lw, cmp_double);
            for (size_t k = 0; k < s; k++)
                CHECK_R(lw[k], ref[i * s + k], "%s obs %d log weight %zu", c->name, i, k);
        }
        free(lw);
        free(ref);
    }
    cr_loo_ws_free(ws);
    printf("     %ld log weights compared with R\n", compared - before);
}

static void check_estimates(const char *name, const cr_loo_estimates *e)
{
    double *ref = read_doubles(name, ".est.bin", NEST), v[NEST];
    CHECKF(ref, "%s: no R estimates", name);
    est_values(e, v);
    for (int j = 0; j < NEST; j++) {
        /* pareto_k_table's Min. n_eff is NA for an empty bin, so is ours */
        double r = ref[j];
        compared++;
        if (!near(v[j], r)) {
            cr_test_fail(__FILE__, __LINE__, "%s %s: %.17g, R %.17g", name, est_names[j], v[j],
                         r);
            break;
        }
    }
    free(ref);
}

/* $estimates, mcse_loo() and pareto_k_table() of every case, one row per observation */
static void test_estimates(void)
{
    NEED_REFERENCE();
    long before = compared;
    for (int ci = 0; ci < ncases && !cr_test_stop; ci++) {
        const ll_case *c = &cases[ci];
        cr_loo_pointwise *p = compute_case(c, NULL);
        cr_loo_acc acc;
        cr_loo_acc_init(&acc, (int)draws(c));
        for (int i = 0; i < c->obs; i++) cr_loo_acc_add(&acc, &p[i], 1);
        cr_loo_estimates e;
        cr_loo_acc_result(&acc, &e);
        check_estimates(c->name, &e);
        /* loo >= 2.6's threshold, applied to R's k values */
        double *ref = read_doubles(c->name, ".point.bin", (size_t)c->obs * NPOINT), above = 0;
        CHECKF(ref, "%s: no R pointwise values", c->name);
        for (int i = 0; i < c->obs; i++) above += ref[i * NPOINT + 5] > e.k_threshold;
        CHECK_NEAR(e.k_threshold, fmin(1 - 1 / log10((double)draws(c)), 0.7), 1e-15);
        CHECK_NEAR(e.k_above_threshold, above, 0);
        compared += 2;
        free(ref);
        free(p);
    }
    printf("     %ld estimates compared with R\n", compared - before);
}

/* Each distinct count computed once and weighted must equal loo on the matrix with every
 * column repeated (1000 observations). */
static void test_weighted(void)
{
    NEED_REFERENCE();
    static const char *const pairs[][2] = {{"w_pois", "pois"}, {"w_nb", "pois_nb"}};
    long before = compared;
    for (int j = 0; j < 2 && !cr_test_stop; j++) {
        const ll_case *c = find_case(pairs[j][1]);
        cr_loo_pointwise *p = compute_case(c, NULL);
        cr_loo_acc acc;
        cr_loo_acc_init(&acc, (int)draws(c));
        for (int i = 0; i < c->obs; i++) cr_loo_acc_add(&acc, &p[i], counts_w[i]);
        cr_loo_estimates e;
        cr_loo_acc_result(&acc, &e);
        CHECK_NEAR(e.n, 973, 0);
        check_estimates(pairs[j][0], &e);
        free(p);
    }
    printf("     %ld weighted estimates compared with R\n", compared - before);
}

static void check_compare(const char *name, const char *const *models, int nm,
                          const double *weight)
{
    const double *elpd[4];
    cr_loo_pointwise *p[4];
    for (int m = 0; m < nm; m++) {
        const ll_case *c = find_case(models[m]);
        p[m] = compute_case(c, NULL);
        double *e = malloc((size_t)c->obs * sizeof *e);
        for (int i = 0; i < c->obs; i++) e[i] = p[m][i].elpd_loo;
        elpd[m] = e;
    }
    cr_loo_compare_row rows[4];
    cr_loo_compare(elpd, nm, weight, (size_t)find_case(models[0])->obs, rows);
    double *ref = read_doubles(name, ".cmp.bin", (size_t)nm * 3);
    CHECKF(ref, "%s: no R comparison", name);
    for (int r = 0; r < nm; r++) {
        CHECK_INT(rows[r].model, (int)ref[3 * r]);
        CHECK_R(rows[r].elpd_diff, ref[3 * r + 1], "%s row %d elpd_diff", name, r);
        CHECK_R(rows[r].se_diff, ref[3 * r + 2], "%s row %d se_diff", name, r);
    }
    free(ref);
    for (int m = 0; m < nm; m++) {
        free((void *)elpd[m]);
        free(p[m]);
    }
}

/* loo_compare() unweighted (normal vs Student-t) and weighted (three count models, against R
 * on the expanded matrices) */
static void test_compare(void)
{
    NEED_REFERENCE();
    long before = compared;
    static const char *const normal[] = {"normal", "student"};
    static const char *const counts[] = {"pois_hi", "pois", "pois_nb"};
    check_compare("cmp_normal", normal, 2, NULL);
    if (cr_test_stop) return;
    check_compare("cmp_pois", counts, 3, counts_w);
    if (cr_test_stop) return;
    printf("     %ld comparison values compared with R\n", compared - before);
}

static void test_gpdfit(void)
{
    NEED_REFERENCE();
    cr_loo_ws *ws = cr_loo_ws_new();
    long before = compared;
    for (int a = 0; a < NGPD_K; a++)
        for (int b = 0; b < NGPD_N; b++) {
            char name[64];
            snprintf(name, sizeof name, "gpd_%d_%d", a, b);
            double *ref = read_doubles(name, ".gpd.bin", 2), k, sigma;
            CHECKF(ref, "%s: no R gpdfit", name);
            cr_loo_gpdfit(gpd_x[a][b], gpd_n[b], ws, &k, &sigma);
            CHECK_R(k, ref[0], "%s k", name);
            CHECK_R(sigma, ref[1], "%s sigma", name);
            free(ref);
        }
    cr_loo_ws_free(ws);
    printf("     %ld gpdfit values compared with R; %ld values in all, largest relative "
           "difference %.2g\n",
           compared - before, compared, worst_rel);
}

/* loo rejects non-finite log-likelihoods; so does cr_loo_point */
static void test_rejects_non_finite(void)
{
    double ll[40];
    for (int i = 0; i < 40; i++) ll[i] = -1 - 0.01 * i;
    ll[17] = -INFINITY;
    cr_loo_pointwise p;
    CHECK_INT(cr_loo_point_reff(ll, 2, 20, NULL, &p), -1);
    CHECK(isnan(p.elpd_loo) && isnan(p.pareto_k));
    ll[17] = NAN;
    CHECK_INT(cr_loo_point(ll, 2, 20, 1, NULL, &p), -1);
}

/* One chunk of 2000 observations x 4000 draws (4 chains) of Poisson counts under rate draws that
 * differ by observation: the threaded batch must equal the serial computation bit for bit. The
 * timing of 10^5 such observations is in bench/bench_loo.c. */
static void test_threaded_equals_serial(void)
{
    enum { CH = 4, N = 1000, S = CH * N, CHUNK = 2000, NSCALE = 7 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    double *z = malloc(S * sizeof *z), *ez = malloc(NSCALE * S * sizeof *ez);
    double *ll = malloc((size_t)CHUNK * S * sizeof *ll);
    ar1(r, z, CH, N, 0.5);
    for (int j = 0; j < NSCALE; j++)
        for (int k = 0; k < S; k++) ez[j * S + k] = exp((0.05 + 0.1 * j) * z[k]);
    cr_loo_pointwise *p = malloc(CHUNK * sizeof *p), *q = malloc(CHUNK * sizeof *q);
    for (int i = 0; i < CHUNK; i++) {
        int j = i % NSCALE;
        double y = i % 11, rate = 1 + (i % 13) * 0.4, lg = gsl_sf_lngamma(y + 1);
        double scale = 0.05 + 0.1 * j;
        for (int k = 0; k < S; k++)
            ll[(size_t)i * S + k] = y * (log(rate) + scale * z[k]) - rate * ez[j * S + k] - lg;
    }
    cr_loo_ws *ws = cr_loo_ws_new();
    CHECK_INT(cr_loo_point_many(ll, CHUNK, CH, N, 4, p), 0);
    for (int i = 0; i < CHUNK; i++)
        cr_loo_point_reff(ll + (size_t)i * S, CH, N, ws, &q[i]);
    CHECK(memcmp(p, q, CHUNK * sizeof *p) == 0);
    cr_loo_ws_free(ws);
    free(p);
    free(q);
    free(ll);
    free(ez);
    free(z);
    gsl_rng_free(r);
}

static void cleanup(void)
{
    for (int i = 0; i < ncases; i++) free(cases[i].ll);
}

TEST_MAIN(RUN(test_pointwise); RUN(test_psis_weights); RUN(test_estimates);
          RUN(test_weighted); RUN(test_compare); RUN(test_gpdfit);
          RUN(test_rejects_non_finite); RUN(test_threaded_equals_serial); cleanup())
