/* The censored duration mixture of one protocol (lib/duration). 1 to CR_DUR_KMAX
 * components are judged through their Laplace approximations corrected by importance sampling:
 * PSIS-LOO and the check against Kaplan-Meier (cr_duration_ppc_run); the number kept by the rule
 * of the rate ladder (ladder/ladder.h) is fitted with NUTS, judged by the rate fits' criteria
 * with their retry ladder (fit/fit.h), checked again, and thinned to the draws the simulation
 * pairs with the rate draws. The durations are binned (CR_DURATION_COARSEN) and the chains start
 * around the highest mode found (cr_duration_find_start): docs/durations.md. Writes
 * DIR/fit/durations/diagnostics/loo_duration_PROTO.csv (the candidates) and
 * ppc_duration_PROTO.csv (the checks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/clock.h"
#include "common/outfile.h"
#include "common/pool.h"
#include "common/splitmix.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "duration/check.h"
#include "duration/from_flows.h"
#include "duration/km.h"
#include "duration/mixture.h"
#include "duration/start.h"
#include "ingest/packet.h"
#include "loo/loo.h"
#include "sizing/sizing_internal.h"

/* Independent draws of each candidate's Laplace approximation behind its PSIS-LOO: a
 * multivariate t with the Laplace covariance, whose heavier tails cover the skew of a mixture's
 * posterior that a normal misses (on the 8 x 8 h TCP flows with 4 components, Pareto k 0.89
 * with a normal proposal). */
#define APPROX_DRAWS 1000
#define APPROX_DF 5.0
/* The approximation is trusted where the Pareto k of its importance ratios p / g is at most
 * this (loo's threshold for reliable importance sampling). */
#define APPROX_K_MAX 0.7
/* The chosen fit's sampler: 4 chains of 500 warmup and 500 draws, not cmdstan's 1000 + 1000.
 * The chains start at the mode in whitened coordinates (cr_duration_model_at), so the warmup
 * has little to find, and 2,000 draws leave the ESS well above the criteria's 400 (the
 * simulation uses 200 of them). adapt_delta 0.9 as for mixtures generally, 0.95 from three
 * components: at 0.8 the curved posterior of four components on the 8 x 8 h TCP flows (synth
 * seed 42) gave 7 divergent transitions in 4,000, at 0.9 on seed 7 37, and each retry that
 * followed cost twice the first run. The retry ladder is the rate fits'. */
#define FIT_WARMUP 500
#define FIT_SAMPLES 500
#define FIT_ADAPT_DELTA 0.9
#define FIT_ADAPT_DELTA_3 0.95
/* An R-hat this far above 1 says the chains sit in different modes of the mixture, which a
 * smaller step or a longer warmup does not mend: the fit stops retrying and the candidate drops
 * out (on the shared real captures alone, R-hat 1.3 to 2.4 with 3 or 4 components). */
#define MODES_RHAT 1.1
/* Replicated data sets of the predictive check, from evenly spaced draws. */
#define PPC_REPLICATES 200
/* How many standard errors of the elpd difference make a fit worse than the best: the rate
 * ladder's rule. */
#define SE_MARGIN 2

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The seed's verdict on one run: summaries of every output and E-BFMI per chain. */
static void assess(const cr_model *m, const cr_chains_result *r, int threads, cr_fit_check *chk)
{
    size_t n = (size_t)r->samples, per_var = (size_t)r->chains * n;
    double *col = xmalloc(per_var * (size_t)r->nout * sizeof(double));
    for (size_t k = 0; k < per_var; k++)
        for (int j = 0; j < r->nout; j++)
            col[(size_t)j * per_var + k] = r->draws[k * r->nout + j];
    cr_diag_summary *sum = xmalloc((size_t)r->nout * sizeof *sum);
    cr_diag_summarise_many(col, r->nout, r->chains, r->samples, threads, sum);
    double *ebfmi = xmalloc((size_t)r->chains * sizeof *ebfmi);
    for (int c = 0; c < r->chains; c++) {
        for (size_t i = 0; i < n; i++)
            col[i] = r->stats[c * n + i].energy;
        ebfmi[c] = cr_diag_ebfmi(col, r->samples);
    }
    cr_fit_assess(m, r, ebfmi, sum, chk);
    free(col);
    free(sum);
    free(ebfmi);
}

/* "s" for a plural number of components. */
static const char *plural(int k)
{
    return k == 1 ? "" : "s";
}

