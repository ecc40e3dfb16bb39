/* The public measures and summarise_draws(): each measure is a function of a variable whose
 * draws are already sorted into the workspace, so a summary sorts once and reuses the sort
 * (and the bulk z-scores) across measures. */
#include <math.h>
#include <stdlib.h>

#include "common/gsl_handler.h"
#include "common/pool.h"
#include "common/xalloc.h"
#include "diag/diag_internal.h"

enum { EXTRA = 1 }; /* summarise() also computes the fields cr_diag_summarise_full() adds */

typedef double (*measure_fn)(cr_diag_ws *ws, const double *x, int chains, int n, double prob);

static size_t draws_of(int chains, int n)
{
    return chains > 0 && n > 0 ? (size_t)chains * (size_t)n : 0;
}

/* R's max()/min() of two values: NA wins. */
static double na_max(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : fmax(a, b);
}

static double na_min(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : fmin(a, b);
}

static double m_rhat_bulk(cr_diag_ws *ws, int chains, int n)
{
    cr_diag_zscale_bulk(ws, chains, n);
    return cr_diag_rhat_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
}

static double m_rhat_tail(cr_diag_ws *ws, int chains, int n)
{
    double med = cr_diag_median_sorted(ws->sorted, draws_of(chains, n));
    if (cr_diag_zscale_fold(ws, chains, n, med) < 0) return NAN;
    return cr_diag_rhat_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
}

static double m_rhat(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    double bulk = m_rhat_bulk(ws, chains, n);
    return na_max(bulk, m_rhat_tail(ws, chains, n));
}

static double m_ess_bulk(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    cr_diag_zscale_bulk(ws, chains, n);
    return cr_diag_ess_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
}

static double m_ess_quantile(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    return cr_diag_ess_quantile_sorted(ws, x, chains, n, prob);
}

static double m_ess_tail(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    double lo = cr_diag_ess_quantile_sorted(ws, x, chains, n, 0.05);
    return na_min(lo, cr_diag_ess_quantile_sorted(ws, x, chains, n, 0.95));
}

static double m_mcse_quantile(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    double ess = cr_diag_ess_quantile_sorted(ws, x, chains, n, prob);
    return cr_diag_mcse_quantile_sorted(draws_of(chains, n), ws->sorted, ess, prob);
}

static double m_quantile(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    return cr_diag_quantile_sorted(ws->sorted, draws_of(chains, n), prob);
}

/* The measures below work on the raw draws and need no sort. */

static double m_rhat_basic(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    cr_diag_split(x, chains, n, ws->mat);
    return cr_diag_rhat_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
}

static double m_ess_basic(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    cr_diag_split(x, chains, n, ws->mat);
    return cr_diag_ess_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
}

/* ESS of split(f(x - mean(x))) for f = |.| (ess_sd) or square (mcse_sd). */
static double ess_centred(cr_diag_ws *ws, const double *x, int chains, int n, int square)
{
    cr_split sp = cr_diag_split_shape(chains, n);
    double m = cr_diag_mean(x, draws_of(chains, n));
    cr_diag_split(x, chains, n, ws->mat);
    for (size_t i = 0; i < (size_t)sp.cols * sp.len; i++) {
        double d = ws->mat[i] - m;
        ws->mat[i] = square ? d * d : fabs(d);
    }
    return cr_diag_ess_mat(ws, ws->mat, sp);
}

static double m_ess_sd(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    return ess_centred(ws, x, chains, n, 0);
}

static double m_mcse_mean(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    double sd = sqrt(cr_diag_var(x, draws_of(chains, n)));
    return sd / sqrt(m_ess_basic(ws, x, chains, n, prob));
}

/* R's mean((x - m)^p) for p = 2 or 4, without materializing the powers. */
static double mean_centred_pow(const double *x, size_t s, double m, int p)
{
    double sum = 0;
    for (size_t i = 0; i < s; i++) {
        double d2 = (x[i] - m) * (x[i] - m);
        sum += p == 2 ? d2 : d2 * d2;
    }
    sum /= (double)s;
    if (isfinite(sum)) {
        double t = 0;
        for (size_t i = 0; i < s; i++) {
            double d2 = (x[i] - m) * (x[i] - m);
            t += (p == 2 ? d2 : d2 * d2) - sum;
        }
        sum += t / (double)s;
    }
    return sum;
}

