#include "fit/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit_notes.h"
#include "report/plot.h"

void cr_fit_ladder_options_default(cr_fit_ladder_options *o)
{
    memset(o, 0, sizeof *o);
    cr_fit_options_default(&o->fit);
    o->model = -1;
    o->holdout = 1;
    o->interval = 0.9;
    o->per_model = 1;
    o->draws = CR_FIT_DRAWS_ALL;
}

/* dir/NAMESUFFIX */
static char *join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

/* One model of one series, fitted and checked. */
typedef struct {
    cr_ladder_data ld;
    cr_fit_attempt fit;
    cr_ppc_result ppc;
    double *elpd;
    cr_loo_estimates loo;
    int fitted, checked;
} rung;

static void rung_free(rung *r)
{
    if (r->fitted)
        cr_fit_attempt_free(&r->fit);
    if (r->checked)
        cr_ppc_free(&r->ppc);
    free(r->elpd);
    cr_ladder_data_free(&r->ld);
}

static int threads_of(const cr_fit_options *o)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return o->sampler.threads > 0 ? o->sampler.threads : n > 0 ? (int)n : 1;
}

/* The PPC figures of one fit: DIR/plots/ppc_SERIES and ppc_density_SERIES. */
static int ppc_files(const char *dir, const char *series, const char *model,
                     const cr_ppc_result *p, const char *const *ids, cr_err *e)
{
    char title[128];
    snprintf(title, sizeof title, "%s: posterior predictive check of %s", series, model);
    char *root = join(dir, "plots/ppc_", series), *dens = join(dir, "plots/ppc_density_", series);
    char *csv = join(dir, "diagnostics/ppc_", series);
    char *csvx = xmalloc(strlen(csv) + 5);
    snprintf(csvx, strlen(csv) + 5, "%s.csv", csv);
    int rc = cr_plot_ppc(root, CR_PLOT_ROOTOGRAM, p, ids, title, e);
    if (rc == 0)
        rc = cr_plot_ppc(dens, CR_PLOT_DENSITY, p, ids, title, e);
    if (rc == 0)
        rc = cr_ppc_write_csv(csvx, p, ids, e);
    free(root);
    free(dens);
    free(csv);
    free(csvx);
    return rc;
}

static int check_rung(rung *r, const cr_ladder_rows *rows, const cr_ladder_points *pts,
                      const cr_fit_ladder_options *o, const char *series, cr_err *e)
{
    int threads = threads_of(&o->fit);
    if (cr_ladder_ppc(&r->ld, &r->fit.res, rows, (unsigned long)o->fit.sampler.seed, threads,
                      &r->ppc, e) != 0)
        return cr_fail_prefix(e, series);
    r->checked = 1;
    if (o->model >= 0) { /* one model: LOO would only feed a comparison there is none of */
        cr_info("%s %s: PPC %s\n", series, r->ld.lm->name,
                cr_ladder_ppc_fails(&r->ppc) ? "FAIL" : "pass");
        return 0;
    }
    r->elpd = xmalloc((pts->n + 1) * sizeof(double));
    cr_ladder_loo(&r->ld, &r->fit.res, pts, threads, r->elpd, &r->loo);
    cr_info("%s %s: PPC %s, elpd_loo %.1f (SE %.1f)\n", series, r->ld.lm->name,
            cr_ladder_ppc_fails(&r->ppc) ? "FAIL" : "pass", r->loo.elpd_loo, r->loo.se_elpd_loo);
    return 0;
}