/* The data's resolution in seconds, which the law of a draw carries. */
static double res_seconds(const cr_duration_data *d)
{
    return (double)d->res_ms / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One number of components, judged through the Laplace approximation at its mode. */
typedef struct {
    int k;
    cr_duration_start start;
    double approx_k;        /* Pareto k of p / g over the approximation's draws */
    int resolved;           /* every component's median at the mode is at least the data's
                             * resolution (a component centred below it describes durations
                             * the timestamps cannot tell apart: its place and spread are the
                             * prior's, a ridge the sampler cannot explore) */
    int usable;             /* resolved, and the approximation holds */
    double *elpd;           /* pointwise elpd_loo per observation */
    cr_loo_estimates loo;
    cr_duration_ppc ppc;
    double mean_s;          /* posterior mean of the mixture's mean cut at the horizon */
    double elpd_diff, se_diff; /* to the best compared; NAN when not compared */
    int pass;               /* usable, and the check passes */
    double seconds[3];      /* wall time of the start, LOO, the check (stderr) */
    int fitted;             /* fitted with NUTS: fit, check and attempts are set */
    cr_chains_result fit;
    cr_fit_check check;
    int attempts;
} candidate;

typedef struct {
    const cr_duration_data *d;
    const candidate *c;
    uint64_t seed;
    double *ll;                 /* [nobs][APPROX_DRAWS] */
    double *lr;                 /* [APPROX_DRAWS]: log p - log g */
    cr_duration_params *params; /* [APPROX_DRAWS] */
} approx_ctx;

/* Draw j of the approximation: theta = mode + R^-T z, z multivariate t from (seed, j). */
static void approx_draw(void *ctx, size_t j, int worker)
{
    const approx_ctx *a = ctx;
    const cr_duration_start *st = &a->c->start;
    const int n = CR_DUR_DIM(st->k);
    (void)worker;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)cr_splitmix64(a->seed ^ cr_splitmix64(j)));
    double z[CR_DUR_MAXDIM], th[CR_DUR_MAXDIM], out[CR_DUR_MAXDIM], zz = 0;
    double scale = sqrt(APPROX_DF / gsl_ran_chisq(r, APPROX_DF));
    for (int i = 0; i < n; i++) {
        z[i] = gsl_ran_gaussian_ziggurat(r, 1);
        zz += z[i] * z[i];
        z[i] *= scale;
    }
    zz *= scale * scale;
    gsl_rng_free(r);
    cr_duration_start_theta(st, z, th);
    cr_model m;
    cr_duration_model(&m, a->d, st->k);
    a->lr[j] = cr_duration_logp(&m, th, NULL, NULL) + (APPROX_DF + n) / 2 * log1p(zz / APPROX_DF);
    m.constrain(&m, th, out);
    a->params[j] = cr_duration_params_at(st->k, res_seconds(a->d), out);
    size_t nobs = cr_duration_nobs(a->d);
    double *row = xmalloc((nobs + 1) * sizeof *row);
    if (isfinite(a->lr[j])) {
        cr_duration_loglik(a->d, &a->params[j], row);
    } else { /* a draw where the density is zero or past double range: weight 0 */
        a->lr[j] = -INFINITY;
        memset(row, 0, nobs * sizeof *row);
    }
    for (size_t o = 0; o < nobs; o++)
        a->ll[o * APPROX_DRAWS + j] = row[o];
    free(row);
}

static double log_sum_exp(const double *x, int n)
{
    double hi = -INFINITY, s = 0;
    for (int i = 0; i < n; i++)
        hi = fmax(hi, x[i]);
    for (int i = 0; i < n; i++)
        s += exp(x[i] - hi);
    return hi + log(s);
}

typedef struct {
    const approx_ctx *a;
    const double *lw_post;  /* smoothed, normalized log weights of the whole posterior */
    cr_loo_pointwise *pw;
    double **buf;           /* per worker: 3 x APPROX_DRAWS */
    cr_loo_ws **ws;
} loo_ctx;

/* PSIS-LOO of observation o from the approximation's draws: the ratios of leaving it out are
 * those of the approximation times 1 / p(y_o | theta) (loo's loo_approximate_posterior). */
