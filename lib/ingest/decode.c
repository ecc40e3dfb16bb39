/* Link layers -> IP -> TCP/UDP, following what tshark 4.0 dissects by default.
 *
 * Lengths: tshark trusts the IP length fields, clipped to the frame's length on the wire (not the
 * captured length), so a snaplen-truncated frame keeps its true TCP payload length, and Ethernet
 * padding or trailers after the IP datagram are ignored.
 *
 * IP fragments: tshark reassembles by default and dissects TCP/UDP on the frame that completes
 * the datagram. We do not reassemble (it needs per-datagram buffers); the first fragment (offset
 * 0, more-fragments set) is decoded as if unfragmented and later fragments are dropped as "IP
 * fragment". None of the shared reference captures contains a fragment, so parity is unaffected;
 * on fragmented UDP (large DNS/QUIC) the row appears at the first fragment instead of the last. */
#include "ingest/decode.h"

#include <string.h>

#include "ingest/packet.h"

static const char WHY_TRUNC[] = "truncated header";
static const char WHY_NOT_IP[] = "not IP";
static const char WHY_NOT_L4[] = "not TCP/UDP";
static const char WHY_BAD_IP[] = "bad IP header";
static const char WHY_FRAG[] = "IP fragment";
static const char WHY_ICMP[] = "ICMP error";
static const char WHY_TEREDO[] = "ICMPv6 in Teredo";

/* cap: bytes present; wire: where the data ends on the wire (IP length clips it further). */
typedef struct {
    const uint8_t *p;
    size_t cap, wire;
    cr_decoded *d;
    int quoted;   /* inside an ICMP error */
} cr_frame;

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *decode_ip(cr_frame *f, size_t off);

/* Clips the frame at a length field's end (IP, PPPoE), so padding and trailers are never
 * parsed. */
static void clip(cr_frame *f, size_t end)
{
    if (end < f->wire)
        f->wire = end;
    if (end < f->cap)
        f->cap = end;
}

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86dd,
    ETH_VLAN = 0x8100,
    ETH_QINQ = 0x88a8,
    ETH_QINQ_OLD = 0x9100,
    ETH_PPPOE_SESSION = 0x8864,
    ETH_MPLS = 0x8847,
    PPP_IPV4 = 0x0021,
    PPP_IPV6 = 0x0057,
};

/* PPPoE session header (6 bytes) then the 2-byte PPP protocol. tshark limits the payload to the
 * header's length field. */
static const char *decode_pppoe(cr_frame *f, size_t off)
{
    if (off + 8 > f->cap)
        return WHY_TRUNC;
    clip(f, off + 6 + get16(f->p + off + 4));
    uint16_t proto = get16(f->p + off + 6);
    if (proto == PPP_IPV4 || proto == PPP_IPV6)
        return decode_ip(f, off + 8);
    return WHY_NOT_IP;
}

/* Walks VLAN tags, PPPoE and MPLS after an EtherType (Ethernet, SLL, SLL2). */
static const char *decode_ethertype(cr_frame *f, uint16_t type, size_t off)
{
    for (;;) {
        switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
            return decode_ip(f, off);
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
            if (off + 4 > f->cap)
                return WHY_TRUNC;
            type = get16(f->p + off + 2);
            off += 4;
            break;
        case ETH_PPPOE_SESSION:
            return decode_pppoe(f, off);
        case ETH_MPLS:
            /* Label stack, then IP guessed from the version nibble as tshark does by default. */
            for (;;) {
                if (off + 4 > f->cap)
                    return WHY_TRUNC;
                int bottom = f->p[off + 2] & 1;
                off += 4;
                if (bottom)
                    break;
            }
            return decode_ip(f, off);
        default:
            return WHY_NOT_IP;
        }
    }
}

enum {
    IPP_HOPOPTS = 0, IPP_ICMP = 1, IPP_TCP = 6, IPP_UDP = 17, IPP_ROUTING = 43,
    IPP_FRAGMENT = 44, IPP_AH = 51, IPP_ICMPV6 = 58, IPP_DSTOPTS = 60,
};

#define TEREDO_PORT 3544

/* Skips IPv6 extension headers starting at *off with next header *nh. Returns NULL, or a reason
 * (truncated, or a non-first fragment). */
