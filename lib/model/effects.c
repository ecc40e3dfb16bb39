#include "model/effects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Mean and sum of squared deviations, two-pass: S must not lose the spread of members that sit
 * far from zero. */
static void level_stats(int n, const double *x, double *mean, double *ss)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    *mean = m;
    *ss = s;
}

double cr_level_lp(int n, const double *x, double w, double s, double *m)
{
    double xm, ss;
    level_stats(n, x, &xm, &ss);
    *m = xm + s * w / sqrt(n);
    return -0.5 * ss / (s * s) - 0.5 * w * w - (n - 1) * log(s);
}

double cr_level_grad(int n, const double *x, double w, double s, double gm, double *gx,
                     double *glogs)
{
    double xm, ss;
    level_stats(n, x, &xm, &ss);
    const double p = 1 / (s * s), sw = s / sqrt(n);
    for (int i = 0; i < n; i++)
        gx[i] += gm / n - (x[i] - xm) * p;
    *glogs += ss * p - (n - 1) + gm * sw * w;
    return gm * sw - w;
}

/* Whether the cell rates are coordinates charged their prior normal(v, sn) as such. */
static int cells_prior(int coords)
{
    return coords == CR_EFFECTS_CELLS || coords == CR_EFFECTS_COLLAPSED;
}

/* The end of the run of cells of machine cell_machine[lo] that starts at lo (cells are ordered
 * by machine). */
static int run_end(const cr_cells *c, int lo)
{
    int hi = lo;
    while (hi < c->ncells && c->cell_machine[hi] == c->cell_machine[lo])
        hi++;
    return hi;
}

/* The mean of x over the run [lo, hi)'s cells that count in its machine's mean log rate: the
 * cells with seconds, which are what the data pin, or all of them when none has any (*all).
 * *n: how many count. */
static double run_mean(const cr_cells *c, const double *x, int lo, int hi, int *n, int *all)
{
    double s = 0, t = 0;
    *n = 0;
    for (int i = lo; i < hi; i++) {
        t += x[i];
        if (c->cell_n[i] > 0)
            s += x[i], ++*n;
    }
    *all = *n == 0;
    if (*all)
        *n = hi - lo, s = t;
    return s / *n;
}

/* The collapsed coordinates, per machine: what stands for its level in the data, d, with
 * variance e about it; the weight w = 1 / (sm^2 + e) of d in alpha's conditional, the share
 * lambda = sm^2 w of d in the level's conditional mean and the level's conditional sd
 * s = sqrt(e lambda); re = (d e / d log sn) / e. CR_EFFECTS_COLLAPSED: d the mean of the
 * machine's n cell rates u, e = sn^2 / n (exact). CR_EFFECTS_COLLAPSED_NC: d = yhat - sn zbar,
 * yhat = log((T + 1/2) / N) of the machine's total T over N seconds and zbar the mean z_minute
 * of its cells with seconds (the mean log rate of those cells is v + sn zbar), e = 1 / (T + 1/2)
 * (Poisson's, from the data alone). A machine without seconds has e infinite. */
typedef struct {
    int n;          /* cells in d */
    double d, e, w, lambda, s, re;
} collapsed_machine;

static collapsed_machine collapsed_at(const cr_cells *c, const cr_effects *x, int lo, int hi,
                                      double sm2)
{
    const double sn = x->sigma_minute;
    collapsed_machine t = {0, 0, INFINITY, 0, 0, sqrt(sm2), 0};
    if (x->coords == CR_EFFECTS_COLLAPSED) {
        t.n = hi - lo;
        for (int i = lo; i < hi; i++)
            t.d += x->zc[i];
        t.d /= t.n ? t.n : 1;
        t.e = t.n ? sn * sn / t.n : INFINITY;
        t.re = 2;
    } else {
        double T = 0, N = 0;
        int all;
        for (int i = lo; i < hi; i++)
            T += c->cell_y[i], N += c->cell_n[i];
        t.d = hi > lo ? -sn * run_mean(c, x->zc, lo, hi, &t.n, &all) : 0;
        if (N > 0) {
            t.d += log((T + 0.5) / N);
            t.e = 1 / (T + 0.5);
        }
    }
    if (isfinite(t.e)) {
        t.w = 1 / (sm2 + t.e);
        t.lambda = sm2 * t.w;
        t.s = sqrt(t.e * t.lambda);
    }
    return t;
}

/* Walks the machines in order with the run [lo, hi) of cells of each (empty when it has
 * none). */
