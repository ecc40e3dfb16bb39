#include "model/effects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double cr_effects_eta(const cr_cells *c, const cr_effects *x, double *eta)
{
    const int K = c->nmachines, C = c->ncells;
    const double *zk = x->zk, *zc = x->zc, sm = x->sigma_machine, sn = x->sigma_minute;
    double sk = 0, sc = 0; /* sums of squared standardized effects */
    if (!x->centred) {
        for (int k = 0; k < K; k++)
            sk += zk[k] * zk[k];
        for (int i = 0; i < C; i++) {
            eta[i] = x->alpha + sm * zk[c->cell_machine[i]];
            if (zc) {
                eta[i] += sn * zc[i];
                sc += zc[i] * zc[i];
            }
        }
        return -0.5 * (sk + sc);
    }
    for (int k = 0; k < K; k++)
        sk += (zk[k] - x->alpha) * (zk[k] - x->alpha);
    double lp = -0.5 * sk / (sm * sm) - K * log(sm);
    for (int i = 0; i < C; i++) {
        eta[i] = zc ? zc[i] : zk[c->cell_machine[i]];
        if (zc) {
            double r = zc[i] - zk[c->cell_machine[i]];
            sc += r * r;
        }
    }
    if (zc)
        lp -= 0.5 * sc / (sn * sn) + C * log(sn);
    return lp;
}

void cr_effects_grad(const cr_cells *c, const cr_effects *x, double *g, double *gk,
                     double *gfixed)
{
    const int K = c->nmachines, C = c->ncells;
    const double *zk = x->zk, *zc = x->zc, sm = x->sigma_machine, sn = x->sigma_minute;
    double ga = 0, gsm = 0, gsn = 0;
    memset(gk, 0, (size_t)K * sizeof(double));
    if (!x->centred) {
        for (int i = 0; i < C; i++) {
            ga += g[i];
            gk[c->cell_machine[i]] += g[i];
            if (zc) {
                gsn += g[i] * zc[i];
                g[i] = sn * g[i] - zc[i];
            }
        }
        for (int k = 0; k < K; k++) {
            gsm += gk[k] * zk[k];
            gk[k] = sm * gk[k] - zk[k];
        }
        gsm *= sm;
        gsn *= sn;
    } else {
        const double pk = 1 / (sm * sm), pc = 1 / (sn * sn);
        double sk = 0, sc = 0;
        for (int i = 0; i < C; i++) {
            if (!zc) {
                gk[c->cell_machine[i]] += g[i];
                continue;
            }
            double r = zc[i] - zk[c->cell_machine[i]];
            sc += r * r;
            g[i] -= r * pc;
            gk[c->cell_machine[i]] += r * pc;
        }
        for (int k = 0; k < K; k++) {
            double r = zk[k] - x->alpha;
            sk += r * r;
            gk[k] -= r * pk;
            ga += r * pk;
        }
        gsm = sk * pk - K;
        gsn = sc * pc - C;
    }
    gfixed[0] += ga;
    gfixed[1] += gsm;
    if (zc)
        gfixed[2] += gsn;
}

void cr_effects_standardize(const cr_cells *c, const cr_effects *x, double *zk, double *zc)
{
    const int K = c->nmachines, C = c->ncells;
    if (!x->centred) {
        memcpy(zk, x->zk, (size_t)K * sizeof(double));
        if (x->zc)
            memcpy(zc, x->zc, (size_t)C * sizeof(double));
        return;
    }
    for (int k = 0; k < K; k++)
        zk[k] = (x->zk[k] - x->alpha) / x->sigma_machine;
    if (x->zc)
        for (int i = 0; i < C; i++)
            zc[i] = (x->zc[i] - x->zk[c->cell_machine[i]]) / x->sigma_minute;
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

int cr_effects_prefer_centred(double *info, int ncells)
{
    if (ncells == 0)
        return 0;
    qsort(info, (size_t)ncells, sizeof(double), cmp_double);
    return info[ncells / 2] > 4;
}
