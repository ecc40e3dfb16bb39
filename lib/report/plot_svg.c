/* Where the text of a figure landed, read back from the SVG cairo wrote: each glyph is a
 * <symbol id="glyphF-G"> holding its outline in absolute path commands, and each string drawn
 * is one <g> of <use xlink:href="#glyphF-G" x=".." y=".."/>. A string's box is the union of
 * its glyphs' outlines (control points included: a box never smaller than the ink). This is
 * how the tests prove that no two labels of a real figure meet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "report/plot.h"

typedef struct {
    char id[32];
    int ink; /* 0 for a blank (a space) */
    cr_plot_box box;
} glyph;

/* The bounding box of the coordinates of a path's d attribute (pairs of numbers). */
static int path_box(const char *d, const char *end, cr_plot_box *b)
{
    int n = 0;
    double xy[2];
    *b = (cr_plot_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (const char *c = d; c < end;) {
        if ((*c >= '0' && *c <= '9') || *c == '-' || *c == '.') {
            char *next;
            xy[n % 2] = strtod(c, &next);
            c = next;
            if (++n % 2 == 0) {
                b->x0 = fmin(b->x0, xy[0]), b->x1 = fmax(b->x1, xy[0]);
                b->y0 = fmin(b->y0, xy[1]), b->y1 = fmax(b->y1, xy[1]);
            }
        } else {
            c++;
        }
    }
    return n >= 2;
}

static size_t read_glyphs(const char *svg, glyph **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    static const char open[] = "<symbol overflow=\"visible\" id=\"";
    for (const char *p = strstr(svg, open); p; p = strstr(p, open)) {
        p += sizeof open - 1;
        const char *q = strchr(p, '"'), *close = strstr(p, "</symbol>");
        if (!q || !close)
            break;
        xgrow(out, &cap, n + 1, sizeof **out);
        glyph *g = &(*out)[n++];
        snprintf(g->id, sizeof g->id, "%.*s", (int)(q - p), p);
        const char *d = strstr(q, " d=\"");
        g->ink = d && d < close && path_box(d + 4, close, &g->box);
    }
    return n;
}

static const glyph *find_glyph(const glyph *g, size_t n, const char *id, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(g[i].id) == len && !memcmp(g[i].id, id, len))
            return &g[i];
    return NULL;
}

static double attr(const char *tag, const char *end, const char *name)
{
    const char *a = strstr(tag, name);
    return a && a < end ? strtod(a + strlen(name), NULL) : NAN;
}

size_t cr_plot_svg_text_boxes(const cr_plot_svg *svg, cr_plot_box **out)
{
    *out = NULL;
    if (!svg->text)
        return 0;
    glyph *g;
    size_t ng = read_glyphs(svg->text, &g), n = 0, cap = 0;
    const char *body = strstr(svg->text, "</defs>");
    cr_plot_box cur = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    int open = 0;
    static const char use[] = "<use xlink:href=\"#", endg[] = "</g>";
    for (const char *p = body; p && *p;) {
        const char *u = strstr(p, use), *e = strstr(p, endg);
        if (e && (!u || e < u)) { /* a group ends: the string it held, if any */
            if (open) {
                xgrow(out, &cap, n + 1, sizeof **out);
                (*out)[n++] = cur;
                cur = (cr_plot_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
                open = 0;
            }
            p = e + sizeof endg - 1;
            continue;
        }
        if (!u)
            break;
        const char *id = u + sizeof use - 1, *q = strchr(id, '"'), *tend = strchr(id, '>');
        if (!q || !tend)
            break;
        const glyph *gl = find_glyph(g, ng, id, (size_t)(q - id));
        double x = attr(q, tend, " x=\""), y = attr(q, tend, " y=\"");
        if (gl && gl->ink && isfinite(x) && isfinite(y)) {
            cur.x0 = fmin(cur.x0, x + gl->box.x0), cur.x1 = fmax(cur.x1, x + gl->box.x1);
            cur.y0 = fmin(cur.y0, y + gl->box.y0), cur.y1 = fmax(cur.y1, y + gl->box.y1);
            open = 1;
        }
        p = tend;
    }
    free(g);
    return n;
}

int cr_plot_svg_text_faults(const cr_plot_svg *svg, int width, int height, char *why,
                            size_t len)
{
    cr_plot_box *b;
    size_t n = cr_plot_svg_text_boxes(svg, &b);
    int faults = 0;
    /* Boxes that share only an edge or overlap by a rounding's worth do not meet. */
    const double tol = 0.25;
    for (size_t i = 0; i < n; i++) {
        const cr_plot_box *a = &b[i];
        if (a->x0 < -tol || a->y0 < -tol || a->x1 > width + tol || a->y1 > height + tol) {
            if (!faults++)
                snprintf(why, len, "text at (%.1f,%.1f)-(%.1f,%.1f) leaves the %d x %d page",
                         a->x0, a->y0, a->x1, a->y1, width, height);
        }
        for (size_t j = i + 1; j < n; j++) {
            const cr_plot_box *c = &b[j];
            if (a->x0 < c->x1 - tol && c->x0 < a->x1 - tol && a->y0 < c->y1 - tol &&
                c->y0 < a->y1 - tol && !faults++)
                snprintf(why, len, "text at (%.1f,%.1f)-(%.1f,%.1f) meets text at "
                         "(%.1f,%.1f)-(%.1f,%.1f)", a->x0, a->y0, a->x1, a->y1, c->x0, c->y0,
                         c->x1, c->y1);
        }
    }
    free(b);
    return faults;
}
