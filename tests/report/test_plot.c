/* Figures: both files appear, the PNG has the right signature and pixel size, the SVG is
 * well-formed XML, and the same inputs give byte-identical files. Set CONNRATE_PLOT_OUT=DIR to
 * keep the figures for a look. */
#include <gsl/gsl_randist.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "ppc/ppc.h"
#include "report/plot.h"
#include "test.h"

static const char *out_dir(void)
{
    const char *keep = getenv("CONNRATE_PLOT_OUT");
    return keep && *keep ? keep : cr_test_tmpdir();
}

typedef struct {
    int K;
    size_t n;
    int *machine, *minute, *y;
    double *mu;
} rows;

/* K machines with 40% extra zeros on machine 1 only, NB(phi 1.5) elsewhere, 1800 s each. */
static void rows_make(rows *d, int K)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    d->K = K;
    d->n = (size_t)K * 1800;
    d->machine = xmalloc(d->n * sizeof(int));
    d->minute = xmalloc(d->n * sizeof(int));
    d->y = xmalloc(d->n * sizeof(int));
    d->mu = xmalloc(d->n * sizeof(double));
    for (size_t i = 0; i < d->n; i++) {
        int k = (int)(i / 1800);
        d->machine[i] = k + 1;
        d->minute[i] = (int)(i % 1800) / 60 + 1;
        d->mu[i] = 1 + 0.5 * k;
        double lam = gsl_ran_gamma(r, 1.5, d->mu[i] / 1.5);
        d->y[i] = k == 0 && gsl_rng_uniform(r) < 0.4 ? 0 : (int)gsl_ran_poisson(r, lam);
        if (k == 0)
            d->mu[i] *= 0.6;
    }
    gsl_rng_free(r);
}

static void rows_free(rows *d)
{
    free(d->machine), free(d->minute), free(d->y), free(d->mu);
}

static void sim_nb(void *ctx, int draw, int k, size_t row0, size_t n, gsl_rng *r, int *yr)
{
    const rows *d = ctx;
    for (size_t j = 0; j < n; j++)
        yr[j] = (int)gsl_ran_poisson(r, gsl_ran_gamma(r, 1.5, d->mu[row0 + j] / 1.5));
}

