#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define MAX_PANELS 12
#define BINS 60

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void format_value(double v, char *buf, size_t n)
{
    if ((v == floor(v) || fabs(v) >= 100) && fabs(v) < 1e12)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.3g", v);
}

void cr_plot_distribution_panel(cr_plot *p, int index, const char *xlabel,
                                const cr_plot_sample *s)
{
    size_t n = s->n;
    if (n == 0) {
        cr_plot_axes ax = {.title = s->title, .xlabel = xlabel, .ylabel = "% of samples",
                           .xmax = 1, .ymax = 1};
        cr_plot_panel(p, index, &ax);
        return;
    }
    double *v = xmalloc(n * sizeof *v);
    memcpy(v, s->x, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    /* The axis ends at the 99.9th percentile: the largest of hundreds of thousands of samples
     * of a heavy-tailed predictive can sit 10x beyond it and squeeze the body into a few bins.
     * What lies beyond is said in the panel. */
    double lo = v[0], hi = cr_ppc_quantile7(v, n, 0.999);
    size_t beyond = 0;
    while (beyond < n && v[n - 1 - beyond] > hi)
        beyond++;
    int integer = 1;
    for (size_t i = 0; i < n && integer; i++)
        integer = v[i] == floor(v[i]);
    /* One bar per value when that is readable, else equal-width bins over the range. */
    int per_value = integer && hi - lo <= 120;
    int nb = per_value ? (int)(hi - lo) + 1 : BINS;
    double width = per_value ? 1 : hi > lo ? (hi - lo) / nb : 1;
    double start = per_value ? lo - 0.5 : lo;
    double *share = xcalloc((size_t)nb, sizeof *share);
    for (size_t i = 0; i < n - beyond; i++) {
        int b = (int)((v[i] - start) / width);
        share[b < 0 ? 0 : b >= nb ? nb - 1 : b] += 100.0 / (double)n;
    }
    double ymax = 0;
    for (int b = 0; b < nb; b++)
        ymax = fmax(ymax, share[b]);
    double xmin = start, xmax = start + nb * width, ymin = 0;
    cr_plot_pad(&xmin, &xmax, 0.02, 0);
    ymax *= 1.3; /* headroom for the quantile labels */
    cr_plot_axes ax = {.title = s->title, .xlabel = xlabel, .ylabel = "% of samples",
                       .xmin = xmin, .xmax = xmax, .ymin = ymin, .ymax = ymax};
    cr_plot_panel(p, index, &ax);
    for (int b = 0; b < nb; b++)
        if (share[b] > 0)
            cr_plot_rect(p, start + b * width, start + (b + 1) * width, 0, share[b],
                         CR_PLOT_TINT(CR_PLOT_BLUE), nb <= 60 ? CR_PLOT_BLUE : -1);
    static const double prob[3] = {0.5, 0.95, 0.99};
    static const int color[3] = {CR_PLOT_INK, CR_PLOT_ORANGE, CR_PLOT_RED};
    static const char *const name[3] = {"median", "95%", "99%"};
    for (int q = 0; q < 3; q++) {
        double x = cr_ppc_quantile7(v, n, prob[q]);
        char val[32], label[64];
        format_value(x, val, sizeof val);
        snprintf(label, sizeof label, "%s %s", name[q], val);
        cr_plot_vline(p, x, color[q], 2, q > 0);
        /* Staggered heights so close quantiles keep readable labels; near the right edge a
         * label goes to the left of its line. */
        double just = x > xmin + 0.8 * (xmax - xmin) ? 1 : 0;
        cr_plot_text(p, x, ymax * (0.95 - 0.07 * q), just, 0.95, color[q], label);
    }
    if (beyond) {
        char val[32], label[96];
        format_value(v[n - 1], val, sizeof val);
        snprintf(label, sizeof label, "%.2g%% beyond the axis, up to %s", 100.0 * beyond / n, val);
        cr_plot_text(p, xmax, ymax * 0.7, 1, 0.85, CR_PLOT_INK, label);
    }
    free(share);
    free(v);
}

typedef struct {
    const char *title, *xlabel;
    int n;
    const cr_plot_sample *s;
} dist_figure;

static void draw_dist(cr_plot *p, void *ctx)
{
    const dist_figure *f = ctx;
    cr_plot_title(p, f->title, NULL);
    cr_plot_key keys[] = {{"median", CR_PLOT_KEY_LINE, CR_PLOT_INK},
                          {"95% quantile", CR_PLOT_KEY_DASHED, CR_PLOT_ORANGE},
                          {"99% quantile", CR_PLOT_KEY_DASHED, CR_PLOT_RED}};
    cr_plot_legend(p, 3, keys);
    int cols, rows, n = f->n < MAX_PANELS ? f->n : MAX_PANELS;
    cr_plot_grid_for(n, &cols, &rows);
    cr_plot_grid(p, cols, rows);
    for (int i = 0; i < n; i++)
        cr_plot_distribution_panel(p, i, f->xlabel, &f->s[i]);
}

int cr_plot_distributions(const char *path_without_ext, const char *title, const char *xlabel,
                          int n, const cr_plot_sample *s, cr_plot_svg *keep, cr_err *e)
{
    dist_figure f = {title, xlabel, n, s};
    return cr_plot_render(path_without_ext, 1600, 1000, draw_dist, &f, keep, e);
}