static void approx_loo_obs(void *ctx, size_t o, int worker)
{
    const loo_ctx *c = ctx;
    const double *ll = c->a->ll + o * APPROX_DRAWS;
    double *lr = c->buf[worker], *lw = lr + APPROX_DRAWS, *t = lw + APPROX_DRAWS;
    for (int j = 0; j < APPROX_DRAWS; j++)
        lr[j] = c->a->lr[j] - ll[j];
    cr_loo_pointwise *p = &c->pw[o];
    memset(p, 0, sizeof *p);
    p->pareto_k = cr_loo_psis(lr, APPROX_DRAWS, 1, lw, c->ws[worker]);
    double norm = log_sum_exp(lw, APPROX_DRAWS);
    for (int j = 0; j < APPROX_DRAWS; j++)
        t[j] = lw[j] + ll[j];
    p->elpd_loo = log_sum_exp(t, APPROX_DRAWS) - norm;
    for (int j = 0; j < APPROX_DRAWS; j++)
        t[j] = c->lw_post[j] + ll[j];
    p->lpd = log_sum_exp(t, APPROX_DRAWS);
    p->p_loo = p->lpd - p->elpd_loo;
    p->looic = -2 * p->elpd_loo;
    p->r_eff = 1;
    p->n_eff = NAN;
}

/* The candidate's start, its approximate posterior, PSIS-LOO and check against Kaplan-Meier. */
static void judge_candidate(candidate *c, int k, const cr_duration_data *d, const double *weight,
                            size_t nobs, const cr_duration_obs *obs, double horizon,
                            uint64_t seed, int threads)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    double t0 = cr_now();
    cr_duration_find_start(d, k, threads, &c->start);
    c->seconds[0] = cr_now() - t0;
    {
        double out[CR_DUR_MAXDIM];
        cr_model m;
        cr_duration_model(&m, d, k);
        m.constrain(&m, c->start.mode, out);
        cr_duration_params p = cr_duration_params_at(k, res_seconds(d), out);
        c->resolved = 1;
        for (int j = 0; j < k; j++)
            c->resolved = c->resolved && p.m[j] >= d->x_res;
    }
    approx_ctx a = {d, c, seed, xmalloc((nobs * APPROX_DRAWS + 1) * sizeof(double)),
                    xmalloc(APPROX_DRAWS * sizeof(double)),
                    xmalloc(APPROX_DRAWS * sizeof(cr_duration_params))};
    cr_pool_run(APPROX_DRAWS, threads, approx_draw, &a);
    double *lw = xmalloc(APPROX_DRAWS * sizeof *lw);
    cr_loo_ws *ws = cr_loo_ws_new();
    c->approx_k = cr_loo_psis(a.lr, APPROX_DRAWS, 1, lw, ws);
    cr_loo_ws_free(ws);
    double norm = log_sum_exp(lw, APPROX_DRAWS);
    for (int j = 0; j < APPROX_DRAWS; j++) {
        lw[j] -= norm;
        if (lw[j] > -INFINITY)
            c->mean_s += exp(lw[j]) * cr_duration_mean_within(&a.params[j], horizon);
    }
    loo_ctx lc = {&a, lw, xmalloc((nobs + 1) * sizeof *lc.pw),
                  xmalloc((size_t)threads * sizeof *lc.buf),
                  xmalloc((size_t)threads * sizeof *lc.ws)};
    for (int t = 0; t < threads; t++) {
        lc.buf[t] = xmalloc(3 * APPROX_DRAWS * sizeof(double));
        lc.ws[t] = cr_loo_ws_new();
    }
    cr_pool_run(nobs, threads, approx_loo_obs, &lc);
    c->elpd = xmalloc((nobs + 1) * sizeof *c->elpd);
    cr_loo_estimate(lc.pw, nobs, weight, APPROX_DRAWS, c->elpd, &c->loo);
    for (int t = 0; t < threads; t++) {
        free(lc.buf[t]);
        cr_loo_ws_free(lc.ws[t]);
    }
    free(lc.buf);
    free(lc.ws);
    free(lc.pw);
    c->seconds[1] = cr_now() - t0 - c->seconds[0];
    c->usable = c->resolved && c->approx_k <= APPROX_K_MAX;
    if (c->usable) { /* an unusable candidate is not kept whatever its check would say */
        /* the check's replicates from the weighted draws, by systematic resampling */
        cr_duration_params *p = xmalloc(PPC_REPLICATES * sizeof *p);
        double cum = exp(lw[0]);
        for (int i = 0, j = 0; i < PPC_REPLICATES; i++) {
            double u = (i + 0.5) / PPC_REPLICATES;
            while (cum < u && j + 1 < APPROX_DRAWS)
                cum += exp(lw[++j]);
            p[i] = a.params[j];
        }
        cr_duration_ppc_run(obs, p, PPC_REPLICATES, cr_splitmix64(seed), threads, &c->ppc);
        free(p);
    }
    c->seconds[2] = cr_now() - t0 - c->seconds[0] - c->seconds[1];
    c->pass = c->usable && c->ppc.nfail == 0;
    free(lw);
    free(a.ll);
    free(a.lr);
    free(a.params);
}

