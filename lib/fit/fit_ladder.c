/* The ladder on one series, in memory: every model fitted and checked (convergence, PPC,
 * PSIS-LOO), one kept, the leave-one-machine-out check, the notes. Files are fit_output.c's. */
#include "fit/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit_notes.h"

void cr_fit_ladder_options_default(cr_fit_ladder_options *o)
{
    memset(o, 0, sizeof *o);
    cr_fit_options_default(&o->fit);
    o->model = -1;
    o->holdout = 1;
    o->interval = 0.9;
    o->draws = CR_FIT_DRAWS_ALL;
    o->logs = 1;
}

static int check_rung(cr_fit_rung *r, const cr_ladder_points *pts,
                      const cr_fit_ladder_options *o, const char *series, cr_err *e)
{
    int threads = cr_pool_threads(o->fit.sampler.threads);
    if (cr_fit_ppc(&r->ld.m, pts, &r->fit, (unsigned long)o->fit.sampler.seed, threads, &r->ppc,
                   e) < 0)
        return -1;
    if (o->model >= 0) { /* one model: LOO would only feed a comparison there is none of */
        cr_info("%s %s: PPC %s\n", series, r->ld.lm->entry.name,
                cr_ladder_ppc_fails(&r->ppc) ? "FAIL" : "pass");
        return 0;
    }
    r->elpd = xmalloc((pts->n + 1) * sizeof(double));
    cr_ladder_loo(&r->ld, &r->fit.res, pts, threads, r->elpd, &r->loo);
    cr_info("%s %s: PPC %s, elpd_loo %.1f (SE %.1f)\n", series, r->ld.lm->entry.name,
            cr_ladder_ppc_fails(&r->ppc) ? "FAIL" : "pass", r->loo.elpd_loo, r->loo.se_elpd_loo);
    return 0;
}

/* Keeps of a rung's draws what o->draws asks for: all, the population parameters (outputs
 * without an index) and the machine effects, or none. */
static void trim_draws(cr_fit_rung *r, int which)
{
    cr_chains_result *res = &r->fit.res;
    if (which == CR_FIT_DRAWS_ALL)
        return;
    const cr_model *m = &r->ld.m;
    r->draw_cols = xmalloc(((size_t)m->nout + 1) * sizeof *r->draw_cols);
    r->ndraw_cols = 0;
    char name[128];
    for (int j = 0; j < m->nout && which == CR_FIT_DRAWS_POPULATION; j++) {
        m->name(m, j, name, sizeof name);
        if (!strchr(name, '[') || !strncmp(name, "z_machine[", 10))
            r->draw_cols[r->ndraw_cols++] = j;
    }
    size_t rows = (size_t)res->chains * (size_t)res->samples;
    for (size_t k = 0; k < rows; k++)
        for (int j = 0; j < r->ndraw_cols; j++)
            res->draws[k * (size_t)r->ndraw_cols + (size_t)j] =
                res->draws[k * (size_t)res->nout + (size_t)r->draw_cols[j]];
    res->draws = xrealloc(res->draws, (rows * (size_t)r->ndraw_cols + 1) * sizeof(double));
}

static char *series_notes(const cr_fit_result *out, const cr_ladder_rows *rows,
                          const cr_fit_ladder_options *o)
{
    cr_fit_notes nt;
    memset(&nt, 0, sizeof nt);
    for (int i = 0; i < out->nrungs; i++) {
        nt.lm[i] = out->rung[i].ld.lm;
        nt.fit[i] = &out->rung[i].fit;
        nt.ppc[i] = &out->rung[i].ppc;
        nt.loo[i] = out->rung[i].loo;
    }
    long long total = 0;
    size_t zeros = 0;
    for (size_t i = 0; i < rows->n; i++)
        total += rows->y[i], zeros += rows->y[i] == 0;
    nt.choice = out->choice;
    nt.series = out->series;
    nt.machine_ids = out->machine_ids;
    nt.nmachines = out->nmachines;
    nt.nseconds = rows->n;
    nt.total = total;
    nt.zero_frac = rows->n ? (double)zeros / (double)rows->n : 0;
    nt.nmodels = out->nrungs;
    nt.holdout = out->holdout;
    nt.nholdout = out->holdout ? out->nmachines : 0;
    nt.interval = o->interval;
    char *text;
    size_t len;
    FILE *f = xmemstream_open(&text, &len);
    cr_fit_notes_series(f, &nt);
    xmemstream_close(f);
    return text;
}

/* The rate ladder's judgement of a model: its NUTS fit and checks. */
typedef struct {
    cr_fit_result *out;
    const cr_ladder_rows *rows;
    const cr_ladder_points *pts;
    const cr_fit_ladder_options *o;
    const char *series;
    int first;
} ladder_ctx;

static int judge_rung(void *ctx, int i, cr_ladder_candidate *c, cr_err *e)
{
    const ladder_ctx *l = ctx;
    cr_fit_rung *r = &l->out->rung[l->out->nrungs++];
    cr_ladder_data_init(&r->ld, &cr_ladder_models[l->first + i], l->rows);
    if (cr_fit_model(&r->ld.m, l->series, NULL, &l->o->fit, l->o->logs ? &l->out->logs : NULL,
                     &r->fit, e) != 0 ||
        check_rung(r, l->pts, l->o, l->series, e) != 0)
        return -1;
    *c = (cr_ladder_candidate){r->fit.chk.pass, !cr_ladder_ppc_fails(&r->ppc), r->elpd, 1};
    return 0;
}

