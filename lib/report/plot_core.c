#include "report/plot.h"

#include <errno.h>
#include <math.h>
#include <plplot.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/xalloc.h"

/* Pixel sizes at 1600 x 1000; everything scales with the figure's height. */
#define TICK_PX 17.0
#define LABEL_PX 19.0
#define PANEL_TITLE_PX 20.0
#define TITLE_PX 28.0
#define SUBTITLE_PX 18.0
/* PLplot's character height for scale 1 on these devices, in pixels of a 1000 px page. */
#define PLPLOT_CHAR_PX 30.0
/* What cairo makes of a size of px: glyphs of an em of EM x px (DejaVu Sans' advance widths
 * are in ems), and PLplot's unit of text displacement, the height of a capital, CAP x px; text
 * is centred on its reference point at half that height. Measured on the SVG (plot_svg.c). */
#define EM 1.2
#define CAP (0.729 * EM)

struct cr_plot {
    int width, height;
    int ncols, nrows;
    double strip;     /* height of the title strip, pixels of a 1000 px-high page */
    double fs;        /* panel text scale: smaller in dense grids */
    cr_plot_axes ax;  /* of the current panel */
    double vx0, vx1, vy0, vy1; /* its viewport */
    double wx0, wx1, wy0, wy1; /* its world window (transformed units; wy1 above the rows) */
    double wpx, hpx;  /* its size in pixels */
    double row_px;    /* height of a reserved text row */
    double *bx, *by;  /* coordinate scratch */
    size_t bcap;
    char *text;       /* escaped-text scratch */
    size_t tcap;
    char *cut;        /* shortened-text scratch */
    size_t ccap;
};

static const unsigned char palette[CR_PLOT_NCOLORS][3] = {
    {255, 255, 255}, {34, 34, 34},  {228, 228, 228}, {90, 90, 90},
    {0, 114, 178},   {230, 159, 0}, {0, 158, 115},   {213, 94, 0},
    {204, 121, 167}, {86, 180, 233}, {150, 150, 150}, {240, 228, 66},
};

static void set_palette(void)
{
    plscmap0n(32);
    for (int c = 0; c < 16; c++) {
        const unsigned char *rgb = palette[c < CR_PLOT_NCOLORS ? c : CR_PLOT_GREY];
        plscol0a(c, rgb[0], rgb[1], rgb[2], 1.0);
        plscol0a(CR_PLOT_TINT(c), rgb[0], rgb[1], rgb[2], 0.28);
    }
}

static double scale_of(const cr_plot *p)
{
    return p->height / 1000.0;
}

/* PLplot character scale for a glyph height in pixels of a 1000 px-high figure. */
/* Panel text of px pixels (at 1000 px height, before the grid's scaling). */
static void font_px(const cr_plot *p, double px)
{
    plschr(0, px * scale_of(p) * p->fs / PLPLOT_CHAR_PX);
}

/* Figure-level text (title strip, legend): not scaled with the grid. */
static void font_fig(const cr_plot *p, double px)
{
    plschr(0, px * scale_of(p) / PLPLOT_CHAR_PX);
}

/* Page y of a position px pixels (at 1000 px height) below the top edge. */
static double from_top(double px)
{
    return 1 - px / 1000.0;
}

/* PLplot treats '#' as an escape; doubling it makes every label literal. */
static const char *esc(cr_plot *p, const char *s)
{
    size_t n = 1;
    for (const char *c = s; *c; c++)
        n += *c == '#' ? 2 : 1;
    xgrow(&p->text, &p->tcap, n, 1);
    char *o = p->text;
    for (const char *c = s; *c; c++) {
        if (*c == '#')
            *o++ = '#';
        *o++ = *c;
    }
    *o = 0;
    return p->text;
}

