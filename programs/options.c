#include "options.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "fit/fit.h"
#include "validate/validate.h"
#include "series/cps_table.h"

/* A group counts its own table, so an added option can never fall outside parsing and --help. */
#define GROUP(title, table) {title, table, (int)(sizeof table / sizeof *table)}

#define F(x) offsetof(cli_args, x)

void cli_args_init(cli_args *a, const char *cmd)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->tcp_end = CR_TCP_END_FLAGS;
    a->max_span = 31 * 86400.0;
    a->min_flows = 1;
    /* only the commands that size sample the hosts: cps and flows write every one */
    a->sample_hosts = !strcmp(cmd, "run") || !strcmp(cmd, "validate") ? 100 : 0;
    /* cps and flows keep the original specification's definition */
    a->scope.firewall = !strcmp(cmd, "run") || !strcmp(cmd, "validate");
    cr_fit_options fo;
    cr_fit_options_default(&fo);
    a->model = strcmp(cmd, "fit") ? CR_LADDER_NBH_BURST : -1;
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        a->series[k] = k;
    a->nseries = CR_CPS_NSERIES;
    a->chains = fo.sampler.chains;
    a->warmup = fo.sampler.warmup;
    a->samples = fo.sampler.samples;
    a->max_depth = fo.sampler.max_depth;
    a->attempts = fo.attempts;
    a->adapt_delta = fo.sampler.adapt_delta;
    a->seed = 42;
    cr_sizing_config sc;
    cr_sizing_config_default(&sc);
    memcpy(a->users, sc.users, sizeof a->users);
    a->nusers = sc.nusers;
    a->fit_cells = sc.fit_cells;
    a->firewall = "none";
    a->log_bytes = sc.log_bytes;
    a->draws = sc.draws;
    a->seconds = sc.seconds;
    a->mcse_target = sc.mcse_target;
    a->max_batches = sc.max_batches;
    a->run_on = sc.run_on;
    a->percentile = sc.percentile;
    a->headroom = sc.headroom;
    a->ngroups = 3;
    a->folds = 1;
    a->groups[0] = 1, a->groups[1] = 10, a->groups[2] = 30;
    a->machines = 3;
    a->minutes = 60;
    a->synth_format = CR_SYNTH_PCAP;
}

void cli_args_free(cli_args *a)
{
    for (int i = 0; i < a->nlocal_ip; i++)
        free(a->local_ip[i].machine_id);
    free(a->local_ip);
    free(a->local_nets);
    a->local_nets = NULL;
    free(a->inputs);
    for (int i = 0; i < a->nclasses; i++) {
        free(a->classes[i].name);
        for (int j = 0; j < a->classes[i].ninputs; j++)
            free(a->classes[i].inputs[j]);
        free(a->classes[i].inputs);
    }
    a->nclasses = 0;
    a->local_ip = NULL;
    a->inputs = NULL;
}

/* ---- values parsed by hand ---- */

static int local_ip(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    cr_local_ip ip;
    if (cr_local_ip_parse(v, &ip, e) != 0)
        return -1;
    a->local_ip = xrealloc(a->local_ip, (size_t)(a->nlocal_ip + 1) * sizeof *a->local_ip);
    a->local_ip[a->nlocal_ip++] = ip;
    return 0;
}

static int choice(const char *opt, const char *v, const char *const *names, int n, int *out,
                  cr_err *e)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    return cr_fail(e, "--%s %s: expected one of %s", opt, v, list);
}

/* The words of each choice, shared by its parser and by shell completion (cli_opt_values). */
/* cr_tcp_end_rule order; "seed", the rule's first name, is still accepted (tcp_end) but not
 * offered. */
static const char *const tcp_end_names[] = {"flags", "completeness"};
static const char *const scope_names[] = {"all", "firewall"};
static const char *const format_names[] = {"pcap", "rds"}; /* cr_synth_format order */
static const char *const percentile_names[CR_SZ_NPERCENTILES] = {"50", "90", "95", "99",
                                                                 "99.9"};

/* "auto", then the ladder's models from its registry. */
static int model_choices(const char **names)
{
    names[0] = "auto";
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        names[i + 1] = cr_ladder_models[i].entry.name;
    return CR_LADDER_NMODELS + 1;
}

static int tcp_end(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    if (!strcmp(v, "seed")) {
        a->tcp_end = CR_TCP_END_SEED;
        return 0;
    }
    return choice(o->name, v, tcp_end_names, 2, &a->tcp_end, e);
}

