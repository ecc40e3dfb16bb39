/* Everything a command line can set, in one flat struct: the option tables (cli.h) point into
 * it, so an option shared by several commands lands in the same field whichever command parses
 * it, and each command turns the fields it uses into its library configuration. */
#ifndef CR_CLI_ARGS_H
#define CR_CLI_ARGS_H

#include "flows/load.h"
#include "series/cps.h"
#include "sizing/sizing.h"
#include "synth/synth.h"

#define CLI_MAX_OVERRIDES 8
#define CLI_MAX_CLASSES 8

typedef struct cli_args {
    const char *cmd;
    char **inputs; /* positional arguments */
    int ninputs;
    int seen[128]; /* how often each option of the command was given, by table position */

    /* output */
    const char *out;
    int force, quiet, json_progress, threads;

    /* ingest */
    cr_local_ip *local_ip;
    int nlocal_ip;
    int tcp_end; /* cr_tcp_end_rule */
    double max_span;
    cr_scope scope; /* which connections count (--scope, --local-nets) */
    cr_cidr *local_nets; /* --local-nets, which scope.nets points to */
    int nlocal_nets;
    int min_flows; /* a host of the logs counts as a machine from this many connections */
    int sample_hosts; /* inside hosts of the logs kept at most (0: all) */

    /* fit */
    int model; /* -1: the ladder's choice */
    int series[CR_CPS_NSERIES], nseries;
    int no_holdout;
    int chains, warmup, samples, max_depth, attempts;
    double adapt_delta;
    long seed;

    /* sizing */
    int users[CR_SZ_MAX_USERS], nusers;
    /* --class NAME=INPUT,... and --users NAME=N,...: a mix of kinds of users, each sized from
     * its own inputs (users 0 until --users names it) */
    struct {
        char *name;
        char **inputs;
        int ninputs, users;
    } classes[CLI_MAX_CLASSES];
    int nclasses;
    const char *class_users; /* --users when it names classes, resolved by the command */
    const char *firewall;
    struct {
        const char *opt, *value;
    } overrides[CLI_MAX_OVERRIDES];
    int noverrides;
    double max_session, log_bytes;
    int draws;
    long fit_cells;
    int window; /* CR_SZ_WINDOW_* */
    long seconds;
    double mcse_target;
    int max_batches;
    int run_on;

    /* report (run) */
    double percentile, headroom;
    double capacity[CR_SZ_NDATASHEET];
    int capacity_given[CR_SZ_NDATASHEET]; /* by --capacity, which wins over the file's */
    const char *capacity_file;

    /* validate */
    int fit_machines, folds;
    int groups[8], ngroups;

    /* synth */
    int machines;
    double minutes;
    int synth_format; /* cr_synth_format */
} cli_args;

/* The defaults of command cmd (the library's own defaults). */
void cli_args_init(cli_args *a, const char *cmd);
void cli_args_free(cli_args *a);

#endif
