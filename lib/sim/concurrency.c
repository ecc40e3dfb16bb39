#include "sim/concurrency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>

#include "common/poisson.h"
#include "common/pool.h"
#include "common/xalloc.h"
#include "sim/parallel.h"
#include "sim/quantiles.h"

void cr_sim_sessions_default(cr_sim_sessions *ss)
{
    memset(ss, 0, sizeof *ss);
    ss->burnin_cap = 7200;
    ss->pilot = 10000;
    ss->missed_tol = 1e-3;
    ss->near = 600;
}

static int session_seconds(const cr_sim_sessions *ss, int draw, gsl_rng *r, double *d, cr_err *e)
{
    *d = ss->session_seconds(ss->ctx, r, draw);
    if (!(*d >= 0) || !isfinite(*d))
        return cr_fail(e, "session time model returned %g seconds", *d);
    return 0;
}

/* Smallest b with sum((x - b)+) <= target over the sorted sample x: the sum is linear in b
 * between order statistics, so walk down from the largest. */
static double tail_point(const double *x, int n, double target)
{
    double top = 0;
    for (int c = 1; c <= n; c++) {
        top += x[n - c];
        double b = (top - target) / c;
        if (c == n || b >= x[n - c - 1])
            return b > 0 ? b : 0;
    }
    return 0;
}

long cr_sim_burnin(const cr_sim_sessions *ss, int draw, gsl_rng *r, double *q999, double *missed,
                   cr_err *e)
{
    int n = ss->pilot > 0 ? ss->pilot : 1;
    double *x = xmalloc(n * sizeof *x);
    for (int i = 0; i < n; i++)
        if (session_seconds(ss, draw, r, &x[i], e) < 0) {
            free(x);
            return -1;
        }
    cr_sim_sort(x, n);
    double total = 0;
    for (int i = 0; i < n; i++)
        total += x[i];
    *q999 = cr_sim_midquantile_sorted(x, n, 0.999);
    double b = fmax(*q999, tail_point(x, n, ss->missed_tol * total));
    long burnin = (long)ceil(fmin(b, ss->burnin_cap) / 60) * 60;
    double tail = 0;
    for (int i = 0; i < n; i++)
        tail += x[i] > burnin ? x[i] - burnin : 0;
    *missed = total > 0 ? tail / total : 0;
    free(x);
    return burnin;
}

/* The burn-in by the pilot rule, from the stop-loss G itself (no pilot sample): the shortest
 * whole minutes b with G(b) <= missed_tol G(0) and P(T > b) <= 0.001, at most burnin_cap; and
 * a[k] = G(k) - G(k + 1) for k < b + seconds into *a (fresh). P(T > k) is taken as a[k], the
 * mean of the survival over (k, k + 1): q999 is to the second. */
static long stoploss_kernel(const cr_sim_sessions *ss, int draw, long seconds, double **a,
                            double *q999, double *missed)
{
    const double g0 = ss->stoploss(ss->ctx, draw, 0);
    long cap = (long)ceil(ss->burnin_cap / 60) * 60, cap_len = cap + seconds, len = cap_len;
    long burnin = -1;
    double *x = xmalloc((size_t)cap_len * sizeof *x), g = g0;
    *q999 = -1;
    for (long k = 0; k < len; k++) {
        double next = ss->stoploss(ss->ctx, draw, (double)k + 1);
        x[k] = g - next;
        if (*q999 < 0 && x[k] <= 1e-3)
            *q999 = (double)k;
        if (burnin < 0 && k % 60 == 0 && *q999 >= 0 &&
            g <= ss->missed_tol * g0) {
            burnin = k;
            len = k + seconds;
            *missed = g0 > 0 ? g / g0 : 0;
        }
        if (burnin < 0 && k == cap) {
            burnin = cap;
            *missed = g0 > 0 ? g / g0 : 0;
        }
        g = next;
    }
    if (*q999 < 0)
        *q999 = (double)len;
    *a = x;
    return burnin;
}

typedef struct {
    const cr_sim_sessions *ss;
    cr_sim_kernels *k;
} kernels_job;

static void kernel_of(void *ctx, size_t d, int worker)
{
    const kernels_job *J = ctx;
    cr_sim_kernels *k = J->k;
    (void)worker;
    k->burnin[d] = stoploss_kernel(J->ss, (int)d, k->seconds, &k->a[d], &k->q999[d],
                                   &k->missed[d]);
}

void cr_sim_kernels_build(const cr_sim_sessions *ss, int ndraws, long seconds, int threads,
                          cr_sim_kernels *k)
{
    k->ndraws = ndraws;
    k->seconds = seconds;
    k->burnin = xmalloc((size_t)ndraws * sizeof *k->burnin);
    k->q999 = xmalloc((size_t)ndraws * sizeof *k->q999);
    k->missed = xmalloc((size_t)ndraws * sizeof *k->missed);
    k->a = xmalloc((size_t)ndraws * sizeof *k->a);
    kernels_job J = {ss, k};
    cr_pool_run((size_t)ndraws, cr_pool_threads(threads), kernel_of, &J);
}

