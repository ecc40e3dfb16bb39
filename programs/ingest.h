/* What cps and flows share: the inputs loaded into machines, an output file that is not one of
 * them, and the summary of each machine on stderr. */
#ifndef CR_INGEST_CMD_H
#define CR_INGEST_CMD_H

#include "cli.h"
#include "common/outfile.h"
#include "flows/load.h"

typedef struct {
    cr_inputs inputs;
    cr_machine *machines;
    cr_outfile out;
} ingest_job;

/* The load options the ingest group of a command line sets. */
cr_load_options ingest_load_options(const cli_args *a);

/* Refuses an output (a->out; a directory when is_dir) that is, or holds, one of the inputs as
 * named on the command line or found in its directories. */
int ingest_check_output(const cli_args *a, const cr_inputs *in, int is_dir, cr_err *e);

/* Collects and checks the inputs, refuses an output that is one of them, loads the machines,
 * describes them (unless quiet) and opens the output. Returns 0 or an exit status. */
int ingest_open(const cli_args *a, ingest_job *j);
/* Commits the output when status is 0 (else discards it), frees everything, returns the exit
 * status. */
int ingest_close(ingest_job *j, int status);

/* "cps: left out (--scope firewall): 12 multicast, 3 broadcast, ..." on f, or nothing. */
void cli_scope_summary(FILE *f, const char *cmd, const cr_scope *s, const uint64_t *out);

#endif
