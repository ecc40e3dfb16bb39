#include "report/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANELS 12

typedef struct {
    const cr_ppc_result *res;
    const char *const *ids;
    const char *title;
    int kind;
    int n;
    const cr_ppc_check *panel[MAX_PANELS];
} ppc_figure;

/* Whether x misfits worse than y: more failures, then a more extreme p-value, then order. */
static int worse(const cr_ppc_check *x, const cr_ppc_check *y)
{
    if (x->nfail != y->nfail)
        return x->nfail > y->nfail;
    if (x->tail != y->tail)
        return x->tail < y->tail;
    return x->machine < y->machine;
}

static int shown(const ppc_figure *f, const cr_ppc_check *c)
{
    for (int i = 0; i < f->n; i++)
        if (f->panel[i] == c)
            return 1;
    return 0;
}

static void choose_panels(ppc_figure *f)
{
    const cr_ppc_result *r = f->res;
    f->n = 0;
    if (r->nmachines <= MAX_PANELS) {
        for (int k = 0; k < r->nmachines; k++)
            f->panel[f->n++] = &r->machines[k];
        return;
    }
    f->panel[f->n++] = &r->pooled;
    while (f->n < MAX_PANELS) {
        const cr_ppc_check *best = NULL;
        for (int k = 0; k < r->nmachines; k++)
            if (!shown(f, &r->machines[k]) && (!best || worse(&r->machines[k], best)))
                best = &r->machines[k];
        f->panel[f->n++] = best;
    }
}

static void machine_label(const ppc_figure *f, const cr_ppc_check *c, char *buf, size_t n)
{
    if (c->machine < 0)
        snprintf(buf, n, "pooled (%d machines)", f->res->nmachines);
    else if (f->ids)
        snprintf(buf, n, "%s", f->ids[c->machine]);
    else
        snprintf(buf, n, "machine %d", c->machine + 1);
}

/* Title "m1: 9 checks fail", subtitle "3600 s · var (p=0.000), ...; classes 0 2". */
static void panel_text(const ppc_figure *f, const cr_ppc_check *c, char *title, size_t tn,
                       char *sub, size_t sn)
{
    char who[160];
    machine_label(f, c, who, sizeof who);
    size_t len = (size_t)snprintf(sub, sn, "%zu s · ", c->nseconds);
    if (c->nfail == 0) {
        snprintf(title, tn, "%s: passes", who);
        snprintf(sub + len, sn - len, "p-values in [%g, %g], classes in band", f->res->p_lo,
                 f->res->p_hi);
        return;
    }
    snprintf(title, tn, "%s: %d check%s fail%s", who, c->nfail, c->nfail > 1 ? "s" : "",
             c->nfail > 1 ? "" : "s");
    int first = 1;
    for (int s = 0; s < CR_PPC_NSTATS && len < sn; s++) {
        if (!c->stat[s].fail)
            continue;
        len += (size_t)snprintf(sub + len, sn - len, "%s%s (p=%.3f)", first ? "" : ", ",
                                cr_ppc_stat_names[s], c->stat[s].p);
        first = 0;
    }
    int lead = 1;
    for (int j = 0; j < c->ncls && len < sn; j++) {
        if (!c->cls_fail[j])
            continue;
        char cls[32];
        cr_ppc_class_label(c, j, cls, sizeof cls);
        len += (size_t)snprintf(sub + len, sn - len, "%s%s", lead ? (first ? "classes " : "; classes ") : " ", cls);
        lead = 0;
    }
}

static double root(double v)
{
    return sqrt(v > 0 ? v : 0);
}

static void tail_label(cr_plot *p, const cr_ppc_check *c, double y)
{
    char cls[32];
    snprintf(cls, sizeof cls, "≥%d", c->ncls - 1);
    cr_plot_text(p, c->ncls - 1, y, 0.5, 0.85, CR_PLOT_AXIS, cls);
}

