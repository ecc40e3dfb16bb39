#include "fit/fit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/outfile.h"
#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit_write.h"

/* The seed's convergence criteria. */
#define MIN_EBFMI 0.3
#define MAX_RHAT 1.01
#define MIN_ESS 400

/* Variables summarised per block (their draws copied column-wise): a few MB at 4000 draws. */
#define DIAG_BLOCK 256

void cr_fit_options_default(cr_fit_options *o)
{
    cr_chains_config_default(&o->sampler);
    o->sampler.seed = 42;
    o->attempts = 3;
    o->warm_warmup = 150;
    o->new_runs = -1;
    o->modes_rhat = 0;
    o->rare_divergences = 0;
}

void cr_fit_attempt_config(const cr_fit_options *o, int a, cr_chains_config *cfg)
{
    static const double ladder[] = {0.95, 0.99};
    const int nladder = (int)(sizeof ladder / sizeof *ladder);
    *cfg = o->sampler;
    if (a < 2) {
        if (cfg->init)
            cfg->warmup = o->warm_warmup;
        return;
    }
    cfg->init = cfg->inv_metric = cfg->stepsizes = NULL;
    int step = a - 2; /* the ladder's steps start above the first attempt's adapt_delta */
    for (int i = 0; i < nladder && ladder[i] <= o->sampler.adapt_delta; i++)
        step++;
    cfg->adapt_delta = fmax(cfg->adapt_delta, ladder[step < nladder ? step : nladder - 1]);
    cfg->warmup = o->sampler.warmup << (a - 1);
}

/* Whether v is worse than the current worst cur (NA is worst of all). */
static int worse(double v, double cur, int larger_is_worse)
{
    if (isnan(cur))
        return 0;
    if (isnan(v))
        return 1;
    return larger_is_worse ? v > cur : v < cur;
}

static void add_reason(cr_fit_check *chk, const cr_model *m, const char *what, double v, int j)
{
    char name[128] = "", num[32];
    size_t len = strlen(chk->reasons);
    if (j >= 0)
        m->name(m, j, name, sizeof name);
    if (isnan(v))
        snprintf(num, sizeof num, "NA");
    else
        snprintf(num, sizeof num, "%.4g", v);
    snprintf(chk->reasons + len, sizeof chk->reasons - len, "%s%s=%s%s%s%s", len ? " " : "", what,
             num, j >= 0 ? "(" : "", name, j >= 0 ? ")" : "");
}

void cr_fit_assess(const cr_model *m, const cr_chains_result *res, const double *ebfmi,
                   const cr_diag_summary *sum, cr_fit_check *chk)
{
    memset(chk, 0, sizeof *chk);
    size_t ndraws = (size_t)res->chains * res->samples;
    for (size_t i = 0; i < ndraws; i++)
        chk->divergences += res->stats[i].divergent != 0;
    chk->min_ebfmi = INFINITY;
    int worst_chain = -1;
    for (int c = 0; c < res->chains; c++)
        if (worst_chain < 0 || worse(ebfmi[c], chk->min_ebfmi, 0)) {
            chk->min_ebfmi = ebfmi[c];
            worst_chain = c;
        }
    chk->worst_rhat = chk->worst_bulk = chk->worst_tail = -1;
    for (int j = 0; j < m->nout; j++) {
        if (j == 0 || worse(sum[j].rhat, chk->max_rhat, 1))
            chk->max_rhat = sum[j].rhat, chk->worst_rhat = j;
        if (j == 0 || worse(sum[j].ess_bulk, chk->min_ess_bulk, 0))
            chk->min_ess_bulk = sum[j].ess_bulk, chk->worst_bulk = j;
        if (j == 0 || worse(sum[j].ess_tail, chk->min_ess_tail, 0))
            chk->min_ess_tail = sum[j].ess_tail, chk->worst_tail = j;
    }
    if (chk->divergences > 0)
        add_reason(chk, m, "divergences", chk->divergences, -1);
    if (!(chk->min_ebfmi > MIN_EBFMI)) {
        add_reason(chk, m, "ebfmi", chk->min_ebfmi, -1);
        size_t len = strlen(chk->reasons);
        snprintf(chk->reasons + len, sizeof chk->reasons - len, "(chain %d)", worst_chain + 1);
    }
    if (!(chk->max_rhat < MAX_RHAT))
        add_reason(chk, m, "rhat", chk->max_rhat, chk->worst_rhat);
    if (!(chk->min_ess_bulk > MIN_ESS))
        add_reason(chk, m, "ess_bulk", chk->min_ess_bulk, chk->worst_bulk);
    if (!(chk->min_ess_tail > MIN_ESS))
        add_reason(chk, m, "ess_tail", chk->min_ess_tail, chk->worst_tail);
    chk->pass = chk->reasons[0] == 0;
}

