#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "fit/fit.h"
#include "model/cps_table.h"

static const char help[] =
    "usage: connrate fit CPS.csv -o DIR [OPTIONS]\n"
    "\n"
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
    "  -o, --output DIR     output directory (required); per series, for the kept model:\n"
    "                         DIR/diagnostics/SERIES_summary.csv  posterior summaries\n"
    "                         DIR/diagnostics/SERIES_sampler.csv  per-chain sampler statistics\n"
    "                         DIR/diagnostics/ppc_SERIES.csv      predictive checks\n"
    "                         DIR/draws/SERIES.csv                all draws of the last attempt\n"
    "                         DIR/plots/ppc_SERIES.{png,svg}      rootogram (and ppc_density_)\n"
    "                       every model's summaries, checks and plots under DIR/models/NAME/,\n"
    "                       DIR/loop_logs/SERIES-MODEL-N.json (one per attempt), DIR/NOTES.md\n"
    "                       and DIR/diagnostics/status (`SERIES MODEL PASS` / `... FAIL why`)\n"
    "  --model NAME         auto (the ladder, default) or one model of the ladder\n"
    "  --no-holdout         skip the leave-one-machine-out refits\n"
    "  --series LIST        comma-separated subset of tcp_new,udp_new,tcp_end,udp_end (all)\n"
    "  --chains N           chains (4)\n"
    "  --warmup N           warmup iterations per chain (1000)\n"
    "  --samples N          saved draws per chain (1000)\n"
    "  --seed N             random seed (42)\n"
    "  --adapt-delta X      target acceptance statistic of the first attempt (0.8)\n"
    "  --max-depth N        maximum tree depth (10)\n"
    "  --attempts N         attempts per fit including retries (3; 1 = no retries)\n"
    "  --threads N          threads for chains and diagnostics (default: one per CPU)\n"
    "  -q, --quiet          no progress or summary on stderr\n"
    "\n"
    "Outputs are the same bytes for the same data, settings and seed whatever --threads;\n"
    "wall-clock timings are kept out of them and written to loop_logs/ only. Exit status is 0\n"
    "when the fits ran, even if a series FAILs its checks (see diagnostics/status).\n";

/* Parses "tcp_new,udp_end" into series indices; returns the count or -1. */
static int parse_series(const char *list, int *out)
{
    char *s = xstrdup(list), *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = cr_cps_series_index(tok);
        for (int i = 0; i < n && k >= 0; i++)
            if (out[i] == k)
                k = -1;
        if (k < 0 || n == CR_CPS_NSERIES) {
            free(s);
            return -1;
        }
        out[n++] = k;
    }
    free(s);
    return n ? n : -1;
}