static void rootogram_panel(cr_plot *p, int index, const ppc_figure *f, const cr_ppc_check *c)
{
    int n = c->ncls;
    double ymin = 0, ymax = 0;
    for (int j = 0; j < n; j++) {
        double e = root(c->cls_mean[j]);
        double lows[2] = {e - root(c->cls_obs[j]), e - root(c->cls_hi[j])};
        ymax = fmax(ymax, fmax(e, e - root(c->cls_lo[j])));
        ymin = fmin(ymin, fmin(lows[0], lows[1]));
    }
    cr_plot_pad(&ymin, &ymax, 0.06, 0);
    char title[400], sub[600];
    panel_text(f, c, title, sizeof title, sub, sizeof sub);
    cr_plot_axes ax = {.title = title, .xlabel = "count in one second",
                       .ylabel = "√(number of seconds)", .xmin = -0.7, .xmax = n - 0.3,
                       .ymin = ymin, .ymax = ymax, .subtitle = sub,
                       .subtitle_color = c->nfail ? CR_PLOT_RED : CR_PLOT_GREEN};
    cr_plot_panel(p, index, &ax);
    double w = n > 30 ? 0.45 : 0.4;
    for (int j = 0; j < n; j++) {
        double e = root(c->cls_mean[j]);
        int fill = c->cls_fail[j] ? CR_PLOT_TINT(CR_PLOT_RED) : CR_PLOT_TINT(CR_PLOT_GREY);
        int edge = c->cls_fail[j] ? CR_PLOT_RED : CR_PLOT_AXIS;
        cr_plot_rect(p, j - w, j + w, e - root(c->cls_obs[j]), e, fill, n > 40 ? -1 : edge);
    }
    for (int j = 0; j < n; j++) {
        double e = root(c->cls_mean[j]);
        cr_plot_rect(p, j - w - 0.05, j + w + 0.05, e - root(c->cls_hi[j]),
                     e - root(c->cls_lo[j]), CR_PLOT_TINT(CR_PLOT_SKY), -1);
    }
    cr_plot_hline(p, 0, CR_PLOT_INK, 1.2, 0);
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int j = 0; j < n; j++)
        x[j] = j, y[j] = root(c->cls_mean[j]);
    cr_plot_line(p, n, x, y, CR_PLOT_BLUE, 2.5, 0);
    cr_plot_points(p, n, x, y, CR_PLOT_BLUE, n > 30 ? 6 : 9);
    tail_label(p, c, ymin + 0.04 * (ymax - ymin));
    free(x);
    free(y);
}

static void density_panel(cr_plot *p, int index, const ppc_figure *f, const cr_ppc_check *c)
{
    int n = c->ncls;
    double N = (double)c->nseconds, floor_share = 0.5 / N, ymax = floor_share;
    double *x = malloc((size_t)n * sizeof *x), *lo = malloc((size_t)n * sizeof *lo);
    double *hi = malloc((size_t)n * sizeof *hi), *med = malloc((size_t)n * sizeof *med);
    double *ox = malloc((size_t)n * sizeof *ox), *oy = malloc((size_t)n * sizeof *oy);
    double *fx = malloc((size_t)n * sizeof *fx), *fy = malloc((size_t)n * sizeof *fy);
    int no = 0, nf = 0;
    for (int j = 0; j < n; j++) {
        x[j] = j;
        lo[j] = c->cls_lo[j] / N;
        hi[j] = c->cls_hi[j] / N;
        med[j] = c->cls_median[j] / N;
        ymax = fmax(ymax, fmax(hi[j], c->cls_obs[j] / N));
        if (c->cls_obs[j] <= 0)
            continue;
        int *k = c->cls_fail[j] ? &nf : &no;
        double *px = c->cls_fail[j] ? fx : ox, *py = c->cls_fail[j] ? fy : oy;
        px[*k] = j;
        py[(*k)++] = c->cls_obs[j] / N;
    }
    double ymin = floor_share;
    cr_plot_pad(&ymin, &ymax, 0.1, 1);
    char title[400], sub[600];
    panel_text(f, c, title, sizeof title, sub, sizeof sub);
    cr_plot_axes ax = {.title = title, .xlabel = "count in one second",
                       .ylabel = "share of seconds", .xmin = -0.7, .xmax = n - 0.3, .ymin = ymin,
                       .ymax = ymax, .yscale = CR_PLOT_LOG, .subtitle = sub,
                       .subtitle_color = c->nfail ? CR_PLOT_RED : CR_PLOT_GREEN};
    cr_plot_panel(p, index, &ax);
    cr_plot_band(p, n, x, lo, hi, CR_PLOT_TINT(CR_PLOT_BLUE));
    cr_plot_line(p, n, x, med, CR_PLOT_BLUE, 2.5, 0);
    double ms = n > 30 ? 7 : 10;
    cr_plot_points(p, no, ox, oy, CR_PLOT_INK, ms);
    cr_plot_points(p, nf, fx, fy, CR_PLOT_RED, ms * 1.2);
    tail_label(p, c, ymin * pow(ymax / ymin, 0.05));
    free(x), free(lo), free(hi), free(med), free(ox), free(oy), free(fx), free(fy);
}

