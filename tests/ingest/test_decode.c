/* Decoder edge cases on hand-built frames: every link type, VLAN/QinQ, PPPoE, MPLS, IPv6
 * extension headers, fragments, snaplen truncation, padding, bogus TCP header length, ICMP-quoted
 * headers. Expectations are the values the frames were built with; on top of that, the frames
 * tshark dissects the same way are written to pcaps and compared row for row with tshark. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/decode.h"
#include "ingest/packet.h"
#include "ingest/packet_format.h"
#include "ingest/source.h"
#include "ingest/tcp_completeness.h"
#include "test.h"

typedef struct {
    uint8_t b[2048];
    size_t n;
} buf;

static void put(buf *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put8(buf *f, unsigned v)
{
    f->b[f->n++] = (uint8_t)v;
}

static void put16(buf *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v & 0xff);
}

static void put32(buf *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void zeros(buf *f, size_t n)
{
    memset(f->b + f->n, 0, n);
    f->n += n;
}

static const uint8_t A4[4] = {10, 1, 2, 3}, B4[4] = {192, 168, 7, 9};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe,
                               0x33, 0x44, 0x55};

/* TCP header with data offset doff (words) and payload bytes of payload. */
static void tcp_hdr(buf *f, unsigned sp, unsigned dp, uint32_t seq, unsigned flags,
                    unsigned doff, size_t payload)
{
    put16(f, sp);
    put16(f, dp);
    put32(f, seq);
    put32(f, flags & CR_TH_ACK ? 1000 : 0);
    put16(f, doff << 12 | flags);
    put16(f, 65535);
    put32(f, 0);
    if (doff > 5)
        zeros(f, (doff - 5) * 4);
    zeros(f, payload);
}

static void udp_hdr(buf *f, unsigned sp, unsigned dp, size_t payload)
{
    put16(f, sp);
    put16(f, dp);
    put16(f, (unsigned)(8 + payload));
    put16(f, 0);
    zeros(f, payload);
}

/* IPv4 header; total length patched by ip4_end(). frag = flags/offset field. */
static size_t ip4_begin(buf *f, unsigned proto, unsigned frag, const uint8_t *s,
                        const uint8_t *d)
{
    size_t at = f->n;
    put8(f, 0x45);
    put8(f, 0);
    put16(f, 0);
    put16(f, 1);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put(f, s, 4);
    put(f, d, 4);
    return at;
}

static void ip4_end(buf *f, size_t at)
{
    size_t len = f->n - at;
    f->b[at + 2] = (uint8_t)(len >> 8);
    f->b[at + 3] = (uint8_t)len;
}

static size_t ip6_begin(buf *f, unsigned nh, const uint8_t *s, const uint8_t *d)
{
    size_t at = f->n;
    put32(f, 0x60000000);
    put16(f, 0);
    put8(f, nh);
    put8(f, 64);
    put(f, s, 16);
    put(f, d, 16);
    return at;
}

static void ip6_end(buf *f, size_t at)
{
    size_t len = f->n - at - 40;
    f->b[at + 4] = (uint8_t)(len >> 8);
    f->b[at + 5] = (uint8_t)len;
}

static void eth(buf *f, unsigned type)
{
    static const uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    put(f, mac, 12);
    put16(f, type);
}

/* Appends an IPv4 TCP segment 10.1.2.3:sp -> 192.168.7.9:dp. */
static void v4_tcp(buf *f, unsigned sp, unsigned dp, uint32_t seq, unsigned flags, size_t pay)
{
    size_t at = ip4_begin(f, 6, 0x4000, A4, B4);
    tcp_hdr(f, sp, dp, seq, flags, 5, pay);
    ip4_end(f, at);
}

static void v6_tcp(buf *f, unsigned sp, unsigned dp, uint32_t seq, unsigned flags, size_t pay)
{
    size_t at = ip6_begin(f, 6, A6, B6);
    tcp_hdr(f, sp, dp, seq, flags, 5, pay);
    ip6_end(f, at);
}

