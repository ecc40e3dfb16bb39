#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "options.h"

static int run(cli_args *a)
{
    if (!a->out)
        return cli_usage_error("fit", "no output directory: use -o DIR");
    cr_fit_ladder_options lo;
    cr_fit_ladder_options_default(&lo);
    cli_fit_options(a, &lo.fit);
    lo.model = a->model;
    lo.holdout = !a->no_holdout;
    /* GSL's default handler aborts the process on a numerical failure deep inside a diagnostic
     * (e.g. gsl_cdf_beta_Pinv not converging for a large ESS); the functions return NaN
     * instead, which the summaries report as NA. */
    gsl_set_error_handler_off();
    cr_err e;
    cr_cps_table t;
    cr_outdir d;
    if (cr_output_check(a->out, 1, a->inputs, 1, &e) != 0 || cr_cps_read(&t, a->inputs[0], &e))
        return cli_fail(&e);
    if (cr_outdir_open(&d, a->out, a->force, &e) != 0) {
        cr_cps_free(&t);
        return cli_fail(&e);
    }
    cr_info("fit: %s: %d machines, %zu seconds\n", a->inputs[0], t.nmachines, t.nrows);
    cr_fit_status st[CR_CPS_NSERIES];
    int rc = cr_fit_ladder(&t, a->series, a->nseries, &lo, d.tmp, st, &e);
    cr_cps_free(&t);
    if (rc != 0 || cr_outdir_commit(&d, &e) != 0) {
        cr_outdir_abort(&d);
        return cli_fail(&e);
    }
    cr_outdir_abort(&d);
    int failed = 0;
    for (int i = 0; i < a->nseries; i++) {
        cr_info("%s %s %s%s%s\n", cr_cps_series_names[a->series[i]], st[i].model,
                st[i].pass ? "PASS" : "FAIL", st[i].pass ? "" : " ", st[i].reasons);
        failed |= !st[i].pass;
    }
    return failed ? CLI_CHECKS_FAILED : CLI_OK;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_fit, &opt_fit_only, &opt_seed,
                                          &opt_threads, &opt_general, NULL};

const cli_command cmd_fit = {
    "fit",
    "rate models fitted to each series of a CPS table, checked, one kept",
    "CPS.csv -o DIR [OPTIONS]",
    "Fits rate models to each series of a CPS table (`connrate cps`) with connrate's NUTS\n"
    "sampler, checks them and keeps one, explaining why in DIR/NOTES.md. The ladder, simplest\n"
    "first (models/NAME.stan):\n"
    "  pois            Poisson around machine and minute rates\n"
    "  nb_machine      negative binomial around one rate per machine\n"
    "  nbh             negative binomial around machine and minute rates\n"
    "  nbh_ar1         nbh with minute rates that persist (AR(1))\n"
    "  hurdle_nbh_ar1  nbh_ar1 with a per-machine chance of an idle second\n"
    "  nbh_burst       nbh with a chance that a second is a burst of connections\n"
    "Each fit must meet the seed's convergence criteria (zero divergences, E-BFMI > 0.3 on all\n"
    "chains, R-hat < 1.01, bulk and tail ESS > 400; retried with adapt_delta 0.95, then 0.99,\n"
    "doubling the warmup) and reproduce each machine's statistics in posterior predictive\n"
    "checks; among those passing, the simplest within 2 standard errors of the best PSIS-LOO\n"
    "elpd is kept. With 3 or more machines the kept model is refitted without each machine to\n"
    "check that every machine looks like a new user of the population.\n"
    "\n"
    "DIR gets, per series: diagnostics/SERIES_summary.csv (posterior summaries),\n"
    "diagnostics/SERIES_sampler.csv (per-chain sampler statistics), diagnostics/ppc_SERIES.csv\n"
    "(predictive checks), draws/SERIES.csv (all draws of the last attempt),\n"
    "plots/ppc_SERIES.{png,svg} (rootogram); every model's summaries, checks and plots under\n"
    "models/NAME/; loop_logs/SERIES-MODEL-N.json (one per attempt, the only files with\n"
    "timings); NOTES.md; and diagnostics/status (`SERIES MODEL PASS` / `... FAIL why`). Outputs\n"
    "are the same bytes for the same data, settings and seed whatever --threads. The exit\n"
    "status is 3 when a series FAILs its checks.",
    1, 1, groups, run};
