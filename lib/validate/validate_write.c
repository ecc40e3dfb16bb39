/* The validation table as CSV and as the report's section. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/outfile.h"
#include "common/xalloc.h"
#include "validate/validate.h"

static void num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.6g", x);
    else
        fputs("NA", f);
}

int cr_validate_write_csv(const char *path, const cr_validate_config *vc,
                          const cr_validate_result *r, cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    fputs("users,metric,folds,groups,observed_values,pred_mean,obs_mean,pred_q90,obs_q90,"
          "above_q90,pred_q99,obs_q99,above_q99,above_q99_lo,above_q99_hi\n", o.fp);
    for (int u = 0; u < vc->ngroups; u++)
        for (int k = 0; k < CR_VAL_NMETRICS; k++) {
            const cr_validate_row *w = &r->row[u][k];
            fprintf(o.fp, "%d,%s,%d,%d,%zu", w->users, cr_validate_metric_names[k], r->folds,
                    w->ngroups, w->nobs);
            const double v[] = {w->pred_mean, w->obs_mean,  w->pred_q90,    w->obs_q90,
                                w->above_q90, w->pred_q99,  w->obs_q99,     w->above_q99,
                                w->above_q99_lo, w->above_q99_hi};
            for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
                fputc(',', o.fp);
                num(o.fp, v[i]);
            }
            fputc('\n', o.fp);
        }
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

static void html_num(FILE *f, double x, int pct)
{
    if (!isfinite(x))
        fputs("<td>&ndash;</td>", f);
    else if (pct)
        fprintf(f, "<td>%.1f%%</td>", 100 * x);
    else
        fprintf(f, "<td>%.3g</td>", x);
}

char *cr_validate_html(const cr_validate_config *vc, const cr_validate_result *r,
                       const cr_sizing_data *d)
{
    char *text;
    size_t len;
    FILE *f = xmemstream_open(&text, &len);
    static const char *const label[CR_VAL_NMETRICS] = {"New sessions / s", "Log lines / min",
                                                       "Concurrent sessions"};
    fprintf(f, "<h2>Validation against machines the fit never saw</h2>\n<p>The fit above used "
               "%d of the %d machines, drawn at random (seed %llu); the other %d were summed "
               "second by second (minutes for log lines) from the start of each capture, alone "
               "and in random groups of N, as N independent users. %d split%s of the machines "
               "into fitted and held out %s pooled. A calibrated prediction is exceeded by "
               "about 10%% of the observed values at its 90th percentile and by about 1%% at "
               "its 99th.</p>\n"
               "<table><thead><tr><th>N</th><th class=\"l\">Metric</th><th>Groups</th>"
               "<th>Observed values</th><th>Mean predicted</th><th>Mean observed</th>"
               "<th>q90 predicted</th><th>q90 observed</th><th>Above q90</th>"
               "<th>q99 predicted</th><th>q99 observed</th><th>Above q99</th></tr></thead>"
               "<tbody>\n",
            r->nfit, d->nmachines, (unsigned long long)vc->seed, r->nheld, r->folds,
            r->folds == 1 ? "" : "s", r->folds == 1 ? "is" : "are");
    for (int u = 0; u < vc->ngroups; u++)
        for (int k = 0; k < CR_VAL_NMETRICS; k++) {
            const cr_validate_row *w = &r->row[u][k];
            fprintf(f, "<tr><td>%d</td><td class=\"l\">%s</td><td>%d</td><td>%zu</td>", w->users,
                    label[k], w->ngroups, w->nobs);
            html_num(f, w->pred_mean, 0);
            html_num(f, w->obs_mean, 0);
            html_num(f, w->pred_q90, 0);
            html_num(f, w->obs_q90, 0);
            html_num(f, w->above_q90, 1);
            html_num(f, w->pred_q99, 0);
            html_num(f, w->obs_q99, 0);
            html_num(f, w->above_q99, 1);
            fputs("</tr>\n", f);
        }
    fputs("</tbody></table>\n", f);
    xmemstream_close(f);
    return text;
}