/* Cuts text in a font of em pixels longer than room pixels, ending it with an ellipsis. */
static const char *fit_width(cr_plot *p, const char *s, double em, double room)
{
    if (cr_plot_text_px(s, em) <= room)
        return s;
    size_t n = strlen(s);
    xgrow(&p->cut, &p->ccap, n + 4, 1);
    size_t k = n;
    do {
        k--;
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
            k--;
        memcpy(p->cut, s, k);
        strcpy(p->cut + k, "…");
    } while (k > 0 && cr_plot_text_px(p->cut, em) > room);
    return p->cut;
}

/* A data value in the window's units: log10 on LOG axes, log10(1 + v) on LOG1P ones, values
 * below the axis' start (lo) clamped to it there. */
static double tx(double v, int scale, double lo)
{
    if (scale == CR_PLOT_LOG)
        return log10(v > lo ? v : lo);
    if (scale == CR_PLOT_LOG1P)
        return log10(1 + (v > lo ? v : lo));
    return v;
}

/* Copies n points into scratch, on the log scale where the axes are. */
static void to_world(cr_plot *p, int n, const double *x, const double *y)
{
    xgrow(&p->bx, &p->bcap, (size_t)n + 1, sizeof *p->bx);
    p->by = xrealloc(p->by, p->bcap * sizeof *p->by);
    for (int i = 0; i < n; i++) {
        p->bx[i] = tx(x[i], p->ax.xscale, p->ax.xmin);
        p->by[i] = tx(y[i], p->ax.yscale, p->ax.ymin);
    }
}

static void line_style(double width, int dashed, double scale)
{
    static const PLINT mark[] = {1500}, space[] = {1200};
    static const PLINT dmark[] = {300}, dspace[] = {900};
    if (dashed == 1)
        plstyl(1, mark, space);
    else if (dashed == 2)
        plstyl(1, dmark, dspace);
    else
        plstyl(0, NULL, NULL);
    plwidth(width * scale);
}

void cr_plot_pad(double *lo, double *hi, double pad, int log)
{
    if (log) {
        double f = pow(10, pad);
        *lo /= f;
        *hi *= f;
        return;
    }
    double w = *hi - *lo;
    if (!(w > 0))
        w = fabs(*hi) > 0 ? fabs(*hi) : 1;
    *lo -= pad * w;
    *hi += pad * w;
}

void cr_plot_grid_for(int n, int *ncols, int *nrows)
{
    n = n > 0 ? n : 1;
    /* About as many columns per row as the 16:10 page is wide, then no empty column. */
    int c = (int)ceil(sqrt(1.6 * n));
    c = c < n ? c : n;
    int r = (n + c - 1) / c;
    while (c > 1 && (c - 1) * r >= n)
        c--;
    *ncols = c;
    *nrows = r;
}

void cr_plot_title(cr_plot *p, const char *title, const char *subtitle)
{
    p->strip = subtitle ? 92 : 62;
    plvpor(0, 1, 0, 1);
    plwind(0, 1, 0, 1);
    plcol0(CR_PLOT_INK);
    font_fig(p, TITLE_PX);
    double room = (1 - 2 * 0.016) * p->width, k = EM * scale_of(p);
    plptex(0.016, from_top(44), 1, 0, 0, esc(p, fit_width(p, title, TITLE_PX * k, room)));
    if (subtitle) {
        plcol0(CR_PLOT_AXIS);
        font_fig(p, SUBTITLE_PX);
        plptex(0.016, from_top(76), 1, 0, 0, esc(p, fit_width(p, subtitle, SUBTITLE_PX * k, room)));
    }
}

void cr_plot_grid(cr_plot *p, int ncols, int nrows)
{
    p->ncols = ncols > 0 ? ncols : 1;
    p->nrows = nrows > 0 ? nrows : 1;
    int dense = p->nrows > p->ncols ? p->nrows : p->ncols;
    p->fs = dense >= 4 || p->nrows >= 3 ? 0.8 : dense == 3 || p->nrows == 2 ? 0.9 : 1;
}

