/* The flows table (`connrate flows`, docs/synth.md) read back, for the duration model and the
 * session-table simulation. Strict like the CPS reader: a misread row would bias durations, so
 * anything unexpected is an error naming file, line and column. */
#ifndef CR_FLOWS_READ_H
#define CR_FLOWS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "common/csv.h"
#include "common/err.h"
#include "flows/flows.h"

typedef struct {
    size_t n;
    cr_flow *flows;         /* in file order */
    int *machine;           /* per flow, 0-based index into machine_ids */
    int nmachines;
    char **machine_ids;     /* in order of first appearance */
    /* Per machine, the latest time the file shows anything of it (max of end_ms and last_ms):
     * the best stand-in for the capture end a flows file can give, a lower bound of it. */
    int64_t *last_seen_ms;
} cr_flow_table;

/* Reads a flows CSV. The header must be exactly
 *   machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,start_ms,end_ms,last_ms,
 *   end_reason,packets
 * (the writer never quotes, so neither does the reader: a quote is an ordinary byte; read by
 * lib/common/csv.h, so a gzipped table is read too). Per row: protocol tcp or udp, ip_version 4
 * or 6 matching both addresses, ports 0..65535, times integer ms with start_ms <= end_ms and
 * start_ms <= last_ms, end_ms empty exactly when end_reason is open, end_reason fin, rst, open
 * or ended for TCP and udp_last for UDP (with end_ms <= last_ms), packets >= 1. */
int cr_flows_read(cr_flow_table *t, const char *path, cr_err *e);
/* The same, a record at a time (lib/flowlog reads the table as one of its formats): is this
 * record the header; one row by the rules above into *fl (path and line for the message). */
int cr_flows_is_header(const cr_csv_field *f, int n);
int cr_flows_parse_row(const cr_csv_field *f, int n, const char *path, size_t line, cr_flow *fl,
                       cr_err *e);
void cr_flow_table_free(cr_flow_table *t);

#endif
