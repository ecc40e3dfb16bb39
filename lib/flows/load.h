/* Reads every input into a cr_machine, several files at once on separate threads (each file is
 * one machine, so they are independent; the largest first), then settles the local addresses.
 * With more threads than files, each file is also read ahead on a thread of its own
 * (ingest/source_ahead.h): its reader on one core, its connection tracking on another. */
#ifndef CR_LOAD_H
#define CR_LOAD_H

#include <stdio.h>

#include "flows/machine.h"
#include "ingest/inputs.h"

typedef struct {
    char *machine_id;
    cr_addr addr;
} cr_local_ip;

/* Parses "MACHINE=IP" (the --local-ip option). */
int cr_local_ip_parse(const char *arg, cr_local_ip *out, cr_err *e);

typedef struct {
    const cr_local_ip *given; /* --local-ip */
    int ngiven;
    int threads;              /* <= 0: one per CPU */
    /* Longest time a capture may span, first to last packet (0: no limit). One misdated packet
     * would otherwise make the per-second table billions of rows long. */
    double max_span_s;
    /* Which connections count (flows/scope.h); NULL: all. Must outlive the machines. */
    const cr_scope *scope;
} cr_load_options;

/* machines[i] corresponds to in->items[i] and gets machine = i + 1. On error nothing is
 * returned and e names the failing file. */
int cr_machines_load(const cr_inputs *in, const cr_load_options *o, cr_machine **machines,
                     cr_err *e);
void cr_machines_free(cr_machine *machines, int n);

/* One paragraph per machine for stderr: input kind, packets, drops with reasons, local
 * addresses per family and how they were found. */
void cr_machine_describe(FILE *f, const cr_machine *m);

#endif