int cr_fit_ladder_series(const cr_cps_table *t, const cr_series *s,
                         const cr_fit_ladder_options *o, cr_fit_result *out, cr_err *e)
{
    memset(out, 0, sizeof *out);
    out->series = s->name;
    out->machine_ids = (const char *const *)t->machine_ids;
    out->nmachines = t->nmachines;
    cr_fit_logs *logs = o->logs ? &out->logs : NULL;
    const cr_ladder_rows rows = {t->nrows, t->machine, t->minute, s->y};
    cr_ladder_points pts;
    cr_ladder_points_init(&pts, &rows);
    const int first = o->model < 0 ? 0 : o->model;
    const char *names[CR_LADDER_NMODELS];
    cr_ladder_candidate cand[CR_LADDER_NMODELS];
    ladder_ctx l = {out, &rows, &pts, o, s->name, first};
    cr_fit_selection sel = {s->name, o->model < 0 ? CR_LADDER_NMODELS : 1, names, pts.weight,
                            pts.n, judge_rung, NULL, 0, &l};
    for (int i = 0; i < sel.n; i++)
        names[i] = cr_ladder_models[first + i].entry.name;
    int rc = cr_fit_select(&sel, cand, &out->choice, e);
    if (rc == 0) {
        out->kept = out->choice.chosen;
        const cr_fit_rung *k = &out->rung[out->kept];
        cr_fit_status *st = &out->status;
        st->series = s->name;
        st->model = k->ld.lm->entry.name;
        st->attempts = k->fit.number;
        st->pass = !out->choice.failing;
        if (!k->fit.chk.pass || cr_ladder_ppc_fails(&k->ppc))
            snprintf(st->reasons, sizeof st->reasons, "%s%s%s", k->fit.chk.reasons,
                     k->fit.chk.pass ? "" : " ", cr_ladder_ppc_fails(&k->ppc) ? "ppc" : "");
        cr_info("%s: kept %s%s\n", s->name, st->model, st->pass ? "" : " (FAILING)");
        if (o->kept)
            rc = o->kept(o->kept_ctx, &k->ld.m, &k->fit.res, e);
        for (int i = 0; i < out->nrungs; i++)
            trim_draws(&out->rung[i], i == out->kept ? o->draws : CR_FIT_DRAWS_NONE);
    }
    if (rc == 0 && o->holdout && t->nmachines >= 3) {
        out->holdout = xmalloc((size_t)t->nmachines * sizeof *out->holdout);
        const cr_fit_rung *k = &out->rung[out->kept];
        const cr_fit_warm warm = {&k->ld, &k->fit.res};
        rc = cr_fit_holdout(k->ld.lm, &rows, &o->fit, o->interval, &warm, logs, s->name,
                            out->holdout, e);
    }
    if (rc == 0)
        out->notes = series_notes(out, &rows, o);
    cr_ladder_points_free(&pts);
    if (rc != 0)
        cr_fit_result_free(out);
    return rc;
}

const cr_fit_rung *cr_fit_kept(const cr_fit_result *r) { return &r->rung[r->kept]; }

/* A model that outputs some of another's outputs: the sampler appends draws of the width a
 * trimmed result keeps. */
typedef struct {
    const cr_model *m;
    const int *cols;
    int ncols;
} cols_view;

static double view_logp(const cr_model *v, const double *theta, double *grad, void *scratch)
{
    const cols_view *c = v->data;
    return c->m->logp(c->m, theta, grad, scratch);
}

static void view_constrain(const cr_model *v, const double *theta, double *out)
{
    const cols_view *c = v->data;
    double *all = xmalloc(((size_t)c->m->nout + 1) * sizeof *all);
    c->m->constrain(c->m, theta, all);
    for (int j = 0; j < c->ncols; j++)
        out[j] = all[c->cols[j]];
    free(all);
}

int cr_fit_run_on(cr_fit_result *r, int more, int threads, cr_err *e)
{
    cr_fit_rung *k = &r->rung[r->kept];
    cr_chains_result *res = &k->fit.res;
    const cr_model *m = &k->ld.m;
    cols_view cv = {m, k->draw_cols, k->ndraw_cols};
    cr_model view = *m;
    if (k->draw_cols) {
        view.logp = view_logp;
        view.constrain = view_constrain;
        view.nout = k->ndraw_cols;
        view.data = &cv;
    }
    cr_chains_config cfg = k->fit.cfg;
    cfg.threads = threads;
    cfg.progress = NULL;
    cfg.progress_ctx = NULL;
    const int nout = res->nout, old = res->samples;
    res->nout = view.nout;
    int rc = cr_chains_extend(&view, &cfg, more, res, e);
    res->nout = nout;
    if (rc != 0)
        return cr_fail_prefix(e, r->series);
    int div = 0;
    for (int c = 0; c < res->chains; c++)
        for (int i = old; i < res->samples; i++)
            div += res->stats[(size_t)c * res->samples + i].divergent != 0;
    cr_info("%s: the kept fit's chains ran on to %d draws each%s\n", r->series, res->samples,
            div ? "" : ", no divergence");
    if (div) {
        cr_fit_status *st = &r->status;
        size_t len = strlen(st->reasons);
        snprintf(st->reasons + len, sizeof st->reasons - len, "%sdivergences=%d(run on)",
                 len ? " " : "", div);
        st->pass = 0;
    }
    return 0;
}

void cr_fit_result_free(cr_fit_result *r)
{
    for (int i = 0; i < r->nrungs; i++) {
        cr_fit_rung *g = &r->rung[i];
        cr_fit_attempt_free(&g->fit);
        cr_ppc_free(&g->ppc);
        free(g->elpd);
        free(g->draw_cols);
        cr_ladder_data_free(&g->ld);
    }
    free(r->holdout);
    free(r->notes);
    cr_fit_logs_free(&r->logs);
    memset(r, 0, sizeof *r);
}