static const char *skip_ipv6_ext(const uint8_t *p, size_t cap, size_t *off, uint8_t *nh)
{
    for (;;) {
        size_t len;
        switch (*nh) {
        case IPP_HOPOPTS:
        case IPP_ROUTING:
        case IPP_DSTOPTS:
        case IPP_FRAGMENT:
        case IPP_AH:
            break;
        default:
            return NULL;
        }
        if (*off + 8 > cap)
            return WHY_TRUNC;
        const uint8_t *h = p + *off;
        if (*nh == IPP_FRAGMENT) {
            if (get16(h + 2) >> 3)
                return WHY_FRAG;
            len = 8;
        } else if (*nh == IPP_AH) {
            len = ((size_t)h[1] + 2) * 4;
        } else {
            len = ((size_t)h[1] + 1) * 8;
        }
        *nh = h[0];
        *off += len;
    }
}

/* tshark hands UDP port 3544 to Teredo, which dissects the IPv6 packet inside; the reference
 * export filter `!icmpv6` then drops frames whose inner packet is ICMPv6 (router solicitations
 * during Teredo qualification). */
static int teredo_carries_icmpv6(const uint8_t *p, size_t off, size_t end)
{
    while (off + 2 <= end) {
        uint16_t t = get16(p + off);
        if (t == 0x0001) {  /* authentication indicator */
            if (off + 4 > end)
                return 0;
            off += 4 + (size_t)p[off + 2] + p[off + 3] + 8 + 1;
        } else if (t == 0x0000) {  /* origin indicator */
            off += 8;
        } else {
            break;
        }
    }
    if (off + 40 > end || p[off] >> 4 != 6)
        return 0;
    uint8_t nh = p[off + 6];
    size_t o = off + 40;
    if (skip_ipv6_ext(p, end, &o, &nh))
        return 0;
    return nh == IPP_ICMPV6;
}