static void draw_ppc(cr_plot *p, void *ctx)
{
    ppc_figure *f = ctx;
    const cr_ppc_result *r = f->res;
    int failing = 0;
    for (int k = 0; k < r->nmachines; k++)
        failing += r->machines[k].nfail > 0;
    char sub[400];
    snprintf(sub, sizeof sub,
             "%d posterior predictive replicates, %g%% bands · %d of %d machines fail a check · "
             "pooled: %s%s",
             r->nuse, 100 * f->res->band, failing, r->nmachines,
             r->pooled.nfail ? "fails" : "passes",
             r->nmachines > MAX_PANELS ? " · shown: pooled and the worst machines" : "");
    cr_plot_title(p, f->title, sub);
    char bandlab[64];
    if (f->kind == CR_PLOT_ROOTOGRAM) {
        snprintf(bandlab, sizeof bandlab, "%g%% band for bar bottoms", 100 * f->res->band);
        cr_plot_key keys[] = {{"expected (predictive mean)", CR_PLOT_KEY_LINE, CR_PLOT_BLUE},
                              {"observed, hanging", CR_PLOT_KEY_BOX, CR_PLOT_TINT(CR_PLOT_GREY)},
                              {bandlab, CR_PLOT_KEY_BOX, CR_PLOT_TINT(CR_PLOT_SKY)},
                              {"outside band", CR_PLOT_KEY_BOX, CR_PLOT_TINT(CR_PLOT_RED)}};
        cr_plot_legend(p, 4, keys);
    } else {
        snprintf(bandlab, sizeof bandlab, "%g%% predictive band", 100 * f->res->band);
        cr_plot_key keys[] = {{"observed", CR_PLOT_KEY_POINT, CR_PLOT_INK},
                              {"predictive median", CR_PLOT_KEY_LINE, CR_PLOT_BLUE},
                              {bandlab, CR_PLOT_KEY_BOX, CR_PLOT_TINT(CR_PLOT_BLUE)},
                              {"outside band", CR_PLOT_KEY_POINT, CR_PLOT_RED}};
        cr_plot_legend(p, 4, keys);
    }
    int cols, rows;
    cr_plot_grid_for(f->n, &cols, &rows);
    cr_plot_grid(p, cols, rows);
    for (int i = 0; i < f->n; i++) {
        if (f->kind == CR_PLOT_ROOTOGRAM)
            rootogram_panel(p, i, f, f->panel[i]);
        else
            density_panel(p, i, f, f->panel[i]);
    }
}

int cr_plot_ppc(const char *path_without_ext, int kind, const cr_ppc_result *res,
                const char *const *ids, const char *title, cr_plot_svg *keep, cr_err *e)
{
    ppc_figure f = {.res = res, .ids = ids, .title = title, .kind = kind};
    choose_panels(&f);
    return cr_plot_render(path_without_ext, 1600, 1000, draw_ppc, &f, keep, e);
}