/* Tick marks along the bottom (x) or left (y) edge at data values v, len_px long, inwards. */
static void tick_mark(const cr_plot *p, int y_axis, double v, double len_px)
{
    if (y_axis) {
        double w = tx(v, p->ax.yscale, p->ax.ymin), d = len_px / p->wpx * (p->wx1 - p->wx0);
        pljoin(p->wx0, w, p->wx0 + d, w);
    } else {
        double w = tx(v, p->ax.xscale, p->ax.xmin), d = len_px / p->hpx * (p->wy1 - p->wy0);
        pljoin(w, p->wy0, w, p->wy0 + d);
    }
}

/* Unlabelled ticks at 2..9 x 10^d on a LOG axis (or the part of a LOG1P axis above 1), when a
 * decade is long enough for them to read as a scale. */
static void minor_ticks(const cr_plot *p, int y_axis, double lo, double hi, double len_px)
{
    int scale = y_axis ? p->ax.yscale : p->ax.xscale;
    if (scale == CR_PLOT_LINEAR)
        return;
    double from = scale == CR_PLOT_LOG ? lo : fmax(lo, 1);
    if (!(from > 0) || !(hi > from))
        return;
    double t0 = tx(lo, scale, lo), t1 = tx(hi, scale, lo);
    if (len_px / (t1 - t0) < 40 * scale_of(p) * p->fs) /* pixels per decade */
        return;
    for (int d = (int)floor(log10(from)); d <= (int)floor(log10(hi)); d++)
        for (int m = 2; m <= 9; m++) {
            double v = m * pow(10, d);
            if (v > from && v < hi)
                tick_mark(p, y_axis, v, 4 * scale_of(p));
        }
}