/* Fits k components with NUTS from c's start, retrying by the rate fits' policy (fit/fit.h):
 * chains run on when only mixing failed, a new run at a higher adapt_delta otherwise; none when
 * the chains sit in different modes. 0 unless the sampler failed outright. */
static int fit_chosen(const candidate *c, const char *name, const cr_sizing_config *cfg,
                      int threads, cr_chains_result *res, cr_fit_check *chk, int *attempts,
                      cr_err *e)
{
    cr_model m;
    cr_duration_model_at(&m, &c->start);
    cr_fit_options fo = cfg->fit;
    fo.sampler.warmup = FIT_WARMUP;
    fo.sampler.samples = FIT_SAMPLES;
    fo.sampler.adapt_delta =
        fmax(fo.sampler.adapt_delta, c->k >= 3 ? FIT_ADAPT_DELTA_3 : FIT_ADAPT_DELTA);
    cr_chains_config cc;
    for (int a = 1, raises = 0; a <= fo.attempts; a++) {
        int extend = a > 1 && cr_fit_mixing_only(chk);
        /* A mixture that diverges is not retried at dearer settings while fewer components
         * remain to fall back to (on the shared captures, three such attempts of 4 components
         * took 660 s before the fall-back to 2): only running its chains on is cheap enough. */
        if (a > 1 && !extend && c->k > 1)
            break;
        double t0 = cr_now();
        if (extend) {
            if (cr_chains_extend(&m, &cc, FIT_SAMPLES, res, e) != 0) {
                cr_chains_result_free(res);
                return cr_fail_prefix(e, name);
            }
        } else {
            cr_fit_attempt_config(&fo, a > 1 ? ++raises + 1 : 1, &cc);
            cc.threads = cfg->threads;
            cr_chains_result r;
            if (cr_chains_run(&m, &cc, &r, e) != 0) {
                if (a > 1)
                    cr_chains_result_free(res);
                return cr_fail_prefix(e, name);
            }
            if (a > 1)
                cr_chains_result_free(res);
            *res = r;
        }
        *attempts = a;
        assess(&m, res, threads, chk);
        long leapfrogs = 0;
        for (size_t i = 0; i < (size_t)res->chains * (size_t)(res->samples + res->warmup); i++)
            leapfrogs += i < (size_t)res->chains * (size_t)res->samples
                             ? res->stats[i].n_leapfrog
                             : res->warmup_stats[i - (size_t)res->chains * (size_t)res->samples]
                                   .n_leapfrog;
        char how[64];
        if (extend)
            snprintf(how, sizeof how, "chains run on to %d draws each", res->samples);
        else
            snprintf(how, sizeof how, "adapt_delta %g, warmup %d", cc.adapt_delta, cc.warmup);
        cr_info("%s: %d component%s: attempt %d %s %s(%s, %ld leapfrogs in all, %.1f s)\n", name,
                c->k, plural(c->k), a, chk->pass ? "PASS" : "FAIL", chk->reasons, how, leapfrogs,
                cr_now() - t0);
        if (chk->pass || chk->max_rhat > MODES_RHAT)
            break;
    }
    return 0;
}

static void candidate_free(candidate *c)
{
    free(c->elpd);
    if (c->fitted)
        cr_chains_result_free(&c->fit);
}

/* The next mode's gap, for the start line ("" when one mode was found). */
static void next_mode_text(const candidate *c, double horizon, char *buf, size_t n)
{
    buf[0] = 0;
    if (c->start.modes < 2)
        return;
    double out[CR_DUR_NOUT(CR_DUR_KMAX)];
    cr_model plain;
    cr_duration_model(&plain, c->start.d, c->k);
    plain.constrain(&plain, c->start.next_mode, out);
    cr_duration_params p = cr_duration_params_at(c->k, res_seconds(c->start.d), out);
    snprintf(buf, n, "; the next, %.0f log units lower, has mean %.3g s",
             c->start.lp - c->start.next_lp, cr_duration_mean_within(&p, horizon));
}