static int scope(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    return choice(o->name, v, scope_names, 2, &a->scope.firewall, e);
}

static int local_nets(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    cr_err why;
    if (cr_cidr_parse_list(v, &a->local_nets, &a->nlocal_nets, &why) != 0)
        return cr_fail(e, "--local-nets %s: %s", v, why.msg);
    a->scope.nets = a->local_nets;
    a->scope.nnets = a->nlocal_nets;
    return 0;
}

static int window(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    return choice(o->name, v, cr_sizing_window_names, CR_SZ_NWINDOWS, &a->window, e);
}

static int synth_format(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    return choice(o->name, v, format_names, 2, &a->synth_format, e);
}

static int model(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    const char *names[CR_LADDER_NMODELS + 1];
    int k, n = model_choices(names);
    if (choice(o->name, v, names, n, &k, e) != 0)
        return -1;
    a->model = k - 1;
    return 0;
}

static int series(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    char *s = xstrdup(v), *save = NULL;
    int n = 0, rc = 0;
    for (char *tok = strtok_r(s, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        int k = cr_cps_series_index(tok);
        for (int i = 0; i < n && k >= 0; i++)
            if (a->series[i] == k)
                k = -1;
        if (k < 0 || n == CR_CPS_NSERIES)
            rc = -1;
        else
            a->series[n++] = k;
    }
    free(s);
    if (rc || !n)
        return cr_fail(e, "--series %s: expected distinct names from tcp_new,udp_new,tcp_end,"
                       "udp_end", v);
    a->nseries = n;
    return 0;
}

static int users(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    if (strchr(v, '=')) {
        a->class_users = v;
        return 0;
    }
    cr_sizing_config c;
    if (cr_sizing_parse_users(&c, v, e) != 0)
        return -1;
    memcpy(a->users, c.users, sizeof a->users);
    a->nusers = c.nusers;
    return 0;
}

static int class_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

static int class(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    const char *eq = strchr(v, '=');
    if (!eq || !class_name_ok(v, (size_t)(eq - v)) || !eq[1])
        return cr_fail(e, "--class %s: expected NAME=INPUT[,INPUT...] with a NAME of letters, "
                          "digits, '_' or '-' (at most 32)", v);
    for (int i = 0; i < a->nclasses; i++)
        if (strlen(a->classes[i].name) == (size_t)(eq - v) &&
            !strncmp(a->classes[i].name, v, (size_t)(eq - v)))
            return cr_fail(e, "--class %.*s given more than once", (int)(eq - v), v);
    if (a->nclasses == CLI_MAX_CLASSES)
        return cr_fail(e, "--class: at most %d classes", CLI_MAX_CLASSES);
    int k = a->nclasses++;
    a->classes[k].name = xstrndup(v, (size_t)(eq - v));
    for (const char *p = eq + 1; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0)
            return cr_fail(e, "--class %s: an empty input", v);
        a->classes[k].inputs =
            xrealloc(a->classes[k].inputs, ((size_t)a->classes[k].ninputs + 1) * sizeof(char *));
        a->classes[k].inputs[a->classes[k].ninputs++] = xstrndup(p, n);
        p += n + (comma != NULL);
    }
    return 0;
}

static int percentile(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    cr_sizing_config c;
    if (cr_sizing_parse_percentile(&c, v, e) != 0)
        return -1;
    a->percentile = c.percentile;
    return 0;
}

static int capacity(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    cr_sizing_config c;
    memset(&c, 0, sizeof c);
    if (cr_sizing_parse_capacity(&c, "--capacity", v, a->capacity_given, e) != 0)
        return -1;
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        if (c.capacity[k] > 0)
            a->capacity[k] = c.capacity[k];
    return 0;
}

/* Timer overrides apply after --firewall whatever their order, so they are kept, then applied
 * by the command (cli_sizing_config). */
static int override(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    for (int i = 0; i < a->noverrides; i++)
        if (!strcmp(a->overrides[i].opt, o->name))
            return cr_fail(e, "--%s given more than once", o->name);
    cr_fw_profile p;
    char opt[64];
    snprintf(opt, sizeof opt, "--%s", o->name);
    cr_fw_profile_get(&p, "none", NULL);
    if (cr_fw_override(&p, opt, v, e) != 0)
        return -1;
    a->overrides[a->noverrides].opt = o->name;
    a->overrides[a->noverrides++].value = v;
    return 0;
}