static const char *dec(int dlt, const buf *f, cr_decoded *d)
{
    memset(d, 0xaa, sizeof *d);
    return cr_decode(dlt, f->b, (uint32_t)f->n, (uint32_t)f->n, d);
}

static void check_addr(const cr_addr *a, int fam, const uint8_t *b, int *ok)
{
    *ok = a->family == fam && memcmp(a->b, b, fam == 4 ? 4 : 16) == 0;
}

#define CHECK_V4(d)                                                                           \
    do {                                                                                      \
        int ok_;                                                                              \
        CHECK_INT((d).ipver, 4);                                                              \
        check_addr(&(d).src, 4, A4, &ok_);                                                    \
        CHECK(ok_);                                                                           \
        check_addr(&(d).dst, 4, B4, &ok_);                                                    \
        CHECK(ok_);                                                                           \
    } while (0)
#define CHECK_V6(d)                                                                           \
    do {                                                                                      \
        int ok_;                                                                              \
        CHECK_INT((d).ipver, 6);                                                              \
        check_addr(&(d).src, 6, A6, &ok_);                                                    \
        CHECK(ok_);                                                                           \
        check_addr(&(d).dst, 6, B6, &ok_);                                                    \
        CHECK(ok_);                                                                           \
    } while (0)

static void test_ethernet_vlan_qinq_mpls(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    eth(&f, 0x0800);
    v4_tcp(&f, 40000, 443, 7, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_V4(d);
    CHECK_INT(d.proto, CR_PROTO_TCP);
    CHECK_INT(d.sport, 40000);
    CHECK_INT(d.dport, 443);
    CHECK_INT(d.seq, 7);
    CHECK_INT(d.flags, CR_TH_SYN);
    CHECK_INT(d.tcp_hlen, 20);
    CHECK_INT(d.payload_len, 0);
    CHECK_INT(d.icmp_quoted, 0);

    f.n = 0;
    eth(&f, 0x8100);
    put16(&f, 42);
    put16(&f, 0x86dd);
    v6_tcp(&f, 1234, 80, 1, CR_TH_ACK | CR_TH_PSH, 100);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_V6(d);
    CHECK_INT(d.payload_len, 100);
    CHECK_INT(d.flags, CR_TH_ACK | CR_TH_PSH);

    f.n = 0;
    eth(&f, 0x88a8);
    put16(&f, 100);
    put16(&f, 0x8100);
    put16(&f, 200);
    put16(&f, 0x0800);
    size_t at = ip4_begin(&f, 17, 0, A4, B4);
    udp_hdr(&f, 5353, 53, 30);
    ip4_end(&f, at);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_V4(d);
    CHECK_INT(d.proto, CR_PROTO_UDP);
    CHECK_INT(d.sport, 5353);
    CHECK_INT(d.dport, 53);

    f.n = 0;
    eth(&f, 0x8847);
    put32(&f, 16 << 12 | 0 << 8 | 64);        /* label 16, not bottom */
    put32(&f, 17 << 12 | 1 << 8 | 64);        /* bottom of stack */
    v4_tcp(&f, 1, 2, 3, CR_TH_ACK, 5);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_INT(d.sport, 1);
    CHECK_INT(d.payload_len, 5);

    /* Ethernet padding after a short IP datagram is not payload. */
    f.n = 0;
    eth(&f, 0x0800);
    v4_tcp(&f, 5, 6, 1, CR_TH_ACK, 0);
    zeros(&f, 6);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_INT(d.payload_len, 0);

    f.n = 0;
    eth(&f, 0x0806);
    zeros(&f, 28);
    CHECK_STR(dec(CR_DLT_EN10MB, &f, &d), "not IP");
    f.n = 0;
    eth(&f, 46);   /* 802.3 length field: LLC follows */
    zeros(&f, 46);
    CHECK_STR(dec(CR_DLT_EN10MB, &f, &d), "not IP");
}

/* PPPoE session header and PPP protocol; pppoe_end() patches the length, which tshark uses. */
static size_t pppoe_session(buf *f, unsigned ppp_proto)
{
    size_t at = f->n;
    put8(f, 0x11);
    put8(f, 0);
    put16(f, 0x1234);
    put16(f, 0);
    put16(f, ppp_proto);
    return at;
}

static void pppoe_end(buf *f, size_t at)
{
    size_t len = f->n - at - 6;
    f->b[at + 4] = (uint8_t)(len >> 8);
    f->b[at + 5] = (uint8_t)len;
}

static void test_pppoe(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    eth(&f, 0x8864);
    size_t at = pppoe_session(&f, 0x0021);
    v4_tcp(&f, 1000, 2000, 9, CR_TH_SYN | CR_TH_ACK, 0);
    CHECK_STR(dec(CR_DLT_EN10MB, &f, &d), "truncated header");  /* length field 0 */
    pppoe_end(&f, at);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_V4(d);
    CHECK_INT(d.flags, CR_TH_SYN | CR_TH_ACK);

    f.n = 0;
    eth(&f, 0x8100);
    put16(&f, 7);
    put16(&f, 0x8864);
    at = pppoe_session(&f, 0x0057);
    v6_tcp(&f, 1000, 2000, 9, CR_TH_ACK, 3);
    pppoe_end(&f, at);
    CHECK(dec(CR_DLT_EN10MB, &f, &d) == NULL);
    CHECK_V6(d);
    CHECK_INT(d.payload_len, 3);

    f.n = 0;
    eth(&f, 0x8864);
    pppoe_session(&f, 0xc021);   /* LCP */
    zeros(&f, 10);
    CHECK_STR(dec(CR_DLT_EN10MB, &f, &d), "not IP");

    f.n = 0;
    at = pppoe_session(&f, 0x0021);
    v4_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
    pppoe_end(&f, at);
    CHECK(dec(CR_DLT_PPPOE_NOETH, &f, &d) == NULL);
    CHECK_V4(d);
}

static void test_sll_raw_null(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    put16(&f, 0);                /* packet type */
    put16(&f, 1);                /* ARPHRD_ETHER */
    put16(&f, 6);
    zeros(&f, 8);
    put16(&f, 0x0800);
    v4_tcp(&f, 11, 22, 1, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_LINUX_SLL, &f, &d) == NULL);
    CHECK_V4(d);
    CHECK_INT(d.sport, 11);

    f.n = 0;
    put16(&f, 0x86dd);
    put16(&f, 0);
    put32(&f, 3);                /* interface index */
    put16(&f, 1);
    put8(&f, 4);
    put8(&f, 6);
    zeros(&f, 8);
    v6_tcp(&f, 33, 44, 1, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_LINUX_SLL2, &f, &d) == NULL);
    CHECK_V6(d);
    CHECK_INT(d.dport, 44);

    f.n = 0;
    v4_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_V4(d);
    CHECK(dec(CR_LINKTYPE_RAW, &f, &d) == NULL);
    CHECK(dec(CR_DLT_IPV4, &f, &d) == NULL);
    f.n = 0;
    v6_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_V6(d);
    CHECK(dec(CR_DLT_IPV6, &f, &d) == NULL);

    /* BSD loopback: AF in either byte order; AF_INET6 is 24, 28 or 30 depending on the BSD. */
    static const unsigned af6[] = {24, 28, 30};
    for (int order = 0; order < 2; order++) {
        f.n = 0;
        if (order)
            put32(&f, 2);
        else
            put32(&f, 0x02000000);
        v4_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
        CHECK(dec(CR_DLT_NULL, &f, &d) == NULL);
        CHECK_V4(d);
        for (int i = 0; i < 3; i++) {
            f.n = 0;
            if (order)
                put32(&f, af6[i]);
            else
                put32(&f, af6[i] << 24);
            v6_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
            CHECK(dec(CR_DLT_NULL, &f, &d) == NULL);
            CHECK_V6(d);
        }
    }
    f.n = 0;
    put32(&f, 24);               /* DLT_LOOP: network byte order */
    v6_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_LOOP, &f, &d) == NULL);
    CHECK_V6(d);
    f.n = 0;
    put32(&f, 0x07000000);
    zeros(&f, 40);
    CHECK_STR(dec(CR_DLT_NULL, &f, &d), "not IP");

    CHECK(!cr_decode_linktype_known(105));  /* 802.11 */
    CHECK(cr_decode_linktype_known(CR_DLT_LINUX_SLL2));
}