void cr_sim_kernels_free(cr_sim_kernels *k)
{
    for (int d = 0; d < k->ndraws; d++)
        free(k->a[d]);
    free(k->a);
    free(k->burnin);
    free(k->q999);
    free(k->missed);
    memset(k, 0, sizeof *k);
}

int cr_sim_sweep(const double *arrivals, long burnin, long nsec, const cr_sim_sessions *ss,
                 int draw, gsl_rng *r, double *ends, double *alive, cr_err *e)
{
    long len = burnin + nsec;
    double *diff = xcalloc(len, sizeof *diff);
    if (ends)
        memset(ends, 0, nsec * sizeof *ends);
    for (long j = 0; j < len; j++) {
        for (double k = 0; k < arrivals[j]; k++) { /* no cast: counts can pass LONG_MAX */
            double d;
            if (session_seconds(ss, draw, r, &d, e) < 0) {
                free(diff);
                return -1;
            }
            /* U > 0 makes end > j, so the session leaves at the snapshot ending second
             * ceil(end) - 1 >= j: held at instant t + 1 iff j <= t < ceil(end) - 1. */
            double end = j + gsl_rng_uniform_pos(r) + d;
            diff[j] += 1;
            if (end < len) {
                diff[(long)ceil(end) - 1] -= 1;
                if (ends && end >= burnin)
                    ends[(long)end - burnin] += 1;
            }
        }
    }
    double held = 0;
    for (long j = 0; j < len; j++) {
        held += diff[j];
        if (alive && j >= burnin)
            alive[j - burnin] = held;
    }
    free(diff);
    return 0;
}

/* Linear convolution by FFT (radix 2, length m >= 2n so nothing wraps around): the product of
 * two transforms in GSL's half-complex layout. */
static void halfcomplex_mul(double *a, const double *b, size_t m)
{
    a[0] *= b[0];
    a[m / 2] *= b[m / 2];
    for (size_t i = 1; i < m / 2; i++) {
        double re = a[i] * b[i] - a[m - i] * b[m - i], im = a[i] * b[m - i] + a[m - i] * b[i];
        a[i] = re;
        a[m - i] = im;
    }
}

/* out[t] = sum_{j <= t} x[j] kern[t - j] for t < n, kern given by its transform. */
static void convolve(size_t n, size_t m, const double *x, const double *kern_hc, double *work,
                     double *out)
{
    memset(work, 0, m * sizeof *work);
    memcpy(work, x, n * sizeof *work);
    gsl_fft_real_radix2_transform(work, 1, m);
    halfcomplex_mul(work, kern_hc, m);
    gsl_fft_halfcomplex_radix2_inverse(work, 1, m);
    memcpy(out, work, n * sizeof *out);
}

static void transform_kernel(size_t n, size_t m, const double *kern, double *hc)
{
    memset(hc, 0, m * sizeof *hc);
    memcpy(hc, kern, n * sizeof *hc);
    gsl_fft_real_radix2_transform(hc, 1, m);
}

/* What the far minutes add to the Poisson means of the record's seconds: minute m spreads its
 * intensity over seconds 60 m .. 60 m + 59, which second T sees at lags K .. K + 59, K = T - 60 m
 * - 59, so it adds far_rate[m] times sum a[K..K+59] (alive) or, telescoping,
 * a[K - 1] - a[K + 59] (ends); K >= near + 1. */
static void add_far(const double *far_rate, long far, long near, long nsec, const double *a,
                    int ends, double *mean)
{
    const long len = 60 * far + near + nsec;
    double *cum = NULL; /* cum[k] = a[0] + ... + a[k - 1] */
    if (!ends) {
        cum = xmalloc(((size_t)len + 1) * sizeof *cum);
        cum[0] = 0;
        for (long k = 0; k < len; k++)
            cum[k + 1] = cum[k] + a[k];
    }
    for (long t = 0; t < nsec; t++) {
        const long T = 60 * far + near + t;
        double sum = 0;
        for (long m = 0; m < far; m++) {
            const long K = T - 60 * m - 59;
            sum += far_rate[m] * (ends ? a[K - 1] - a[K + 59] : cum[K + 60] - cum[K]);
        }
        mean[t] += sum;
    }
    free(cum);
}