#define FOR_MACHINE_RUNS(c, k, lo, hi)                                                          \
    for (int k = 0, lo = 0, hi = 0; k < (c)->nmachines; k++, lo = hi)                           \
        if (((hi = lo < (c)->ncells && (c)->cell_machine[lo] == k ? run_end((c), lo) : lo),     \
             1))

/* alpha = M + w / sqrt(P), v[k] = alpha + lambda (d - alpha) + s xi[k], with alpha's
 * conditional given the d of precision P (its prior's included) and mean M; returns the
 * machine levels' prior normal(alpha, sm) with the log Jacobian -log(P) / 2 + sum log s. */
static double collapsed_levels(const cr_cells *c, cr_effects *x)
{
    const double sm2 = x->sigma_machine * x->sigma_machine;
    double P = 1 / (CR_EFFECTS_ALPHA_SD * CR_EFFECTS_ALPHA_SD), S = 0;
    FOR_MACHINE_RUNS(c, k, lo, hi)
    {
        const collapsed_machine t = collapsed_at(c, x, lo, hi, sm2);
        x->v[k] = t.d; /* for now */
        P += t.w;
        S += t.w * t.d;
    }
    x->alpha = S / P + x->a / sqrt(P);
    double lp = -0.5 * log(P) - c->nmachines * log(x->sigma_machine);
    FOR_MACHINE_RUNS(c, k, lo, hi)
    {
        const collapsed_machine t = collapsed_at(c, x, lo, hi, sm2);
        const double q = t.lambda * (x->v[k] - x->alpha) + t.s * x->zk[k];
        x->v[k] = x->alpha + q;
        lp += log(t.s) - 0.5 * q * q / sm2;
    }
    return lp;
}

/* The chain rule of collapsed_levels back to the cell coordinates (g), xi (gk), w
 * (gfixed[0]) and the log scales (gfixed[1], gfixed[2]); on entry gk[k] is d lp / d v[k] and
 * g (cell coordinates) and gfixed as cr_effects_grad leaves them before the machine level:
 * with centred cells, d lp / d u, the cells' prior normal(v, sn) then added here. */
static void collapsed_grad(const cr_cells *c, const cr_effects *x, double *g, double *gk,
                           double *gfixed)
{
    const int uc = x->coords == CR_EFFECTS_COLLAPSED;
    const double sm = x->sigma_machine, sn = x->sigma_minute, sm2 = sm * sm, sn2 = sn * sn;
    const double *u = x->zc, *v = x->v, alpha = x->alpha, isn2 = 1 / sn2, ism2 = 1 / sm2;
    double P = 1 / (CR_EFFECTS_ALPHA_SD * CR_EFFECTS_ALPHA_SD), S = 0;
    FOR_MACHINE_RUNS(c, k, lo, hi)
    {
        const collapsed_machine t = collapsed_at(c, x, lo, hi, sm2);
        P += t.w;
        S += t.w * t.d;
    }
    const double M = S / P, sa = 1 / sqrt(P), w = x->a;
    /* per machine: the cells' prior (centred: u and v directly, log sn), the levels' prior
     * and Jacobian, and v back to xi, alpha, d and the scales; gk keeps d lp / d v until the
     * last pass, and alpha's own terms in the scales wait for ga */
    double glsn = uc ? -c->ncells : 0, glsm = -c->nmachines, ga = gfixed[0];
    double dP_sm = 0, dP_sn = 0, gM_sm = 0, gM_sn = 0;
    FOR_MACHINE_RUNS(c, k, lo, hi)
    {
        const collapsed_machine t = collapsed_at(c, x, lo, hi, sm2);
        double sr = 0, sr2 = 0;
        for (int i = lo; i < hi && uc; i++) {
            const double r = (u[i] - v[k]) * isn2;
            g[i] -= r;
            sr += r;
            sr2 += r * r;
        }
        glsn += sr2 * sn2 + 0.5 * t.re * t.lambda;
        const double q = v[k] - alpha, xi = x->zk[k], dl = t.d - alpha;
        const double gv = gk[k] + sr - q * ism2, l1 = 1 - t.lambda;
        glsm += q * q * ism2 + l1;
        ga += q * ism2 + gv * l1;
        gk[k] = gv;
        /* d lambda / d log sm = 2 lambda (1 - lambda), d s / d log sm = s (1 - lambda); in
         * log sn through e: -re lambda (1 - lambda) and s lambda re / 2 */
        glsm += gv * (2 * t.lambda * l1 * dl + xi * t.s * l1);
        glsn += gv * t.re * (-t.lambda * l1 * dl + 0.5 * xi * t.s * t.lambda);
        /* d w / d log sm = -2 sm^2 w^2, d w / d log sn = -re e w^2 */
        const double dw_sm = -2 * sm2 * t.w * t.w;
        const double dw_sn = isfinite(t.e) ? -t.re * t.e * t.w * t.w : 0;
        dP_sm += dw_sm, dP_sn += dw_sn;
        gM_sm += dw_sm * (t.d - M), gM_sn += dw_sn * (t.d - M);
    }
    /* alpha = M + sa w: back to w, d and the scales; and the Jacobian's -log(P) / 2 */
    glsm += ga * (gM_sm - 0.5 * w * sa * dP_sm) / P - 0.5 * dP_sm / P;
    glsn += ga * (gM_sn - 0.5 * w * sa * dP_sn) / P - 0.5 * dP_sn / P;
    /* d back to the cells: the mean of u, or -sn times the mean of z over the cells with
     * seconds (and -sn zbar in log sn) */
    FOR_MACHINE_RUNS(c, k, lo, hi)
    {
        const collapsed_machine t = collapsed_at(c, x, lo, hi, sm2);
        const double gd = gk[k] * t.lambda + ga * t.w / P;
        gk[k] *= t.s;
        if (uc) {
            for (int i = lo; i < hi; i++)
                g[i] += gd / t.n;
            continue;
        }
        int n, all;
        glsn -= gd * sn * run_mean(c, u, lo, hi, &n, &all);
        for (int i = lo; i < hi; i++)
            if (all || c->cell_n[i] > 0)
                g[i] -= gd * sn / n;
    }
    gfixed[0] = ga * sa;
    gfixed[1] += glsm;
    gfixed[2] += glsn;
}