void cr_plot_panel(cr_plot *p, int index, const cr_plot_axes *ax)
{
    p->ax = *ax;
    int col = index % p->ncols, row = index / p->ncols;
    double top = from_top(p->strip + 6), cw = 1.0 / p->ncols, ch = top / p->nrows;
    /* Margins in pixels: room for tick labels, axis labels and the panel title. */
    double k = scale_of(p) * p->fs;
    double tick_em = EM * TICK_PX * k, label_em = EM * LABEL_PX * k;
    double tick_cap = CAP * TICK_PX * k, label_cap = CAP * LABEL_PX * k;
    /* Below the frame: a gap, the x tick labels (a capital and a descent high), a gap, the x
     * title (ascent and descent about its centre); the bottom margin holds them. */
    double xtick_c = 0.45 * tick_em + 0.5 * tick_cap;
    double xlab_c = xtick_c + 0.5 * tick_cap + 0.24 * tick_em + 0.35 * tick_em + 0.4 * label_em;
    double mb_px = fmax(64.0 * k, xlab_c + 0.6 * label_em + 3 * k);
    double mb = mb_px / p->height, mt = (ax->subtitle ? 60.0 : 38.0) * k / p->height;
    p->vy1 = top - row * ch - mt;
    p->vy0 = top - (row + 1) * ch + mb;
    p->hpx = (p->vy1 - p->vy0) * p->height;
    /* Rows of text kept free above the data, so the data's ticks stop at ymax. */
    p->row_px = 1.3 * tick_em;
    double reserve = ax->rows > 0 ? fmin(0.6, (ax->rows * p->row_px + 0.2 * tick_em) / p->hpx) : 0;
    cr_plot_tick xt[32], yt[32];
    int ny = cr_plot_ticks(ax->yscale, ax->ymin, ax->ymax, p->hpx * (1 - reserve), tick_em, 1,
                           ax->ysuffix, 0.6 * tick_em, 0.6 * tick_em, yt, 32);
    double widest = 0;
    for (int i = 0; i < ny; i++)
        widest = fmax(widest, cr_plot_text_px(yt[i].label, tick_em));
    /* Left of the frame: a gap, the y tick labels, a gap, the y title rotated with its descent
     * towards them (0.6 em from its centre) and its ascent away (0.4 em). */
    double ylab_c = 0.4 * tick_em + widest + 0.5 * tick_em + 0.6 * label_em;
    double ml_px = fmax(110.0 * k, ax->ylabel ? ylab_c + 0.4 * label_em + 4 * k
                                                : widest + 1.2 * tick_em);
    double mr_px = 28.0 * k;
    p->vx0 = col * cw + ml_px / p->width;
    p->vx1 = (col + 1) * cw - mr_px / p->width;
    p->wpx = (p->vx1 - p->vx0) * p->width;
    int nx = cr_plot_ticks(ax->xscale, ax->xmin, ax->xmax, p->wpx, tick_em, 0, ax->xsuffix,
                           0.5 * ml_px, mr_px - 2, xt, 32);
    plvpor(p->vx0, p->vx1, p->vy0, p->vy1);
    p->wx0 = tx(ax->xmin, ax->xscale, ax->xmin), p->wx1 = tx(ax->xmax, ax->xscale, ax->xmin);
    p->wy0 = tx(ax->ymin, ax->yscale, ax->ymin);
    double ytop = tx(ax->ymax, ax->yscale, ax->ymin);
    p->wy1 = ytop + reserve / (1 - reserve) * (ytop - p->wy0);
    plwind(p->wx0, p->wx1, p->wy0, p->wy1);
    font_px(p, TICK_PX);
    line_style(1, 0, scale_of(p));
    plcol0(CR_PLOT_GRID);
    for (int i = 0; i < nx; i++) {
        double w = tx(xt[i].v, ax->xscale, ax->xmin);
        pljoin(w, p->wy0, w, ytop);
    }
    for (int i = 0; i < ny; i++) {
        double w = tx(yt[i].v, ax->yscale, ax->ymin);
        pljoin(p->wx0, w, p->wx1, w);
    }
    plcol0(CR_PLOT_AXIS);
    plbox("bc", 0, 0, "bc", 0, 0);
    for (int i = 0; i < nx; i++) {
        tick_mark(p, 0, xt[i].v, 8 * scale_of(p));
        plmtex("b", xtick_c / tick_cap,
               (tx(xt[i].v, ax->xscale, ax->xmin) - p->wx0) / (p->wx1 - p->wx0), 0.5,
               esc(p, xt[i].label));
    }
    for (int i = 0; i < ny; i++) {
        tick_mark(p, 1, yt[i].v, 8 * scale_of(p));
        plmtex("lv", 0.4 * tick_em / tick_cap,
               (tx(yt[i].v, ax->yscale, ax->ymin) - p->wy0) / (p->wy1 - p->wy0), 1,
               esc(p, yt[i].label));
    }
    minor_ticks(p, 0, ax->xmin, ax->xmax, p->wpx);
    minor_ticks(p, 1, ax->ymin, ax->ymax, p->hpx * (1 - reserve));
    plcol0(CR_PLOT_INK);
    font_px(p, LABEL_PX);
    if (ax->xlabel)
        plmtex("b", xlab_c / label_cap, 0.5, 0.5, esc(p, ax->xlabel));
    if (ax->ylabel)
        plmtex("l", ylab_c / label_cap, 0.5 * (1 - reserve), 0.5, esc(p, ax->ylabel));
    double room = (p->vx1 - p->vx0 + 0.02) * p->width;
    if (ax->title) {
        font_px(p, PANEL_TITLE_PX);
        plmtex("t", ax->subtitle ? 1.75 : 0.6, 0, 0,
               esc(p, fit_width(p, ax->title, PANEL_TITLE_PX * EM * k, room)));
    }
    if (ax->subtitle) {
        font_px(p, SUBTITLE_PX * 0.85);
        plcol0(ax->subtitle_color);
        plmtex("t", 0.55, 0, 0,
               esc(p, fit_width(p, ax->subtitle, SUBTITLE_PX * 0.85 * EM * k, room)));
    }
    font_px(p, TICK_PX);
}

void cr_plot_line(cr_plot *p, int n, const double *x, const double *y, int color, double width,
                  int dashed)
{
    if (n < 2)
        return;
    to_world(p, n, x, y);
    plcol0(color);
    line_style(width, dashed, scale_of(p));
    plline(n, p->bx, p->by);
    line_style(1, 0, scale_of(p));
}

