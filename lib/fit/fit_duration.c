/* The duration mixture of one protocol through the engine (fit/fit_duration.h): the
 * candidates judged (fit_duration_approx.c), the chosen one confirmed with NUTS and checked,
 * the kept fit summarised. */
#include "fit/fit_duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "duration/km.h"
#include "duration/mixture.h"

_Static_assert(CR_DUR_KMAX <= CR_LADDER_NMODELS, "the choice rule takes the candidates");

/* The chosen fit's sampler: 4 chains of 500 warmup and 500 draws, not cmdstan's 1000 + 1000.
 * The chains start at the mode in whitened coordinates (cr_duration_model_at), so the warmup
 * has little to find, and 2,000 draws leave the ESS well above the criteria's 400 (the
 * simulation uses 200 of them). adapt_delta 0.9 as for mixtures generally, 0.95 from three
 * components: at 0.8 the curved posterior of four components on the 8 x 8 h TCP flows (synth
 * seed 42) gave 7 divergent transitions in 4,000, at 0.9 on seed 7 37, and each retry that
 * followed cost twice the first run. The retries are the rate fits' but for new runs
 * of more than one component: a mixture that diverges is not retried at dearer settings while
 * fewer components remain to fall back to (on the shared captures, three such attempts of 4
 * components took 660 s before the fall-back to 2), unless its divergences are rare
 * (RARE_DIVERGENCES); running its chains on is cheap enough. */
#define FIT_WARMUP 500
#define FIT_SAMPLES 500
#define FIT_ADAPT_DELTA 0.9
#define FIT_ADAPT_DELTA_3 0.95
/* An R-hat this far above 1 says the chains sit in different modes of the mixture, which a
 * smaller step or a longer warmup does not mend: the fit stops retrying and the candidate drops
 * out (on the shared real captures alone, R-hat 1.3 to 2.4 with 3 or 4 components). */
#define MODES_RHAT 1.1
/* A fit with at most this many divergent transitions in its 2,000 draws, a healthy E-BFMI and
 * R-hat below MODES_RHAT is run once more a step up adapt_delta's ladder, however many
 * components: on 8 synthetic machines, one divergence dropped UDP's 3 components, 110 log
 * units of elpd_loo above the 2 kept instead (docs/durations.md). */
#define RARE_DIVERGENCES 2

/* The candidates' names in messages, and in the engine's (its messages and loop logs:
 * SERIES-duration_kK-N.json). */
static const char *const names[CR_DUR_KMAX] = {"1 component", "2 components", "3 components",
                                               "4 components"};
static const char *const fit_names[CR_DUR_KMAX] = {"duration_k1", "duration_k2", "duration_k3",
                                                   "duration_k4"};