static double m_mcse_sd(cr_diag_ws *ws, const double *x, int chains, int n, double prob)
{
    size_t s = draws_of(chains, n);
    double m = cr_diag_mean(x, s);
    double ess = ess_centred(ws, x, chains, n, 1);
    double evar = mean_centred_pow(x, s, m, 2);
    double varvar = (mean_centred_pow(x, s, m, 4) - evar * evar) / ess;
    return sqrt(varvar / evar / 4);
}

/* Runs one measure with NaN handling and a workspace (the caller's or a temporary one). */
static double measure(measure_fn f, int sorted, const double *x, int chains, int n, double prob,
                      cr_diag_ws *ws)
{
    size_t s = draws_of(chains, n);
    for (size_t i = 0; i < s; i++)
        if (isnan(x[i])) return NAN;
    if (s == 0) return NAN;
    cr_diag_ws *own = ws ? NULL : (ws = cr_diag_ws_new());
    cr_diag_ws_reserve(ws, s);
    if (sorted) cr_diag_sort(ws, x, s);
    double r = f(ws, x, chains, n, prob);
    cr_diag_ws_free(own);
    return r;
}

double cr_diag_rhat(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_rhat, 1, draws, chains, n, 0, ws);
}

double cr_diag_rhat_basic(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_rhat_basic, 0, draws, chains, n, 0, ws);
}

double cr_diag_ess_bulk(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_ess_bulk, 1, draws, chains, n, 0, ws);
}

double cr_diag_ess_tail(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_ess_tail, 1, draws, chains, n, 0, ws);
}

double cr_diag_ess_basic(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_ess_basic, 0, draws, chains, n, 0, ws);
}

double cr_diag_ess_sd(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_ess_sd, 0, draws, chains, n, 0, ws);
}

double cr_diag_ess_quantile(const double *draws, int chains, int n, double prob,
                            cr_diag_ws *ws)
{
    return measure(m_ess_quantile, 1, draws, chains, n, prob, ws);
}

double cr_diag_mcse_mean(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_mcse_mean, 0, draws, chains, n, 0, ws);
}

double cr_diag_mcse_sd(const double *draws, int chains, int n, cr_diag_ws *ws)
{
    return measure(m_mcse_sd, 0, draws, chains, n, 0, ws);
}

double cr_diag_mcse_quantile(const double *draws, int chains, int n, double prob,
                             cr_diag_ws *ws)
{
    return measure(m_mcse_quantile, 1, draws, chains, n, prob, ws);
}

double cr_diag_quantile(const double *draws, int chains, int n, double prob, cr_diag_ws *ws)
{
    return measure(m_quantile, 1, draws, chains, n, prob, ws);
}