void cr_plot_band(cr_plot *p, int n, const double *x, const double *lo, const double *hi,
                  int color)
{
    if (n < 2)
        return;
    double *px = xmalloc(2 * (size_t)n * sizeof *px), *py = xmalloc(2 * (size_t)n * sizeof *py);
    for (int i = 0; i < n; i++) {
        px[i] = x[i], py[i] = hi[i];
        px[2 * n - 1 - i] = x[i], py[2 * n - 1 - i] = lo[i];
    }
    to_world(p, 2 * n, px, py);
    plcol0(color);
    plfill(2 * n, p->bx, p->by);
    free(px);
    free(py);
}

void cr_plot_rect(cr_plot *p, double x0, double x1, double y0, double y1, int color, int edge)
{
    double x[5] = {x0, x1, x1, x0, x0}, y[5] = {y0, y0, y1, y1, y0};
    to_world(p, 5, x, y);
    plcol0(color);
    plfill(4, p->bx, p->by);
    if (edge >= 0) {
        plcol0(edge);
        line_style(1, 0, scale_of(p));
        plline(5, p->bx, p->by);
    }
}

void cr_plot_points(cr_plot *p, int n, const double *x, const double *y, int color,
                    double size)
{
    if (n < 1)
        return;
    to_world(p, n, x, y);
    plcol0(color);
    /* Polygons, not a glyph: only labels are text, so text boxes say where labels are. */
    enum { SIDES = 20 };
    double rx = size * scale_of(p) * p->fs / 2 / p->wpx * (p->wx1 - p->wx0);
    double ry = size * scale_of(p) * p->fs / 2 / p->hpx * (p->wy1 - p->wy0);
    for (int i = 0; i < n; i++) {
        double cx = p->bx[i], cy = p->by[i], px[SIDES], py[SIDES];
        for (int j = 0; j < SIDES; j++) {
            px[j] = cx + rx * cos(2 * M_PI * j / SIDES);
            py[j] = cy + ry * sin(2 * M_PI * j / SIDES);
        }
        plfill(SIDES, px, py);
    }
}

void cr_plot_vline(cr_plot *p, double x, int color, double width, int dashed)
{
    double w = tx(x, p->ax.xscale, p->ax.xmin);
    plcol0(color);
    line_style(width, dashed, scale_of(p));
    pljoin(w, p->wy0, w, p->wy1);
    line_style(1, 0, scale_of(p));
}

void cr_plot_hline(cr_plot *p, double y, int color, double width, int dashed)
{
    double w = tx(y, p->ax.yscale, p->ax.ymin);
    plcol0(color);
    line_style(width, dashed, scale_of(p));
    pljoin(p->wx0, w, p->wx1, w);
    line_style(1, 0, scale_of(p));
}

void cr_plot_text(cr_plot *p, double x, double y, double just, double size, int color,
                  const char *text)
{
    double wx = tx(x, p->ax.xscale, p->ax.xmin), wy = tx(y, p->ax.yscale, p->ax.ymin);
    plcol0(color);
    font_px(p, TICK_PX * size);
    /* A small gap so labels do not touch the line they name. */
    double gap = (p->wx1 - p->wx0) * 6.0 * scale_of(p) / p->wpx;
    plptex(wx + (just < 0.5 ? gap : just > 0.5 ? -gap : 0), wy, 1, 0, just, esc(p, text));
    font_px(p, TICK_PX);
}