static void test_ipv6_extension_headers(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    size_t at = ip6_begin(&f, 0, A6, B6);
    put8(&f, 43);                /* hop-by-hop, 8 bytes */
    put8(&f, 0);
    zeros(&f, 6);
    put8(&f, 60);                /* routing, 24 bytes */
    put8(&f, 2);
    zeros(&f, 22);
    put8(&f, 51);                /* destination options, 16 bytes */
    put8(&f, 1);
    zeros(&f, 14);
    put8(&f, 6);                 /* AH, (4 + 2) * 4 = 24 bytes */
    put8(&f, 4);
    zeros(&f, 22);
    tcp_hdr(&f, 8080, 50000, 77, CR_TH_ACK, 8, 12);
    ip6_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_V6(d);
    CHECK_INT(d.sport, 8080);
    CHECK_INT(d.tcp_hlen, 32);
    CHECK_INT(d.payload_len, 12);

    f.n = 0;
    at = ip6_begin(&f, 59, A6, B6);  /* no next header */
    ip6_end(&f, at);
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "not TCP/UDP");
}

static void test_fragments(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    size_t at = ip4_begin(&f, 17, 0x2000, A4, B4);   /* MF, offset 0 */
    udp_hdr(&f, 53, 40000, 100);
    ip4_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.sport, 53);
    f.n = 0;
    at = ip4_begin(&f, 17, 0x0010, A4, B4);          /* offset 128 */
    zeros(&f, 50);
    ip4_end(&f, at);
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "IP fragment");

    f.n = 0;
    at = ip6_begin(&f, 44, A6, B6);
    put8(&f, 6);
    put8(&f, 0);
    put16(&f, 0 << 3 | 1);   /* offset 0, M */
    put32(&f, 99);
    tcp_hdr(&f, 22, 50000, 5, CR_TH_ACK, 5, 40);
    ip6_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.sport, 22);
    CHECK_INT(d.payload_len, 40);
    f.b[40 + 2] = 0;
    f.b[40 + 3] = 6 << 3;    /* offset 48 */
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "IP fragment");
}

