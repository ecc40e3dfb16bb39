#include "duration/km.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

typedef struct {
    double t;
    uint8_t cens;
} km_obs;

static int cmp_km(const void *a, const void *b)
{
    const km_obs *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)x->cens - (int)y->cens; /* events before censorings at the same time */
}

void cr_km_estimate(cr_km *km, size_t n, const double *t, const uint8_t *censored)
{
    memset(km, 0, sizeof *km);
    km_obs *o = xmalloc((n + 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = (km_obs){t[i], (uint8_t)(censored && censored[i])};
    qsort(o, n, sizeof *o, cmp_km);
    km->t = xmalloc((n + 1) * sizeof(double));
    km->s = xmalloc((n + 1) * sizeof(double));
    km->se = xmalloc((n + 1) * sizeof(double));
    double s = 1, gw = 0; /* Greenwood: sum of d / (r (r - d)) */
    for (size_t i = 0; i < n;) {
        size_t j = i, events = 0;
        while (j < n && o[j].t == o[i].t)
            events += !o[j++].cens;
        double at_risk = (double)(n - i);
        if (events) {
            s *= 1 - (double)events / at_risk;
            gw += at_risk > (double)events ? (double)events / (at_risk * (at_risk - events)) : 0;
            km->t[km->n] = o[i].t;
            km->s[km->n] = s;
            km->se[km->n++] = s * sqrt(gw);
        }
        i = j;
    }
    free(o);
}

double cr_km_at(const cr_km *km, double t, double *se)
{
    /* the last step at or before t */
    size_t lo = 0, hi = km->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (km->t[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (se)
        *se = lo ? km->se[lo - 1] : 0;
    return lo ? km->s[lo - 1] : 1;
}

double cr_km_mean(const cr_km *km)
{
    double area = 0, prev_t = 0, prev_s = 1;
    for (size_t i = 0; i < km->n; i++) {
        area += prev_s * (km->t[i] - prev_t);
        prev_t = km->t[i];
        prev_s = km->s[i];
    }
    return area;
}

void cr_km_free(cr_km *km)
{
    free(km->t);
    free(km->s);
    free(km->se);
    memset(km, 0, sizeof *km);
}