void cr_plot_row_text(cr_plot *p, int row, double x, int color, const char *text)
{
    double em = EM * TICK_PX * 0.95 * scale_of(p) * p->fs, gap = 6 * scale_of(p);
    double w = cr_plot_text_px(text, em);
    double at = (tx(x, p->ax.xscale, p->ax.xmin) - p->wx0) / (p->wx1 - p->wx0) * p->wpx;
    double just = 0, from = at + gap;
    if (from + w > p->wpx - gap) { /* no room on the right: on the left, or from the edge */
        just = at - gap - w >= gap ? 1 : 0;
        from = just ? at - gap : gap;
    }
    double wx = p->wx0 + from / p->wpx * (p->wx1 - p->wx0);
    double wy = p->wy1 - (row + 0.5) * p->row_px / p->hpx * (p->wy1 - p->wy0);
    plcol0(color);
    font_px(p, TICK_PX * 0.95);
    plptex(wx, wy, 1, 0, just, esc(p, text));
    font_px(p, TICK_PX);
}

void cr_plot_legend(cr_plot *p, int n, const cr_plot_key *keys)
{
    if (n < 1)
        return;
    PLINT *opt = xcalloc((size_t)n, sizeof *opt), *col = xcalloc((size_t)n, sizeof *col);
    PLINT *sty = xcalloc((size_t)n, sizeof *sty), *pat = xcalloc((size_t)n, sizeof *pat);
    PLINT *num = xcalloc((size_t)n, sizeof *num), *tcol = xcalloc((size_t)n, sizeof *tcol);
    PLFLT *wid = xcalloc((size_t)n, sizeof *wid), *bsc = xcalloc((size_t)n, sizeof *bsc);
    PLFLT *ssc = xcalloc((size_t)n, sizeof *ssc), *bw = xcalloc((size_t)n, sizeof *bw);
    const char **text = xcalloc((size_t)n, sizeof *text), **sym = xcalloc((size_t)n, sizeof *sym);
    char **owned = xcalloc((size_t)n, sizeof *owned);
    for (int i = 0; i < n; i++) {
        int k = keys[i].kind;
        opt[i] = k == CR_PLOT_KEY_BOX     ? PL_LEGEND_COLOR_BOX
                 : k == CR_PLOT_KEY_POINT ? PL_LEGEND_SYMBOL
                                          : PL_LEGEND_LINE;
        col[i] = keys[i].color;
        sty[i] = k == CR_PLOT_KEY_DASHED ? 2 : 1;
        wid[i] = 2.5 * scale_of(p);
        bsc[i] = 0.8;
        ssc[i] = 0.8;
        num[i] = 1;
        sym[i] = "●";
        tcol[i] = CR_PLOT_INK;
        owned[i] = xstrdup(esc(p, keys[i].label));
        text[i] = owned[i];
    }
    /* A row of its own under the title, so it never collides with a long subtitle. */
    plvpor(0.012, 0.988, from_top(p->strip + 38), from_top(p->strip));
    p->strip += 38;
    plwind(0, 1, 0, 1);
    pllsty(1);
    PLFLT lw, lh;
    /* pllegend scales text from PLplot's default height, not from the current one. */
    double text_scale = LABEL_PX * scale_of(p) / PLPLOT_CHAR_PX;
    pllegend(&lw, &lh, PL_LEGEND_NONE, PL_POSITION_LEFT | PL_POSITION_INSIDE, 0.0, 0.0, 0.035,
             CR_PLOT_WHITE, CR_PLOT_WHITE, 1, 1, n, n, opt, 1.0, text_scale, 2.0, 0.0, tcol,
             text, col, pat, bsc, bw, col, sty, wid, col, ssc, num, sym);
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned), free(opt), free(col), free(sty), free(pat), free(num), free(tcol);
    free(wid), free(bsc), free(ssc), free(bw), free(text), free(sym);
}

/* ---- Rendering ---- */

/* PLplot loads its cairo driver through libltdl, and fontconfig caches fonts for the life of
 * the process; neither is freed at exit, so sanitizer builds (make SAN=1) would report them as
 * leaks in every program that draws a figure. This is the LeakSanitizer hook for that. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libltdl.so\nleak:libfontconfig.so\n";
}

static pthread_mutex_t plplot_lock = PTHREAD_MUTEX_INITIALIZER;

/* cairo numbers SVG surfaces with a process-wide counter, so the same figure drawn twice would
 * differ; renumbering them by first appearance makes the text depend on its content only. */