/* The ladder's models by name, from its registry. */
static void model_names(char *buf, size_t n)
{
    size_t len = 0;
    for (int i = 0; i < CR_LADDER_NMODELS && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : " ",
                                cr_ladder_models[i].entry.name);
}

void cli_print_ladder(FILE *f)
{
    fputs("The ladder of rate models, simplest first (models/NAME.stan):\n", f);
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        fprintf(f, "  %-15s %s\n", cr_ladder_models[i].entry.name,
                cr_ladder_models[i].entry.summary);
}

/* ---- the groups ---- */

static const cli_opt general[] = {
    {"quiet", 'q', CLI_FLAG, F(quiet), "", 0, 0, 0, NULL,
     "no summary or progress on stderr (errors are still printed)", NULL},
    {"json-progress", 0, CLI_FLAG, F(json_progress), "", 0, 0, 0, NULL,
     "progress as one JSON object per line on stderr, for tools: {\"stage\": ...,\n"
     "\"done\": ..., \"total\": ..., \"eta_s\": ...} (total, eta_s null when unknown); shown\n"
     "even with --quiet", NULL},
    {"help", 'h', CLI_FLAG, 0, "", 0, 0, 0, NULL, "this text", NULL},
};
const cli_group opt_general = GROUP("general", general);

static const cli_opt threads[] = {
    {"threads", 0, CLI_INT, F(threads), "N", 1, 256, 0, NULL,
     "threads to use (default: one per CPU; outputs never depend on it)", NULL},
};
const cli_group opt_threads = GROUP("threads", threads);

static const cli_opt output_file[] = {
    {"output", 'o', CLI_TEXT, F(out), "FILE", 0, 0, 0, NULL,
     "write here (default: stdout); the file appears whole or not at all, and never\n"
     "replaces one of the inputs", NULL},
};
const cli_group opt_output_file = GROUP("output", output_file);

static const cli_opt output_dir[] = {
    {"output", 'o', CLI_TEXT, F(out), "DIR", 0, 0, 0, NULL,
     "output directory (required): written in a temporary directory beside it and\n"
     "renamed into place at the end, so it holds one whole run or nothing new", NULL},
    {"force", 0, CLI_FLAG, F(force), "", 0, 0, 0, NULL,
     "replace DIR whole when it exists and is not empty (default: refuse)", NULL},
};
const cli_group opt_output_dir = GROUP("output", output_dir);

static const cli_opt ingest[] = {
    {"local-ip", 0, CLI_CALL, 0, "MACHINE=IP", 0, 0, 1, local_ip,
     "the workstation address of machine MACHINE (once per machine and IP version);\n"
     "by default inferred as the original specification does: the most frequent source\n"
     "of TCP rows with completeness 0", NULL},
    {"max-span", 0, CLI_SECONDS, F(max_span), "S", 1, 366 * 86400.0, 0, NULL,
     "longest time a capture may span from its first to its last packet (s/m/h/d);\n"
     "a longer one is an error naming its outlying packets (default: 31d)", NULL},
    {"scope", 0, CLI_CALL, 0, "WHICH", 0, 0, 0, scope,
     "which connections count: firewall (the default of run) leaves out those no firewall\n"
     "forwards: to multicast, broadcast, link-local, loopback and unspecified addresses and\n"
     "to the inside networks of --local-nets (counted and reported); all (the default of cps\n"
     "and flows, the original specification's definition) counts every outbound connection",
     NULL},
    {"local-nets", 0, CLI_CALL, 0, "CIDR,...", 0, 0, 0, local_nets,
     "the inside networks, e.g. 10.0.0.0/8,2001:db8::/32: traffic between their hosts stays\n"
     "local and is left out under --scope firewall; for flow records and firewall logs,\n"
     "the networks whose hosts are the machines (default: inferred from the records)", NULL},
    {"min-flows", 0, CLI_INT, F(min_flows), "N", 1, 100000000, 0, NULL,
     "flow records and firewall logs: an inside host with fewer outbound connections\n"
     "is not a machine (default: 1)", NULL},
};
const cli_group opt_ingest = GROUP("input", ingest);

static const cli_opt series_rule[] = {
    {"tcp-end", 0, CLI_CALL, 0, "RULE", 0, 0, 0, tcp_end,
     "flags (default): a TCP connection ends at its first FIN+ACK or RST, from its flags\n"
     "(captures) or one row before completeness shows it (exports); completeness (alias\n"
     "seed): the original specification's rule on tshark's tcp.completeness, the first\n"
     "outbound row whose completeness is 15, 31 or 63 (15 is not a close: see\n"
     "docs/counting.md)", NULL},
};
const cli_group opt_series = GROUP("counting", series_rule);