static int icmp_is_error(int v6, uint8_t type)
{
    if (v6)
        return type >= 1 && type <= 4;
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The transport header at off; plen is the IP payload length by the IP header (clipped). */
static const char *decode_l4(cr_frame *f, int v6, uint8_t proto, size_t off, long plen)
{
    const uint8_t *h = f->p + off;
    cr_decoded *d = f->d;
    switch (proto) {
    case IPP_TCP:
        /* tshark reads the first 16 bytes (ports to window) before it looks up the stream; an
         * ICMP error quoting only 8 bytes therefore never reaches the TCP state. */
        if (off + 16 > f->cap)
            return f->quoted ? WHY_ICMP : WHY_TRUNC;
        d->proto = CR_PROTO_TCP;
        d->sport = get16(h);
        d->dport = get16(h + 2);
        d->seq = get32(h + 4);
        d->ack = get32(h + 8);
        d->tcp_hlen = (uint8_t)((h[12] >> 4) * 4);
        d->flags = get16(h + 12) & 0x0fff;
        d->payload_len = f->quoted ? 0 : (plen >= d->tcp_hlen ? (int32_t)(plen - d->tcp_hlen) : -1);
        d->icmp_quoted = (uint8_t)f->quoted;
        return NULL;
    case IPP_UDP:
        if (f->quoted)
            return WHY_ICMP;
        if (off + 8 > f->cap)
            return WHY_TRUNC;
        d->proto = CR_PROTO_UDP;
        d->sport = get16(h);
        d->dport = get16(h + 2);
        d->payload_len = plen >= 8 ? (int32_t)(plen - 8) : 0;
        if ((d->sport == TEREDO_PORT || d->dport == TEREDO_PORT) &&
            teredo_carries_icmpv6(f->p, off + 8, f->cap))
            return WHY_TEREDO;
        return NULL;
    case IPP_ICMP:
    case IPP_ICMPV6:
        if ((proto == IPP_ICMPV6) != v6 || f->quoted)
            return WHY_NOT_L4;
        if (off + 8 > f->cap)
            return WHY_TRUNC;
        if (!icmp_is_error(v6, h[0]))
            return WHY_NOT_L4;
        f->quoted = 1;
        {
            const char *why = decode_ip(f, off + 8);
            return why ? WHY_ICMP : NULL;
        }
    default:
        return WHY_NOT_L4;
    }
}

static void set_addr(cr_addr *a, int family, const uint8_t *b)
{
    a->family = (uint8_t)family;
    memset(a->b, 0, sizeof a->b);
    memcpy(a->b, b, family == 4 ? 4 : 16);
}

static const char *decode_ipv4(cr_frame *f, size_t off)
{
    if (off + 20 > f->cap)
        return WHY_TRUNC;
    const uint8_t *h = f->p + off;
    size_t ihl = (size_t)(h[0] & 15) * 4;
    if (ihl < 20)
        return WHY_BAD_IP;
    if (off + ihl > f->cap)
        return WHY_TRUNC;
    size_t wire = f->wire > off ? f->wire - off : 0;
    size_t tot = get16(h + 2);
    if (tot == 0)
        tot = wire;   /* TSO: tshark falls back to the frame length */
    if (tot < ihl)
        return WHY_BAD_IP;
    if (tot > wire)
        tot = wire;
    if (get16(h + 6) & 0x1fff)
        return WHY_FRAG;
    if (!f->quoted)
        f->d->ipver = 4;
    set_addr(&f->d->src, 4, h + 12);
    set_addr(&f->d->dst, 4, h + 16);
    clip(f, off + tot);
    return decode_l4(f, 0, h[9], off + ihl, (long)(tot - ihl));
}

static const char *decode_ipv6(cr_frame *f, size_t off)
{
    if (off + 40 > f->cap)
        return WHY_TRUNC;
    const uint8_t *h = f->p + off;
    size_t wire = f->wire > off ? f->wire - off : 0;
    size_t tot = 40 + (size_t)get16(h + 4);
    if (tot == 40)
        tot = wire;   /* jumbogram or TSO */
    if (tot > wire)
        tot = wire;
    if (!f->quoted)
        f->d->ipver = 6;
    set_addr(&f->d->src, 6, h + 8);
    set_addr(&f->d->dst, 6, h + 24);
    clip(f, off + tot);
    uint8_t nh = h[6];
    size_t l4 = off + 40;
    const char *why = skip_ipv6_ext(f->p, f->cap, &l4, &nh);
    if (why)
        return why;
    if (l4 > off + tot)
        return WHY_BAD_IP;
    return decode_l4(f, 1, nh, l4, (long)(off + tot - l4));
}

static const char *decode_ip(cr_frame *f, size_t off)
{
    if (off >= f->cap)
        return WHY_TRUNC;
    switch (f->p[off] >> 4) {
    case 4:
        return decode_ipv4(f, off);
    case 6:
        return decode_ipv6(f, off);
    default:
        return WHY_NOT_IP;
    }
}


/* BSD AF_INET6 differs by OS; tshark accepts all of these. */
static int af_is_ipv4(uint32_t af)
{
    return af == 2;
}

static int af_is_ipv6(uint32_t af)
{
    return af == 10 || af == 23 || af == 24 || af == 28 || af == 30;
}

static const char *decode_null(cr_frame *f, int network_order)
{
    if (f->cap < 4)
        return WHY_TRUNC;
    const uint8_t *p = f->p;
    uint32_t be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    /* DLT_NULL is in the capturing host's byte order, which the file does not record: the AF
     * values are small, so whichever reading fits in 16 bits is the right one. */
    uint32_t af = network_order ? be : ((le & 0xffff0000u) ? be : le);
    if (af_is_ipv4(af) || af_is_ipv6(af))
        return decode_ip(f, 4);
    return WHY_NOT_IP;
}

int cr_decode_linktype_known(int dlt)
{
    switch (dlt) {
    case CR_DLT_NULL:
    case CR_DLT_EN10MB:
    case CR_DLT_RAW:
    case CR_DLT_RAW_OPENBSD:
    case CR_DLT_PPPOE_NOETH:
    case CR_LINKTYPE_RAW:
    case CR_DLT_LOOP:
    case CR_DLT_LINUX_SLL:
    case CR_DLT_IPV4:
    case CR_DLT_IPV6:
    case CR_DLT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

const char *cr_decode(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
                      cr_decoded *d)
{
    cr_frame f = {frame, caplen, wirelen < caplen ? caplen : wirelen, d, 0};
    d->icmp_quoted = 0;
    switch (dlt) {
    case CR_DLT_EN10MB:
        if (caplen < 14)
            return WHY_TRUNC;
        {
            uint16_t type = get16(frame + 12);
            /* Values up to 1500 are 802.3 lengths (LLC follows), not EtherTypes. */
            if (type < 0x0600)
                return WHY_NOT_IP;
            return decode_ethertype(&f, type, 14);
        }
    case CR_DLT_LINUX_SLL:
        if (caplen < 16)
            return WHY_TRUNC;
        return decode_ethertype(&f, get16(frame + 14), 16);
    case CR_DLT_LINUX_SLL2:
        if (caplen < 20)
            return WHY_TRUNC;
        return decode_ethertype(&f, get16(frame), 20);
    case CR_DLT_RAW:
    case CR_DLT_RAW_OPENBSD:
    case CR_LINKTYPE_RAW:
    case CR_DLT_IPV4:
    case CR_DLT_IPV6:
        return decode_ip(&f, 0);
    case CR_DLT_NULL:
        return decode_null(&f, 0);
    case CR_DLT_LOOP:
        return decode_null(&f, 1);
    case CR_DLT_PPPOE_NOETH:
        return decode_pppoe(&f, 0);
    default:
        return WHY_NOT_IP;
    }
}
