#include <stdio.h>
#include <string.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest.h"
#include "options.h"

/* The CPS table to fit: one given as such, else that of the captures and logs given (as `cps`
 * counts them), with d opened. Returns 0 or an exit status. */
static int table(const cli_args *a, cr_outdir *d, cr_cps_table *t)
{
    cr_err e;
    if (a->ninputs == 1 && cr_cps_is_table(a->inputs[0])) {
        if (cr_output_check(a->out, 1, a->inputs, 1, &e) != 0 || cr_cps_read(t, a->inputs[0], &e))
            return cli_fail(&e);
        if (cr_outdir_open(d, a->out, a->force, &e) != 0) {
            cr_cps_free(t);
            return cli_fail(&e);
        }
        return 0;
    }
    for (int i = 0; i < a->ninputs; i++)
        if (cr_cps_is_table(a->inputs[i]))
            return cli_usage_error("fit", "%s is a CPS table: it is fitted alone, not with other "
                                          "inputs", a->inputs[i]);
    ingest_job j;
    int rc = ingest_load(a, d, &j);
    if (rc != 0)
        return ingest_close(&j, rc);
    cr_sizing_data data;
    ingest_sizing_data(&j, a, &data);
    ingest_close(&j, 0);
    *t = data.cps;
    memset(&data.cps, 0, sizeof data.cps);
    cr_sizing_data_free(&data);
    return 0;
}

static int run(cli_args *a)
{
    if (!a->out)
        return cli_usage_error("fit", "no output directory: use -o DIR");
    cr_fit_ladder_options lo;
    cr_fit_ladder_options_default(&lo);
    cli_fit_options(a, &lo.fit);
    lo.model = a->model;
    lo.holdout = !a->no_holdout;
    cr_err e;
    cr_cps_table t;
    cr_outdir d = {0};
    int rc = table(a, &d, &t);
    if (rc != 0)
        return rc;
    cr_info("fit: %s%s: %d machines, %zu seconds\n", a->inputs[0],
            a->ninputs > 1 ? " and the other inputs" : "", t.nmachines, t.nrows);
    /* one series at a time, written as soon as it is done: the draws of only one are held */
    cr_fit_result *res = xcalloc((size_t)a->nseries, sizeof *res);
    const cr_fit_result **done = xcalloc((size_t)a->nseries, sizeof *done);
    int failed = 0;
    for (int i = 0; i < a->nseries && rc == 0; i++) {
        cr_series s = {cr_cps_series_names[a->series[i]], t.count[a->series[i]]};
        rc = cr_fit_ladder_series(&t, &s, &lo, &res[i], &e) != 0 ||
             cr_fit_result_write(d.tmp, &res[i], 1, NULL, &e) != 0;
        if (rc == 0) {
            /* what the notes and the status need stays; the draws go */
            for (int g = 0; g < res[i].nrungs; g++)
                cr_chains_result_free(&res[i].rung[g].fit.res);
            done[i] = &res[i];
            failed |= !res[i].status.pass;
        }
    }
    char intro[256];
    snprintf(intro, sizeof intro, "Data: %d machines, %zu seconds. Models: %s.", t.nmachines,
             t.nrows, a->model < 0 ? "the whole ladder, simplest first"
                                   : cr_ladder_models[a->model].entry.name);
    if (rc == 0)
        rc = cr_fit_write_notes(d.tmp, intro, done, a->nseries, &e) != 0 ||
             cr_outdir_commit(&d, &e) != 0;
    for (int i = 0; i < a->nseries; i++)
        if (done[i])
            cr_info("%s %s %s%s%s\n", res[i].status.series, res[i].status.model,
                    res[i].status.pass ? "PASS" : "FAIL", res[i].status.pass ? "" : " ",
                    res[i].status.reasons);
    for (int i = 0; i < a->nseries; i++)
        cr_fit_result_free(&res[i]);
    free(res);
    free(done);
    cr_cps_free(&t);
    cr_outdir_abort(&d);
    if (rc)
        return cli_fail(&e);
    return failed ? CLI_CHECKS_FAILED : CLI_OK;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_ingest, &opt_series,
                                          &opt_fit,        &opt_fit_only, &opt_seed,
                                          &opt_threads,    &opt_general,  NULL};

const cli_command cmd_fit = {
    "fit",
    "rate models fitted to each series of a CPS table, checked, one kept",
    "CPS.csv | INPUT... -o DIR [OPTIONS]",
    "Fits rate models to each series of a CPS table (`connrate cps`), or of the table of the\n"
    "captures, flow records and logs given (as `connrate cps` counts them), with connrate's\n"
    "NUTS sampler, checks them and keeps one, explaining why in DIR/NOTES.md.\n"
    "Each fit must meet the original specification's convergence criteria (zero divergences,\n"
    "E-BFMI > 0.3 on all chains, R-hat < 1.01, bulk and tail ESS > 400; retried with\n"
    "adapt_delta 0.95, then 0.99, doubling the warmup) and reproduce each machine's\n"
    "statistics in posterior predictive checks; among those passing, the simplest within 2\n"
    "standard errors of the best PSIS-LOO elpd is kept. With 3 or more machines the kept\n"
    "model is refitted without each machine to check that every machine looks like a new\n"
    "user of the population.\n"
    "\n"
    "DIR gets, per series: diagnostics/SERIES_summary.csv (posterior summaries),\n"
    "diagnostics/SERIES_sampler.csv (per-chain sampler statistics), diagnostics/ppc_SERIES.csv\n"
    "(predictive checks), draws/SERIES.csv (all draws of the last attempt),\n"
    "plots/ppc_SERIES.{png,svg} (rootogram); every model's summaries, checks and plots under\n"
    "models/NAME/; loop_logs/SERIES-MODEL-N.json (one per attempt, the only files with\n"
    "timings); NOTES.md; and diagnostics/status (`SERIES MODEL PASS` / `... FAIL why`). Outputs\n"
    "are the same bytes for the same data, settings and seed whatever --threads. The exit\n"
    "status is 3 when a series FAILs its checks.",
    1, -1, cli_print_ladder, groups, run};