/* The failing statistics, e.g. "P(D > 60 s), mean up to 541 s" ("" when none). */
static void ppc_fail_text(const cr_duration_ppc *p, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int s = 0; s < CR_DUR_PPC_NSTATS && len < n; s++)
        if (p->stat[s].fail)
            len += (size_t)snprintf(buf + len, n - len,
                                    s == CR_DUR_PPC_RMST ? "%smean up to %.0f s" : "%sP(D > %g s)",
                                    len ? ", " : "", p->stat[s].t);
}

/* The rule of the rate ladder: among the usable candidates (every component resolved, the
 * approximation holding) that pass the check against Kaplan-Meier, the fewest components whose
 * elpd_loo is within SE_MARGIN standard errors of the difference of the best; when none passes,
 * the best elpd of the usable ones (of all when none is), marked failing. */
static int choose(candidate *c, int n, const double *weight, size_t nobs, int *failing)
{
    int idx[CR_DUR_KMAX], m = 0;
    for (int i = 0; i < n; i++)
        if (c[i].pass)
            idx[m++] = i;
    *failing = m == 0;
    if (*failing)
        for (int i = 0; i < n; i++)
            if (c[i].usable)
                idx[m++] = i;
    if (m == 0)
        for (int i = 0; i < n; i++)
            idx[m++] = i;
    for (int i = 0; i < n; i++)
        c[i].elpd_diff = c[i].se_diff = NAN;
    const double *elpd[CR_DUR_KMAX];
    for (int j = 0; j < m; j++)
        elpd[j] = c[idx[j]].elpd;
    cr_loo_compare_row rows[CR_DUR_KMAX];
    cr_loo_compare(elpd, m, weight, nobs, rows);
    for (int j = 0; j < m; j++) {
        c[idx[rows[j].model]].elpd_diff = rows[j].elpd_diff;
        c[idx[rows[j].model]].se_diff = rows[j].se_diff;
    }
    int best = idx[rows[0].model];
    if (*failing)
        return best;
    for (int j = 0; j < m; j++) /* idx ascending: the first within the margin has fewest */
        if (-c[idx[j]].elpd_diff <= SE_MARGIN * c[idx[j]].se_diff || idx[j] == best)
            return idx[j];
    return best;
}

static int write_loo(const char *path, const candidate *c, int n, int chosen, cr_err *e)
{
    cr_outfile out;
    if (cr_outfile_open(&out, path, e) != 0)
        return -1;
    fprintf(out.fp, "components,chosen,resolved,approximation_pareto_k,check_failures,elpd_loo,"
                    "se_elpd_loo,p_loo,elpd_diff,se_diff,pareto_k_over_0.7,mean_seconds\n");
    for (int i = 0; i < n; i++) {
        const candidate *x = &c[i];
        const cr_loo_estimates *l = &x->loo;
        fprintf(out.fp, "%d,%d,%d,%.17g,", x->k, i == chosen, x->resolved, x->approx_k);
        if (x->ppc.nrep > 0)
            fprintf(out.fp, "%d,", x->ppc.nfail);
        else
            fputs("NA,", out.fp);
        fprintf(out.fp, "%.17g,%.17g,%.17g,", l->elpd_loo, l->se_elpd_loo, l->p_loo);
        if (isnan(x->elpd_diff))
            fputs("NA,NA,", out.fp);
        else
            fprintf(out.fp, "%.17g,%.17g,", x->elpd_diff, x->se_diff);
        fprintf(out.fp, "%.17g,%.17g\n", l->k_count[CR_LOO_K_BAD] + l->k_count[CR_LOO_K_VERY_BAD],
                x->mean_s);
    }
    if (cr_outfile_commit(&out, e) != 0) {
        cr_outfile_abort(&out);
        return -1;
    }
    return 0;
}

static void write_ppc_rows(FILE *fp, int k, const char *posterior, int chosen,
                           const cr_duration_ppc *p)
{
    for (int s = 0; s < CR_DUR_PPC_NSTATS; s++) {
        const cr_duration_ppc_stat *st = &p->stat[s];
        fprintf(fp, "%d,%s,%d,%s,%.17g,", k, posterior, chosen,
                s == CR_DUR_PPC_RMST ? "restricted_mean_seconds" : "survival", st->t);
        if (st->defined)
            fprintf(fp, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n", st->obs, st->rep_mean,
                    st->rep_median, st->rep_lo, st->rep_hi, st->p, st->fail);
        else
            fputs("NA,NA,NA,NA,NA,NA,0\n", fp);
    }
}

