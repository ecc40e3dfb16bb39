/* The files of a fit (the layout in fit.h), written from a cr_fit_result in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/xalloc.h"
#include "fit/fit.h"
#include "fit/fit_notes.h"
#include "fit/fit_write.h"
#include "report/plot.h"

/* dir/aNAMEb in a fresh buffer. */
static char *join(const char *dir, const char *a, const char *name, const char *b)
{
    size_t n = strlen(dir) + strlen(a) + strlen(name) + strlen(b) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s%s%s", dir, a, name, b);
    return p;
}

/* Summary, sampler table, draws (when any are kept and with_draws: models/NAME/ never has
 * them, as fit.h's layout says, since they are the top directory's), PPC table and figures of
 * one rung. */
static int rung_files(const char *dir, const char *series, const cr_fit_rung *r,
                      const char *const *ids, int with_draws, cr_plot_svg *rootogram, cr_err *e)
{
    char *p[5] = {join(dir, "diagnostics/", series, "_summary.csv"),
                  join(dir, "diagnostics/", series, "_sampler.csv"),
                  join(dir, "draws/", series, ".csv"), join(dir, "diagnostics/ppc_", series, ".csv"),
                  NULL};
    char *root = join(dir, "plots/ppc_", series, ""), *dens = join(dir, "plots/ppc_density_",
                                                                   series, "");
    char title[128];
    snprintf(title, sizeof title, "%s: posterior predictive check of %s", series,
             r->ld.lm->entry.name);
    int draws = with_draws && (!r->draw_cols || r->ndraw_cols > 0);
    int rc = cr_fit_write_summary(p[0], &r->ld.m, &r->fit, e) != 0 ||
             cr_fit_write_sampler(p[1], &r->fit, e) != 0 ||
             (draws && cr_fit_write_draws(p[2], &r->ld.m, &r->fit, r->draw_cols, r->ndraw_cols,
                                          e) != 0) ||
             cr_ppc_write_csv(p[3], &r->ppc, ids, e) != 0 ||
             cr_plot_ppc(root, CR_PLOT_ROOTOGRAM, &r->ppc, ids, title, rootogram, e) != 0 ||
             cr_plot_ppc(dens, CR_PLOT_DENSITY, &r->ppc, ids, title, NULL, e) != 0;
    for (int i = 0; i < 4; i++)
        free(p[i]);
    free(root);
    free(dens);
    return rc ? -1 : 0;
}

int cr_fit_result_write(const char *dir, const cr_fit_result *r, int per_model,
                        cr_plot_svg *rootogram, cr_err *e)
{
    int rc = rung_files(dir, r->series, cr_fit_kept(r), r->machine_ids, 1, rootogram, e);
    for (int i = 0; i < r->nrungs && per_model && rc == 0; i++) {
        char *mdir = join(dir, "models/", r->rung[i].ld.lm->entry.name, "");
        rc = rung_files(mdir, r->series, &r->rung[i], r->machine_ids, 0, NULL, e);
        free(mdir);
    }
    if (rc == 0)
        rc = cr_fit_logs_write(dir, &r->logs, e);
    return rc;
}

int cr_fit_write_notes(const char *dir, const char *intro, const cr_fit_result *const *r, int n,
                       cr_err *e)
{
    char *notes = join(dir, "NOTES.md", "", ""), *status = join(dir, "diagnostics/status", "", "");
    cr_outfile a, b;
    memset(&b, 0, sizeof b);
    int rc = cr_outfile_open(&a, notes, e) != 0 || cr_outfile_open(&b, status, e) != 0;
    if (rc == 0) {
        cr_fit_notes_preamble(a.fp, intro);
        for (int i = 0; i < n; i++) {
            const cr_fit_status *st = &r[i]->status;
            fputs(r[i]->notes, a.fp);
            fprintf(b.fp, "%s %s %s%s%s\n", st->series, st->model, st->pass ? "PASS" : "FAIL",
                    st->pass ? "" : " ", st->reasons);
        }
        rc = cr_outfile_commit(&a, e) != 0 || cr_outfile_commit(&b, e) != 0;
    }
    cr_outfile_abort(&a);
    cr_outfile_abort(&b);
    free(notes);
    free(status);
    return rc ? -1 : 0;
}
