/* The option groups, one per stage a command runs: a command that runs a stage takes the whole
 * group, so its options mean the same everywhere. */
#ifndef CR_OPTIONS_H
#define CR_OPTIONS_H

#include "cli.h"
#include "fit/fit.h"

extern const cli_group opt_general;     /* -q, --json-progress, --help */
extern const cli_group opt_threads;     /* --threads */
extern const cli_group opt_output_file; /* -o FILE (stdout by default) */
extern const cli_group opt_output_dir;  /* -o DIR (required), --force */
extern const cli_group opt_ingest;      /* --local-ip, --max-span */
extern const cli_group opt_series;      /* --tcp-end */
extern const cli_group opt_seed;        /* --seed */
extern const cli_group opt_fit;         /* --model and the sampler's settings */
extern const cli_group opt_fit_only;    /* --series, --no-holdout */
extern const cli_group opt_classes;     /* --class */
extern const cli_group opt_users;       /* --users */
extern const cli_group opt_sizing;      /* --firewall and its timers, simulation size */
extern const cli_group opt_report;      /* --percentile, --headroom, --capacity (run) */
extern const cli_group opt_validate;    /* --fit-machines, --groups */
extern const cli_group opt_synth;       /* --machines, --minutes, --format */

/* The words option o's value can be when it is a choice (--tcp-end, --scope, --format, --model,
 * --percentile and --firewall, from the registries the parser checks against), at most max
 * into out; 0 for an option whose value is free. For shell completion. */
int cli_opt_values(const cli_opt *o, const char **out, int max);

/* The ladder's models, one line each, from its registry (fit's --help). */
void cli_print_ladder(FILE *f);

/* The sampler settings of every fit a command line asks for (fit and run). */
void cli_fit_options(const cli_args *a, cr_fit_options *o);

/* The sizing configuration a command line asks for (run, validate); the timer overrides apply
 * after --firewall. Fails on an unknown profile. */
int cli_sizing_config(const cli_args *a, const char *dir, cr_sizing_config *c, cr_err *e);

#endif
