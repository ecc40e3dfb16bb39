/* Shared pieces of the command-line layer: every command is `int cmd_NAME(int argc, char **argv)`
 * (argv[0] is the command name) returning the process exit status. */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "common/err.h"

int cmd_packets(int argc, char **argv);
int cmd_cps(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Prints "connrate: MESSAGE" on stderr and returns 1 (runtime failure). */
int cli_fail(const cr_err *e);
/* Prints "connrate CMD: MESSAGE" plus a hint to use --help, returns 2 (usage error). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strict number parsing for option values: whole string, within [lo, hi]. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *s, double lo, double hi, double *out);

#endif
