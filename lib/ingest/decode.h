/* Frame decoding: link layer -> IPv4/IPv6 -> TCP/UDP, reading only what tshark 4.0 uses for the
 * `packets` columns and for its TCP stream/completeness state. No allocation, no state: one frame
 * in, one header summary (or the reason there is none) out. */
#ifndef CR_DECODE_H
#define CR_DECODE_H

#include <stdint.h>

#include "ingest/addr.h"

/* Link-layer types as pcap_datalink() reports them (DLT_*), plus the LINKTYPE_* values that
 * libpcap passes through unchanged. */
enum {
    CR_DLT_NULL = 0,        /* BSD loopback, AF in host byte order */
    CR_DLT_EN10MB = 1,
    CR_DLT_RAW = 12,        /* raw IP, Linux/most BSDs */
    CR_DLT_RAW_OPENBSD = 14,
    CR_DLT_PPPOE_NOETH = 51, /* DLT_PPP_ETHER: PPPoE session header, no Ethernet */
    CR_LINKTYPE_RAW = 101,
    CR_DLT_LOOP = 108,      /* OpenBSD loopback, AF in network byte order */
    CR_DLT_LINUX_SLL = 113,
    CR_DLT_IPV4 = 228,
    CR_DLT_IPV6 = 229,
    CR_DLT_LINUX_SLL2 = 276,
};

/* The transport header of one frame. For ICMP errors it is the header quoted inside the error
 * (icmp_quoted = 1): tshark feeds it to its TCP state, but it is never a row of its own. */
typedef struct {
    uint8_t ipver;          /* of the outer IP header (ip.version with occurrence=f) */
    uint8_t proto;          /* CR_PROTO_TCP or CR_PROTO_UDP */
    uint8_t icmp_quoted;
    uint8_t tcp_hlen;       /* TCP data offset in bytes, as on the wire (may be < 20: bogus) */
    uint16_t sport, dport;
    uint16_t flags;         /* 12 TCP flag bits */
    uint32_t seq, ack;
    int32_t payload_len;    /* TCP: IP payload (by the IP length fields) minus tcp_hlen; -1 when
                             * shorter than tcp_hlen (tshark then leaves tcp.len empty) */
    cr_addr src, dst;       /* of the IP header that carries this transport header */
} cr_decoded;

/* 1 when cr_decode() knows the link type. */
int cr_decode_linktype_known(int dlt);

/* Decodes one frame. caplen bytes are present, wirelen is the frame's length on the wire (lengths
 * come from the IP header, clipped to the wire length as tshark does). Returns NULL and fills *d
 * for a TCP or UDP header; otherwise a static reason ("not IP", "not TCP/UDP", "truncated header",
 * "IP fragment", "ICMP error", ...) and *d is unspecified. */
const char *cr_decode(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                      cr_decoded *d);

#endif
