/* Ticks whose labels never meet: candidate series from dense to sparse, the first whose label
 * boxes (widths from the font's advance widths) keep apart and inside the room given. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/plot.h"

/* Gaps between neighbouring labels, in ems: horizontally between boxes, and between centres
 * so that an axis never carries more labels than a reader takes in. Vertical labels are one
 * line high. */
#define GAP_H 1.0
#define SPACING_H 3.2
#define LINE_V 1.2
#define SPACING_V 2.0

/* DejaVu Sans advance widths in ems (glyph units / 2048), upper bounds for classes of glyphs. */
static double glyph_em(unsigned cp)
{
    if (cp >= '0' && cp <= '9')
        return 0.637;
    switch (cp) {
    case '.': case ',': case ' ': case ':': case ';': case '|': case 'i': case 'j': case 'l':
    case '\'': case 0xb7: /* middle dot */
        return 0.32;
    case '-': case '(': case ')': case 'f': case 't': case 'r': case 'I':
        return 0.44;
    case '%': return 0.951;
    case 'm': case 'M': case 'W': case 'w': case 0xd7: /* multiplication sign */
    case 0x2265: case 0x2264: /* >= <= */
        return 0.98;
    case 0xb2: case 0xb3: case 0xb9: case 0x2070: case 0x2074: case 0x2075: case 0x2076:
    case 0x2077: case 0x2078: case 0x2079: case 0x207b: /* superscripts */
        return 0.41;
    case 0x2026: return 1.0; /* ellipsis */
    }
    if (cp >= 'a' && cp <= 'z')
        return 0.64;
    if (cp >= 'A' && cp <= 'Z')
        return 0.78;
    return cp < 0x80 ? 0.84 : 1.0;
}

double cr_plot_text_px(const char *s, double em_px)
{
    double w = 0;
    const unsigned char *c = (const unsigned char *)s;
    while (*c) {
        unsigned cp = *c++;
        int more = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
        cp &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
        for (; more > 0 && (*c & 0xc0) == 0x80; more--)
            cp = cp << 6 | (*c++ & 0x3f);
        w += glyph_em(cp);
    }
    return ceil(w * em_px);
}

