/* The seed's per-second table: for every second of a machine's capture, new and ended outbound
 * TCP and UDP connections. */
#ifndef CR_CPS_H
#define CR_CPS_H

#include <stdint.h>
#include <stdio.h>

#include "flows/flows.h"
#include "flows/machine.h"

typedef enum {
    CR_TCP_END_FLAGS, /* first FIN+ACK or RST of each outbound stream (default) */
    CR_TCP_END_SEED,  /* the seed's literal rule: first outbound row with completeness 15/31/63 */
} cr_tcp_end_rule;

/* The four series, in the column order of the CPS table. */
enum { CR_CPS_TCP_NEW, CR_CPS_UDP_NEW, CR_CPS_TCP_END, CR_CPS_UDP_END, CR_CPS_NSERIES };

typedef struct {
    int64_t nsec;                 /* seconds from the first to the last packet, inclusive */
    uint32_t *col[CR_CPS_NSERIES];   /* counts per second */
    uint64_t total[CR_CPS_NSERIES];
    uint64_t tcp_streams_out;     /* outbound TCP streams */
    uint64_t tcp_open_at_end;     /* outbound streams with no close seen */
    uint64_t closes_flags_only;   /* closes seen in flags that completeness never showed */
    /* outbound connections left out by the machine's scope, per reason (CR_SCOPE_*) */
    uint64_t out_of_scope[CR_SCOPE_NREASONS];
} cr_cps_counts;

/* Local addresses of m must be set. */
void cr_cps_build(const cr_machine *m, cr_tcp_end_rule rule, cr_cps_counts *out);
/* The same from a host's outbound connections (flow records) observed from first_ms to last_ms:
 * a connection is new in the second it starts and ends in the second it ends (TCP, whatever
 * closed it: FIN, RST or the exporter's end; UDP, its last packet); those a scope leaves out
 * (scope may be NULL) are counted in out_of_scope. */
void cr_cps_from_flows(const cr_flow *fl, size_t n, int64_t first_ms, int64_t last_ms,
                       const cr_scope *scope, cr_cps_counts *out);
void cr_cps_counts_free(cr_cps_counts *c);

/* Second index (1-based) of a time in ms within a capture that starts at first_ms. */
int64_t cr_cps_second(int64_t first_ms, int64_t ms);

void cr_cps_write_header(FILE *f);
/* The rows of machine number `machine` called id. */
void cr_cps_write(FILE *f, const char *id, int machine, const cr_cps_counts *c);

#endif