static int run_ppc(rows *d, int K, cr_ppc_result *res)
{
    rows_make(d, K);
    cr_ppc_data data = {d->K, d->n, d->machine, d->minute, d->y};
    cr_ppc_options o;
    cr_ppc_options_default(&o);
    o.ndraws = 200;
    o.nthreads = 4;
    cr_err e;
    return cr_ppc_run(&data, sim_nb, d, &o, res, &e);
}

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* PNG signature, IHDR first, width x height. */
static int png_ok(const char *path, unsigned w, unsigned h)
{
    size_t len = 0;
    unsigned char *b = (unsigned char *)cr_test_slurp(path, &len);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int ok = b && len > 33 && memcmp(b, sig, 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0 &&
             be32(b + 16) == w && be32(b + 20) == h;
    free(b);
    return ok;
}

static int svg_ok(const char *path)
{
    if (cr_test_sh("command -v xmllint >/dev/null 2>&1") == 0)
        return cr_test_sh("xmllint --noout '%s'", path) == 0;
    size_t len = 0;
    char *b = cr_test_slurp(path, &len);
    int ok = b && strncmp(b, "<?xml", 5) == 0 && strstr(b, "<svg") && strstr(b, "</svg>");
    free(b);
    return ok;
}

static int same_file(const char *a, const char *b)
{
    return cr_test_sh("cmp -s '%s' '%s'", a, b) == 0;
}

/* Both files of a figure exist and are valid, and no temporary file is left beside them. */
static void check_figure(const char *base)
{
    char png[600], svg[600];
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(svg, sizeof svg, "%s.svg", base);
    CHECKF(png_ok(png, 1600, 1000), "%s: not a 1600x1000 PNG", png);
    CHECKF(svg_ok(svg), "%s: not well-formed SVG", svg);
    CHECK(cr_test_sh("ls '%s'.*.tmp* >/dev/null 2>&1", base) != 0);
}

static void test_ppc_figures(void)
{
    rows d;
    cr_ppc_result res;
    CHECK(run_ppc(&d, 3, &res) == 0);
    CHECK(res.machines[0].nfail > 0);
    const char *ids[] = {"laptop-a", "desk#2", "laptop-c"}; /* '#' is PLplot's escape */
    char a[512], b[512];
    cr_err e;
    for (int kind = CR_PLOT_ROOTOGRAM; kind <= CR_PLOT_DENSITY; kind++) {
        const char *name = kind == CR_PLOT_ROOTOGRAM ? "rootogram" : "density";
        snprintf(a, sizeof a, "%s/ppc_%s", out_dir(), name);
        snprintf(b, sizeof b, "%s/again/ppc_%s", out_dir(), name);
        CHECKF(cr_plot_ppc(a, kind, &res, ids, "tcp_new: posterior predictive check", NULL,
                           &e) == 0, "%s", e.msg);
        CHECKF(cr_plot_ppc(b, kind, &res, ids, "tcp_new: posterior predictive check", NULL,
                           &e) == 0, "%s", e.msg);
        check_figure(a);
        check_figure(b);
        char fa[600], fb[600];
        for (int x = 0; x < 2; x++) {
            const char *ext = x ? "svg" : "png";
            snprintf(fa, sizeof fa, "%s.%s", a, ext);
            snprintf(fb, sizeof fb, "%s.%s", b, ext);
            CHECKF(same_file(fa, fb), "%s and %s differ", fa, fb);
        }
    }
    cr_ppc_free(&res);
    rows_free(&d);
}

/* More machines than panels: the pooled check and the worst machines. */
static void test_ppc_many_machines(void)
{
    rows d;
    cr_ppc_result res;
    CHECK(run_ppc(&d, 14, &res) == 0);
    char base[512];
    cr_err e;
    snprintf(base, sizeof base, "%s/ppc_many", out_dir());
    CHECKF(cr_plot_ppc(base, CR_PLOT_ROOTOGRAM, &res, NULL, "14 machines", NULL, &e) == 0, "%s",
           e.msg);
    check_figure(base);
    cr_ppc_free(&res);
    rows_free(&d);
}

static void test_distributions(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    enum { N = 20000 };
    double *a = xmalloc(N * sizeof *a), *b = xmalloc(N * sizeof *b);
    for (int i = 0; i < N; i++) {
        a[i] = (double)gsl_ran_negative_binomial(r, 0.2, 3); /* integer, one bar per value */
        b[i] = 60 * gsl_ran_lognormal(r, 2, 0.6);             /* continuous, binned */
    }
    gsl_rng_free(r);
    cr_plot_sample s[] = {{"N = 1: new connections per second", a, N},
                          {"N = 1: log lines per minute", b, N}};
    char base[512];
    cr_err e;
    snprintf(base, sizeof base, "%s/dist", out_dir());
    cr_plot_svg kept = {NULL, 0};
    CHECKF(cr_plot_distributions(base, "Posterior predictive distributions", "value", 2, s,
                                 &kept, &e) == 0, "%s", e.msg);
    check_figure(base);
    /* the SVG kept in memory is the file's, byte for byte */
    char svg[600];
    snprintf(svg, sizeof svg, "%s.svg", base);
    size_t len;
    char *text = cr_test_slurp(svg, &len);
    CHECK(text && len == kept.len && !memcmp(text, kept.text, len));
    free(text);
    cr_plot_svg_free(&kept);
    free(a);
    free(b);
}

static void test_loglog(void)
{
    double N[] = {1, 10, 50, 100}, q50[4], q95[4], q99[4];
    for (int i = 0; i < 4; i++) {
        q50[i] = 2 * N[i];
        q95[i] = 2 * N[i] + 3 * sqrt(N[i]) * 1.64;
        q99[i] = 2 * N[i] + 3 * sqrt(N[i]) * 2.33;
    }
    cr_plot_series se[] = {{"median", q50, CR_PLOT_INK, 0},
                           {"95%", q95, CR_PLOT_ORANGE, 1},
                           {"99%", q99, CR_PLOT_RED, 1}};
    cr_plot_loglog l[] = {{"new connections per second", "connections / s", 4, N, 3, se},
                          {"concurrent connections", "connections", 4, N, 3, se}};
    char base[512];
    cr_err e;
    snprintf(base, sizeof base, "%s/scaling", out_dir());
    CHECKF(cr_plot_loglogs(base, "Firewall sizing against users", "users N", 2, l, NULL, &e) ==
               0,
           "%s", e.msg);
    check_figure(base);
}

static void test_unwritable(void)
{
    cr_err e;
    CHECK(cr_plot_loglogs("/proc/no/such/dir/fig", "t", "x", 0, NULL, NULL, &e) != 0);
    CHECKF(strstr(e.msg, "/proc/no") != NULL, "%s", e.msg);
}

static void test_grid(void)
{
    static const int want[][3] = {{1, 1, 1}, {2, 2, 1},  {3, 3, 1},  {4, 2, 2},
                                  {6, 3, 2}, {8, 4, 2},  {9, 3, 3},  {12, 4, 3}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int c, r;
        cr_plot_grid_for(want[i][0], &c, &r);
        CHECKF(c == want[i][1] && r == want[i][2], "%d panels: %d x %d", want[i][0], c, r);
    }
}

TEST_MAIN(RUN(test_grid); RUN(test_ppc_figures); RUN(test_ppc_many_machines);
          RUN(test_distributions); RUN(test_loglog); RUN(test_unwritable))
