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

struct cr_plot {
    int width, height;
    int ncols, nrows;
    double strip;     /* height of the title strip, pixels of a 1000 px-high page */
    double fs;        /* panel text scale: smaller in dense grids */
    cr_plot_axes ax;  /* of the current panel */
    double vx0, vx1, vy0, vy1; /* its viewport */
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

/* Cuts text that would run past the panel's right edge, ending it with an ellipsis (widths
 * estimated at 0.55 em per character, generous for the sans fonts cairo picks). */
static const char *fit_width(cr_plot *p, const char *s, double px)
{
    double room = (p->vx1 - p->vx0 + 0.02) * p->width / (0.55 * px * p->fs * scale_of(p));
    size_t max = room > 4 ? (size_t)room : 4, n = strlen(s);
    if (n <= max)
        return s;
    xgrow(&p->cut, &p->ccap, max + 4, 1);
    size_t k = max - 1;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
        k--;
    memcpy(p->cut, s, k);
    strcpy(p->cut + k, "…");
    return p->cut;
}

static double tx(const cr_plot *p, double v, int log, double lo)
{
    if (!log)
        return v;
    return log10(v > lo ? v : lo);
}

/* Copies n points into scratch, on the log scale where the axes are. */
static void to_world(cr_plot *p, int n, const double *x, const double *y)
{
    xgrow(&p->bx, &p->bcap, (size_t)n + 1, sizeof *p->bx);
    p->by = xrealloc(p->by, p->bcap * sizeof *p->by);
    for (int i = 0; i < n; i++) {
        p->bx[i] = tx(p, x[i], p->ax.logx, p->ax.xmin);
        p->by[i] = tx(p, y[i], p->ax.logy, p->ax.ymin);
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
    plptex(0.016, from_top(44), 1, 0, 0, esc(p, title));
    if (subtitle) {
        plcol0(CR_PLOT_AXIS);
        font_fig(p, SUBTITLE_PX);
        plptex(0.016, from_top(76), 1, 0, 0, esc(p, subtitle));
    }
}

void cr_plot_grid(cr_plot *p, int ncols, int nrows)
{
    p->ncols = ncols > 0 ? ncols : 1;
    p->nrows = nrows > 0 ? nrows : 1;
    int dense = p->nrows > p->ncols ? p->nrows : p->ncols;
    p->fs = dense >= 4 || p->nrows >= 3 ? 0.8 : dense == 3 || p->nrows == 2 ? 0.9 : 1;
}

void cr_plot_panel(cr_plot *p, int index, const cr_plot_axes *ax)
{
    p->ax = *ax;
    int col = index % p->ncols, row = index / p->ncols;
    double top = from_top(p->strip + 6), cw = 1.0 / p->ncols, ch = top / p->nrows;
    /* Margins in pixels: room for tick labels, axis labels and the panel title. */
    double k = scale_of(p) * p->fs;
    double ml = 110.0 * k / p->width, mr = 28.0 * k / p->width;
    double mb = 64.0 * k / p->height, mt = (ax->subtitle ? 60.0 : 38.0) * k / p->height;
    p->vx0 = col * cw + ml;
    p->vx1 = (col + 1) * cw - mr;
    p->vy1 = top - row * ch - mt;
    p->vy0 = top - (row + 1) * ch + mb;
    plvpor(p->vx0, p->vx1, p->vy0, p->vy1);
    double x0 = tx(p, ax->xmin, ax->logx, 0), x1 = tx(p, ax->xmax, ax->logx, 0);
    double y0 = tx(p, ax->ymin, ax->logy, 0), y1 = tx(p, ax->ymax, ax->logy, 0);
    plwind(x0, x1, y0, y1);
    char xo[16], yo[16];
    font_px(p, TICK_PX);
    line_style(1, 0, scale_of(p));
    plcol0(CR_PLOT_GRID);
    snprintf(xo, sizeof xo, "g%s", ax->logx ? "l" : "");
    snprintf(yo, sizeof yo, "g%s", ax->logy ? "l" : "");
    plbox(xo, 0, 0, yo, 0, 0);
    plcol0(CR_PLOT_AXIS);
    /* Plain numbers everywhere: no "x10^-2" axis exponents, and 1, 10, 100 on log axes. */
    plsxax(12, 0);
    plsyax(12, 0);
    snprintf(xo, sizeof xo, "bcnst%s", ax->logx ? "lf" : "");
    snprintf(yo, sizeof yo, "bcnstv%s", ax->logy ? "lf" : "");
    plbox(xo, 0, 0, yo, 0, 0);
    plcol0(CR_PLOT_INK);
    font_px(p, LABEL_PX);
    if (ax->xlabel)
        plmtex("b", 2.9 * TICK_PX / LABEL_PX, 0.5, 0.5, esc(p, ax->xlabel));
    if (ax->ylabel)
        plmtex("l", 4.4 * TICK_PX / LABEL_PX, 0.5, 0.5, esc(p, ax->ylabel));
    if (ax->title) {
        font_px(p, PANEL_TITLE_PX);
        plmtex("t", ax->subtitle ? 1.75 : 0.6, 0, 0,
               esc(p, fit_width(p, ax->title, PANEL_TITLE_PX)));
    }
    if (ax->subtitle) {
        font_px(p, SUBTITLE_PX * 0.85);
        plcol0(ax->subtitle_color);
        plmtex("t", 0.55, 0, 0, esc(p, fit_width(p, ax->subtitle, SUBTITLE_PX * 0.85)));
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
    /* A filled circle glyph renders crisply on both devices; its size follows the font. */
    plschr(0, size * scale_of(p) * p->fs / PLPLOT_CHAR_PX * 1.25);
    plstring(n, p->bx, p->by, "●");
    font_px(p, TICK_PX);
}

void cr_plot_vline(cr_plot *p, double x, int color, double width, int dashed)
{
    double xs[2] = {x, x}, ys[2] = {p->ax.ymin, p->ax.ymax};
    cr_plot_line(p, 2, xs, ys, color, width, dashed);
}

void cr_plot_hline(cr_plot *p, double y, int color, double width, int dashed)
{
    double xs[2] = {p->ax.xmin, p->ax.xmax}, ys[2] = {y, y};
    cr_plot_line(p, 2, xs, ys, color, width, dashed);
}

void cr_plot_text(cr_plot *p, double x, double y, double just, double size, int color,
                  const char *text)
{
    double wx = tx(p, x, p->ax.logx, p->ax.xmin), wy = tx(p, y, p->ax.logy, p->ax.ymin);
    plcol0(color);
    font_px(p, TICK_PX * size);
    /* A small gap so labels do not touch the line they name. */
    double x0 = tx(p, p->ax.xmin, p->ax.logx, 0), x1 = tx(p, p->ax.xmax, p->ax.logx, 0);
    double gap = (x1 - x0) * 6.0 / ((p->vx1 - p->vx0) * p->width);
    plptex(wx + (just < 0.5 ? gap : just > 0.5 ? -gap : 0), wy, 1, 0, just, esc(p, text));
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
