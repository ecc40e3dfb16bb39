/* connrate: firewall sizing numbers from packet captures. This file only dispatches to the
 * commands; each lives in programs/cmd_NAME.c over the library in lib/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/progress.h"
#include "common/tempfiles.h"

extern const cli_command cmd_packets, cmd_cps, cmd_flows, cmd_synth, cmd_fit, cmd_run,
    cmd_validate, cmd_merge;

const cli_command *const cli_commands[] = {&cmd_packets, &cmd_cps, &cmd_flows,    &cmd_synth,
                                           &cmd_fit,     &cmd_run, &cmd_validate, &cmd_merge,
                                           NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: connrate COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (const cli_command *const *c = cli_commands; *c; c++)
        fprintf(f, "  %-8s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "\n`connrate COMMAND --help` (or `connrate man COMMAND`) describes each command;\n"
               "`connrate --version` prints the version.\n");
}

static const cli_command *find(const char *name)
{
    for (const cli_command *const *c = cli_commands; *c; c++)
        if (!strcmp((*c)->name, name))
            return *c;
    return NULL;
}

/* Seconds between progress lines when stderr is not a terminal: CONNRATE_HEARTBEAT (a number,
 * 0 for none), else 10. */
static double heartbeat(void)
{
    const char *v = getenv("CONNRATE_HEARTBEAT");
    char *end;
    double s = v && *v ? strtod(v, &end) : 10;
    return v && *v && (*end || !(s >= 0)) ? 10 : s;
}

int main(int argc, char **argv)
{
    cr_tempfiles_install();
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("connrate %s\n", CONNRATE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    /* `connrate man COMMAND`: the command's man page, generated from its option tables;
     * `connrate man`: the overview page, connrate(1) */
    if (!strcmp(argv[1], "man") && argc == 3 && find(argv[2])) {
        cli_man(stdout, find(argv[2]), CONNRATE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "man") && argc == 2) {
        cli_man_overview(stdout, CONNRATE_VERSION);
        return 0;
    }
    /* hidden: `connrate completion bash|zsh`, the script that make install puts in place */
    if (!strcmp(argv[1], "completion")) {
        if (argc == 3 && cli_completion(stdout, argv[2]) == 0)
            return 0;
        fprintf(stderr, "connrate: usage: connrate completion bash|zsh\n");
        return CLI_USAGE;
    }
    const cli_command *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "connrate: unknown command '%s' (see: connrate --help)\n", argv[1]);
        return CLI_USAGE;
    }
    cli_args a;
    cli_args_init(&a, c->name);
    int rc = cli_parse(c, argc - 1, argv + 1, &a);
    if (rc < 0) {
        cr_progress_set_quiet(a.quiet);
        cr_progress_set_json(a.json_progress);
        cr_progress_set_heartbeat(heartbeat());
        rc = c->run(&a);
    }
    cli_args_free(&a);
    return rc;
}
