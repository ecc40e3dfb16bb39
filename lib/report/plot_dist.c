/* Distributions of bursty counts, every panel on the same axes (plot.h, cr_plot_distributions).
 * A per-second count of a few users is mostly 0 with rare bursts hundreds of times the median:
 * on linear axes it is one bar at zero. Here x is log(1 + x), so 0, 1, 10 and 10,000 all
 * show, and bar heights are shares on a log axis, so a bar of one second in a million shows
 * beside the bar of the zeros. Bars are bins of equal width on the shared x axis, the same bins
 * in every panel; whole-number samples put whole numbers in a bar, a bar from its first value
 * up to the next bar's (a bin narrower than one value becomes that value's bar, from v to
 * v + 1), so that the axis starts at 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "report/plot.h"

#define MAX_PANELS 12
#define BINS 60

static double t_of(double v)
{
    return log10(1 + v);
}

static double v_of(double t)
{
    return pow(10, t) - 1;
}

/* What a panel shows, in displayed units (values / per). */
typedef struct {
    double per, lo, hi; /* the first bar's start and the last one's end */
    int whole;          /* every value a whole number */
} extent;

static void extent_of(const cr_plot_sample *s, extent *r)
{
    r->per = s->per > 0 ? s->per : 1;
    double mn = s->n ? INFINITY : 0, mx = s->n ? -INFINITY : 0;
    r->whole = 1;
    for (size_t i = 0; i < s->n; i++) {
        double x = s->x[i];
        mn = fmin(mn, x), mx = fmax(mx, x);
        r->whole &= x == floor(x);
    }
    r->lo = fmax(mn / r->per, -0.9); /* log(1 + x) ends at -1 */
    r->hi = (mx + r->whole) / r->per;
    for (int m = 0; m < s->nmarks; m++)
        r->hi = fmax(r->hi, s->marks[m].x / r->per);
}

/* Bar edges in the sample's own units: BINS equal steps of log(1 + x) from t0 to t1 in
 * displayed units, whole numbers for whole-number samples (duplicates dropped). */
static int edges_of(const extent *r, double t0, double t1, double *e)
{
    int n = 0;
    for (int j = 0; j <= BINS; j++) {
        double v = v_of(t0 + (t1 - t0) * j / BINS) * r->per;
        if (r->whole)
            v = floor(v + 1e-9);
        if (n == 0 || v > e[n - 1])
            e[n++] = v;
    }
    return n;
}

/* Share (%) of the sample in each bar between consecutive edges; values outside go to the
 * first or last bar. */
static void shares(const cr_plot_sample *s, const double *e, int ne, double *share)
{
    int nb = ne - 1;
    memset(share, 0, (size_t)nb * sizeof *share);
    for (size_t i = 0; i < s->n; i++) {
        int lo = 0, hi = nb; /* the bar b with e[b] <= x < e[b + 1] */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (s->x[i] >= e[mid])
                lo = mid;
            else
                hi = mid;
        }
        share[lo] += 1;
    }
    for (int b = 0; b < nb; b++)
        share[b] *= 100.0 / (double)s->n;
}

typedef struct {
    const cr_plot_dist *f;
    int n;
    extent ext[MAX_PANELS];
    double t0, t1, ymin;
    char ylabel[96];
} dist_figure;

static void panel(cr_plot *p, int index, const dist_figure *d)
{
    const cr_plot_sample *s = &d->f->s[index];
    const extent *r = &d->ext[index];
    double pad = 0.015 * (d->t1 - d->t0);
    cr_plot_axes ax = {.title = s->title, .xlabel = d->f->xlabel, .ylabel = d->ylabel,
                       .xmin = v_of(d->t0 - pad), .xmax = v_of(d->t1 + pad), .ymin = d->ymin,
                       .ymax = 100, .xscale = CR_PLOT_LOG1P, .yscale = CR_PLOT_LOG,
                       .ysuffix = "%", .rows = s->nmarks};
    cr_plot_panel(p, index, &ax);
    if (s->n > 0) {
        double e[BINS + 1], share[BINS];
        int ne = edges_of(r, d->t0, d->t1, e);
        shares(s, e, ne, share);
        for (int b = 0; b + 1 < ne; b++)
            if (share[b] > 0)
                cr_plot_rect(p, e[b] / r->per, e[b + 1] / r->per, d->ymin, share[b],
                             CR_PLOT_TINT(CR_PLOT_BLUE), CR_PLOT_BLUE);
    }
    for (int m = 0; m < s->nmarks; m++) {
        const cr_plot_mark *mk = &s->marks[m];
        cr_plot_vline(p, mk->x / r->per, mk->color, 2, mk->dashed);
        cr_plot_row_text(p, m, mk->x / r->per, mk->color, mk->label);
    }
}

static void draw_dist(cr_plot *p, void *ctx)
{
    const dist_figure *d = ctx;
    cr_plot_title(p, d->f->title, d->f->subtitle);
    cr_plot_legend(p, d->f->nkeys, d->f->keys);
    int cols, rows;
    cr_plot_grid_for(d->n, &cols, &rows);
    cr_plot_grid(p, cols, rows);
    for (int i = 0; i < d->n; i++)
        panel(p, i, d);
}

int cr_plot_distributions(const char *path_without_ext, const cr_plot_dist *f,
                          cr_plot_svg *keep, cr_err *e)
{
    dist_figure d = {.f = f, .n = f->n < MAX_PANELS ? f->n : MAX_PANELS, .t0 = INFINITY,
                     .t1 = -INFINITY};
    size_t most = 1;
    for (int i = 0; i < d.n; i++) {
        extent_of(&f->s[i], &d.ext[i]);
        d.t0 = fmin(d.t0, t_of(d.ext[i].lo));
        d.t1 = fmax(d.t1, t_of(d.ext[i].hi));
        most = f->s[i].n > most ? f->s[i].n : most;
    }
    if (!(d.t1 > d.t0 + 0.05)) /* one value everywhere, or nothing */
        d.t1 = (isfinite(d.t0) ? d.t0 : (d.t0 = 0)) + 0.05;
    /* down to the share of one value in the largest sample */
    d.ymin = pow(10, floor(log10(100.0 / (double)most)));
    snprintf(d.ylabel, sizeof d.ylabel, "%% of %s in each bar", f->unit ? f->unit : "values");
    return cr_plot_render(path_without_ext, 1600, 1000, draw_dist, &d, keep, e);
}
