/* What the commands that read inputs share: captures and exports (one machine each) and flow
 * records or firewall logs (one machine per inside host), told apart by content; the machines
 * in one machine_id order; an output that is not one of the inputs; the summary on stderr. */
#ifndef CR_INGEST_CMD_H
#define CR_INGEST_CMD_H

#include "cli.h"
#include "common/outfile.h"
#include "flowlog/flowlog.h"
#include "flows/load.h"
#include "sizing/sizing.h"

/* One observed machine: a capture (machines[index]) or an inside host of the logs
 * (logs.hosts[index]). */
typedef struct {
    const char *id;
    int host;
    int index;
} ingest_unit;

typedef struct {
    cr_inputs captures;   /* packet inputs, one machine each */
    cr_machine *machines;
    cr_inputs logfiles;   /* flow-record and firewall-log inputs */
    cr_flowlog_set logs;  /* their inside hosts */
    ingest_unit *units;   /* every machine, in machine_id order */
    int nunits;
    cr_outfile out;
} ingest_job;

/* Collects the inputs, refuses an output that is one of them, opens dir (the output directory
 * a->out) when not NULL, loads captures and logs, checks that machine ids are distinct,
 * describes them unless quiet. Returns 0 or an exit status (after printing the error; dir is
 * then closed). */
int ingest_load(const cli_args *a, cr_outdir *dir, ingest_job *j);
/* ingest_load, then opens a->out (stdout when none) for writing. */
int ingest_open(const cli_args *a, ingest_job *j);
/* Commits the output when status is 0 (else discards it), frees everything, returns status. */
int ingest_close(ingest_job *j, int status);

/* Every unit into d in order (the CPS table under a's TCP end rule and scope). */
void ingest_sizing_data(const ingest_job *j, const cli_args *a, cr_sizing_data *d);

/* "cps: left out (--scope firewall): 12 multicast, 3 broadcast, ..." on f, or nothing. */
void cli_scope_summary(FILE *f, const char *cmd, const cr_scope *s, const uint64_t *out);

#endif
