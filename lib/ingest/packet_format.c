#include "ingest/packet_format.h"

#include <string.h>

const char cr_packet_header[] = "id\ttimestamp\tprotocol\tip_version\tsrc_ip\tdst_ip\tsrc_port\t"
                                "dst_port\ttcp_time_relative\ttcp_completeness\ttcp_stream\t"
                                "tcp_flags\ttcp_len\n";

/* Hand-rolled integer output: printf would dominate the cost of a 2-million-row table. */
static size_t put_u64(char *o, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        o[i] = tmp[n - 1 - i];
    return n;
}

static size_t put_i64(char *o, int64_t v)
{
    if (v < 0) {
        o[0] = '-';
        return 1 + put_u64(o + 1, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

/* tshark prints relative times as seconds with 9 decimals; a negative one (timestamps going
 * backwards) gets a leading '-' and the absolute value. */
static size_t put_rel(char *o, int64_t ns)
{
    size_t n = 0;
    uint64_t a = (uint64_t)ns;
    if (ns < 0) {
        o[n++] = '-';
        a = (uint64_t)0 - a;
    }
    n += put_u64(o + n, a / 1000000000u);
    o[n++] = '.';
    uint64_t frac = a % 1000000000u;
    for (int i = 8; i >= 0; i--) {
        o[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return n + 9;
}

static size_t put_flags(char *o, int32_t f)
{
    static const char hex[] = "0123456789abcdef";
    o[0] = '0';
    o[1] = 'x';
    for (int i = 0; i < 4; i++)
        o[2 + i] = hex[(f >> (12 - 4 * i)) & 15];
    return 6;
}

size_t cr_packet_format(const cr_packet *p, char out[CR_PACKET_ROW_MAX])
{
    size_t n = put_u64(out, p->id);
    out[n++] = '\t';
    n += put_i64(out + n, cr_packet_ms(p));
    out[n++] = '\t';
    const char *proto = p->proto == CR_PROTO_TCP ? "tcp" : "udp";
    memcpy(out + n, proto, 3);
    n += 3;
    out[n++] = '\t';
    n += put_u64(out + n, p->ipver);
    out[n++] = '\t';
    n += cr_addr_format(&p->src, out + n);
    out[n++] = '\t';
    n += cr_addr_format(&p->dst, out + n);
    out[n++] = '\t';
    n += put_u64(out + n, p->sport);
    out[n++] = '\t';
    n += put_u64(out + n, p->dport);
    out[n++] = '\t';
    if (p->proto == CR_PROTO_TCP && p->rel_ns != CR_NA_I64)
        n += put_rel(out + n, p->rel_ns);
    out[n++] = '\t';
    if (p->proto == CR_PROTO_TCP && p->completeness >= 0)
        n += put_u64(out + n, (uint64_t)p->completeness);
    out[n++] = '\t';
    if (p->proto == CR_PROTO_TCP && p->stream >= 0)
        n += put_u64(out + n, (uint64_t)p->stream);
    out[n++] = '\t';
    if (p->proto == CR_PROTO_TCP && p->flags >= 0)
        n += put_flags(out + n, p->flags);
    out[n++] = '\t';
    if (p->proto == CR_PROTO_TCP && p->tcp_len >= 0)
        n += put_u64(out + n, (uint64_t)p->tcp_len);
    out[n++] = '\n';
    out[n] = 0;
    return n;
}