static int write_ppc(const char *path, const candidate *c, int n, int chosen,
                     const cr_duration_ppc *fitted, cr_err *e)
{
    cr_outfile out;
    if (cr_outfile_open(&out, path, e) != 0)
        return -1;
    fprintf(out.fp, "components,posterior,chosen,what,t_seconds,observed,rep_mean,rep_median,"
                    "rep_lo,rep_hi,p_value,fail\n");
    write_ppc_rows(out.fp, c[chosen].k, "nuts", 1, fitted);
    for (int i = 0; i < n; i++)
        if (c[i].ppc.nrep > 0)
            write_ppc_rows(out.fp, c[i].k, "laplace", i == chosen, &c[i].ppc);
    if (cr_outfile_commit(&out, e) != 0) {
        cr_outfile_abort(&out);
        return -1;
    }
    return 0;
}

/* The fit's check, one line per statistic, for the engineer reading stderr. */
static void print_ppc(const char *name, int k, const cr_duration_ppc *p)
{
    cr_info("%s: %d component%s against Kaplan-Meier (%d replicated data sets; fail outside "
            "their central 98%%):\n", name, k, plural(k), p->nrep);
    for (int s = 0; s < CR_DUR_PPC_NSTATS; s++) {
        const cr_duration_ppc_stat *st = &p->stat[s];
        char what[48];
        if (s == CR_DUR_PPC_RMST)
            snprintf(what, sizeof what, "mean up to %.0f s", st->t);
        else
            snprintf(what, sizeof what, "P(D > %g s)", st->t);
        if (!st->defined)
            cr_info("    %-20s not observed (no connection was watched that long)\n", what);
        else
            cr_info("    %-20s Kaplan-Meier %-9.4g model %.4g to %.4g   %s\n", what, st->obs,
                    st->rep_lo, st->rep_hi, st->fail ? "FAIL" : "ok");
    }
}

static cr_duration_params draw_at(const cr_chains_result *r, int k, double res, size_t i)
{
    return cr_duration_params_at(k, res, r->draws + i * (size_t)r->nout);
}

/* R's quantile type 7 at 5%, 50% and 95% of n values, sorted in place. */
static void quantiles90(double *v, size_t n, double *q3)
{
    static const double prob[3] = {0.05, 0.5, 0.95};
    qsort(v, n, sizeof *v, cmp_double);
    for (int q = 0; q < 3; q++) {
        double h = (double)(n - 1) * prob[q];
        size_t lo = (size_t)h;
        double hi = lo + 1 < n ? v[lo + 1] : v[lo];
        q3[q] = v[lo] + (h - (double)lo) * (hi - v[lo]);
    }
}

/* The NUTS posterior's quantiles of E[min(D, horizon)] into d->mean_s and of p0 into p0q;
 * returns its mean of E[min(D, t)]. */
static double summarise_means(const cr_chains_result *r, int k, double res, double t,
                              double horizon, cr_sizing_duration *d, double *p0q)
{
    size_t total = (size_t)r->chains * (size_t)r->samples;
    double *mean = xmalloc(total * sizeof *mean), *p0 = xmalloc(total * sizeof *p0), within = 0;
    for (size_t i = 0; i < total; i++) {
        cr_duration_params p = draw_at(r, k, res, i);
        mean[i] = cr_duration_mean_within(&p, horizon);
        within += cr_duration_mean_within(&p, t);
        p0[i] = p.p0;
    }
    quantiles90(mean, total, d->mean_s);
    quantiles90(p0, total, p0q);
    free(mean);
    free(p0);
    return within / (double)total;
}

static int npass(const candidate *c, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += c[i].pass;
    return k;
}

/* The candidate's line on stderr. */
static void print_candidate(const char *name, const candidate *x, double horizon)
{
    char next[96], fails[128];
    next_mode_text(x, horizon, next, sizeof next);
    ppc_fail_text(&x->ppc, fails, sizeof fails);
    cr_info("%s: %d component%s: highest of %d modes from %d starts%s;%s Laplace approximation "
            "Pareto k %.2f; elpd_loo %.1f (SE %.1f); check %s%s; mean %.3g s (%.1f + %.1f + "
            "%.1f s)\n", name, x->k, plural(x->k), x->start.modes, x->start.starts, next,
            x->resolved ? "" : " a component centred below the resolution;", x->approx_k,
            x->loo.elpd_loo, x->loo.se_elpd_loo,
            !x->usable ? "not run" : x->ppc.nfail ? "FAIL " : "pass", fails, x->mean_s,
            x->seconds[0], x->seconds[1], x->seconds[2]);
}