/* One progress stage for all chains, named for the series and attempt. */
typedef struct {
    pthread_mutex_t lock;
    char stage[96];
    int chains;
    int *done;
} progress_state;

static void show_progress(void *ctx, int chain, int done, int total, int warmup)
{
    progress_state *p = ctx;
    long sum = 0;
    pthread_mutex_lock(&p->lock);
    p->done[chain] = done;
    for (int c = 0; c < p->chains; c++)
        sum += p->done[c];
    pthread_mutex_unlock(&p->lock);
    (void)warmup;
    cr_progress_step(p->stage, (double)sum, (double)total * p->chains);
}

/* Runs the sampler with a->cfg (a new run, or when extend > 0 that many more iterations of the
 * chains already in a->res) and fills every other field of a. */
static int run_attempt(const cr_model *m, cr_fit_attempt *a, int extend, const char *label,
                       cr_err *e)
{
    progress_state p = {.chains = a->cfg.chains};
    snprintf(p.stage, sizeof p.stage, "fit %s attempt %d", label, a->number);
    pthread_mutex_init(&p.lock, NULL);
    p.done = xcalloc((size_t)a->cfg.chains, sizeof(int));
    a->cfg.progress = show_progress;
    a->cfg.progress_ctx = &p;
    double t0 = cr_now();
    int rc = extend ? cr_chains_extend(m, &a->cfg, extend, &a->res, e)
                    : cr_chains_run(m, &a->cfg, &a->res, e);
    a->sampler_s = cr_now() - t0;
    cr_progress_done();
    a->cfg.progress = NULL;
    a->cfg.progress_ctx = NULL;
    free(p.done);
    pthread_mutex_destroy(&p.lock);
    if (rc != 0)
        return -1;

    t0 = cr_now();
    const cr_chains_result *r = &a->res;
    size_t n = (size_t)r->samples, per_var = (size_t)r->chains * n;
    /* a block of variables at a time, so that the column copy stays small beside the draws */
    const int block = r->nout < DIAG_BLOCK ? r->nout : DIAG_BLOCK;
    double *col = xmalloc(((per_var > n ? per_var : n) * (size_t)block + 1) * sizeof(double));
    a->sum = xmalloc(((size_t)r->nout + 1) * sizeof(cr_diag_summary));
    int threads = cr_pool_threads(a->cfg.threads);
    for (int j0 = 0; j0 < r->nout; j0 += block) {
        const int nb = r->nout - j0 < block ? r->nout - j0 : block;
        for (size_t k = 0; k < per_var; k++)
            for (int j = 0; j < nb; j++)
                col[(size_t)j * per_var + k] = r->draws[k * r->nout + j0 + j];
        cr_diag_summarise_many(col, nb, r->chains, r->samples, threads, a->sum + j0);
    }
    a->ebfmi = xmalloc((size_t)r->chains * sizeof(double));
    for (int c = 0; c < r->chains; c++) {
        for (size_t i = 0; i < n; i++)
            col[i] = r->stats[c * n + i].energy;
        a->ebfmi[c] = cr_diag_ebfmi(col, r->samples);
    }
    free(col);
    cr_fit_assess(m, r, a->ebfmi, a->sum, &a->chk);
    a->diagnostics_s = cr_now() - t0;
    return 0;
}

void cr_fit_attempt_free(cr_fit_attempt *a)
{
    cr_chains_result_free(&a->res);
    free(a->sum);
    free(a->ebfmi);
    a->sum = NULL;
    a->ebfmi = NULL;
}

void cr_fit_logs_free(cr_fit_logs *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->name[i]);
        free(l->text[i]);
    }
    free(l->name);
    free(l->text);
    memset(l, 0, sizeof *l);
}

static void logs_add(cr_fit_logs *l, const char *series, const char *model, int attempt,
                     char *text)
{
    size_t cap = l->cap;
    xgrow(&l->name, &cap, (size_t)l->n + 1, sizeof *l->name);
    xgrow(&l->text, &l->cap, (size_t)l->n + 1, sizeof *l->text);
    char name[160];
    snprintf(name, sizeof name, "%s-%s-%d.json", series, model, attempt);
    l->name[l->n] = xstrdup(name);
    l->text[l->n++] = text;
}