static void normalise_svg(cr_plot_svg *svg)
{
    const char *in = svg->text;
    size_t len = svg->len;
    long *seen = NULL;
    size_t nseen = 0, scap = 0;
    char *out;
    size_t olen;
    FILE *fp = xmemstream_open(&out, &olen);
    static const char key[] = "surface";
    const size_t klen = sizeof key - 1;
    for (size_t i = 0; i < len;) {
        if (i + klen < len && memcmp(in + i, key, klen) == 0 && in[i + klen] >= '0' &&
            in[i + klen] <= '9') {
            char *end;
            long id = strtol(in + i + klen, &end, 10);
            size_t k = 0;
            while (k < nseen && seen[k] != id)
                k++;
            if (k == nseen) {
                xgrow(&seen, &scap, nseen + 1, sizeof *seen);
                seen[nseen++] = id;
            }
            fprintf(fp, "%s%zu", key, k + 1);
            i = (size_t)(end - in);
            continue;
        }
        fputc(in[i++], fp);
    }
    xmemstream_close(fp);
    free(seen);
    free(svg->text);
    svg->text = out;
    svg->len = olen;
}

/* One device into memory: PLplot writes to the stream and closes it at plend. */
static void draw_to(const char *device, int width, int height, cr_plot_draw_fn draw, void *ctx,
                    cr_plot_svg *out)
{
    cr_plot p = {.width = width, .height = height, .ncols = 1, .nrows = 1, .fs = 1};
    FILE *f = xmemstream_open(&out->text, &out->len);
    plsdev(device);
    plsfile(f);
    plspage(96, 96, width, height, 0, 0);
    plsetopt("drvopt", "text_anti_aliasing=2,graphics_anti_aliasing=2");
    plscolbg(255, 255, 255);
    set_palette();
    plinit();
    pladv(0);
    draw(&p, ctx);
    plend();
    free(p.bx);
    free(p.by);
    free(p.text);
    free(p.cut);
}

void cr_plot_svg_free(cr_plot_svg *s)
{
    free(s->text);
    s->text = NULL;
    s->len = 0;
}

static int save(const char *base, const char *ext, const cr_plot_svg *img, cr_err *e)
{
    size_t n = strlen(base) + 8;
    char *path = xmalloc(n);
    snprintf(path, n, "%s.%s", base, ext);
    cr_outfile o;
    int rc = cr_outfile_open(&o, path, e);
    if (rc == 0) {
        fwrite(img->text, 1, img->len, o.fp);
        if ((rc = cr_outfile_commit(&o, e)) != 0)
            cr_outfile_abort(&o);
    }
    free(path);
    return rc;
}

int cr_plot_render(const char *base, int width, int height, cr_plot_draw_fn draw, void *ctx,
                   cr_plot_svg *keep, cr_err *e)
{
    width = width > 0 ? width : 1600;
    height = height > 0 ? height : 1000;
    cr_plot_svg img[2] = {{NULL, 0}, {NULL, 0}}; /* PNG, SVG */
    pthread_mutex_lock(&plplot_lock);
    if (base)
        draw_to("pngcairo", width, height, draw, ctx, &img[0]);
    draw_to("svgcairo", width, height, draw, ctx, &img[1]);
    pthread_mutex_unlock(&plplot_lock);
    int rc = 0;
    if ((base && img[0].len == 0) || img[1].len == 0)
        rc = cr_fail(e, "%s: PLplot drew nothing", base ? base : "figure");
    if (rc == 0)
        normalise_svg(&img[1]);
    if (rc == 0 && base && (save(base, "png", &img[0], e) != 0 || save(base, "svg", &img[1], e)))
        rc = -1;
    cr_plot_svg_free(&img[0]);
    if (rc == 0 && keep)
        *keep = img[1];
    else
        cr_plot_svg_free(&img[1]);
    return rc;
}