static const cli_opt seed[] = {
    {"seed", 0, CLI_LONG, F(seed), "N", 0, 2147483647.0, 0, NULL,
     "random seed: the same inputs and seed give byte-identical outputs", NULL},
};
const cli_group opt_seed = GROUP("random", seed);

static const cli_opt fit[] = {
    {"model", 0, CLI_CALL, 0, "NAME", 0, 0, 0, model,
     "rate model: auto (fit every model of the ladder and keep one by its checks and\n"
     "PSIS-LOO; the default of fit) or one model of the ladder (nbh_burst, the default of run and validate):",
     model_names},
    {"chains", 0, CLI_INT, F(chains), "N", 1, 64, 0, NULL, "chains per fit", NULL},
    {"warmup", 0, CLI_INT, F(warmup), "N", 0, 10000000, 0, NULL,
     "warmup iterations per chain", NULL},
    {"samples", 0, CLI_INT, F(samples), "N", 4, 10000000, 0, NULL, "saved draws per chain", NULL},
    {"adapt-delta", 0, CLI_REAL, F(adapt_delta), "X", 0.5, 0.9999, 0, NULL,
     "target acceptance statistic of the first attempt", NULL},
    {"max-depth", 0, CLI_INT, F(max_depth), "N", 1, 30, 0, NULL, "maximum tree depth", NULL},
    {"attempts", 0, CLI_INT, F(attempts), "N", 1, 3, 0, NULL,
     "attempts per fit including retries (1 = no retries)", NULL},
};
const cli_group opt_fit = GROUP("fit", fit);

static const cli_opt fit_only[] = {
    {"series", 0, CLI_CALL, 0, "LIST", 0, 0, 0, series,
     "comma-separated subset of tcp_new,udp_new,tcp_end,udp_end (default: all)", NULL},
    {"no-holdout", 0, CLI_FLAG, F(no_holdout), "", 0, 0, 0, NULL,
     "skip the leave-one-machine-out refits", NULL},
};
const cli_group opt_fit_only = GROUP("ladder", fit_only);

static const cli_opt users_opt[] = {
    {"users", 0, CLI_CALL, 0, "LIST", 0, 0, 0, users,
     "numbers of users, increasing, each 1 to 1000000 (default: 1,10,50,100); with\n"
     "--class, how many users of each class: NAME=N,NAME=N,... (every class once)", NULL},
};
const cli_group opt_users = GROUP("users", users_opt);

static const cli_opt classes_opt[] = {
    {"class", 0, CLI_CALL, 0, "NAME=INPUT,...", 0, 0, 1, class,
     "a class of users and the captures or logs (files or directories) of its machines;\n"
     "each class is fitted on its own and the mix of --users NAME=N,... is sized: N1 users\n"
     "like one class and N2 like another, at once (docs/report.md, \"Classes of users\")", NULL},
};
const cli_group opt_classes = GROUP("classes", classes_opt);

