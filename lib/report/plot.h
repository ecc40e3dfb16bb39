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

/* Axis scales. LOG1P is log10(1 + x): close to linear below 1 and logarithmic beyond, so a
 * count's zeros, its body and a tail decades long share one axis. */
enum { CR_PLOT_LINEAR, CR_PLOT_LOG, CR_PLOT_LOG1P };

typedef struct {
    const char *title, *xlabel, *ylabel;
    double xmin, xmax, ymin, ymax; /* data units on every scale (> 0 on LOG, > -1 on LOG1P) */
    int xscale, yscale;            /* CR_PLOT_LINEAR (0), CR_PLOT_LOG, CR_PLOT_LOG1P */
    const char *subtitle; /* optional smaller line under the title, cut to the panel's width */
    int subtitle_color;
    const char *xsuffix, *ysuffix; /* appended to every tick label ("%"), or NULL */
    /* Text rows kept free above ymax for cr_plot_row_text (labels of marked values), so that
     * they never sit on the data or on one another. */
    int rows;
} cr_plot_axes;

/* Starts panel `index` (row-major in the grid): frame, grid lines, ticks, labels, title. The
 * ticks are cr_plot_ticks', so no two labels meet, and the y axis' title stands clear of its
 * widest tick label. */
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
/* Filled circles of the given diameter in pixels (polygons, not text). */
void cr_plot_points(cr_plot *p, int n, const double *x, const double *y, int color,
                    double size);
/* Lines across the whole panel. */
void cr_plot_vline(cr_plot *p, double x, int color, double width, int dashed);
void cr_plot_hline(cr_plot *p, double y, int color, double width, int dashed);
/* Text at a data point; just 0 left, 0.5 centred, 1 right; size relative to tick labels. */
void cr_plot_text(cr_plot *p, double x, double y, double just, double size, int color,
                  const char *text);
/* Text in reserved row `row` (0: the top one; cr_plot_axes.rows) beside data x: to its right,
 * or to its left when the panel's right edge is too near. */
void cr_plot_row_text(cr_plot *p, int row, double x, int color, const char *text);

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

/* ---- Ticks and text boxes (plot_ticks.c, plot_svg.c) ---- */

typedef struct {
    double v;
    char label[32];
} cr_plot_tick;

/* The major ticks of an axis of scale `scale` from lo to hi (data units), len_px pixels long,
 * labelled in a font em_px pixels high: the densest of the usual series (steps of 1, 2, 5 x
 * 10^k; on LOG 1..9, 1-2-5, 1-3 per decade, every decade, every k-th decade; LOG1P adds 0) whose
 * labels keep a gap of at least one em between them and stick out at most room_lo and room_hi
 * pixels past the axis' ends. A horizontal axis' labels are as wide as their text; a vertical
 * axis' (stacked lines) one line high. Labels are short: 1.5k, 20k, 3M, 0.05, 10⁻⁵, with suffix
 * appended (NULL: none). At most max ticks; returns how many (0 only for an empty range). */
int cr_plot_ticks(int scale, double lo, double hi, double len_px, double em_px, int vertical,
                  const char *suffix, double room_lo, double room_hi, cr_plot_tick *out, int max);
/* A tick label for v, as precise as a step of `step` needs (step <= 0: v's own magnitude). */
void cr_plot_tick_label(double v, double step, const char *suffix, char *buf, size_t n);
/* Width in pixels of UTF-8 text in DejaVu Sans (the face cairo picks for "sans") em_px high,
 * from its advance widths, rounded up. */
double cr_plot_text_px(const char *s, double em_px);

/* The ink box of one string of a figure, in pixels from the top left. */
typedef struct {
    double x0, y0, x1, y1;
} cr_plot_box;
/* The boxes of every string an SVG drawn here shows (cairo draws a string as one group of glyph
 * references), from the glyphs' outlines; *out is allocated (free it). Returns how many. */
size_t cr_plot_svg_text_boxes(const cr_plot_svg *svg, cr_plot_box **out);
/* 0 when no two strings of svg touch and none leaves the width x height page; else the number
 * of such faults, the first described in why (its boxes). */
int cr_plot_svg_text_faults(const cr_plot_svg *svg, int width, int height, char *why,
                            size_t n);

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

/* Distributions of large samples made of many zeros, a body and a tail decades long (per-second
 * counts of bursty users): one panel per sample, every panel on the same axes so they compare
 * at a glance. A histogram whose bars are of equal width on a log(1 + x) axis (one bar per
 * value where values are fewer than bars), heights the share of values in each bar on a log
 * axis, so that one second in a million still shows; every panel's values divided by its `per`
 * (N users: per user) first. Marked values get a line and a label in a row of their own. */
typedef struct {
    double x;          /* in the sample's units (divided by `per` like the sample) */
    const char *label; /* e.g. "99%: 34,668" */
    int color, dashed;
} cr_plot_mark;
typedef struct {
    const char *title;
    const double *x;
    size_t n;
    double per; /* the values are shown divided by this; 0 means 1 */
    int nmarks;
    const cr_plot_mark *marks;
} cr_plot_sample;
typedef struct {
    const char *title, *subtitle, *xlabel;
    const char *unit; /* what one value is, plural ("seconds"): the y axis is its share */
    int nkeys;
    const cr_plot_key *keys; /* the legend: what the marks mean */
    int n;                   /* panels, at most 12 */
    const cr_plot_sample *s;
} cr_plot_dist;
int cr_plot_distributions(const char *path_without_ext, const cr_plot_dist *f,
                          cr_plot_svg *keep, cr_err *e);

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
