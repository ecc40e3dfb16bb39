/* Outbound connections of a machine, one record each, as `connrate flows` lists them and as the
 * concurrency model needs them: when each opened, when and how it ended, and when it was last
 * seen. */
#ifndef CR_FLOWS_H
#define CR_FLOWS_H

#include <stdio.h>

#include "flows/machine.h"

/* CR_REASON_ENDED: a session log says the connection ended without saying how (a firewall
 * aged it out, or logs no reason). */
enum { CR_REASON_FIN = 1, CR_REASON_RST, CR_REASON_UDP_LAST, CR_REASON_OPEN, CR_REASON_ENDED };

typedef struct {
    uint8_t proto, ipver;
    cr_addr src, dst;
    uint16_t sport, dport;
    int64_t start_ms;
    int64_t end_ms;   /* CR_NA_I64 while open at capture end */
    int64_t last_ms;  /* last packet in either direction */
    uint8_t reason;
    uint64_t packets; /* both directions */
} cr_flow;

/* The outbound connections the machine's scope counts (all when it has none). A TCP stream is
 * outbound when its opener (the sender of its first packet, or the receiver
 * when that packet is a SYN-ACK) is the local address; it ended at its first FIN+ACK or RST
 * (from flags when the input has them, else from completeness, one packet late). A UDP flow is
 * an outbound 4-tuple (the seed's rule) and ends at its last outbound packet. Local addresses
 * must be set. Returns the count; *out is sorted by start_ms, protocol, addresses, ports. */
size_t cr_machine_flows(const cr_machine *m, cr_flow **out);
/* That order, for qsort. */
int cr_flow_cmp(const void *x, const void *y);

/* Where a TCP stream ended under the default rule, or CR_NA_I64; *reason gets CR_END_*. */
int64_t cr_tcp_conn_end(const cr_tcp_conn *c, uint8_t *reason);
/* The local endpoint opened this stream. */
int cr_tcp_conn_outbound(const cr_machine *m, const cr_tcp_conn *c);

void cr_flows_write_header(FILE *f);
void cr_flows_write(FILE *f, const char *machine_id, const cr_flow *fl, size_t n);
const char *cr_reason_name(uint8_t reason);

#endif