static int fit_one_series(const cr_cps_table *t, int s, const cr_fit_ladder_options *o,
                          const char *dir, FILE *notes, cr_fit_status *st, cr_err *e)
{
    const char *series = cr_cps_series_names[s];
    const cr_ladder_rows rows = {t->nrows, t->machine, t->minute, t->count[s]};
    const char *const *ids = (const char *const *)t->machine_ids;
    cr_ladder_points pts;
    cr_ladder_points_init(&pts, &rows);
    rung r[CR_LADDER_NMODELS];
    memset(r, 0, sizeof r);
    int first = o->model < 0 ? 0 : o->model, last = o->model < 0 ? CR_LADDER_NMODELS - 1
                                                                  : o->model;
    int n = last - first + 1, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const cr_ladder_model *lm = &cr_ladder_models[first + i];
        cr_ladder_data_init(&r[i].ld, lm, &rows);
        if ((rc = cr_fit_run(&r[i].ld, series, &o->fit, dir, &r[i].fit, e)) != 0)
            break;
        r[i].fitted = 1;
        if ((rc = check_rung(&r[i], &rows, &pts, o, series, e)) != 0)
            break;
        if (o->per_model) {
            char *mdir = join(dir, "models/", lm->name);
            rc = cr_fit_write_outputs(mdir, &r[i].ld.m, &r[i].fit, CR_FIT_DRAWS_NONE, e);
            if (rc == 0)
                rc = ppc_files(mdir, series, lm->name, &r[i].ppc, ids, e);
            free(mdir);
        }
    }
    cr_fit_notes nt;
    memset(&nt, 0, sizeof nt);
    if (rc == 0) {
        cr_ladder_candidate cand[CR_LADDER_NMODELS];
        const char *names[CR_LADDER_NMODELS];
        for (int i = 0; i < n; i++) {
            cand[i] = (cr_ladder_candidate){r[i].fit.chk.pass, !cr_ladder_ppc_fails(&r[i].ppc),
                                            r[i].elpd};
            names[i] = r[i].ld.lm->name;
            nt.lm[i] = r[i].ld.lm;
            nt.fit[i] = &r[i].fit;
            nt.ppc[i] = &r[i].ppc;
            nt.loo[i] = r[i].loo;
        }
        cr_ladder_choose(n, cand, names, pts.weight, pts.n, &nt.choice);
        const rung *k = &r[nt.choice.chosen];
        memset(st, 0, sizeof *st);
        st->series = s;
        st->model = k->ld.lm->name;
        st->attempts = k->fit.number;
        st->pass = !nt.choice.failing;
        if (!k->fit.chk.pass || cr_ladder_ppc_fails(&k->ppc))
            snprintf(st->reasons, sizeof st->reasons, "%s%s%s", k->fit.chk.reasons,
                     k->fit.chk.pass ? "" : " ", cr_ladder_ppc_fails(&k->ppc) ? "ppc" : "");
        cr_info("%s: kept %s%s\n", series, st->model, st->pass ? "" : " (FAILING)");
        rc = cr_fit_write_outputs(dir, &k->ld.m, &k->fit, o->draws, e);
        if (rc == 0)
            rc = ppc_files(dir, series, st->model, &k->ppc, ids, e);
        if (rc == 0 && o->kept)
            rc = o->kept(o->kept_ctx, s, &k->ld.m, &k->fit.res, e);
    }
    cr_holdout_machine *ho = NULL;
    if (rc == 0 && o->holdout && t->nmachines >= 3) {
        ho = xmalloc((size_t)t->nmachines * sizeof *ho);
        rc = cr_fit_holdout(r[nt.choice.chosen].ld.lm, &rows, &o->fit, o->interval, dir, series,
                            ho, e);
        nt.nholdout = t->nmachines;
    }
    if (rc == 0) {
        long long total = 0;
        size_t zeros = 0;
        for (size_t i = 0; i < rows.n; i++)
            total += rows.y[i], zeros += rows.y[i] == 0;
        nt.series = series;
        nt.machine_ids = ids;
        nt.nmachines = t->nmachines;
        nt.nseconds = rows.n;
        nt.total = total;
        nt.zero_frac = rows.n ? (double)zeros / (double)rows.n : 0;
        nt.nmodels = n;
        nt.holdout = ho;
        nt.interval = o->interval;
        cr_fit_notes_series(notes, &nt);
    }
    free(ho);
    for (int i = 0; i < n; i++)
        rung_free(&r[i]);
    cr_ladder_points_free(&pts);
    return rc;
}

int cr_fit_ladder(const cr_cps_table *t, const int *series, int nseries,
                  const cr_fit_ladder_options *o, const char *dir, cr_fit_status *st, cr_err *e)
{
    char *path = join(dir, "NOTES.md", "");
    cr_outfile out;
    int rc = cr_outfile_open(&out, path, e);
    free(path);
    if (rc != 0)
        return -1;
    char intro[256];
    snprintf(intro, sizeof intro, "Data: %d machines, %zu seconds. Models: %s.", t->nmachines,
             t->nrows, o->model < 0 ? "the whole ladder (pois, nb_machine, nbh, nbh_ar1, "
                                      "hurdle_nbh_ar1, nbh_burst), simplest first"
                                    : cr_ladder_models[o->model].name);
    cr_fit_notes_preamble(out.fp, intro);
    for (int i = 0; i < nseries && rc == 0; i++)
        rc = fit_one_series(t, series[i], o, dir, out.fp, &st[i], e);
    if (rc == 0)
        rc = cr_fit_write_status(dir, st, nseries, e);
    if (rc == 0 && cr_outfile_commit(&out, e) != 0)
        rc = -1;
    cr_outfile_abort(&out);
    return rc;
}