static void test_truncation_and_bogus(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    eth(&f, 0x0800);
    v4_tcp(&f, 1, 2, 3, CR_TH_ACK, 1400);
    /* snaplen 68: the header is complete, the payload length still comes from IP. */
    CHECK(cr_decode(CR_DLT_EN10MB, f.b, 68, (uint32_t)f.n, &d) == NULL);
    CHECK_INT(d.payload_len, 1400);
    /* Cut in the IP header, or before the 16 TCP bytes tshark needs. */
    CHECK_STR(cr_decode(CR_DLT_EN10MB, f.b, 30, (uint32_t)f.n, &d), "truncated header");
    CHECK_STR(cr_decode(CR_DLT_EN10MB, f.b, 14 + 20 + 12, (uint32_t)f.n, &d),
              "truncated header");
    CHECK_STR(cr_decode(CR_DLT_EN10MB, f.b, 10, (uint32_t)f.n, &d), "truncated header");

    f.n = 0;
    size_t at = ip4_begin(&f, 6, 0, A4, B4);
    tcp_hdr(&f, 1, 2, 3, CR_TH_ACK, 4, 0);   /* data offset 4: 16 bytes, bogus */
    zeros(&f, 10);
    ip4_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.tcp_hlen, 16);
    CHECK_INT(d.payload_len, 20 + 10 - 16);

    f.n = 0;
    at = ip4_begin(&f, 6, 0, A4, B4);
    tcp_hdr(&f, 1, 2, 3, CR_TH_ACK, 15, 0);  /* 60-byte header in a 40-byte segment */
    f.n = at + 20 + 40;
    ip4_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.payload_len, -1);

    f.n = 0;
    at = ip4_begin(&f, 6, 0, A4, B4);
    f.b[at] = 0x44;                          /* IHL 16 bytes */
    tcp_hdr(&f, 1, 2, 3, CR_TH_ACK, 5, 0);
    ip4_end(&f, at);
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "bad IP header");
}