static const cli_opt sizing[] = {
    {"firewall", 0, CLI_TEXT, F(firewall), "NAME", 0, 0, 0, NULL,
     "timeout profile: none (no hold time, one log per session), linux, pf, paloalto,\n"
     "fortigate, asa, checkpoint (docs/firewall-profiles.md)", NULL},
    {"udp-timeout", 0, CLI_CALL, 0, "S", 0, 0, 0, override,
     "override the profile's UDP idle timeout (seconds; s/m/h/d)", NULL},
    {"tcp-fin-hold", 0, CLI_CALL, 0, "S", 0, 0, 0, override,
     "override the hold after a FIN close", NULL},
    {"tcp-rst-hold", 0, CLI_CALL, 0, "S", 0, 0, 0, override, "override the hold after an RST", NULL},
    {"dns-timeout", 0, CLI_CALL, 0, "S", 0, 0, 0, override,
     "override the hold of DNS (UDP to port 53)", NULL},
    {"max-session", 0, CLI_SECONDS, F(max_session), "S", 1, 366 * 86400.0, 0, NULL,
     "longest a connection lives (s/m/h/d; default: the longest capture, as no capture\n"
     "shows longer; docs/durations.md, \"The horizon\")", NULL},
    {"log-bytes", 0, CLI_REAL, F(log_bytes), "B", 1, 1e6, 0, NULL,
     "bytes per firewall log line", NULL},
    {"draws", 0, CLI_INT, F(draws), "N", 1, 100000, 0, NULL,
     "posterior draws per batch of the simulation (default: 1000)", NULL},
    {"seconds", 0, CLI_LONG, F(seconds), "N", 60, 86400, 0, NULL,
     "simulated seconds per draw and N (default: 720)", NULL},
    {"mcse-target", 0, CLI_REAL, F(mcse_target), "X", 0.001, 1, 0, NULL,
     "batches of --draws x --seconds, each with fresh users and seconds, are added until\n"
     "the Monte Carlo error of every q99 (new/s, logs/min, concurrent, each N) is at most\n"
     "this share of it (default: 0.015; docs/simulation.md, \"Stability\")", NULL},
    {"max-batches", 0, CLI_INT, F(max_batches), "N", 1, 1000, 0, NULL,
     "most batches simulated per N (default: 4, each of the fit's 4,000 draws once; 1:\n"
     "one batch, as before adaptive effort)", NULL},
    {"run-on", 0, CLI_INT, F(run_on), "X", 1, 64, 0, NULL,
     "when the fits' draws, not the batches, hold a q99's Monte Carlo error above\n"
     "--mcse-target, run the fits' chains on to the draws asked for, at most X times\n"
     "theirs, and simulate again with --max-batches grown as much (default: 1, never;\n"
     "docs/simulation.md, \"Running the fits on\")", NULL},
    {"sample-hosts", 0, CLI_INT, F(sample_hosts), "N", 0, 1000000, 0, NULL,
     "flow records and firewall logs: keep at most N inside hosts, a uniform sample by\n"
     "hash of --seed and address taken as the records stream, and only their connections\n"
     "(0: every host; docs/scale.md, \"Flow-log scale\"; default: 100)", NULL},
    {"fit-cells", 0, CLI_LONG, F(fit_cells), "N", 0, 10000000, 0, NULL,
     "machine-minutes the rate fits see at most: past it each machine keeps a uniform\n"
     "sample of its minutes (0: all; default: 5000)", NULL},
    {"window", 0, CLI_CALL, 0, "KIND", 0, 0, 0, window,
     "the seconds sized: busy-hour (the 60 minutes with the most new connections of all\n"
     "machines together, the same for each; docs/scale.md, \"The busy hour\"), all, or\n"
     "auto: the busy hour when the longest capture is over 2 hours, else all (default)", NULL},
};
const cli_group opt_sizing = GROUP("sizing", sizing);

static const cli_opt report[] = {
    {"percentile", 0, CLI_CALL, 0, "P", 0, 0, 0, percentile,
     "the percentile of simulated seconds to size for, one of the table's: 50, 90, 95,\n"
     "99, 99.9 (default: 99)", NULL},
    {"headroom", 0, CLI_REAL, F(headroom), "X", 1, 10, 0, NULL,
     "the recommended figure is the percentile times this (default: 1.25, so the busiest\n"
     "seconds use 80% of it; docs/report.md)", NULL},
    {"capacity", 0, CLI_CALL, 0, "LIMITS", 0, 0, 0, capacity,
     "datasheet limits to check, any of cps=N (new sessions per second), sessions=N\n"
     "(concurrent sessions), logs=N (log lines per second); k and M allowed, e.g.\n"
     "cps=20k,sessions=1.5M: the share of seconds (minutes for logs) above each and the\n"
     "largest N within it", NULL},
    {"capacity-file", 0, CLI_TEXT, F(capacity_file), "FILE", 0, 0, 0, NULL,
     "the same limits from a file of key=value lines (# comments); --capacity wins for a\n"
     "key both give", NULL},
};
const cli_group opt_report = GROUP("report", report);

static int groups(cli_args *a, const cli_opt *o, const char *v, cr_err *e)
{
    cr_sizing_config c;
    if (cr_sizing_parse_users(&c, v, e) != 0)
        return cr_fail(e, "--groups %s: expected group sizes from 1 to 1000000, increasing, "
                          "separated by commas", v);
    if (c.nusers > CR_VAL_MAX_GROUPS)
        return cr_fail(e, "--groups %s: at most %d sizes", v, CR_VAL_MAX_GROUPS);
    memcpy(a->groups, c.users, (size_t)c.nusers * sizeof *a->groups);
    a->ngroups = c.nusers;
    return 0;
}

