#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "common/clock.h"
#include "common/outfile.h"
#include "common/progress.h"
#include "ingest.h"
#include "options.h"

static int run(cli_args *a)
{
    if (!a->out)
        return cli_usage_error("run", "no output directory: use -o DIR");
    cr_sizing_config c;
    cr_err e;
    if (cli_sizing_config(a, NULL, &c, &e) != 0)
        return cli_usage_error("run", "%s", e.msg);
    if (a->capacity_file && cr_sizing_read_capacity(&c, a->capacity_file, a->capacity_given,
                                                    &e) != 0)
        return cli_fail(&e);
    gsl_set_error_handler_off();

    double t0 = cr_now();
    ingest_job j;
    cr_outdir d = {0};
    int rc = ingest_load(a, &d, &j);
    if (rc != 0)
        return ingest_close(&j, rc);
    cr_sizing s;
    cr_sizing_data data;
    memset(&s, 0, sizeof s);
    c.out_dir = d.tmp;
    ingest_sizing_data(&j, a, &data);
    ingest_close(&j, 0);
    char fw[512];
    cr_fw_describe(&c.fw, fw, sizeof fw);
    cr_info("firewall profile: %s\n", fw);
    double t1 = cr_now() - t0;
    cr_info("stage %-12s %7.1f s\n", "load", t1);
    rc = cr_sizing_run(&data, &c, &s, &e) != 0 || cr_sizing_write(d.tmp, &c, &s, &e) != 0 ||
         cr_outdir_commit(&d, &e) != 0;
    if (!rc)
        cr_info("stage %-12s %7.1f s\nstage %-12s %7.1f s\n", "outputs",
                cr_now() - t0 - t1 - s.stage_seconds, "total", cr_now() - t0);
    cr_outdir_abort(&d);
    if (rc) {
        cr_sizing_free(&s);
        cr_sizing_data_free(&data);
        return cli_fail(&e);
    }
    cr_sizing_print_summary(&c, &s);
    char status[1200];
    cr_sizing_status(&s, status, sizeof status);
    cr_info("status: %s\n", status);
    char advice[512];
    for (int i = 0; cr_sizing_advice(&s, i, advice, sizeof advice); i++)
        cr_info("advice: %s\n", advice);
    cr_info("report: %s/report.html\n", a->out);
    int pass = !strcmp(status, "PASS");
    cr_sizing_free(&s);
    cr_sizing_data_free(&data);
    return pass ? CLI_OK : CLI_CHECKS_FAILED;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_ingest, &opt_series,
                                          &opt_users,      &opt_sizing, &opt_report,
                                          &opt_fit,        &opt_seed,   &opt_threads,
                                          &opt_general,    NULL};

const cli_command cmd_run = {
    "run",
    "firewall sizing for N users: fits, simulation, sizing table, report",
    "INPUT... -o DIR [OPTIONS]",
    "Firewall sizing for N users, end to end: the CPS and flows tables of the captures, the\n"
    "hierarchical rate model of new connections (tcp_new + udp_new) and of terminations, the\n"
    "censored duration model per protocol, then for each N a posterior predictive simulation\n"
    "of new sessions/s, log lines/min and concurrent sessions under a firewall profile\n"
    "(docs/report.md). Writes DIR/sizing.csv (per N and metric the exact mean and the\n"
    "q50, q90, q95, q99 and q999 of the simulation, each with its Monte Carlo error, and the\n"
    "largest value), DIR/sizing.json (the same plus inputs, settings, models, status and\n"
    "versions), DIR/plots/ (new_per_s, logs_per_min, concurrent, scaling as .png and .svg),\n"
    "DIR/report.html (one self-contained page), and DIR/cps.csv, DIR/flows.csv, DIR/fit/ (the\n"
    "tables and fits behind them). The report and sizing.json lead with the figures to size\n"
    "for: --percentile (99) of simulated seconds times --headroom (1.25), and with\n"
    "--capacity how often each datasheet limit is exceeded and the largest N within it.\n"
    "The exit status is 3 when a fit fails its checks.",
    1, -1, NULL, groups, run};
