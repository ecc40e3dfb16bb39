/* Report figures: a small layer over PLplot's cairo devices that draws every figure twice, as
 * PATH.png and PATH.svg, from one drawing callback, in memory first: the files are written
 * whole or not at all (common/outfile.h), and a page can embed the SVG without reading it
 * back. Output depends only on the inputs (no dates or host names are embedded), so the same
 * inputs give byte-identical files.
 *
 * PLplot keeps global state, so figures are drawn one at a time under a process-wide lock:
 * callers may render from several threads, the drawing itself is serialised.
 *
 * A figure is a title strip (title, subtitle, a legend row) above a grid of panels; inside a panel
 * everything is in data coordinates, and log axes take data values (they are transformed
 * here). Text is UTF-8; PLplot's escape character '#' is escaped here, so any label is
 * literal. */
#ifndef CR_PLOT_H
#define CR_PLOT_H

#include <stddef.h>

#include "common/err.h"
#include "ppc/ppc.h"

/* Colours: the Okabe-Ito palette (distinguishable with colour-blindness), plus greys.
 * CR_PLOT_TINT(c) is c translucent, for bands and fills behind lines. */
enum { CR_PLOT_WHITE, CR_PLOT_INK, CR_PLOT_GRID, CR_PLOT_AXIS, CR_PLOT_BLUE, CR_PLOT_ORANGE,
       CR_PLOT_GREEN, CR_PLOT_RED, CR_PLOT_PURPLE, CR_PLOT_SKY, CR_PLOT_GREY, CR_PLOT_YELLOW,
       CR_PLOT_NCOLORS };
#define CR_PLOT_TINT(c) ((c) + 16)

typedef struct cr_plot cr_plot;
typedef void (*cr_plot_draw_fn)(cr_plot *p, void *ctx);

/* A figure's SVG text kept in memory, for a page that embeds it. */
typedef struct {
    char *text;
    size_t len;
} cr_plot_svg;
void cr_plot_svg_free(cr_plot_svg *s);

/* Draws the figure, width x height pixels (0: 1600 x 1000), in memory with PLplot's cairo
 * devices, then writes path_without_ext.png and .svg (each whole or not at all) unless
 * path_without_ext is NULL; the SVG text goes to *keep when keep is not NULL (free it with
 * cr_plot_svg_free). The same figure gives the same bytes. */
int cr_plot_render(const char *path_without_ext, int width, int height, cr_plot_draw_fn draw,
                   void *ctx, cr_plot_svg *keep, cr_err *e);

/* The title strip; subtitle may be NULL. Call once, before the panels. */
void cr_plot_title(cr_plot *p, const char *title, const char *subtitle);

/* Splits the area below the title into ncols x nrows panels (the default is 1 x 1). */
void cr_plot_grid(cr_plot *p, int ncols, int nrows);

typedef struct {
    const char *title, *xlabel, *ylabel;
    double xmin, xmax, ymin, ymax; /* data units, also on log axes (then > 0) */
    int logx, logy;
    const char *subtitle; /* optional smaller line under the title, cut to the panel's width */
    int subtitle_color;
} cr_plot_axes;

/* Starts panel `index` (row-major in the grid): frame, grid lines, ticks, labels, title. */
void cr_plot_panel(cr_plot *p, int index, const cr_plot_axes *ax);

/* Line through n points; dashed 0 solid, 1 dashed, 2 dotted. Points outside a log axis'
 * range are clamped to its edge. */
void cr_plot_line(cr_plot *p, int n, const double *x, const double *y, int color, double width,
                  int dashed);
/* Filled region between lo and hi over x (a polygon; for steps pass doubled points). */
void cr_plot_band(cr_plot *p, int n, const double *x, const double *lo, const double *hi,
                  int color);
/* Filled rectangle, with an outline in `edge` unless edge < 0. */
void cr_plot_rect(cr_plot *p, double x0, double x1, double y0, double y1, int color, int edge);
/* Filled circles of the given diameter in pixels. */
void cr_plot_points(cr_plot *p, int n, const double *x, const double *y, int color,
                    double size);