int cr_fit_logs_write(const char *dir, const cr_fit_logs *l, cr_err *e)
{
    for (int i = 0; i < l->n; i++) {
        size_t n = strlen(dir) + strlen(l->name[i]) + 16;
        char *path = xmalloc(n);
        snprintf(path, n, "%s/loop_logs/%s", dir, l->name[i]);
        cr_outfile o;
        int rc = cr_outfile_open(&o, path, e);
        if (rc == 0) {
            fputs(l->text[i], o.fp);
            if ((rc = cr_outfile_commit(&o, e)) != 0)
                cr_outfile_abort(&o);
        }
        free(path);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int cr_fit_mixing_only(const cr_fit_check *c)
{
    return !c->pass && c->divergences == 0 && c->min_ebfmi > MIN_EBFMI;
}

/* A run with a few divergent transitions and a healthy E-BFMI (its chains in one mode, as every
 * retry requires; R-hat and ESS may fail short of that): a step too large in one corner of the
 * posterior, which a higher adapt_delta mends, not a mixture's ridge. */
static int rare_divergences(const cr_fit_options *o, const cr_fit_check *c)
{
    return c->divergences > 0 && c->divergences <= o->rare_divergences &&
           c->min_ebfmi > MIN_EBFMI;
}

int cr_fit_retries(const cr_fit_options *o, const cr_fit_check *c, int n, int runs)
{
    if (c->pass || n >= o->attempts || (o->modes_rhat > 0 && c->max_rhat > o->modes_rhat))
        return 0;
    return (cr_fit_mixing_only(c) && o->sampler.samples > 0) || o->new_runs < 0 ||
           runs < o->new_runs || (runs == 0 && rare_divergences(o, c));
}

int cr_fit_model(const cr_model *m, const char *series, const char *model,
                 const cr_fit_options *o, cr_fit_logs *logs, cr_fit_attempt *last, cr_err *e)
{
    if (!model)
        model = m->entry->name;
    char label[64];
    snprintf(label, sizeof label, "%s %s", series, model);
    int raises = 0; /* attempts that raised adapt_delta */
    cr_fit_attempt *a = last;
    memset(a, 0, sizeof *a);
    for (int n = 1;; n++) {
        int extend = 0;
        if (n > 1 && cr_fit_mixing_only(&a->chk) && o->sampler.samples > 0) {
            extend = o->sampler.samples;
            a->extends = a->number;
            a->cfg.samples += extend;
            free(a->sum);
            free(a->ebfmi);
            a->sum = NULL;
            a->ebfmi = NULL;
        } else {
            if (n > 1)
                cr_fit_attempt_free(a);
            memset(a, 0, sizeof *a);
            cr_fit_attempt_config(o, n > 1 ? ++raises + 1 : 1, &a->cfg);
        }
        a->series = series;
        a->model = model;
        a->number = n;
        if (run_attempt(m, a, extend, label, e) != 0)
            return cr_fail_prefix(e, label);
        if (logs)
            logs_add(logs, series, model, n, cr_fit_log_text(m, a));
        int again = cr_fit_retries(o, &a->chk, n, raises);
        char how[96];
        if (extend)
            snprintf(how, sizeof how, "attempt %d's chains run on to %d draws each", a->extends,
                     a->cfg.samples);
        else
            snprintf(how, sizeof how, "adapt_delta %g, warmup %d", a->cfg.adapt_delta,
                     a->cfg.warmup);
        if (a->chk.pass)
            cr_info("%s: attempt %d PASS (%s, %.1f s)\n", label, n, how,
                    a->sampler_s + a->diagnostics_s);
        else
            cr_info("%s: attempt %d FAIL %s (%s, %.1f s)%s\n", label, n, a->chk.reasons, how,
                    a->sampler_s + a->diagnostics_s, again ? "; retrying" : "");
        if (!again)
            return 0;
    }
}

int cr_fit_ppc(const cr_model *m, const void *check, const cr_fit_attempt *a, uint64_t seed,
               int threads, void *out, cr_err *e)
{
    const cr_chains_result *r = &a->res;
    int pass = m->entry->ppc(m, check, r->draws, (size_t)r->chains * (size_t)r->samples, seed,
                             threads, out, e);
    if (pass < 0) {
        char label[64];
        snprintf(label, sizeof label, "%s %s", a->series, a->model);
        return cr_fail_prefix(e, label);
    }
    return pass;
}
