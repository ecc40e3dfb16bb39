#include "ppc/ppc_acc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_ppc_acc_free(cr_ppc_acc *a)
{
    free(a->hist);
    free(a->mtot);
    memset(a, 0, sizeof *a);
}

void cr_ppc_acc_reset(cr_ppc_acc *a)
{
    if (a->len > 0)
        memset(a->hist, 0, (size_t)a->len * sizeof *a->hist);
    a->len = 0;
    a->n = 0;
    a->minute_max = 0;
}

static void acc_widen(cr_ppc_acc *a, int len)
{
    if (len <= a->len)
        return;
    xgrow(&a->hist, &a->cap, (size_t)len, sizeof *a->hist);
    memset(a->hist + a->len, 0, (size_t)(len - a->len) * sizeof *a->hist);
    a->len = len;
}

void cr_ppc_acc_add(cr_ppc_acc *a, const int *y, const int *minute, size_t n, int nminutes)
{
    int max = -1;
    for (size_t i = 0; i < n; i++)
        max = y[i] > max ? y[i] : max;
    acc_widen(a, max + 1);
    xgrow(&a->mtot, &a->mcap, (size_t)nminutes + 1, sizeof *a->mtot);
    memset(a->mtot, 0, ((size_t)nminutes + 1) * sizeof *a->mtot);
    for (size_t i = 0; i < n; i++) {
        a->hist[y[i]]++;
        a->mtot[minute[i]] += y[i];
    }
    for (int m = 1; m <= nminutes; m++)
        a->minute_max = a->mtot[m] > a->minute_max ? a->mtot[m] : a->minute_max;
    a->n += n;
}

void cr_ppc_acc_add_count(cr_ppc_acc *a, int y, long times)
{
    acc_widen(a, y + 1);
    a->hist[y] += (int)times;
    a->n += (size_t)times;
}

cr_ppc_sink *cr_ppc_sink_new(void)
{
    return xcalloc(1, sizeof(cr_ppc_sink));
}

void cr_ppc_sink_free(cr_ppc_sink *s)
{
    if (s)
        cr_ppc_acc_free(&s->acc);
    free(s);
}

void cr_ppc_sink_reset(cr_ppc_sink *s)
{
    cr_ppc_acc_reset(&s->acc);
    s->minute_total = 0;
    s->has_bad = 0;
}

void cr_ppc_sink_add(cr_ppc_sink *s, int y, long times)
{
    if (y < 0 || y > CR_PPC_COUNT_LIMIT) {
        if (!s->has_bad)
            s->has_bad = 1, s->bad = y;
        return;
    }
    if (times <= 0)
        return;
    cr_ppc_acc_add_count(&s->acc, y, times);
    s->minute_total += (long long)y * times;
}

void cr_ppc_sink_end_minute(cr_ppc_sink *s)
{
    s->acc.minute_max = s->minute_total > s->acc.minute_max ? s->minute_total
                                                            : s->acc.minute_max;
    s->minute_total = 0;
}

void cr_ppc_sink_stats(const cr_ppc_sink *s, double *T)
{
    cr_ppc_acc_stats(&s->acc, T);
}

int cr_ppc_sink_bad(const cr_ppc_sink *s, int *y)
{
    if (s->has_bad)
        *y = s->bad;
    return s->has_bad;
}

void cr_ppc_acc_merge(cr_ppc_acc *a, const cr_ppc_acc *b)
{
    acc_widen(a, b->len);
    for (int c = 0; c < b->len; c++)
        a->hist[c] += b->hist[c];
    a->n += b->n;
    a->minute_max = b->minute_max > a->minute_max ? b->minute_max : a->minute_max;
}

/* The j-th smallest count (0-based). */
static int order_stat(const cr_ppc_acc *a, size_t j)
{
    size_t seen = 0;
    for (int c = 0; c < a->len; c++) {
        seen += (size_t)a->hist[c];
        if (seen > j)
            return c;
    }
    return a->len - 1;
}

/* Type 7 exactly as R's quantile.default computes it (index = 1 + (n-1)p; interpolation
 * (1-h) lo + h hi only when the neighbours differ), so results match R to the last bit. */
double cr_ppc_type7(double (*at)(const void *, size_t), const void *x, size_t n, double p)
{
    double index = 1 + (double)(n - 1) * p;
    double lo = floor(index), hi = ceil(index);
    double qs = at(x, (size_t)lo - 1);
    if (index > lo) {
        double xh = at(x, (size_t)hi - 1);
        if (xh != qs) {
            double h = index - lo;
            qs = (1 - h) * qs + h * xh;
        }
    }
    return qs;
}

static double hist_at(const void *a, size_t j)
{
    return order_stat(a, j);
}

void cr_ppc_acc_stats(const cr_ppc_acc *a, double *T)
{
    /* Integer sums via long double: exact below 2^64, whatever the row order. */
    long double s1 = 0, s2 = 0, n = (long double)a->n;
    for (int c = 1; c < a->len; c++) {
        s1 += (long double)a->hist[c] * c;
        s2 += (long double)a->hist[c] * c * (long double)c;
    }
    T[CR_PPC_MEAN] = a->n ? (double)(s1 / n) : NAN;
    T[CR_PPC_VAR] = a->n > 1 ? (double)((n * s2 - s1 * s1) / (n * (n - 1))) : NAN;
    T[CR_PPC_ZERO] = a->n ? (double)(a->len > 0 ? a->hist[0] : 0) / (double)a->n : NAN;
    T[CR_PPC_Q90] = a->n ? cr_ppc_type7(hist_at, a, a->n, 0.90) : NAN;
    T[CR_PPC_Q99] = a->n ? cr_ppc_type7(hist_at, a, a->n, 0.99) : NAN;
    T[CR_PPC_MAX] = a->n ? a->len - 1 : NAN;
    T[CR_PPC_MINUTE_MAX] = a->n ? (double)a->minute_max : NAN;
}

void cr_ppc_acc_fold(const cr_ppc_acc *a, int *bins)
{
    memset(bins, 0, (CR_PPC_MAX_CLASSES + 1) * sizeof *bins);
    for (int c = 0; c < a->len; c++)
        bins[c < CR_PPC_MAX_CLASSES ? c : CR_PPC_MAX_CLASSES] += a->hist[c];
}

int cr_ppc_bins_quantile(const long long *bins, int nbins, double q)
{
    long long total = 0, seen = 0;
    for (int c = 0; c < nbins; c++)
        total += bins[c];
    for (int c = 0; c < nbins; c++) {
        seen += bins[c];
        if ((double)seen >= q * (double)total)
            return c;
    }
    return nbins - 1;
}

static double array_at(const void *x, size_t j)
{
    return ((const double *)x)[j];
}

double cr_ppc_quantile7(const double *sorted, size_t n, double p)
{
    return n ? cr_ppc_type7(array_at, sorted, n, p) : NAN;
}
