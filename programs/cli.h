/* The command-line layer: every command is described by a cli_command (name, usage, what it
 * does, its option groups) and parsed by one function from option tables, so an option means the
 * same, with the same bounds and wording, in every command that runs its stage; --help and the
 * man pages are generated from the same tables.
 *
 * Exit status of every command: 0 success, 1 bad input or a failure while running, 2 bad usage,
 * 3 the run finished but a fit failed its checks (status FAIL), 130 / 143 interrupted by SIGINT /
 * SIGTERM (temporary files removed). */
#ifndef CR_CLI_H
#define CR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "cli_args.h"
#include "common/err.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_CHECKS_FAILED = 3 };

typedef enum {
    CLI_FLAG,     /* no value: the int field becomes 1 */
    CLI_INT,      /* whole number in [lo, hi] into an int */
    CLI_LONG,     /* whole number in [lo, hi] into a long */
    CLI_REAL,     /* decimal number in [lo, hi] into a double */
    CLI_SECONDS,  /* a duration (s, m, h, d suffix) in [lo, hi] seconds into a double */
    CLI_TEXT,     /* non-empty text into a const char * */
    CLI_CALL,     /* parsed by call() */
} cli_type;

typedef struct cli_opt {
    const char *name; /* long name without the dashes */
    char letter;      /* short option, or 0 */
    cli_type type;
    size_t off;       /* field of cli_args (offsetof) */
    const char *meta; /* what the value is called in help: "N", "FILE" */
    double lo, hi;
    int repeat;       /* may be given more than once (each use calls call()) */
    int (*call)(cli_args *a, const struct cli_opt *o, const char *value, cr_err *e);
    const char *help; /* lines separated by '\n'; states the default */
    /* More help computed at run time (the names of the ladder's models, say), or NULL. */
    void (*help_more)(char *buf, size_t n);
} cli_opt;

typedef struct {
    const char *title; /* "output", "fit" ... (a heading in the man page) */
    const cli_opt *opts;
    int n;
} cli_group;

typedef struct {
    const char *name;
    const char *summary; /* one line, for `connrate --help` */
    const char *usage;   /* after "usage: connrate NAME " */
    const char *about;   /* paragraphs, '\n'-wrapped at 78 columns */
    int min_inputs, max_inputs; /* positional arguments (max -1: any) */
    /* Printed after `about` in --help and the man page (a list from a registry), or NULL. */
    void (*more)(FILE *f);
    const cli_group *const *groups; /* NULL-terminated */
    int (*run)(cli_args *a);
} cli_command;

extern const cli_command *const cli_commands[]; /* NULL-terminated, in help order */

/* Parses argv (argv[0] is the command name) into a, whose defaults are already set
 * (cli_args_init). Returns -1 when parsing succeeded, else the exit status: 0 after --help,
 * CLI_USAGE after printing the one-line error. */
int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a);

/* The command's --help text (usage, about, every option of every group). */
void cli_help(FILE *f, const cli_command *c);
/* Its man page in roff, from the same tables. */
void cli_man(FILE *f, const cli_command *c, const char *version);
/* The connrate(1) page: every command with its summary, pointing to their pages. */
void cli_man_overview(FILE *f, const char *version);
/* A completion script from the option tables for shell "bash" (a file for bash-completion, or
 * to source) or "zsh" (an autoloaded _connrate function); -1 for another shell. Commands, their
 * options, the words of each choice (cli_opt_values), files or directories for -o and inputs. */
int cli_completion(FILE *f, const char *shell);

/* Prints "connrate: MESSAGE" on stderr and returns CLI_FAILED. */
int cli_fail(const cr_err *e);
/* Prints "connrate CMD: MESSAGE (see: connrate CMD --help)" and returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
