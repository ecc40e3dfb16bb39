/* Figures: both files appear, the PNG has the right signature and pixel size, the SVG is
 * well-formed XML, and the same inputs give byte-identical files. No two strings of a figure
 * meet and none leaves the page, read back from the SVG on hard cases (bursty counts decades
 * long, all zeros, one value, twelve panels, huge and tiny axes), and the tick layer's label
 * widths bound the glyphs cairo draws. Set CONNRATE_PLOT_OUT=DIR to keep the figures for a
 * look. */
#include <gsl/gsl_randist.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "ppc/ppc.h"
#include "report/plot.h"
#include "test.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

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
    size_t len;
    cr_plot_svg img = {cr_test_slurp(svg, &len), 0};
    img.len = len;
    char why[300] = "";
    int faults = cr_plot_svg_text_faults(&img, 1600, 1000, why, sizeof why);
    cr_plot_box *b;
    size_t n = cr_plot_svg_text_boxes(&img, &b);
    free(b);
    cr_plot_svg_free(&img);
    CHECKF(faults == 0, "%s: %d text faults, %s", svg, faults, why);
    CHECKF(n >= 5, "%s: %zu strings found", svg, n);
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
    cr_plot_mark m[] = {{12, "median: 12", CR_PLOT_INK, 0}, {40, "99%: 40", CR_PLOT_RED, 1}};
    cr_plot_sample s[] = {{"N = 1: new connections per second", a, N, 1, 2, m},
                          {"N = 1: log lines per minute", b, N, 1, 0, NULL}};
    cr_plot_key keys[] = {{"median", CR_PLOT_KEY_LINE, CR_PLOT_INK},
                          {"99% quantile", CR_PLOT_KEY_DASHED, CR_PLOT_RED}};
    cr_plot_dist d = {"Posterior predictive distributions", NULL, "value", "seconds", 2, keys,
                      2, s};
    char base[512];
    cr_err e;
    snprintf(base, sizeof base, "%s/dist", out_dir());
    cr_plot_svg kept = {NULL, 0};
    CHECKF(cr_plot_distributions(base, &d, &kept, &e) == 0, "%s", e.msg);
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

/* Per-second counts of N bursty users: mostly 0 for few users, rare bursts thousands of times
 * the median (a lognormal rate with a wide spread per user and second), as on real captures. */
static double *bursty(gsl_rng *r, int users, size_t n)
{
    double *x = xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double rate = 0;
        for (int u = 0; u < users && u < 50; u++)
            rate += gsl_ran_lognormal(r, -3, 2.5);
        x[i] = (double)gsl_ran_poisson(r, rate * (users > 50 ? users / 50.0 : 1));
    }
    return x;
}

/* The figures of a sizing run on the hardest samples: bursty counts for 1 to 10,000 users with
 * four marks each (one far beyond the data), a sample of zeros only, one of a single value, a
 * continuous one over twelve decades; twelve panels; log-log lines over huge and tiny ranges. */
