/* tshark 4.0.17's per-packet TCP stream state, reproduced exactly: tcp.stream numbering,
 * tcp.completeness as a single-pass export shows it (the value before the packet's own flags)
 * and tcp.time_relative. See ../shared/notes/tcp-completeness.md §1 and §8 for the rules.
 *
 * One state object per capture, fed every TCP header in file order, including headers quoted in
 * ICMP errors (they create streams and add flags like tshark, but are not rows). Memory is one
 * record per stream key (4-tuple); nothing is kept per packet. */
#ifndef CR_TCP_COMPLETENESS_H
#define CR_TCP_COMPLETENESS_H

#include <stdint.h>

#include "ingest/decode.h"

/* Completeness bits (tcp.completeness). */
enum {
    CR_COMP_SYN = 1,
    CR_COMP_SYNACK = 2,
    CR_COMP_ACK = 4,
    CR_COMP_DATA = 8,
    CR_COMP_FIN = 16,
    CR_COMP_RST = 32,
};

typedef struct cr_tcp_state cr_tcp_state;

/* What tshark shows on one TCP packet. */
typedef struct {
    int64_t stream;        /* tcp.stream */
    int32_t completeness;  /* tcp.completeness, single pass */
    int64_t rel_ns;        /* tcp.time_relative */
    int new_stream;        /* this packet started the stream (new 4-tuple or port reuse) */
} cr_tcp_view;

cr_tcp_state *cr_tcp_state_new(void);
void cr_tcp_state_free(cr_tcp_state *t);
/* d must be a TCP header (d->proto == CR_PROTO_TCP). */
void cr_tcp_state_feed(cr_tcp_state *t, const cr_decoded *d, int64_t ts_ns, cr_tcp_view *v);
/* Streams created so far. */
int64_t cr_tcp_state_streams(const cr_tcp_state *t);

#endif