/* The machine levels x->v and alpha; returns the prior of the machine coordinates, and of the
 * cell coordinates too when they carry the levels (CR_EFFECTS_CENTRED). */
static double levels(const cr_cells *c, cr_effects *x)
{
    const int K = c->nmachines;
    const double *zk = x->zk, sm = x->sigma_machine, sn = x->sigma_minute;
    double lp = 0;
    if (x->coords == CR_EFFECTS_COLLAPSED || x->coords == CR_EFFECTS_COLLAPSED_NC)
        return collapsed_levels(c, x);
    if (x->coords == CR_EFFECTS_NONCENTRED || x->coords == CR_EFFECTS_CELLS) {
        double zbar = 0;
        for (int k = 0; k < K && x->coords == CR_EFFECTS_CELLS; k++)
            zbar += zk[k] / K;
        x->alpha = x->a - sm * zbar;
        for (int k = 0; k < K; k++) {
            x->v[k] = x->alpha + sm * zk[k];
            lp -= 0.5 * zk[k] * zk[k];
        }
        return lp;
    }
    memcpy(x->v, zk, (size_t)K * sizeof(double)); /* a machine without cells keeps its own */
    for (int lo = 0, hi, n, all; x->zc && lo < c->ncells; lo = hi) {
        const int k = c->cell_machine[lo];
        hi = run_end(c, lo);
        if (x->coords == CR_EFFECTS_CENTRED)
            lp += cr_level_lp(hi - lo, x->zc + lo, zk[k], sn, &x->v[k]);
        else /* zk[k] is the mean of the cells' log rates v + sn zc */
            x->v[k] = zk[k] - sn * run_mean(c, x->zc, lo, hi, &n, &all);
    }
    return lp + cr_level_lp(K, x->v, x->a, sm, &x->alpha);
}

double cr_effects_eta(const cr_cells *c, cr_effects *x, double *eta)
{
    const int C = c->ncells, uc = x->zc && cr_effects_centred_cells(x->coords);
    const double *zc = x->zc, sn = x->sigma_minute;
    double lp = levels(c, x), sc = 0;
    for (int i = 0; i < C; i++) {
        const double v = x->v[c->cell_machine[i]];
        if (!zc) {
            eta[i] = v;
        } else if (uc) {
            eta[i] = zc[i];
            if (cells_prior(x->coords)) /* u ~ normal(v, sn), the Jacobian below */
                sc += (zc[i] - v) * (zc[i] - v) / (sn * sn);
        } else {
            eta[i] = v + sn * zc[i];
            sc += zc[i] * zc[i];
        }
    }
    return lp - 0.5 * sc - (zc && cells_prior(x->coords) ? C * log(sn) : 0);
}