static void test_labels_never_meet(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    enum { N = 50000 };
    static const int users[4] = {1, 10, 100, 10000};
    double *x[12];
    cr_plot_sample s[12];
    cr_plot_mark m[4][4];
    char labels[4][4][64], titles[12][32];
    for (int u = 0; u < 4; u++) {
        x[u] = bursty(r, users[u], N);
        double *y = xmalloc(N * sizeof *y);
        memcpy(y, x[u], N * sizeof *y);
        qsort(y, N, sizeof *y, cmp_double);
        double q[4] = {y[N / 2], y[N * 99 / 100], 1.25 * y[N * 99 / 100], 50.0 * y[N - 1] + 1};
        static const char *const what[4] = {"median", "99%", "size for", "limit"};
        for (int k = 0; k < 4; k++) {
            snprintf(labels[u][k], sizeof labels[u][k], "%s: %.0f (%.3g/user)", what[k], q[k],
                     q[k] / users[u]);
            m[u][k] = (cr_plot_mark){q[k], labels[u][k], CR_PLOT_RED + k % 2, k % 3};
        }
        free(y);
        snprintf(titles[u], sizeof titles[u], "N = %d users", users[u]);
        s[u] = (cr_plot_sample){titles[u], x[u], N, users[u], 4, m[u]};
    }
    for (int i = 4; i < 12; i++) {
        x[i] = xmalloc(N * sizeof *x[i]);
        for (int j = 0; j < N; j++)
            x[i][j] = i == 4 ? 0 : i == 5 ? 7 : i == 6 ? pow(10, gsl_rng_uniform(r) * 12 - 3)
                                                      : (double)gsl_ran_poisson(r, i * 3.0);
        snprintf(titles[i], sizeof titles[i], "case %d", i);
        s[i] = (cr_plot_sample){titles[i], x[i], N, 1, 0, NULL};
    }
    gsl_rng_free(r);
    cr_plot_key keys[] = {{"median", CR_PLOT_KEY_LINE, CR_PLOT_INK},
                          {"99% quantile", CR_PLOT_KEY_DASHED, CR_PLOT_RED},
                          {"99% quantile x 1.25", CR_PLOT_KEY_LINE, CR_PLOT_GREEN},
                          {"datasheet limit", CR_PLOT_KEY_DASHED, CR_PLOT_PURPLE}};
    const int counts[4] = {4, 1, 3, 12}, offsets[4] = {0, 4, 4, 0};
    for (int c = 0; c < 4; c++) {
        cr_plot_dist d = {"New sessions per second: posterior predictive distribution per N",
                          "Per user (values / N), the same axes in every panel; x: log(1 + x) "
                          "scale; bars: share of simulated seconds, log scale",
                          "new sessions per second, per user", "seconds", 4, keys, counts[c],
                          s + offsets[c]};
        char base[512];
        cr_err e;
        snprintf(base, sizeof base, "%s/labels_dist%d", out_dir(), c);
        CHECKF(cr_plot_distributions(base, &d, NULL, &e) == 0, "%s", e.msg);
        check_figure(base);
    }
    for (int i = 0; i < 12; i++)
        free(x[i]);

    double n[5] = {1, 10, 1000, 1e5, 1e6}, big[5], tiny[5], flat[5] = {3, 3, 3, 3, 3};
    for (int i = 0; i < 5; i++)
        big[i] = 5e3 * pow(n[i], 1.2), tiny[i] = 1e-4 * sqrt(n[i]);
    cr_plot_series se[] = {{"99th percentile", big, CR_PLOT_RED, 0},
                           {"median", tiny, CR_PLOT_BLUE, 0},
                           {"flat", flat, CR_PLOT_INK, 1}};
    cr_plot_loglog l[] = {{"huge", "concurrent sessions", 5, n, 1, se},
                          {"tiny", "share", 5, n, 1, se + 1},
                          {"all", "firewall log lines / min", 5, n, 3, se}};
    char base[512];
    cr_err e;
    snprintf(base, sizeof base, "%s/labels_loglog", out_dir());
    CHECKF(cr_plot_loglogs(base, "How the sizing quantities scale with the number of users",
                           "users (N)", 3, l, NULL, &e) == 0, "%s", e.msg);
    check_figure(base);
}

/* Ticks on every scale over ranges from tiny to huge and axes from short to long: never more
 * than fit, labels apart by the model's widths and inside the room, at least two where an axis
 * has room for them; and the labels' words. */
