#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/outfile.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest.h"
#include "options.h"

/* Prints the status and advice of s on stderr; 1 when it passed. */
static int report_status(const cr_sizing *s, const char *what)
{
    char status[1200];
    cr_sizing_status(s, status, sizeof status);
    cr_info("%s%sstatus: %s\n", what ? what : "", what ? ": " : "", status);
    char advice[512];
    for (int i = 0; cr_sizing_advice(s, i, advice, sizeof advice); i++)
        cr_info("%s%sadvice: %s\n", what ? what : "", what ? ": " : "", advice);
    return !strcmp(status, "PASS");
}

/* --users NAME=N,... into a->classes[].users: every class once, no other name. */
static int class_users(cli_args *a)
{
    const char *v = a->class_users;
    if (!v)
        return cli_usage_error("run", "--class needs --users NAME=N,... naming every class");
    for (const char *p = v; *p;) {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *end;
        long n = eq && eq < p + len ? strtol(eq + 1, &end, 10) : 0;
        if (!eq || eq >= p + len || end != p + len || n < 1 || n > 1000000)
            return cli_usage_error("run", "--users %s: expected NAME=N,... with each N from 1 "
                                          "to 1000000", v);
        int k = 0;
        while (k < a->nclasses && (strlen(a->classes[k].name) != (size_t)(eq - p) ||
                                   strncmp(a->classes[k].name, p, (size_t)(eq - p))))
            k++;
        if (k == a->nclasses)
            return cli_usage_error("run", "--users %s: no --class %.*s", v, (int)(eq - p), p);
        if (a->classes[k].users)
            return cli_usage_error("run", "--users %s: class %s given twice", v,
                                   a->classes[k].name);
        a->classes[k].users = (int)n;
        p += len + (comma != NULL);
    }
    for (int k = 0; k < a->nclasses; k++)
        if (!a->classes[k].users)
            return cli_usage_error("run", "--users %s: how many users of class %s?", v,
                                   a->classes[k].name);
    return -1;
}