/* An ICMP error from a router at 10.9.9.9 quoting the first `quote` bytes of a TCP segment. */
static void icmp_quote(buf *f, unsigned type, size_t quote, unsigned tcpflags)
{
    static const uint8_t R4[4] = {10, 9, 9, 9};
    size_t at = ip4_begin(f, 1, 0, R4, A4);
    put8(f, type);
    put8(f, 0);
    put16(f, 0);
    put32(f, 0);
    buf inner = {.n = 0};
    v4_tcp(&inner, 40000, 443, 7, tcpflags, 0);
    put(f, inner.b, 20 + quote);
    ip4_end(f, at);
}

static void test_icmp_quoted(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    icmp_quote(&f, 3, 20, CR_TH_SYN);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.icmp_quoted, 1);
    CHECK_INT(d.ipver, 4);
    CHECK_V4(d);   /* the quoted packet's addresses */
    CHECK_INT(d.sport, 40000);
    CHECK_INT(d.payload_len, 0);

    f.n = 0;
    icmp_quote(&f, 3, 8, CR_TH_SYN);   /* RFC 792 minimum: too short for tshark's TCP state */
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "ICMP error");
    f.n = 0;
    icmp_quote(&f, 8, 20, CR_TH_SYN);  /* echo request: not an error */
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "not TCP/UDP");

    f.n = 0;
    size_t at = ip6_begin(&f, 58, B6, A6);
    put8(&f, 2);                        /* packet too big */
    put8(&f, 0);
    put16(&f, 0);
    put32(&f, 1280);
    v6_tcp(&f, 40000, 443, 7, CR_TH_ACK, 0);
    ip6_end(&f, at);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.icmp_quoted, 1);
    CHECK_V6(d);

    /* The quoted header updates the stream (tshark §7.4): SYN, then a quoted SYN shows 1, and
     * the next SYN still belongs to the same stream. */
    cr_tcp_state *t = cr_tcp_state_new();
    cr_tcp_view v;
    f.n = 0;
    v4_tcp(&f, 40000, 443, 7, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    cr_tcp_state_feed(t, &d, 0, &v);
    CHECK_INT(v.completeness, 0);
    f.n = 0;
    icmp_quote(&f, 3, 20, CR_TH_SYN | CR_TH_ACK);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    cr_tcp_state_feed(t, &d, 1000, &v);
    CHECK_INT(v.completeness, 1);
    CHECK_INT(v.stream, 0);
    f.n = 0;
    v4_tcp(&f, 40000, 443, 7, CR_TH_SYN, 0);
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    cr_tcp_state_feed(t, &d, 2000, &v);
    CHECK_INT(v.completeness, 3);   /* the quoted SYN-ACK added 2 */
    CHECK_INT(v.rel_ns, 2000);
    CHECK_INT(cr_tcp_state_streams(t), 1);
    cr_tcp_state_free(t);
}