static void test_ticks(void)
{
    static const double ranges[][2] = {{0, 1},       {0, 7},    {-3, 3},     {0.5, 2},
                                       {1, 100},     {1, 1e6},  {1e-5, 100}, {0, 4e6},
                                       {17, 680},    {-0.5, 3}, {1e-4, 1e9}, {0.02, 0.05},
                                       {2000, 2100}, {0, 1e12}};
    static const double lengths[] = {120, 250, 400, 700, 1400};
    int tried = 0;
    for (int sc = CR_PLOT_LINEAR; sc <= CR_PLOT_LOG1P; sc++)
        for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
            for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++)
                for (int vertical = 0; vertical < 2; vertical++) {
                    double lo = ranges[i][0], hi = ranges[i][1], len = lengths[j], em = 18;
                    if ((sc == CR_PLOT_LOG && lo <= 0) || (sc == CR_PLOT_LOG1P && lo <= -1))
                        continue;
                    cr_plot_tick t[32];
                    int n = cr_plot_ticks(sc, lo, hi, len, em, vertical, vertical ? "%" : NULL,
                                          1.5 * em, 1.5 * em, t, 32);
                    tried++;
                    double prev_end = -INFINITY;
                    for (int k = 0; k < n; k++) {
                        double a = sc == CR_PLOT_LOG     ? log10(t[k].v / lo) / log10(hi / lo)
                                   : sc == CR_PLOT_LOG1P ? (log10(1 + t[k].v) - log10(1 + lo)) /
                                                               (log10(1 + hi) - log10(1 + lo))
                                                         : (t[k].v - lo) / (hi - lo);
                        double c = a * len;
                        double half = vertical ? 0.6 * em : cr_plot_text_px(t[k].label, em) / 2;
                        CHECKF(t[k].v >= lo - 1e-9 * fabs(hi - lo) &&
                                   t[k].v <= hi + 1e-9 * fabs(hi - lo) &&
                                   c - half >= -1.5 * em && c + half <= len + 1.5 * em &&
                                   c - half >= prev_end,
                               "scale %d [%g, %g] %g px: tick %s at %g", sc, lo, hi, len,
                               t[k].label, c);
                        prev_end = c + half;
                    }
                    CHECKF(n >= 2 || len < 250,
                           "scale %d [%g, %g] %g px %s: %d ticks", sc, lo, hi, len,
                           vertical ? "vertical" : "horizontal", n);
                }
    CHECK(tried > 300);
    static const struct {
        double v, step;
        const char *suffix, *want;
    } labels[] = {{1500, 500, NULL, "1.5k"},  {2e6, 1e6, NULL, "2M"},   {20000, 0, NULL, "20k"},
                  {0.05, 0.01, NULL, "0.05"}, {1e-5, 0, NULL, "10⁻⁵"},  {3e-7, 0, NULL, "3×10⁻⁷"},
                  {100, 10, "%", "100%"},     {0, 1, NULL, "0"},        {-2.5, 0.5, NULL, "-2.5"},
                  {1e-4, 0, "%", "0.0001%"},  {7e12, 1e12, NULL, "7T"}, {12, 2, NULL, "12"}};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        char buf[32];
        cr_plot_tick_label(labels[i].v, labels[i].step, labels[i].suffix, buf, sizeof buf);
        CHECK_STR(buf, labels[i].want);
    }
}

typedef struct {
    const char *text;
    int twice; /* draw it again on top of itself */
} one_text;

static void draw_one_text(cr_plot *p, void *ctx)
{
    const one_text *t = ctx;
    cr_plot_title(p, t->text, t->twice ? t->text : NULL);
    if (t->twice)
        cr_plot_title(p, t->text, NULL);
}

/* What cairo draws of a string against the widths the tick layer reckons with (28 px titles
 * at 1000 px, glyphs of an em of 1.2 x that, plot_core.c): never wider, and not far narrower;
 * and text drawn on text, or off the page, is a fault. */
static void test_text_boxes(void)
{
    static const char *const texts[] = {"0123456789", "100%", "1.5k 20k 3M", "10⁻⁵ 2×10⁻³",
                                        "0.0001%", "new sessions per second, per user"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        one_text t = {texts[i], 0};
        cr_plot_svg svg = {NULL, 0};
        cr_err e;
        CHECKF(cr_plot_render(NULL, 1600, 1000, draw_one_text, &t, &svg, &e) == 0, "%s", e.msg);
        cr_plot_box *b;
        size_t n = cr_plot_svg_text_boxes(&svg, &b);
        CHECK_INT(n, 1);
        double ink = b[0].x1 - b[0].x0, est = cr_plot_text_px(texts[i], 28 * 1.2);
        printf("  %-36s ink %6.1f px, reckoned %6.1f px\n", texts[i], ink, est);
        CHECKF(ink <= est && ink >= 0.75 * est, "%s: ink %g, reckoned %g", texts[i], ink, est);
        free(b);
        cr_plot_svg_free(&svg);
    }
    one_text t = {"a string drawn twice, on itself, and far too long for the page: "
                  "0123456789 0123456789 0123456789 0123456789 0123456789",
                  1};
    cr_plot_svg svg = {NULL, 0};
    cr_err e;
    CHECK(cr_plot_render(NULL, 1600, 1000, draw_one_text, &t, &svg, &e) == 0);
    char why[300];
    CHECK(cr_plot_svg_text_faults(&svg, 1600, 1000, why, sizeof why) >= 1);
    CHECKF(strstr(why, "meets"), "%s", why);
    cr_plot_svg_free(&svg);
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

TEST_MAIN(RUN(test_grid); RUN(test_ticks); RUN(test_text_boxes); RUN(test_ppc_figures);
          RUN(test_ppc_many_machines); RUN(test_distributions); RUN(test_labels_never_meet);
          RUN(test_loglog); RUN(test_unwritable))