static const cli_opt validate[] = {
    {"fit-machines", 0, CLI_INT, F(fit_machines), "K", 1, 1000000, 0, NULL,
     "machines fitted, drawn at random by --seed; the others are held out (default: half)",
     NULL},
    {"groups", 0, CLI_CALL, 0, "LIST", 0, 0, 0, groups,
     "sizes N of the held-out groups compared with the prediction for N users (default: "
     "1,10,30)", NULL},
    {"folds", 0, CLI_INT, F(folds), "K", 1, 100, 0, NULL,
     "random splits, each fitted and checked, pooled: the shares above the predicted\n"
     "quantiles then average over fit sets", NULL},
};
const cli_group opt_validate = GROUP("validation", validate);

static const cli_opt synth[] = {
    {"machines", 0, CLI_INT, F(machines), "K", 1, CR_SYNTH_MAX_MACHINES, 0, NULL,
     "number of workstations", NULL},
    {"minutes", 0, CLI_REAL, F(minutes), "M", CR_SYNTH_MIN_MINUTES, CR_SYNTH_MAX_MINUTES, 0,
     NULL, "capture length per machine", NULL},
    {"format", 0, CLI_CALL, 0, "F", 0, 0, 0, synth_format,
     "pcap (default) or rds (the capture as tshark + R export it)", NULL},
};
const cli_group opt_synth = GROUP("synth", synth);

void cli_fit_options(const cli_args *a, cr_fit_options *o)
{
    cr_fit_options_default(o);
    o->sampler.chains = a->chains;
    o->sampler.warmup = a->warmup;
    o->sampler.samples = a->samples;
    o->sampler.max_depth = a->max_depth;
    o->sampler.adapt_delta = a->adapt_delta;
    o->sampler.seed = (uint64_t)a->seed;
    o->sampler.threads = a->threads;
    o->attempts = a->attempts;
}

int cli_sizing_config(const cli_args *a, const char *dir, cr_sizing_config *c, cr_err *e)
{
    cr_sizing_config_default(c);
    c->out_dir = dir;
    memcpy(c->users, a->users, sizeof c->users);
    c->nusers = a->nusers;
    c->seed = (uint64_t)a->seed;
    c->draws = a->draws;
    c->seconds = a->seconds;
    c->mcse_target = a->mcse_target;
    c->max_batches = a->max_batches;
    c->run_on = a->run_on;
    c->log_bytes = a->log_bytes;
    c->max_session = a->max_session;
    c->model = a->model;
    c->threads = a->threads;
    c->tcp_end = (cr_tcp_end_rule)a->tcp_end;
    c->percentile = a->percentile;
    c->headroom = a->headroom;
    c->fit_cells = a->fit_cells;
    memcpy(c->capacity, a->capacity, sizeof c->capacity);
    cli_fit_options(a, &c->fit);
    if (cr_fw_profile_get(&c->fw, a->firewall, e) != 0)
        return -1;
    for (int i = 0; i < a->noverrides; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s", a->overrides[i].opt);
        if (cr_fw_override(&c->fw, opt, a->overrides[i].value, e) != 0)
            return -1;
    }
    return 0;
}

int cli_opt_values(const cli_opt *o, const char **out, int max)
{
    const char *names[CR_LADDER_NMODELS + 64];
    int n = 0;
    if (o->call == percentile) {
        for (n = 0; n < CR_SZ_NPERCENTILES; n++)
            names[n] = percentile_names[n];
    } else if (o->call == tcp_end || o->call == scope || o->call == synth_format) {
        const char *const *w = o->call == tcp_end ? tcp_end_names
                               : o->call == scope ? scope_names
                                                  : format_names;
        for (n = 0; n < 2; n++)
            names[n] = w[n];
    } else if (o->call == window) {
        for (n = 0; n < CR_SZ_NWINDOWS; n++)
            names[n] = cr_sizing_window_names[n];
    } else if (o->call == model) {
        n = model_choices(names);
    } else if (o->type == CLI_TEXT && o->off == F(firewall)) {
        size_t np;
        const cr_fw_profile *p = cr_fw_profiles(&np);
        for (size_t i = 0; i < np && n < (int)(sizeof names / sizeof names[0]); i++)
            names[n++] = p[i].name;
    }
    n = n < max ? n : max;
    for (int i = 0; i < n; i++)
        out[i] = names[i];
    return n;
}