static void test_teredo_icmpv6(void)
{
    cr_decoded d;
    buf f = {.n = 0};
    size_t at = ip4_begin(&f, 17, 0, A4, B4);
    size_t u = f.n;
    udp_hdr(&f, 54476, 3544, 0);
    size_t in = ip6_begin(&f, 58, A6, B6);
    put8(&f, 133);                /* router solicitation */
    zeros(&f, 7);
    ip6_end(&f, in);
    f.b[u + 4] = (uint8_t)((f.n - u) >> 8);
    f.b[u + 5] = (uint8_t)(f.n - u);
    ip4_end(&f, at);
    CHECK_STR(dec(CR_DLT_RAW, &f, &d), "ICMPv6 in Teredo");
    f.b[u + 2] = 0x13;            /* another port: plain UDP */
    CHECK(dec(CR_DLT_RAW, &f, &d) == NULL);
    CHECK_INT(d.proto, CR_PROTO_UDP);
}

/* Writes frames to a pcap, runs our reader and tshark over it, and compares the rows. */
static void tshark_compare(int dlt, const buf *frames, int n, const char *name,
                           const long *ts_us)
{
    if (cr_test_sh("command -v tshark >/dev/null 2>&1") != 0)
        SKIP("tshark not installed");
    char path[4096], out[4096];
    snprintf(path, sizeof path, "%s/%s.pcap", cr_test_tmpdir(), name);
    snprintf(out, sizeof out, "%s/%s.tsv", cr_test_tmpdir(), name);
    pcap_t *dead = pcap_open_dead(dlt, 65535);
    pcap_dumper_t *dump = pcap_dump_open(dead, path);
    CHECK(dump != NULL);
    for (int i = 0; i < n; i++) {
        long us = ts_us ? ts_us[i] : 1001000L * i;
        struct pcap_pkthdr h = {{1700000000 + us / 1000000, us % 1000000},
                                (bpf_u_int32)frames[i].n, (bpf_u_int32)frames[i].n};
        pcap_dump((u_char *)dump, &h, frames[i].b);
    }
    pcap_dump_close(dump);
    pcap_close(dead);
    CHECK_INT(cr_test_sh("tshark -n -r %s -Y '(tcp || udp) && !icmp && !icmpv6' -T fields "
                         "-E separator=/t -E occurrence=f -e frame.number -e ip.src -e ipv6.src "
                         "-e tcp.srcport -e udp.srcport -e tcp.stream -e tcp.completeness "
                         "-e tcp.flags -e tcp.len -e tcp.time_relative > %s 2>/dev/null",
                         path, out),
              0);
    size_t len;
    char *want = cr_test_slurp(out, &len);
    CHECK(want != NULL);
    cr_err e;
    cr_source *s;
    CHECK(cr_pcap_source_open(&s, path, &e) == 0);
    char got[65536] = "";
    size_t gn = 0;
    cr_packet p;
    while (cr_source_next(s, &p, &e) == 1) {
        char row[CR_PACKET_ROW_MAX], *c[16];
        cr_packet_format(&p, row);
        int k = 0;
        c[k++] = row;
        for (char *q = row; *q; q++)
            if (*q == '\t' || *q == '\n') {
                *q = 0;
                c[k++] = q + 1;
            }
        int tcp = p.proto == CR_PROTO_TCP;
        gn += (size_t)snprintf(got + gn, sizeof got - gn,
                               "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c[0],
                               p.ipver == 4 ? c[4] : "", p.ipver == 6 ? c[4] : "", tcp ? c[6] : "",
                               tcp ? "" : c[6], c[10], c[9], c[11], c[12], c[8]);
    }
    cr_source_close(s);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "tshark:\n%sconnrate:\n%s", want, got);
    CHECK_STR(got, want);
    free(want);
}