/* "s" for a plural number of components. */
static const char *plural(int k)
{
    return k == 1 ? "" : "s";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The next mode's gap, for the start line ("" when one mode was found). */
static void next_mode_text(const cr_duration_candidate *c, double horizon, char *buf, size_t n)
{
    buf[0] = 0;
    if (c->start.modes < 2)
        return;
    double out[CR_DUR_NOUT(CR_DUR_KMAX)];
    cr_model plain;
    cr_duration_model(&plain, c->start.d, c->k);
    plain.constrain(&plain, c->start.next_mode, out);
    cr_duration_params p = cr_duration_params_at(c->k, (double)c->start.d->res_ms / 1000, out);
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

/* The NUTS posterior's quantiles of E[min(D, horizon)] into meanq and of p0 into p0q; returns
 * its mean of E[min(D, t)]. */
static double summarise_means(const cr_chains_result *r, int k, double res, double t,
                              double horizon, double *meanq, double *p0q)
{
    size_t total = (size_t)r->chains * (size_t)r->samples;
    double *mean = xmalloc(total * sizeof *mean), *p0 = xmalloc(total * sizeof *p0), within = 0;
    for (size_t i = 0; i < total; i++) {
        cr_duration_params p = draw_at(r, k, res, i);
        mean[i] = cr_duration_mean_within(&p, horizon);
        within += cr_duration_mean_within(&p, t);
        p0[i] = p.p0;
    }
    quantiles90(mean, total, meanq);
    quantiles90(p0, total, p0q);
    free(mean);
    free(p0);
    return within / (double)total;
}

/* The candidate's line on stderr. */
static void print_candidate(const char *name, const cr_duration_candidate *x, double horizon)
{
    char next[96], fails[128];
    next_mode_text(x, horizon, next, sizeof next);
    ppc_fail_text(&x->ppc, fails, sizeof fails);
    cr_info("%s: %d component%s: highest of %d modes from %d starts%s;%s%s Laplace "
            "approximation Pareto k %.2f; elpd_loo %.1f (SE %.1f); check %s%s; mean %.3g s (%.1f "
            "+ %.1f + %.1f s)\n", name, x->k, plural(x->k), x->start.modes, x->start.starts, next,
            x->one_mode ? "" : " too near for an approximation of one mode;",
            x->resolved ? "" : " a component centred below the resolution;", x->approx_k,
            x->loo.elpd_loo, x->loo.se_elpd_loo,
            !x->usable ? "not run" : x->ppc.nfail ? "FAIL " : "pass", fails, x->mean_s,
            x->seconds[0], x->seconds[1], x->seconds[2]);
}

/* Why the chosen candidate is fitted, on stderr; c: the engine's view of every candidate. */
static void print_choice(const char *name, const cr_ladder_choice *ch,
                         const cr_ladder_candidate *c, const cr_duration_candidate *x)
{
    int npass = 0;
    for (int i = 0; i < CR_DUR_KMAX; i++)
        npass += c[i].converged && c[i].ppc_pass;
    const double diff = ch->elpd_diff[ch->chosen], se = ch->se_diff[ch->chosen];
    if (ch->failing)
        cr_info("%s: no candidate both is well approximated and passes the check against "
                "Kaplan-Meier; kept %d component%s, the highest elpd_loo of failing candidates: "
                "the fit fails unless its posterior passes the check\n", name, x->k,
                plural(x->k));
    else if (diff == 0)
        cr_info("%s: kept %d component%s: %s\n", name, x->k, plural(x->k),
                npass == 1 ? "the only candidate that passed"
                           : "the best elpd_loo, by more than 2 standard errors over every one "
                             "with fewer that passed");
    else
        cr_info("%s: kept %d component%s: within 2 standard errors of the best (elpd "
                "difference %.1f, SE %.1f)\n", name, x->k, plural(x->k), diff, se);
}

/* What the engine's hooks share. */
typedef struct {
    const cr_duration_fit_options *o;
    const cr_duration_data *d;
    const cr_duration_obs *obs;
    const double *weight;
    size_t nobs;
    int threads;
    cr_duration_fit *f;
    const cr_ladder_candidate *c; /* the engine's view, for the messages */
} hooks;

/* The approximations' streams, the same whatever the run's seed: which model is kept is then a
 * function of the data alone. From the run's seed, a candidate whose Pareto k sits near 0.7
 * was kept on one seed and not on the next (TCP of 8 synthetic machines, 3 components: k
 * 0.54, 0.72 and 0.60 on seeds 1 to 3), and the kept mixture's mean duration moved by up to
 * 11% with it (docs/durations.md). */
#define JUDGE_SEED 0x6a75646765ULL

/* A candidate judged through its approximation: "converged" when it holds. */
static int judge(void *ctx, int i, cr_ladder_candidate *c, cr_err *e)
{
    const hooks *h = ctx;
    cr_duration_candidate *x = &h->f->cand[i];
    (void)e;
    cr_duration_judge(x, i + 1, h->d, h->weight, h->nobs, h->obs, h->o->horizon,
                      JUDGE_SEED + (uint64_t)(i + 1), h->threads);
    print_candidate(h->o->name, x, h->o->horizon);
    *c = (cr_ladder_candidate){x->usable, x->ppc.nfail == 0, x->elpd, x->usable};
    return 0;
}

/* The chosen candidate fitted with NUTS from its start and checked against Kaplan-Meier. */
static int confirm(void *ctx, const cr_ladder_choice *ch, int fallback, cr_ladder_candidate *c,
                   cr_err *e)
{
    const hooks *h = ctx;
    const cr_duration_fit_options *o = h->o;
    cr_duration_candidate *x = &h->f->cand[ch->chosen];
    if (fallback)
        cr_info("%s: no other candidate is usable: falling back to 1 component\n", o->name);
    else
        print_choice(o->name, ch, h->c, x);
    cr_model m;
    cr_duration_model_at(&m, &x->start);
    cr_fit_options fo = o->fit;
    fo.sampler.warmup = FIT_WARMUP;
    fo.sampler.samples = FIT_SAMPLES;
    fo.sampler.adapt_delta =
        fmax(fo.sampler.adapt_delta, x->k >= 3 ? FIT_ADAPT_DELTA_3 : FIT_ADAPT_DELTA);
    fo.new_runs = x->k > 1 ? 0 : -1;
    fo.modes_rhat = MODES_RHAT;
    fo.rare_divergences = RARE_DIVERGENCES;
    if (cr_fit_model(&m, o->name, fit_names[x->k - 1], &fo, &h->f->logs, &x->fit, e) != 0) {
        cr_fit_attempt_free(&x->fit);
        return -1;
    }
    x->fitted = 1;
    int pass = cr_fit_ppc(&m, h->obs, &x->fit, o->seed, o->threads, &x->fit_ppc, e);
    if (pass < 0)
        return -1;
    print_ppc(o->name, x->k, &x->fit_ppc);
    c->converged = x->fit.chk.pass;
    c->ppc_pass = pass;
    return 0;
}

/* The kept fit: its verdict, means and thinned draws; km_end, km_mean: Kaplan-Meier's area up
 * to the longest ended duration, to hold the model's against. */
static void summarise(cr_duration_fit *f, const cr_duration_data *d,
                      const cr_duration_fit_options *o, double km_end, double km_mean)
{
    const cr_duration_candidate *x = &f->cand[f->choice.chosen];
    const cr_chains_result *r = &x->fit.res;
    const double res = (double)d->res_ms / 1000;
    f->fitted = 1;
    f->check = x->fit.chk;
    f->attempts = x->fit.number;
    double p0q[3];
    double within = summarise_means(r, x->k, res, km_end, o->horizon, f->mean_s, p0q);
    cr_info("%s: zero class p0 %.3g (90%% %.3g to %.3g): %.0f of %zu durations below the "
            "resolution, %g ms\n", o->name, p0q[1], p0q[0], p0q[2], d->n_zero,
            d->nended + d->ncens, (double)d->res_ms);
    cr_info("%s: mean %.3g s (90%% %.3g to %.3g)%s; up to %.0f s, the longest ended: model "
            "%.3g s, Kaplan-Meier %.3g s\n", o->name, f->mean_s[1], f->mean_s[0], f->mean_s[2],
            isinf(o->horizon) ? "" : " with durations cut at the horizon", km_end, within,
            km_mean);
    if (x->fit_ppc.nfail) { /* a failed check fails the fit: the status line and the report
                             * show it with the convergence criteria */
        char fails[192];
        ppc_fail_text(&x->fit_ppc, fails, sizeof fails);
        size_t len = strlen(f->check.reasons);
        snprintf(f->check.reasons + len, sizeof f->check.reasons - len,
                 "%sKaplan-Meier %s outside the model's 98%% band", len ? " " : "", fails);
        f->check.pass = 0;
    }
    const size_t total = (size_t)r->chains * (size_t)r->samples;
    f->draws = xmalloc(((size_t)o->draws + 1) * sizeof *f->draws);
    for (int i = 0; i < o->draws; i++)
        f->draws[i] = draw_at(r, x->k, res, (size_t)i * total / (size_t)o->draws);
}

int cr_duration_fit_run(const cr_duration_obs *obs, const cr_duration_fit_options *o,
                        cr_duration_fit *out, cr_err *e)
{
    memset(out, 0, sizeof *out);
    out->name = o->name;
    cr_duration_data data;
    cr_duration_data_init(&data, obs->n, obs->ms, obs->censored, obs->res_ms,
                          CR_DURATION_COARSEN);
    out->censored = data.ncens + data.ncens_zero;
    int rc = 0;
    if (data.nended > 0) {
        cr_info("%s: %zu durations in %d bins\n", o->name, obs->n, data.nedge - 1);
        double *t = xmalloc((obs->n + 1) * sizeof *t);
        for (size_t i = 0; i < obs->n; i++)
            t[i] = (double)obs->ms[i] / 1000;
        cr_km km;
        cr_km_estimate(&km, obs->n, t, obs->censored);
        double km_mean = cr_km_mean(&km), km_end = km.n ? km.t[km.n - 1] : 0;
        cr_km_free(&km);
        free(t);
        const size_t nobs = cr_duration_nobs(&data);
        double *weight = xmalloc((nobs + 1) * sizeof *weight);
        cr_duration_obs_weights(&data, weight);
        cr_ladder_candidate c[CR_DUR_KMAX];
        hooks h = {o, &data, obs, weight, nobs, cr_pool_threads(o->threads), out,
                   c};
        const cr_fit_selection sel = {o->name, CR_DUR_KMAX, names, weight, nobs, judge,
                                      confirm, 0, &h};
        rc = cr_fit_select(&sel, c, &out->choice, e);
        if (rc == 0)
            summarise(out, &data, o, km_end, km_mean);
        free(weight);
    }
    cr_duration_data_free(&data);
    if (rc != 0)
        cr_duration_fit_free(out);
    return rc;
}

void cr_duration_fit_free(cr_duration_fit *f)
{
    for (int k = 0; k < CR_DUR_KMAX; k++) {
        free(f->cand[k].elpd);
        if (f->cand[k].fitted)
            cr_fit_attempt_free(&f->cand[k].fit);
    }
    free(f->draws);
    cr_fit_logs_free(&f->logs);
    memset(f, 0, sizeof *f);
}