/* Why the kept candidate was kept, on stderr. */
static void print_choice(const char *name, const candidate *cand, const candidate *x,
                         int failing)
{
    if (failing)
        cr_info("%s: no candidate both is well approximated and passes the check against "
                "Kaplan-Meier; kept %d component%s, the highest elpd_loo of failing candidates: "
                "the fit fails unless its posterior passes the check\n", name, x->k,
                plural(x->k));
    else if (x->elpd_diff == 0)
        cr_info("%s: kept %d component%s: %s\n", name, x->k, plural(x->k),
                npass(cand, CR_DUR_KMAX) == 1 ? "the only candidate that passed"
                                              : "the best elpd_loo, by more than 2 standard "
                                                "errors over every one with fewer that passed");
    else
        cr_info("%s: kept %d component%s: within %d standard errors of the best (elpd "
                "difference %.1f, SE %.1f)\n", name, x->k, plural(x->k), SE_MARGIN, x->elpd_diff,
                x->se_diff);
}

/* Judges 1 to CR_DUR_KMAX components, fits the chosen number with NUTS, checks it and writes
 * the candidates and the checks under DIR/fit/durations/diagnostics. A chosen fit that fails
 * the convergence criteria drops out and the rule chooses again among the rest, as the rate
 * ladder drops a model that fails them. */
static int fit_protocol(const cr_duration_data *data, const cr_duration_obs *obs,
                        const char *name, const cr_sizing_config *c, double horizon,
                        double km_end, double km_mean, cr_sizing_duration *d, cr_err *e)
{
    size_t nobs = cr_duration_nobs(data);
    double *weight = xmalloc((nobs + 1) * sizeof *weight);
    cr_duration_obs_weights(data, weight);
    int threads = c->threads > 0 ? c->threads : cpu_count();
    candidate cand[CR_DUR_KMAX];
    const int n = CR_DUR_KMAX;
    int rc = 0;
    for (int k = 1; k <= n; k++) {
        judge_candidate(&cand[k - 1], k, data, weight, nobs, obs, horizon, c->seed + (uint64_t)k,
                        threads);
        print_candidate(name, &cand[k - 1], horizon);
    }
    int failing = 1, ch = 0, failed = 0;
    while (rc == 0) {
        ch = choose(cand, n, weight, nobs, &failing);
        /* after a fit failed, only a usable candidate is worth fitting; when none is left, one
         * component, whose posterior has a single mode */
        int fallback = failed && (cand[ch].fitted ? !cand[ch].check.pass : !cand[ch].usable);
        if (fallback)
            ch = 0;
        candidate *x = &cand[ch];
        if (x->fitted)
            break;
        if (fallback)
            cr_info("%s: no other candidate is usable: falling back to 1 component\n", name);
        else
            print_choice(name, cand, x, failing);
        rc = fit_chosen(x, name, c, threads, &x->fit, &x->check, &x->attempts, e);
        x->fitted = rc == 0;
        if (rc != 0 || x->check.pass)
            break;
        cr_info("%s: %d component%s failed the convergence criteria: choosing again without "
                "it\n", name, x->k, plural(x->k));
        x->usable = x->pass = 0;
        failed = 1;
    }
    if (rc == 0) {
        const candidate *x = &cand[ch];
        const cr_chains_result *r = &x->fit;
        d->check = x->check;
        d->attempts = x->attempts;
        d->fitted = 1;
        const double res = res_seconds(data);
        double p0q[3];
        double within = summarise_means(r, x->k, res, km_end, horizon, d, p0q);
        size_t total = (size_t)r->chains * (size_t)r->samples;
        cr_duration_params *p = xmalloc(PPC_REPLICATES * sizeof *p);
        for (int i = 0; i < PPC_REPLICATES; i++)
            p[i] = draw_at(r, x->k, res, ((size_t)i * total + total / 2) / PPC_REPLICATES);
        cr_duration_ppc ppc;
        cr_duration_ppc_run(obs, p, PPC_REPLICATES, c->seed, c->threads, &ppc);
        free(p);
        print_ppc(name, x->k, &ppc);
        cr_info("%s: zero class p0 %.3g (90%% %.3g to %.3g): %.0f of %zu durations below the "
                "resolution, %g ms\n", name, p0q[1], p0q[0], p0q[2], data->n_zero,
                data->nended + data->ncens, (double)data->res_ms);
        cr_info("%s: mean %.3g s (90%% %.3g to %.3g)%s; up to %.0f s, the longest ended: model "
                "%.3g s, Kaplan-Meier %.3g s\n", name, d->mean_s[1], d->mean_s[0], d->mean_s[2],
                isinf(horizon) ? "" : " with durations cut at the horizon", km_end, within,
                km_mean);
        if (ppc.nfail) { /* a failed check fails the fit: the status line and the report show it
                          * with the convergence criteria */
            char fails[192];
            ppc_fail_text(&ppc, fails, sizeof fails);
            size_t len = strlen(d->check.reasons);
            snprintf(d->check.reasons + len, sizeof d->check.reasons - len,
                     "%sKaplan-Meier %s outside the model's 98%% band", len ? " " : "", fails);
            d->check.pass = 0;
        }
        d->draws = xmalloc((size_t)c->draws * sizeof *d->draws);
        for (int i = 0; i < c->draws; i++)
            d->draws[i] = draw_at(r, x->k, res, (size_t)i * total / (size_t)c->draws);
        if (c->out_dir) {
            char *dir = cr_sz_path(c->out_dir, "fit", "durations/diagnostics");
            char file[64];
            snprintf(file, sizeof file, "loo_%s.csv", name);
            char *path = cr_sz_path(dir, file, NULL);
            rc = write_loo(path, cand, n, ch, e);
            free(path);
            snprintf(file, sizeof file, "ppc_%s.csv", name);
            path = cr_sz_path(dir, file, NULL);
            if (rc == 0)
                rc = write_ppc(path, cand, n, ch, &ppc, e);
            free(path);
            free(dir);
        }
    }
    for (int k = 0; k < n; k++)
        candidate_free(&cand[k]);
    free(weight);
    return rc;
}

