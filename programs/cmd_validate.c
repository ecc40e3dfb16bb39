#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "ingest.h"
#include "options.h"
#include "validate/validate.h"

static int run(cli_args *a)
{
    if (!a->out)
        return cli_usage_error("validate", "no output directory: use -o DIR");
    cr_sizing_config c;
    cr_validate_config vc;
    cr_err e;
    if (cli_sizing_config(a, NULL, &c, &e) != 0)
        return cli_usage_error("validate", "%s", e.msg);
    cr_validate_config_default(&vc);
    vc.fit_machines = a->fit_machines;
    vc.ngroups = a->ngroups;
    memcpy(vc.groups, a->groups, sizeof vc.groups);
    vc.seed = (uint64_t)a->seed;
    vc.folds = a->folds;

    ingest_job j;
    cr_outdir d = {0};
    int rc = ingest_load(a, &d, &j);
    if (rc != 0)
        return ingest_close(&j, rc);
    cr_sizing_data data;
    cr_validate_result r;
    memset(&r, 0, sizeof r);
    c.out_dir = d.tmp;
    ingest_sizing_data(&j, a, &data);
    ingest_close(&j, 0);
    rc = cr_validate_run(&data, &vc, &c, &r, &e) != 0;
    if (!rc) {
        size_t n = strlen(d.tmp) + 32;
        char *csv = malloc(n);
        snprintf(csv, n, "%s/validation.csv", d.tmp);
        r.sizing.extra_html = cr_validate_html(&vc, &r, &data);
        c.nusers = vc.ngroups;
        memcpy(c.users, vc.groups, (size_t)vc.ngroups * sizeof *c.users);
        rc = cr_validate_write_csv(csv, &vc, &r, &e) != 0 ||
             cr_sizing_write(d.tmp, &c, &r.sizing, &e) != 0 || cr_outdir_commit(&d, &e) != 0;
        free(csv);
    }
    cr_outdir_abort(&d);
    if (!rc)
        for (int u = 0; u < vc.ngroups; u++)
            for (int k = 0; k < CR_VAL_NMETRICS; k++) {
                const cr_validate_row *w = &r.row[u][k];
                cr_info("N=%d %s (%d groups): mean %.3g vs %.3g; above q90 %.1f%%, above q99 "
                        "%.1f%%\n", w->users, cr_validate_metric_names[k], w->ngroups,
                        w->pred_mean, w->obs_mean, 100 * w->above_q90, 100 * w->above_q99);
            }
    cr_validate_free(&r);
    cr_sizing_data_free(&data);
    if (rc)
        return cli_fail(&e);
    cr_info("validation: %s/validation.csv and %s/report.html\n", a->out, a->out);
    return 0;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_validate, &opt_ingest,
                                          &opt_series,     &opt_sizing,   &opt_fit,
                                          &opt_seed,       &opt_threads,  &opt_general, NULL};

const cli_command cmd_validate = {
    "validate",
    "a sizing checked against machines the fit never saw",
    "INPUT... -o DIR [OPTIONS]",
    "Splits the machines at random (--seed) into a fit set and a held-out set, sizes the fit set\n"
    "as `connrate run` does for N = each group size, deals the held-out machines into groups of\n"
    "N and sums their seconds as N independent users, and compares: predicted and observed mean,\n"
    "90th and 99th percentile of new sessions per second, log lines per minute and concurrent\n"
    "sessions, and the share of observed seconds (minutes) above each predicted quantile (about\n"
    "10% and 1% when the prediction holds). Writes DIR/validation.csv and the fit set's sizing\n"
    "outputs, its report.html with a validation section (docs/validation.md).",
    1, -1, NULL, groups, run};
