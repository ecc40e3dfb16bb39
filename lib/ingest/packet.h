/* One TCP or UDP packet as every input kind delivers it (pcap after decoding and tshark
 * emulation, .Rds and TSV exports as read). Fields an input cannot know are marked unknown, so
 * later stages can tell an export from a capture. */
#ifndef CR_PACKET_H
#define CR_PACKET_H

#include <stdint.h>

#include "ingest/addr.h"

enum { CR_PROTO_TCP = 6, CR_PROTO_UDP = 17 };

/* TCP flag bits as in the header (tcp.flags). */
enum {
    CR_TH_FIN = 0x01,
    CR_TH_SYN = 0x02,
    CR_TH_RST = 0x04,
    CR_TH_PSH = 0x08,
    CR_TH_ACK = 0x10,
    CR_TH_URG = 0x20,
};

#define CR_NA_I64 INT64_MIN

typedef struct {
    uint64_t id;          /* frame number (1-based, as tshark) */
    int64_t ts_ns;        /* capture time, ns since the epoch (exports: ms * 1e6) */
    uint8_t proto;        /* CR_PROTO_TCP or CR_PROTO_UDP */
    uint8_t ipver;        /* 4 or 6 */
    cr_addr src, dst;
    uint16_t sport, dport;
    /* TCP only; -1 / CR_NA_I64 when unknown (UDP, or an export without the column). */
    int32_t completeness; /* tcp.completeness as a single-pass export shows it */
    int64_t rel_ns;       /* tcp.time_relative in ns */
    int64_t stream;       /* tcp.stream */
    int32_t flags;        /* tcp.flags (12 bits) */
    int32_t tcp_len;      /* tcp.len */
} cr_packet;

/* Milliseconds since the epoch, as the seed's `timestamp` column: floor(ts_ns / 1e6). */
static inline int64_t cr_packet_ms(const cr_packet *p)
{
    int64_t q = p->ts_ns / 1000000;
    if (p->ts_ns % 1000000 < 0)
        q--;
    return q;
}

#endif