int cr_sz_fit_duration(const cr_sz_flows *f, uint8_t proto, const cr_sizing_config *c,
                       double horizon, cr_sizing_duration *d, cr_err *e)
{
    const char *name = proto == CR_PROTO_TCP ? "duration_tcp" : "duration_udp";
    int64_t *ms = xmalloc((f->n + 1) * sizeof *ms), *follow = xmalloc((f->n + 1) * sizeof *follow);
    uint8_t *cens = xmalloc(f->n + 1);
    size_t n = 0, nended = 0;
    double ended = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->fl[i].proto == proto) {
            int idle;
            cens[n] = (uint8_t)cr_sz_flow_duration(f, i, &ms[n], &idle);
            follow[n] = f->capture_end_ms[f->machine[i]] - f->fl[i].start_ms;
            if (follow[n] < ms[n])
                follow[n] = ms[n];
            if (!cens[n])
                ended += ms[n] / 1000.0, nended++;
            n++;
        }
    cr_duration_data data;
    cr_duration_data_init(&data, n, ms, cens, f->res_ms, CR_DURATION_COARSEN);
    /* Kaplan-Meier's area up to the longest ended duration, in seconds: what the data say of
     * the mean without a model, to hold the mixture's against */
    double *t = xmalloc((n + 1) * sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = (double)ms[i] / 1000;
    cr_km km;
    cr_km_estimate(&km, n, t, cens);
    double km_mean = cr_km_mean(&km), km_end = km.n ? km.t[km.n - 1] : 0;
    cr_km_free(&km);
    free(t);
    memset(d, 0, sizeof *d);
    d->flows = n;
    d->ended_mean_s = nended ? ended / (double)nended : 0;
    d->censored = data.ncens + data.ncens_zero;
    int rc = 0;
    if (data.nended > 0) {
        cr_info("%s: %zu durations in %d bins\n", name, n, data.nedge - 1);
        cr_duration_obs obs = {n, ms, cens, follow, proto == CR_PROTO_UDP, data.res_ms};
        rc = fit_protocol(&data, &obs, name, c, horizon, km_end, km_mean, d, e);
    }
    cr_duration_data_free(&data);
    free(ms);
    free(follow);
    free(cens);
    return rc;
}