/* Each class sized on its own under DIR/classes/NAME/, then the mix of their users. */
static int run_classes(cli_args *a, cr_sizing_config *c)
{
    if (a->ninputs)
        return cli_usage_error("run", "with --class every input goes in a class: '%s' is in "
                                      "none", a->inputs[0]);
    int rc = class_users(a);
    if (rc >= 0)
        return rc;
    cr_err e;
    char **all = NULL;
    int nall = 0;
    for (int k = 0; k < a->nclasses; k++)
        for (int i = 0; i < a->classes[k].ninputs; i++) {
            all = xrealloc(all, ((size_t)nall + 1) * sizeof *all);
            all[nall++] = a->classes[k].inputs[i];
        }
    rc = cr_output_check(a->out, 1, all, nall, &e);
    free(all);
    cr_outdir d = {0};
    if (rc != 0 || cr_outdir_open(&d, a->out, a->force, &e) != 0)
        return cli_fail(&e);
    cr_sizing_data data[CLI_MAX_CLASSES];
    cr_sizing s[CLI_MAX_CLASSES];
    cr_sizing_config cc[CLI_MAX_CLASSES];
    cr_sizing_mix m = {.nclasses = a->nclasses};
    int done = 0, pass = 1;
    for (int k = 0; k < a->nclasses && rc == 0; k++) {
        cli_args b = *a;
        b.inputs = a->classes[k].inputs;
        b.ninputs = a->classes[k].ninputs;
        b.out = NULL; /* checked above against every class's inputs */
        ingest_job j;
        cr_info("class %s:\n", a->classes[k].name);
        if ((rc = ingest_load(&b, NULL, &j)) != 0) {
            ingest_close(&j, rc);
            break;
        }
        ingest_sizing_data(&j, a, &data[k]);
        ingest_close(&j, 0);
        size_t len = strlen(d.tmp) + strlen(a->classes[k].name) + 16;
        char *dir = xmalloc(len);
        snprintf(dir, len, "%s/classes/%s", d.tmp, a->classes[k].name);
        memset(&s[k], 0, sizeof s[k]);
        cc[k] = *c;
        cc[k].users[0] = a->classes[k].users;
        cc[k].nusers = 1;
        cc[k].out_dir = dir;
        rc = cr_mkdirs(dir, &e) != 0 || cr_sizing_run(&data[k], &cc[k], &s[k], &e) != 0 ||
             cr_sizing_write(dir, &cc[k], &s[k], &e) != 0;
        free(dir);
        cc[k].out_dir = NULL;
        done = k + 1;
        if (rc == 0) {
            pass &= report_status(&s[k], a->classes[k].name);
            m.name[k] = a->classes[k].name;
            m.users[k] = a->classes[k].users;
            m.s[k] = &s[k];
        } else
            rc = cli_fail(&e);
    }
    if (rc == 0)
        rc = cr_sizing_mix_run(c, &m, &e) != 0 || cr_sizing_mix_write(d.tmp, c, &m, &e) != 0 ||
                     cr_outdir_commit(&d, &e) != 0
                 ? cli_fail(&e)
                 : 0;
    cr_outdir_abort(&d);
    cr_sizing_mix_free(&m);
    for (int k = 0; k < done; k++) {
        cr_sizing_free(&s[k]);
        cr_sizing_data_free(&data[k]);
    }
    if (rc)
        return rc;
    cr_info("report: %s/report.html (each class's under %s/classes/)\n", a->out, a->out);
    return pass ? CLI_OK : CLI_CHECKS_FAILED;
}

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
    if (a->nclasses)
        return run_classes(a, &c);
    if (a->class_users)
        return cli_usage_error("run", "--users %s names classes: give them with --class",
                               a->class_users);
    if (!a->ninputs)
        return cli_usage_error("run", "no input: name an input (file or directory)");

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
    int pass = report_status(&s, NULL);
    cr_info("report: %s/report.html\n", a->out);
    cr_sizing_free(&s);
    cr_sizing_data_free(&data);
    return pass ? CLI_OK : CLI_CHECKS_FAILED;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_ingest, &opt_series,
                                          &opt_users,      &opt_classes, &opt_sizing,
                                          &opt_report,     &opt_fit,     &opt_seed,
                                          &opt_threads,
                                          &opt_general,    NULL};

const cli_command cmd_run = {
    "run",
    "firewall sizing for N users: fits, simulation, sizing table, report",
    "INPUT... -o DIR [OPTIONS] | --class NAME=INPUT,... ... --users NAME=N,... -o DIR",
    "Firewall sizing for N users, end to end: the CPS and flows tables of the captures, the\n"
    "hierarchical rate model of new connections (tcp_new + udp_new) and of terminations, the\n"
    "censored duration model per protocol, then for each N a posterior predictive simulation\n"
    "of new sessions/s, log lines/min and concurrent sessions under a firewall profile\n"
    "(docs/report.md), in batches of --draws x --seconds until the Monte Carlo error of every\n"
    "q99 is at most --mcse-target of it or --max-batches are simulated. Writes DIR/sizing.csv\n"
    "(per N and metric the exact mean and the q50, q90, q95, q99 and q999 of the simulation,\n"
    "each with its Monte Carlo error, and the largest value), DIR/sizing.json (the same plus\n"
    "inputs, settings, models, status and versions), DIR/plots/ (new_per_s, logs_per_min,\n"
    "concurrent, scaling as .png and .svg), DIR/report.html (one self-contained page), and\n"
    "DIR/cps.csv, DIR/flows.csv, DIR/fit/ (the tables and fits behind them). The report and\n"
    "sizing.json lead with the figures to size for: --percentile (99) of simulated seconds\n"
    "times --headroom (1.25), and with --capacity how often each datasheet limit is exceeded\n"
    "and the largest N within it. With --class, each class of users is sized on its own under\n"
    "DIR/classes/NAME/ and DIR/sizing.csv, DIR/mix.json and DIR/report.html size the mix of\n"
    "--users NAME=N,...\n"
    "The exit status is 3 when a fit fails its checks.",
    0, -1, NULL, groups, run};
