/* Everything connrate keeps of one machine's capture after a single pass over its packets:
 * per-connection records (TCP streams, UDP conversations), the rows that show completeness 0,
 * and the capture window. Memory grows with connections, never with packets; events for either
 * termination rule and the flow table are derived from these records afterwards, once the local
 * addresses are known. */
#ifndef CR_MACHINE_H
#define CR_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/hashmap.h"
#include "flows/scope.h"
#include "ingest/source.h"

enum { CR_END_NONE = 0, CR_END_FIN, CR_END_RST };

/* Endpoints of a conversation: a is the sender of its first packet. Direction 0 is a -> b. */
typedef struct {
    cr_addr a, b;
    uint16_t pa, pb;
} cr_endpoints;

typedef struct {
    cr_endpoints ep;
    int64_t first_ms, last_ms;   /* earliest and latest packet, either direction */
    int64_t prev_ms;             /* latest packet so far in file order */
    int64_t end_flags_ms;        /* first FIN+ACK or RST by its flags (captures) */
    int64_t end_export_ms;       /* packet before the first row showing completeness & 48 */
    int64_t seed_end_ms[2];      /* per direction: earliest row with completeness 15, 31 or 63 */
    uint64_t packets;
    uint8_t initiator;           /* 0 = a opened it, 1 = b (first packet was a SYN-ACK) */
    uint8_t end_flags_reason, end_export_reason;
    uint8_t flags_known;         /* the packets carried TCP flags */
    uint8_t rel_advanced;        /* a row with tcp_time_relative > 0 was seen */
} cr_tcp_conn;

typedef struct {
    cr_endpoints ep;
    int64_t first_ms[2], last_ms[2];
    uint64_t packets[2];
} cr_udp_conv;

/* A TCP row whose completeness is 0: the seed's new-connection event when sent by the local
 * address, and the evidence the local address is inferred from. */
typedef struct {
    uint32_t conn;
    uint8_t dir;
    int64_t ms;
} cr_zero_row;

typedef struct {
    char *machine_id;
    int machine;              /* 1..K */
    char *path;
    const char *kind;         /* input kind */
    uint64_t records, packets, tcp_packets, udp_packets;
    struct { const char *why; uint64_t n; } drops[CR_SOURCE_MAX_DROPS];
    int ndrops;
    int64_t first_ms, last_ms;
    uint64_t first_id, last_id; /* frames (records) of the earliest and the latest packet */

    cr_tcp_conn *tcp;
    size_t ntcp, tcp_cap;
    cr_udp_conv *udp;
    size_t nudp, udp_cap;
    cr_zero_row *zero;
    size_t nzero, zero_cap;
    cr_hmap tcp_by_key, tcp_by_stream, udp_by_key;

    /* Which connections count (flows/scope.h); NULL: all. Borrowed from the loader's options. */
    const cr_scope *scope;

    /* Local address per family (index 0 = IPv4, 1 = IPv6). */
    cr_addr local[2];
    int local_set[2], local_given[2];
    uint64_t local_votes[2], zero_rows_tcp[2]; /* rows naming the winner / all such rows */
} cr_machine;

void cr_machine_init(cr_machine *m, const char *machine_id, int machine, const char *path);
void cr_machine_free(cr_machine *m);
/* Reads every packet of s into m. */
int cr_machine_ingest(cr_machine *m, cr_source *s, cr_err *e);
/* Sets the local address of a family by hand (--local-ip); the others are inferred by
 * cr_machine_infer_local: the most frequent src among TCP rows with completeness 0 per family,
 * ties to the address that sorts first as text (the seed's rule). */
void cr_machine_give_local(cr_machine *m, const cr_addr *a);
void cr_machine_infer_local(cr_machine *m);
/* Is (addr) the local address of its family? */
int cr_machine_is_local(const cr_machine *m, const cr_addr *a);
/* Whether a connection from the machine to dst counts under its scope: CR_SCOPE_FORWARDED, or
 * why it does not. */
int cr_machine_scope(const cr_machine *m, const cr_addr *dst);

static inline int cr_fam(uint8_t family) { return family == 6; }

#endif