/* Lines across the whole panel. */
void cr_plot_vline(cr_plot *p, double x, int color, double width, int dashed);
void cr_plot_hline(cr_plot *p, double y, int color, double width, int dashed);
/* Text at a data point; just 0 left, 0.5 centred, 1 right; size relative to tick labels. */
void cr_plot_text(cr_plot *p, double x, double y, double just, double size, int color,
                  const char *text);

enum { CR_PLOT_KEY_LINE, CR_PLOT_KEY_DASHED, CR_PLOT_KEY_BOX, CR_PLOT_KEY_POINT };
typedef struct {
    const char *label;
    int kind;  /* CR_PLOT_KEY_* */
    int color;
} cr_plot_key;
/* One-row legend under the title (call after cr_plot_title, before the panels). */
void cr_plot_legend(cr_plot *p, int n, const cr_plot_key *keys);

/* Axis range helpers: [lo, hi] widened by a fraction pad of its width on both sides (on log
 * axes by that fraction of a decade). */
void cr_plot_pad(double *lo, double *hi, double pad, int log);

/* ---- Figures built on the above ---- */

/* Posterior predictive check figures of a cr_ppc_result: one panel per machine when there are
 * at most 12, otherwise the pooled check and the 11 worst machines (most failures, then most
 * extreme p-value). Failing classes are drawn in red.
 *   CR_PLOT_ROOTOGRAM: hanging rootogram (Kleiber & Zeileis 2016) -- sqrt of the expected
 *     number of seconds per count class as a curve, bars of sqrt(observed) hanging from it,
 *     and the band sqrt(E) - sqrt(band) their bottoms should reach around the zero line.
 *   CR_PLOT_DENSITY: the count distribution on a log scale -- observed share of seconds as
 *     points, the predictive median as a line and its band. */
enum { CR_PLOT_ROOTOGRAM, CR_PLOT_DENSITY };
int cr_plot_ppc(const char *path_without_ext, int kind, const cr_ppc_result *res,
                const char *const *ids, const char *title, cr_plot_svg *keep, cr_err *e);

/* A distribution drawn as a histogram of samples with its 50%, 95% and 99% quantiles
 * (type 7) marked and labelled, up to its 99.9th percentile (the share beyond and the largest
 * sample are written in the panel). Integer-valued samples over a short range get one bar per
 * value; otherwise about 60 equal bins. */
typedef struct {
    const char *title;
    const double *x;
    size_t n;
} cr_plot_sample;
/* One panel per sample (up to 12), sharing xlabel. */
int cr_plot_distributions(const char *path_without_ext, const char *title, const char *xlabel,
                          int n, const cr_plot_sample *s, cr_plot_svg *keep, cr_err *e);
/* Panel-level form for composite figures. */
void cr_plot_distribution_panel(cr_plot *p, int index, const char *xlabel,
                                const cr_plot_sample *s);

/* Lines of values against N on log-log axes, e.g. quantiles of a sizing quantity against the
 * number of users; each series is drawn with points at the N values. */
typedef struct {
    const char *label;
    const double *y; /* one per N */
    int color;
    int dashed;
} cr_plot_series;
typedef struct {
    const char *title, *ylabel;
    int nx;
    const double *x; /* N values */
    int nseries;
    const cr_plot_series *series;
} cr_plot_loglog;
/* One panel per entry (up to 12) with a shared xlabel and a legend from the first panel. */
int cr_plot_loglogs(const char *path_without_ext, const char *title, const char *xlabel, int n,
                    const cr_plot_loglog *panels, cr_plot_svg *keep, cr_err *e);
void cr_plot_loglog_panel(cr_plot *p, int index, const char *xlabel, const cr_plot_loglog *l);

/* Columns x rows for n panels in a wide figure (1 -> 1x1, 2 -> 2x1, 4 -> 2x2, 12 -> 4x3). */
void cr_plot_grid_for(int n, int *ncols, int *nrows);

#endif