static void test_tshark_ethernet(void)
{
    static buf fr[12];
    int n = 0;
    eth(&fr[n], 0x0800);
    v4_tcp(&fr[n++], 40000, 443, 100, CR_TH_SYN, 0);
    eth(&fr[n], 0x8100);
    put16(&fr[n], 5);
    put16(&fr[n], 0x0800);
    {   /* SYN-ACK from the server, inside a VLAN */
        size_t at = ip4_begin(&fr[n], 6, 0, B4, A4);
        tcp_hdr(&fr[n], 443, 40000, 500, CR_TH_SYN | CR_TH_ACK, 5, 0);
        ip4_end(&fr[n++], at);
    }
    eth(&fr[n], 0x88a8);
    put16(&fr[n], 1);
    put16(&fr[n], 0x8100);
    put16(&fr[n], 2);
    put16(&fr[n], 0x0800);
    v4_tcp(&fr[n++], 40000, 443, 101, CR_TH_ACK | CR_TH_PSH, 30);
    eth(&fr[n], 0x8864);
    {
        size_t at = pppoe_session(&fr[n], 0x0021);
        v4_tcp(&fr[n], 40000, 443, 131, CR_TH_ACK | CR_TH_FIN, 0);
        pppoe_end(&fr[n++], at);
    }
    eth(&fr[n], 0x0800);
    icmp_quote(&fr[n++], 3, 20, CR_TH_RST);
    eth(&fr[n], 0x0800);
    v4_tcp(&fr[n++], 40000, 443, 132, CR_TH_ACK, 0);
    eth(&fr[n], 0x86dd);
    {   /* IPv6 with hop-by-hop and destination options */
        size_t at = ip6_begin(&fr[n], 0, A6, B6);
        put8(&fr[n], 60);
        put8(&fr[n], 0);
        zeros(&fr[n], 6);
        put8(&fr[n], 6);
        put8(&fr[n], 0);
        zeros(&fr[n], 6);
        tcp_hdr(&fr[n], 50000, 22, 1, CR_TH_ACK | CR_TH_PSH, 5, 7);
        ip6_end(&fr[n++], at);
    }
    eth(&fr[n], 0x0800);
    {   /* bogus TCP header length: row without flags, state not updated */
        size_t at = ip4_begin(&fr[n], 6, 0, A4, B4);
        tcp_hdr(&fr[n], 40000, 443, 133, CR_TH_ACK | CR_TH_RST, 3, 0);
        zeros(&fr[n], 8);
        ip4_end(&fr[n++], at);
    }
    eth(&fr[n], 0x0800);
    v4_tcp(&fr[n++], 40000, 443, 134, CR_TH_ACK, 0);
    eth(&fr[n], 0x0800);
    {
        size_t at = ip4_begin(&fr[n], 17, 0, A4, B4);
        udp_hdr(&fr[n], 5353, 53, 12);
        ip4_end(&fr[n++], at);
    }
    tshark_compare(CR_DLT_EN10MB, fr, n, "ethernet", NULL);
}

static void test_tshark_other_links(void)
{
    static buf fr[4];
    memset(fr, 0, sizeof fr);
    put16(&fr[0], 0);
    put16(&fr[0], 1);
    put16(&fr[0], 6);
    zeros(&fr[0], 8);
    put16(&fr[0], 0x86dd);
    v6_tcp(&fr[0], 1000, 80, 1, CR_TH_SYN, 0);
    tshark_compare(CR_DLT_LINUX_SLL, fr, 1, "sll", NULL);
    if (cr_test_stop)
        return;
    memset(fr, 0, sizeof fr);
    put16(&fr[0], 0x0800);
    put16(&fr[0], 0);
    put32(&fr[0], 1);
    put16(&fr[0], 1);
    put8(&fr[0], 0);
    put8(&fr[0], 6);
    zeros(&fr[0], 8);
    v4_tcp(&fr[0], 1000, 80, 1, CR_TH_SYN, 0);
    tshark_compare(CR_DLT_LINUX_SLL2, fr, 1, "sll2", NULL);
    if (cr_test_stop)
        return;
    memset(fr, 0, sizeof fr);
    put32(&fr[0], 0x1e000000);   /* little-endian 30 (Darwin AF_INET6) */
    v6_tcp(&fr[0], 1, 2, 3, CR_TH_SYN, 0);
    put32(&fr[1], 0x02000000);
    v4_tcp(&fr[1], 1, 2, 3, CR_TH_SYN, 0);
    tshark_compare(CR_DLT_NULL, fr, 2, "null", NULL);
    if (cr_test_stop)
        return;
    memset(fr, 0, sizeof fr);
    v4_tcp(&fr[0], 1, 2, 3, CR_TH_SYN, 0);
    v6_tcp(&fr[1], 1, 2, 3, CR_TH_SYN, 0);
    tshark_compare(CR_DLT_RAW, fr, 2, "raw", NULL);
}