int cmd_fit(int argc, char **argv)
{
    enum { O_MODEL = 256, O_NO_HOLDOUT, O_SERIES, O_CHAINS, O_WARMUP, O_SAMPLES, O_SEED, O_DELTA, O_DEPTH, O_ATTEMPTS,
           O_THREADS };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, O_MODEL},
        {"no-holdout", no_argument, NULL, O_NO_HOLDOUT},
        {"series", required_argument, NULL, O_SERIES},
        {"chains", required_argument, NULL, O_CHAINS},
        {"warmup", required_argument, NULL, O_WARMUP},
        {"samples", required_argument, NULL, O_SAMPLES}, {"seed", required_argument, NULL, O_SEED},
        {"adapt-delta", required_argument, NULL, O_DELTA},
        {"max-depth", required_argument, NULL, O_DEPTH},
        {"attempts", required_argument, NULL, O_ATTEMPTS},
        {"threads", required_argument, NULL, O_THREADS}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    cr_fit_ladder_options lo;
    cr_fit_ladder_options_default(&lo);
    cr_fit_options o = lo.fit;
    const char *dir = NULL;
    int series[CR_CPS_NSERIES] = {0, 1, 2, 3}, nseries = CR_CPS_NSERIES, quiet = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            dir = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case O_MODEL: {
            const cr_ladder_model *lm = cr_ladder_find(optarg);
            if (!lm && strcmp(optarg, "auto") != 0)
                return cli_usage_error("fit", "--model %s: expected auto, pois, nb_machine, nbh, "
                                       "nbh_ar1, hurdle_nbh_ar1 or nbh_burst", optarg);
            lo.model = lm ? (int)(lm - cr_ladder_models) : -1;
            break;
        }
        case O_NO_HOLDOUT:
            lo.holdout = 0;
            break;
        case O_SERIES:
            if ((nseries = parse_series(optarg, series)) < 0)
                return cli_usage_error("fit", "--series %s: expected distinct names from "
                                       "tcp_new,udp_new,tcp_end,udp_end", optarg);
            break;
        case O_DELTA:
            if (cli_parse_double(optarg, 0.5, 0.9999, &o.sampler.adapt_delta) != 0)
                return cli_usage_error("fit", "--adapt-delta %s: expected a number in "
                                       "[0.5, 0.9999]", optarg);
            break;
        case O_SEED: {
            char *end;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-')
                return cli_usage_error("fit", "--seed %s: expected a non-negative integer",
                                       optarg);
            o.sampler.seed = s;
            break;
        }
        default: {
            static const struct {
                int opt;
                const char *name;
                long lo, hi;
            } num[] = {{O_CHAINS, "chains", 1, 64},         {O_WARMUP, "warmup", 0, 10000000},
                       {O_SAMPLES, "samples", 4, 10000000}, {O_DEPTH, "max-depth", 1, 30},
                       {O_ATTEMPTS, "attempts", 1, 3},      {O_THREADS, "threads", 1, 256}};
            size_t i = 0;
            while (i < sizeof num / sizeof num[0] && num[i].opt != c)
                i++;
            if (i == sizeof num / sizeof num[0]) {
                if (optopt)
                    return cli_usage_error("fit", "option -%c needs a value or is unknown",
                                           optopt);
                return cli_usage_error("fit", "unknown option %s", argv[optind - 1]);
            }
            if (cli_parse_long(optarg, num[i].lo, num[i].hi, &v) != 0)
                return cli_usage_error("fit", "--%s %s: expected a number from %ld to %ld",
                                       num[i].name, optarg, num[i].lo, num[i].hi);
            int *dst[] = {&o.sampler.chains, &o.sampler.warmup, &o.sampler.samples,
                          &o.sampler.max_depth, &o.attempts, &o.sampler.threads};
            *dst[i] = (int)v;
        }
        }
    }
    cr_progress_set_quiet(quiet);
    if (optind >= argc)
        return cli_usage_error("fit", "no input: name a CPS table (from connrate cps)");
    if (optind + 1 < argc)
        return cli_usage_error("fit", "one CPS table expected, got %d", argc - optind);
    if (!dir)
        return cli_usage_error("fit", "no output directory: use -o DIR");

    /* GSL's default handler aborts the process on a numerical failure deep inside a diagnostic
     * (e.g. gsl_cdf_beta_Pinv not converging for a large ESS); the functions return NaN
     * instead, which the summaries report as NA. */
    gsl_set_error_handler_off();
    cr_err e;
    cr_cps_table t;
    if (cr_cps_read(&t, argv[optind], &e) != 0)
        return cli_fail(&e);
    cr_info("fit: %s: %d machines, %zu seconds\n", argv[optind], t.nmachines, t.nrows);
    cr_fit_status st[CR_CPS_NSERIES];
    lo.fit = o;
    int rc = cr_fit_ladder(&t, series, nseries, &lo, dir, st, &e);
    cr_cps_free(&t);
    if (rc != 0)
        return cli_fail(&e);
    for (int i = 0; i < nseries; i++)
        cr_info("%s %s %s%s%s\n", cr_cps_series_names[series[i]], st[i].model,
                st[i].pass ? "PASS" : "FAIL", st[i].pass ? "" : " ", st[i].reasons);
    return 0;
}
