/* Options shared by the commands that read captures (cps, flows): output file, --local-ip,
 * --tcp-end, --threads, --quiet, and the inputs. */
#ifndef CR_INGEST_OPTS_H
#define CR_INGEST_OPTS_H

#include "common/outfile.h"
#include "flows/load.h"
#include "series/cps.h"

typedef struct {
    const char *out_path;
    int quiet;
    int threads;
    cr_tcp_end_rule tcp_end;
    cr_local_ip *given;
    int ngiven;
    cr_inputs inputs;
    cr_machine *machines;
    cr_outfile out;
} ingest_opts;

/* Parses argv; on --help prints help and returns 0 with *done = 1. Returns the exit status on
 * error (2 usage, 1 input). On success the machines are loaded, their summary printed and the
 * output (o->out.fp) opened. */
int ingest_run(const char *cmd, const char *help, int want_tcp_end, int argc, char **argv,
               ingest_opts *o, int *done);
/* Commits the output (unless status is non-zero, which discards it), frees everything and
 * returns the exit status. */
int ingest_finish(ingest_opts *o, int status);

#endif
