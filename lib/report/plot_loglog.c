#include "report/plot.h"

#include <math.h>

#define MAX_PANELS 12

void cr_plot_loglog_panel(cr_plot *p, int index, const char *xlabel, const cr_plot_loglog *l)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < l->nx; i++) {
        if (l->x[i] > 0)
            xmin = fmin(xmin, l->x[i]), xmax = fmax(xmax, l->x[i]);
        for (int s = 0; s < l->nseries; s++)
            if (l->series[s].y[i] > 0)
                ymin = fmin(ymin, l->series[s].y[i]), ymax = fmax(ymax, l->series[s].y[i]);
    }
    if (!(xmin <= xmax))
        xmin = 1, xmax = 10;
    if (!(ymin <= ymax))
        ymin = 1, ymax = 10;
    cr_plot_pad(&xmin, &xmax, 0.08, 1);
    cr_plot_pad(&ymin, &ymax, 0.15, 1);
    cr_plot_axes ax = {.title = l->title, .xlabel = xlabel, .ylabel = l->ylabel, .xmin = xmin,
                       .xmax = xmax, .ymin = ymin, .ymax = ymax, .xscale = CR_PLOT_LOG,
                       .yscale = CR_PLOT_LOG};
    cr_plot_panel(p, index, &ax);
    for (int s = 0; s < l->nseries; s++) {
        const cr_plot_series *se = &l->series[s];
        cr_plot_line(p, l->nx, l->x, se->y, se->color, 2.5, se->dashed);
        cr_plot_points(p, l->nx, l->x, se->y, se->color, 10);
    }
}

typedef struct {
    const char *title, *xlabel;
    int n;
    const cr_plot_loglog *panels;
} loglog_figure;

static void draw_loglog(cr_plot *p, void *ctx)
{
    const loglog_figure *f = ctx;
    cr_plot_title(p, f->title, NULL);
    cr_plot_key keys[8];
    int nk = 0;
    for (int s = 0; f->n > 0 && s < f->panels[0].nseries && nk < 8; s++) {
        const cr_plot_series *se = &f->panels[0].series[s];
        keys[nk++] = (cr_plot_key){se->label, se->dashed ? CR_PLOT_KEY_DASHED : CR_PLOT_KEY_LINE,
                                   se->color};
    }
    cr_plot_legend(p, nk, keys);
    int cols, rows, n = f->n < MAX_PANELS ? f->n : MAX_PANELS;
    cr_plot_grid_for(n, &cols, &rows);
    cr_plot_grid(p, cols, rows);
    for (int i = 0; i < n; i++)
        cr_plot_loglog_panel(p, i, f->xlabel, &f->panels[i]);
}

int cr_plot_loglogs(const char *path_without_ext, const char *title, const char *xlabel, int n,
                    const cr_plot_loglog *panels, cr_plot_svg *keep, cr_err *e)
{
    loglog_figure f = {title, xlabel, n, panels};
    return cr_plot_render(path_without_ext, 1600, 1000, draw_loglog, &f, keep, e);
}