/* Unknown link types and damaged files fail with one line naming the file. */
static void test_reader_errors(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/wifi.pcap", cr_test_tmpdir());
    pcap_t *dead = pcap_open_dead(105, 65535);   /* IEEE 802.11 */
    pcap_dumper_t *dump = pcap_dump_open(dead, path);
    CHECK(dump != NULL);
    pcap_dump_close(dump);
    pcap_close(dead);
    cr_err e;
    cr_source *s;
    CHECK(cr_pcap_source_open(&s, path, &e) != 0);
    CHECKF(strstr(e.msg, path) && strstr(e.msg, "unsupported link-layer type 105"), "%s", e.msg);

    /* A record cut short at the end of the file. */
    snprintf(path, sizeof path, "%s/cut.pcap", cr_test_tmpdir());
    dead = pcap_open_dead(CR_DLT_RAW, 65535);
    dump = pcap_dump_open(dead, path);
    CHECK(dump != NULL);
    buf f = {.n = 0};
    v4_tcp(&f, 1, 2, 3, CR_TH_SYN, 0);
    struct pcap_pkthdr h = {{1700000000, 0}, (bpf_u_int32)f.n, (bpf_u_int32)f.n};
    pcap_dump((u_char *)dump, &h, f.b);
    pcap_dump((u_char *)dump, &h, f.b);
    pcap_dump_close(dump);
    pcap_close(dead);
    CHECK_INT(truncate(path, 24 + 2 * 16 + 2 * 40 - 10), 0);
    CHECK(cr_pcap_source_open(&s, path, &e) == 0);
    CHECK_STR(s->kind, "pcap");
    CHECK_INT(s->has_flags, 1);
    cr_packet p;
    CHECK_INT(cr_source_next(s, &p, &e), 1);
    CHECK_INT(p.id, 1);
    CHECK_INT(p.completeness, 0);
    CHECK_INT(cr_source_next(s, &p, &e), -1);
    CHECKF(strstr(e.msg, path) != NULL, "%s", e.msg);
    cr_source_close(s);
}

/* Out-of-order timestamps: file order rules, tcp.time_relative goes negative. */
static void test_tshark_backwards_time(void)
{
    static buf fr[4];
    static const long ts[4] = {100500000, 99200000, 100499999, 98000000};
    memset(fr, 0, sizeof fr);
    v4_tcp(&fr[0], 1, 2, 5, CR_TH_SYN, 0);
    v4_tcp(&fr[1], 2, 1, 9, CR_TH_SYN | CR_TH_ACK, 0);
    v4_tcp(&fr[2], 1, 2, 6, CR_TH_ACK, 0);
    v4_tcp(&fr[3], 1, 2, 6, CR_TH_ACK | CR_TH_PSH, 10);
    tshark_compare(CR_DLT_RAW, fr, 4, "backwards", ts);
}

TEST_MAIN(RUN(test_ethernet_vlan_qinq_mpls); RUN(test_pppoe); RUN(test_sll_raw_null);
          RUN(test_ipv6_extension_headers); RUN(test_fragments);
          RUN(test_truncation_and_bogus); RUN(test_icmp_quoted); RUN(test_teredo_icmpv6);
          RUN(test_tshark_ethernet); RUN(test_tshark_other_links);
          RUN(test_tshark_backwards_time); RUN(test_reader_errors))