/* Decimals a step needs: 0.5 -> 1, 0.01 -> 2, 20 -> 0. */
static int decimals(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* "12.50" -> "12.5", "3.0" -> "3" */
static void strip_zeros(char *s)
{
    if (!strchr(s, '.'))
        return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = 0;
    if (n > 0 && s[n - 1] == '.')
        s[n - 1] = 0;
}

/* 10 to the e with a superscript exponent: "10⁻⁵". */
static void power_label(int e, char *buf, size_t n)
{
    static const char *const sup[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    char digits[16];
    snprintf(digits, sizeof digits, "%d", e < 0 ? -e : e);
    snprintf(buf, n, "10%s", e < 0 ? "⁻" : "");
    for (const char *d = digits; *d; d++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s", sup[*d - '0']);
}

void cr_plot_tick_label(double v, double step, const char *suffix, char *buf, size_t n)
{
    double a = fabs(v);
    if (step <= 0)
        step = a > 0 ? pow(10, floor(log10(a) + 1e-9)) : 1;
    char num[40];
    if (a < step * 1e-6) {
        snprintf(num, sizeof num, "0");
    } else if (a < 1e-4) {
        int e = (int)floor(log10(a) + 1e-9);
        double m = v / pow(10, e);
        char p[32];
        power_label(e, p, sizeof p);
        if (fabs(m - 1) < 1e-6)
            snprintf(num, sizeof num, "%s", p);
        else
            snprintf(num, sizeof num, "%.0f×%s", m, p);
    } else if (a >= 1000) {
        static const char unit[] = "kMGTP";
        int u = 0;
        double scale = 1e3;
        while (u < 4 && a >= scale * 1000)
            scale *= 1000, u++;
        snprintf(num, sizeof num, "%.*f", decimals(step / scale), v / scale);
        strip_zeros(num);
        snprintf(num + strlen(num), sizeof num - strlen(num), "%c", unit[u]);
    } else {
        snprintf(num, sizeof num, "%.*f", decimals(step), v);
        strip_zeros(num);
    }
    snprintf(buf, n, "%s%s", num, suffix ? suffix : "");
}

static double to_axis(int scale, double v)
{
    return scale == CR_PLOT_LOG ? log10(v) : scale == CR_PLOT_LOG1P ? log10(1 + v) : v;
}

typedef struct {
    int scale, vertical, max;
    double lo, hi, t0, t1, len, em, room_lo, room_hi;
    const char *suffix;
} axis;

static double pos(const axis *a, double v)
{
    return (to_axis(a->scale, v) - a->t0) / (a->t1 - a->t0) * a->len;
}

static double half_of(const axis *a, const cr_plot_tick *t)
{
    return a->vertical ? LINE_V * a->em / 2 : cr_plot_text_px(t->label, a->em) / 2;
}

/* Drops the ticks at the ends whose labels would stick out beyond the room. */
static int trim(const axis *a, cr_plot_tick *t, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        double c = pos(a, t[i].v), half = half_of(a, &t[i]);
        if (c - half >= -a->room_lo && c + half <= a->len + a->room_hi)
            t[k++] = t[i];
    }
    return k;
}

/* Whether the labels of t[0..n) (ascending) keep apart. */
static int fits(const axis *a, const cr_plot_tick *t, int n)
{
    double prev_c = -INFINITY, prev_end = -INFINITY;
    for (int i = 0; i < n; i++) {
        double c = pos(a, t[i].v), half = half_of(a, &t[i]);
        double gap = a->vertical ? 0 : GAP_H * a->em;
        double spacing = (a->vertical ? SPACING_V : SPACING_H) * a->em;
        if (c - half < prev_end + gap || c - prev_c < spacing)
            return 0;
        prev_c = c;
        prev_end = c + half;
    }
    return 1;
}

static int add(const axis *a, cr_plot_tick *t, int n, double v, double step)
{
    if (n >= a->max)
        return n;
    t[n].v = v;
    cr_plot_tick_label(v, step, a->suffix, t[n].label, sizeof t[n].label);
    return n + 1;
}

/* Multiples of step within the range. */
static int linear_set(const axis *a, double step, cr_plot_tick *t)
{
    double eps = step * 1e-9;
    int n = 0;
    for (double k = ceil((a->lo - eps) / step); k * step <= a->hi + eps && n < a->max; k++)
        n = add(a, t, n, k * step, step);
    return n;
}

/* The densest 1-2-5 step whose labels keep apart, two ticks or more if any has them: the
 * series of linear axes, and of log ones narrower than their decades. */
static int linear_sets(const axis *a, cr_plot_tick *out)
{
    cr_plot_tick t[64];
    int best = 0;
    double range = a->hi - a->lo;
    for (double e = floor(log10(range)) - 3; e <= floor(log10(range)) + 1; e++)
        for (int k = 0; k < 3; k++) {
            static const double mult[3] = {1, 2, 5};
            double step = mult[k] * pow(10, e);
            int n = linear_set(a, step, t);
            if (n >= a->max)
                continue;
            n = trim(a, t, n);
            if (n > best && fits(a, t, n)) {
                memcpy(out, t, (size_t)n * sizeof *t);
                best = n;
            }
            if (best >= 2)
                return best;
        }
    return best;
}

/* Mantissas m[0..nm) of every stride-th decade from lo up to hi (all > 0), after a zero tick
 * when zero is in range (LOG1P). */
static int log_set(const axis *a, double lo, double hi, const int *m, int nm, int stride,
                   int zero, cr_plot_tick *t)
{
    int n = zero ? add(a, t, 0, 0, 1) : 0;
    if (!(lo > 0) || !(hi >= lo))
        return n;
    int d0 = (int)floor(log10(lo) + 1e-9), d1 = (int)floor(log10(hi) + 1e-9);
    for (int d = d0; d <= d1 && n < a->max; d++) {
        if (((d % stride) + stride) % stride)
            continue;
        for (int i = 0; i < nm; i++) {
            double v = m[i] * pow(10, d);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                n = add(a, t, n, v, 0);
        }
    }
    return n;
}

static int log_sets(const axis *a, double lo, double hi, int zero, cr_plot_tick *out)
{
    static const int all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, m125[] = {1, 2, 5}, m13[] = {1, 3},
                     one[] = {1};
    static const struct {
        const int *m;
        int nm, stride;
    } sets[] = {{all, 9, 1}, {m125, 3, 1}, {m13, 2, 1}, {one, 1, 1},  {one, 1, 2},
                {one, 1, 3}, {one, 1, 5}, {one, 1, 10}, {one, 1, 20}, {one, 1, 50}};
    cr_plot_tick t[64];
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        int n = trim(a, t, log_set(a, lo, hi, sets[s].m, sets[s].nm, sets[s].stride, zero, t));
        if (n > 0 && fits(a, t, n)) {
            memcpy(out, t, (size_t)n * sizeof *t);
            return n;
        }
    }
    return 0;
}

/* LOG1P: zero, then positive values from the first decade whose label clears zero's and
 * whose series has two ticks or more (else the one with most). */
static int log1p_sets(const axis *a, cr_plot_tick *out)
{
    cr_plot_tick t[64];
    int zero = a->lo <= 0 && a->hi >= 0, best = zero ? trim(a, out, add(a, out, 0, 0, 1)) : 0;
    for (int f = -4; f <= 12 && best < 2; f++) {
        double floor_v = pow(10, f);
        if (floor_v > a->hi)
            break;
        cr_plot_tick two[2];
        int n = add(a, two, 0, 0, 1);
        n = add(a, two, n, floor_v, 0);
        if (zero && (trim(a, two, n) < n || !fits(a, two, n)))
            continue;
        int k = log_sets(a, fmax(a->lo, floor_v), a->hi, zero, t);
        if (k > best) {
            memcpy(out, t, (size_t)k * sizeof *t);
            best = k;
        }
    }
    return best;
}

int cr_plot_ticks(int scale, double lo, double hi, double len_px, double em_px, int vertical,
                  const char *suffix, double room_lo, double room_hi, cr_plot_tick *out, int max)
{
    if (!(hi > lo) || !(len_px > 0) || max < 1 || (scale == CR_PLOT_LOG && !(lo > 0)) ||
        (scale == CR_PLOT_LOG1P && !(lo > -1)))
        return 0;
    axis a = {scale,  vertical, max < 64 ? max : 64, lo, hi, to_axis(scale, lo),
              to_axis(scale, hi), len_px, em_px, room_lo, room_hi, suffix};
    cr_plot_tick t[64];
    if (scale == CR_PLOT_LINEAR)
        return linear_sets(&a, out);
    int best = scale == CR_PLOT_LOG ? log_sets(&a, lo, hi, 0, out) : log1p_sets(&a, out);
    if (best < 2) { /* within a decade: steps as on a linear axis */
        int n = linear_sets(&a, t);
        if (n > best) {
            memcpy(out, t, (size_t)n * sizeof *t);
            best = n;
        }
    }
    return best;
}