void cr_effects_grad(const cr_cells *c, const cr_effects *x, double *g, double *gk,
                     double *gfixed)
{
    const int K = c->nmachines, C = c->ncells, uc = x->zc && cr_effects_centred_cells(x->coords);
    const double *zk = x->zk, *zc = x->zc, sm = x->sigma_machine, sn = x->sigma_minute;
    if (zc && x->coords == CR_EFFECTS_COLLAPSED) {
        collapsed_grad(c, x, g, gk, gfixed);
        return;
    }
    /* the cells' prior, and eta back to the machine levels */
    if (!uc) {
        double gsn = 0;
        for (int i = 0; i < C; i++) {
            gk[c->cell_machine[i]] += g[i];
            if (zc) {
                gsn += g[i] * zc[i];
                g[i] = sn * g[i] - zc[i];
            }
        }
        if (zc)
            gfixed[2] += sn * gsn;
    } else if (x->coords == CR_EFFECTS_CELLS) {
        const double pc = 1 / (sn * sn);
        double sc = 0;
        for (int i = 0; i < C; i++) {
            const double r = zc[i] - x->v[c->cell_machine[i]];
            g[i] -= r * pc;
            gk[c->cell_machine[i]] += r * pc;
            sc += r * r;
        }
        gfixed[2] += sc * pc - C;
    }
    if (zc && x->coords == CR_EFFECTS_COLLAPSED_NC) {
        collapsed_grad(c, x, g, gk, gfixed);
        return;
    }
    /* the machine levels back to their coordinates and alpha's */
    if (x->coords == CR_EFFECTS_NONCENTRED || x->coords == CR_EFFECTS_CELLS) {
        const int cells = x->coords == CR_EFFECTS_CELLS;
        double ga = gfixed[0], gv = 0, zbar = 0, gsm = 0;
        for (int k = 0; k < K; k++)
            gv += gk[k], zbar += cells ? zk[k] / K : 0;
        for (int k = 0; k < K; k++) {
            gsm += gk[k] * (zk[k] - zbar);
            gk[k] = sm * gk[k] - zk[k] - (cells ? sm * (gv + ga) / K : 0);
        }
        gfixed[0] = gv + ga;
        gfixed[1] += sm * (gsm - ga * zbar);
        return;
    }
    gfixed[0] = cr_level_grad(K, x->v, x->a, sm, gfixed[0], gk, &gfixed[1]);
    for (int lo = 0, hi, n, all; zc && lo < C; lo = hi) {
        const int k = c->cell_machine[lo];
        hi = run_end(c, lo);
        if (x->coords == CR_EFFECTS_CENTRED) {
            gk[k] = cr_level_grad(hi - lo, zc + lo, zk[k], sn, gk[k], g + lo, &gfixed[2]);
            continue;
        }
        /* v[k] = zk[k] - sn * mean zc: d/dzk is d/dv's */
        gfixed[2] -= gk[k] * sn * run_mean(c, zc, lo, hi, &n, &all);
        for (int i = lo; i < hi; i++)
            if (all || c->cell_n[i] > 0)
                g[i] -= gk[k] * sn / n;
    }
}

void cr_effects_standardize(const cr_cells *c, const cr_effects *x, double *alpha, double *zk,
                            double *zc)
{
    const int K = c->nmachines, C = c->ncells;
    if (x->coords == CR_EFFECTS_NONCENTRED) {
        *alpha = x->a;
        memcpy(zk, x->zk, (size_t)K * sizeof(double));
        if (x->zc && zc != x->zc)
            memcpy(zc, x->zc, (size_t)C * sizeof(double));
        return;
    }
    cr_effects y = *x;
    y.v = zk; /* the levels, standardized in place below */
    levels(c, &y);
    for (int i = 0; x->zc && i < C; i++)
        zc[i] = cr_effects_centred_cells(x->coords)
                    ? (x->zc[i] - zk[c->cell_machine[i]]) / x->sigma_minute
                    : x->zc[i];
    if (x->coords == CR_EFFECTS_CELLS)
        memcpy(zk, x->zk, (size_t)K * sizeof(double));
    else
        for (int k = 0; k < K; k++)
            zk[k] = (zk[k] - y.alpha) / x->sigma_machine;
    *alpha = y.alpha;
}