static void summarise_sorted(cr_diag_ws *ws, const double *x, int chains, int n,
                             unsigned what, cr_diag_summary *o)
{
    size_t s = draws_of(chains, n);
    o->median = cr_diag_median_sorted(ws->sorted, s);
    o->q5 = cr_diag_quantile_sorted(ws->sorted, s, 0.05);
    o->q50 = cr_diag_quantile_sorted(ws->sorted, s, 0.5);
    o->q95 = cr_diag_quantile_sorted(ws->sorted, s, 0.95);

    /* bulk z-scores serve both R-hat and ESS before the folded ones replace them */
    double rhat_bulk = m_rhat_bulk(ws, chains, n);
    o->ess_bulk = cr_diag_ess_mat(ws, ws->mat, cr_diag_split_shape(chains, n));
    double rhat_tail = m_rhat_tail(ws, chains, n);
    o->rhat = na_max(rhat_bulk, rhat_tail);
    /* mad = 1.4826 * median(|x - median|); the fold step left those sorted */
    o->mad = isfinite(o->median) ? 1.4826 * cr_diag_median_sorted(ws->fold, s) : NAN;

    double ess_q5 = cr_diag_ess_quantile_sorted(ws, x, chains, n, 0.05);
    double ess_q95 = cr_diag_ess_quantile_sorted(ws, x, chains, n, 0.95);
    o->ess_tail = na_min(ess_q5, ess_q95);
    o->ess_basic = m_ess_basic(ws, x, chains, n, 0);
    o->mcse_mean = o->sd / sqrt(o->ess_basic);
    if (!(what & EXTRA)) return;

    o->ess_median = cr_diag_ess_quantile_sorted(ws, x, chains, n, 0.5);
    o->mcse_q5 = cr_diag_mcse_quantile_sorted(s, ws->sorted, ess_q5, 0.05);
    o->mcse_q50 = cr_diag_mcse_quantile_sorted(s, ws->sorted, o->ess_median, 0.5);
    o->mcse_q95 = cr_diag_mcse_quantile_sorted(s, ws->sorted, ess_q95, 0.95);
    o->rhat_basic = m_rhat_basic(ws, x, chains, n, 0);
    o->ess_sd = m_ess_sd(ws, x, chains, n, 0);
    o->mcse_sd = m_mcse_sd(ws, x, chains, n, 0);
}

static void summarise(const double *draws, int chains, int n, unsigned what, cr_diag_ws *ws,
                      cr_diag_summary *out)
{
    cr_gsl_handler_init(); /* qbeta's gsl_sf_lnbeta */
    size_t s = draws_of(chains, n);
    int has_nan = 0;
    for (size_t i = 0; i < s; i++) has_nan |= isnan(draws[i]);
    *out = (cr_diag_summary){
        .mean = cr_diag_mean(draws, s), .sd = sqrt(cr_diag_var(draws, s)), .median = NAN,
        .mad = NAN, .q5 = NAN, .q50 = NAN, .q95 = NAN, .rhat = NAN, .rhat_basic = NAN,
        .ess_bulk = NAN, .ess_tail = NAN, .ess_basic = NAN, .ess_sd = NAN, .ess_median = NAN,
        .mcse_mean = NAN, .mcse_sd = NAN, .mcse_q5 = NAN, .mcse_q50 = NAN, .mcse_q95 = NAN};
    if (s == 0 || has_nan) return;
    cr_diag_ws *own = ws ? NULL : (ws = cr_diag_ws_new());
    cr_diag_ws_reserve(ws, s);
    cr_diag_sort(ws, draws, s);
    summarise_sorted(ws, draws, chains, n, what, out);
    cr_diag_ws_free(own);
}

void cr_diag_summarise(const double *draws, int chains, int n, cr_diag_ws *ws,
                       cr_diag_summary *out)
{
    summarise(draws, chains, n, 0, ws, out);
}

void cr_diag_summarise_full(const double *draws, int chains, int n, cr_diag_ws *ws,
                            cr_diag_summary *out)
{
    summarise(draws, chains, n, EXTRA, ws, out);
}

typedef struct {
    const double *draws;
    int chains, n;
    cr_diag_ws **ws; /* [worker] */
    cr_diag_summary *out;
} many;

static void summarise_one(void *ctx, size_t v, int worker)
{
    const many *m = ctx;
    cr_diag_summarise(m->draws + v * draws_of(m->chains, m->n), m->chains, m->n, m->ws[worker],
                      m->out + v);
}

void cr_diag_summarise_many(const double *draws, int vars, int chains, int n, int threads,
                            cr_diag_summary *out)
{
    threads = threads < 1 ? 1 : threads;
    many m = {draws, chains, n, xmalloc((size_t)threads * sizeof(cr_diag_ws *)), out};
    for (int t = 0; t < threads; t++)
        m.ws[t] = cr_diag_ws_new();
    cr_pool_run(vars > 0 ? (size_t)vars : 0, threads, summarise_one, &m);
    for (int t = 0; t < threads; t++)
        cr_diag_ws_free(m.ws[t]);
    free(m.ws);
}