void cr_sim_thin(const double *far_rate, long far, const double *rate, long burnin, long nsec,
                 const double *a, gsl_rng *r, double *ends, double *alive)
{
    const size_t n = (size_t)(burnin + nsec);
    size_t m = 2;
    while (m < 2 * n)
        m *= 2;
    double *kern = xmalloc(n * sizeof *kern);
    double *hc = xmalloc(m * sizeof *hc), *work = xmalloc(m * sizeof *work);
    double *mean = xmalloc(n * sizeof *mean);
    for (int what = 0; what < 2; what++) {
        double *out = what ? ends : alive;
        if (!out)
            continue;
        for (size_t k = 0; k < n; k++)
            kern[k] = what ? (k ? a[k - 1] : 1) - a[k] : a[k];
        transform_kernel(n, m, kern, hc);
        convolve(n, m, rate, hc, work, mean);
        add_far(far_rate, far, burnin, nsec, a, what, mean + burnin);
        for (long t = 0; t < nsec; t++) {
            double mu = mean[burnin + t];
            out[t] = cr_poisson(r, mu); /* 0 where FFT noise dips below 0 */
        }
    }
    free(kern);
    free(hc);
    free(work);
    free(mean);
}

typedef struct {
    const cr_sim_draw *draws;
    int ndraws;
    const cr_sim_config *cfg;
    const cr_sim_sessions *ss;
    double *arrivals, *ends, *alive;
    cr_sim_concurrency_info *info; /* [draw] */
} conc_job;

static double *row(double *a, int d, long n)
{
    return a ? a + (size_t)d * n : NULL;
}

static int run_draw(void *ctx, int d, gsl_rng *r, cr_err *e)
{
    conc_job *J = ctx;
    const cr_sim_sessions *ss = J->ss;
    cr_sim_concurrency_info *in = &J->info[d];
    long n = J->cfg->seconds, burnin;
    double *a = NULL; /* the kernel, when not shared */
    const double *ka = NULL;
    if (ss->kernels) {
        burnin = ss->kernels->burnin[d];
        in->q999 = ss->kernels->q999[d];
        in->missed = ss->kernels->missed[d];
        ka = ss->kernels->a[d];
    } else if (ss->stoploss) {
        burnin = stoploss_kernel(ss, d, n, &a, &in->q999, &in->missed);
        ka = a;
    } else if ((burnin = cr_sim_burnin(ss, d, r, &in->q999, &in->missed, e)) < 0) {
        return -1;
    }
    in->burnin = burnin;
    int thin = ss->stoploss && cr_sim_poisson_mixture(&J->draws[d]);
    /* seconds drawn one by one: the burn-in's last `near` (whole minutes) with the thinning */
    long near = burnin;
    if (thin && ss->near >= 0) {
        const long whole = (ss->near + 59) / 60 * 60;
        near = whole < burnin ? whole : burnin;
    }
    const long far = (burnin - near) / 60;
    double *arr = xmalloc((near + n) * sizeof *arr);
    double *rate = thin ? xmalloc((near + n) * sizeof *rate) : NULL;
    double *far_rate = xmalloc(((size_t)far + 1) * sizeof *far_rate);
    cr_sim_strata st;
    cr_sim_users_draw_far(&J->draws[d], J->cfg->nusers, far, far_rate, near + n,
                          J->cfg->skew_tol, J->cfg->large_n,
                          cr_sim_strata_of(J->cfg, d, J->ndraws, &st), r, arr, rate, NULL);
    int rc = 0;
    if (thin)
        cr_sim_thin(far_rate, far, rate, near, n, ka, r, row(J->ends, d, n),
                    row(J->alive, d, n));
    else
        rc = cr_sim_sweep(arr, burnin, n, ss, d, r, row(J->ends, d, n), row(J->alive, d, n), e);
    free(rate);
    free(far_rate);
    free(a);
    if (J->arrivals)
        memcpy(row(J->arrivals, d, n), arr + near, n * sizeof *arr);
    free(arr);
    return rc;
}

int cr_sim_concurrency(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg,
                       const cr_sim_sessions *ss, double *arrivals, double *ends, double *alive,
                       cr_sim_concurrency_info *info, cr_err *e)
{
    if (cr_sim_check(draws, ndraws, cfg, e) < 0)
        return -1;
    if (!ss->session_seconds || !(ss->burnin_cap >= 0))
        return cr_fail(e, "simulate: no session time model or a negative burn-in cap");
    if (ss->kernels && (ss->kernels->ndraws < ndraws || ss->kernels->seconds != cfg->seconds))
        return cr_fail(e, "simulate: session kernels built for other draws or seconds");
    conc_job J = {draws, ndraws, cfg, ss, arrivals, ends, alive, xcalloc(ndraws, sizeof *J.info)};
    int rc = cr_sim_parallel(ndraws, cfg->threads, cfg->seed, "simulating sessions", run_draw,
                             &J, e);
    if (info) {
        memset(info, 0, sizeof *info);
        for (int d = 0; d < ndraws; d++) {
            info->burnin = J.info[d].burnin > info->burnin ? J.info[d].burnin : info->burnin;
            info->q999 = fmax(info->q999, J.info[d].q999);
            info->missed = fmax(info->missed, J.info[d].missed);
        }
    }
    free(J.info);
    return rc;
}