double cr_effects_eta_at(const cr_cells *c, double alpha, double sm, double sn, const double *zk,
                         const double *zc, int machine, int minute)
{
    int i = cr_cells_find(c, machine, minute);
    if (i < 0)
        return NAN;
    return alpha + sm * zk[machine - 1] + (zc ? sn * zc[i] : 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cr_effects_prefer_centred(double *info, int n)
{
    if (n == 0)
        return 0;
    qsort(info, (size_t)n, sizeof(double), cmp_double);
    return info[n / 2] > 4;
}

/* Degrees of freedom of sigma_minute (cells with counts, less one per machine) from which the
 * cells are centred under collapsed machines: with fewer, sigma_minute is itself loose and
 * centred cells funnel (machines of 3 to 5 minutes diverged centred, not otherwise), and with
 * many the AR(1) model's non-centred cells curve (3 machines x 30 minutes: 58 divergences). */
#define COLLAPSE_MIN_DF 15

/* A scale^2 estimated from the spread ss (df > 0 degrees of freedom) of log rates whose mean
 * noise is noise. */
static double scale2(double ss, int df, double noise)
{
    return fmax(0, ss / df - noise);
}

int cr_effects_choose(const cr_cells *c, int cells_pinned, int poisson)
{
    const int K = c->nmachines, C = c->ncells;
    if (C > 0 && c->cell_minute[0] == 0) /* whole machines */
        return K == 1 || cells_pinned ? CR_EFFECTS_CENTRED : CR_EFFECTS_NONCENTRED;
    if (C == 1)
        return CR_EFFECTS_CENTRED;
    /* 1/phi by moments: E(sum of squares about the cell mean) = (n - 1)(m + m^2/phi) */
    double num = 0, den = 0;
    for (int i = 0; i < C && !poisson; i++)
        if (c->cell_n[i] >= 2) {
            const double n = c->cell_n[i], m = c->cell_y[i] / n;
            num += c->cell_yy[i] - n * m * m - (n - 1) * m;
            den += (n - 1) * m * m;
        }
    const double over = num > 0 ? num / den : 0;
    /* per machine, over its cells with counts: their number, mean log rate and mean noise */
    double *r = xmalloc((size_t)(C + 3 * K + 1) * sizeof(double));
    double *L = r + C, *nz = L + K, *q = nz + K, ss = 0, noise = 0;
    int df = 0, ncn = 0;
    memset(L, 0, 3 * (size_t)K * sizeof(double));
    for (int lo = 0, hi; lo < C; lo = hi) {
        const int k = c->cell_machine[lo];
        double sl = 0, sq = 0;
        hi = run_end(c, lo);
        for (int i = lo; i < hi; i++)
            if (c->cell_y[i] > 0) {
                const double l = log(c->cell_y[i] / c->cell_n[i]);
                sl += l, sq += l * l, nz[k] += 1 / c->cell_y[i] + over / c->cell_n[i], q[k]++;
            }
        if (q[k] >= 2) {
            ss += sq - sl * sl / q[k], df += (int)q[k] - 1, noise += nz[k], ncn += (int)q[k];
        }
        if (q[k] > 0)
            L[k] = sl / q[k], nz[k] /= q[k];
    }
    const double sn2 = df > 0 ? scale2(ss, df, noise / ncn) : 1; /* else the prior's */
    int n = 0;
    for (int i = 0; i < C; i++)
        if (c->cell_n[i] > 0)
            r[n++] = c->cell_y[i] > 0 ? sn2 / (1 / c->cell_y[i] + over / c->cell_n[i]) : 0;
    const int cells = cells_pinned && df > 0 && cr_effects_prefer_centred(r, n);
    /* a machine's level: the mean of its cells', each blurred by the minutes' spread */
    double sl = 0, sq = 0, tau = 0;
    int km = 0;
    for (int k = 0; k < K; k++)
        if (q[k] > 0) {
            nz[k] = (sn2 + nz[k]) / q[k];
            sl += L[k], sq += L[k] * L[k], tau += nz[k], km++;
        }
    const double sm2 = km > 1 ? scale2(sq - sl * sl / km, km - 1, tau / km) : 0;
    for (int k = 0; k < K; k++)
        r[k] = q[k] > 0 ? sm2 / nz[k] : 0;
    const int machines = K == 1 || cr_effects_prefer_centred(r, K);
    free(r);
    if (K >= 2)
        return df >= COLLAPSE_MIN_DF ? CR_EFFECTS_COLLAPSED : CR_EFFECTS_COLLAPSED_NC;
    if (cells)
        return machines ? CR_EFFECTS_CENTRED : CR_EFFECTS_CELLS;
    return machines ? CR_EFFECTS_MACHINES : CR_EFFECTS_NONCENTRED;
}

const char *cr_effects_name(int coords)
{
    static const char *const names[CR_EFFECTS_NCOORDS] = {
        "non-centred", "centred", "machines centred", "cells centred", "collapsed",
        "collapsed, cells non-centred"};
    return coords >= 0 && coords < CR_EFFECTS_NCOORDS ? names[coords] : "?";
}
