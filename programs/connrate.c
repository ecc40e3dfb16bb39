/* connrate: firewall sizing numbers from packet captures. This file only dispatches to the
 * commands; each lives in programs/cmd_NAME.c over the library in lib/. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"packets", cmd_packets, "one row per TCP/UDP packet, as tshark's single-pass export"},
    {"cps", cmd_cps, "per-second new/ended TCP and UDP connections (the seed's CPS table)"},
    {"flows", cmd_flows, "one row per outbound connection with start, end and how it ended"},
    {"synth", cmd_synth, "synthetic workstation captures with their true event log"},
    {"fit", cmd_fit, "the hierarchical negative binomial rate model, fitted per series"},
    {"run", cmd_run, "firewall sizing for N users: fits, simulation, sizing table, report"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: connrate COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n`connrate COMMAND --help` describes each command; `connrate --version` prints the "
               "version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("connrate %s\n", CONNRATE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "connrate: unknown command '%s' (see: connrate --help)\n", argv[1]);
    return 2;
}
