/* pcap / pcapng input through libpcap, decoded and run through the tshark TCP emulation so that
 * every packet carries what a tshark 4.0.17 single-pass export would show. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/decode.h"
#include "ingest/source.h"
#include "ingest/tcp_completeness.h"

typedef struct {
    cr_source base;   /* first: the cr_source pointer is this struct */
    pcap_t *pc;
    int dlt;
    cr_tcp_state *tcp;
} pcap_source;

static void fill_packet(cr_packet *p, const cr_decoded *d, uint64_t id, int64_t ts_ns)
{
    p->id = id;
    p->ts_ns = ts_ns;
    p->proto = d->proto;
    p->ipver = d->ipver;
    p->src = d->src;
    p->dst = d->dst;
    p->sport = d->sport;
    p->dport = d->dport;
    p->completeness = -1;
    p->rel_ns = CR_NA_I64;
    p->stream = -1;
    p->flags = -1;
    p->tcp_len = -1;
}

static int pcap_next_packet(cr_source *s, cr_packet *p, cr_err *e)
{
    pcap_source *ps = (pcap_source *)s;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(ps->pc, &h, &data);
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        if (rc != 1)
            return cr_fail(e, "%s: frame %llu: %s", s->path,
                           (unsigned long long)s->records + 1, pcap_geterr(ps->pc));
        uint64_t id = ++s->records;
        /* Times are kept as int64 nanoseconds: beyond +-292 years from 1970 they would wrap
         * (pcapng's 64-bit stamps reach that far) */
        if (h->ts.tv_sec > INT64_MAX / 1000000000 - 1 || h->ts.tv_sec < INT64_MIN / 1000000000 + 1)
            return cr_fail(e, "%s: frame %llu: time stamp %lld s is out of range (1677 to 2262)",
                           s->path, (unsigned long long)id, (long long)h->ts.tv_sec);
        /* Opened with nanosecond precision, so tv_usec holds nanoseconds. */
        int64_t ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
        cr_decoded d;
        const char *why = cr_decode(ps->dlt, data, h->caplen, h->len, &d);
        if (why) {
            cr_source_drop(s, why);
            continue;
        }
        cr_tcp_view v;
        if (d.proto == CR_PROTO_TCP)
            cr_tcp_state_feed(ps->tcp, &d, ts_ns, &v);
        if (d.icmp_quoted) {
            cr_source_drop(s, "ICMP error");
            continue;
        }
        fill_packet(p, &d, id, ts_ns);
        if (d.proto == CR_PROTO_TCP) {
            int bogus = d.tcp_hlen < 20;
            p->completeness = v.completeness;
            p->stream = v.stream;
            /* With a bogus header length tshark stops before adding tcp.flags and
             * tcp.time_relative. */
            p->rel_ns = bogus ? CR_NA_I64 : v.rel_ns;
            p->flags = bogus ? -1 : d.flags;
            p->tcp_len = d.payload_len;
        }
        return 1;
    }
}

static void pcap_close_source(cr_source *s)
{
    pcap_source *ps = (pcap_source *)s;
    if (ps->pc)
        pcap_close(ps->pc);
    cr_tcp_state_free(ps->tcp);
    free(ps);
}

static const cr_source_ops pcap_ops = {pcap_next_packet, pcap_close_source};

/* libpcap reads both formats transparently; the kind is only reported, from the magic. */
static const char *pcap_kind(const char *path)
{
    unsigned char m[4] = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fread(m, 1, 4, f) != 4)
            memset(m, 0, 4);
        fclose(f);
    }
    return memcmp(m, "\x0a\x0d\x0d\x0a", 4) == 0 ? "pcapng" : "pcap";
}

int cr_pcap_source_open(cr_source **out, const char *path, cr_err *e)
{
    *out = NULL;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pc)
        return cr_fail(e, "%s: cannot read capture: %s", path, errbuf);
    int dlt = pcap_datalink(pc);
    if (!cr_decode_linktype_known(dlt)) {
        const char *name = pcap_datalink_val_to_name(dlt);
        pcap_close(pc);
        return cr_fail(e, "%s: unsupported link-layer type %d (%s)", path, dlt,
                       name ? name : "unknown");
    }
    pcap_source *ps = xcalloc(1, sizeof *ps);
    cr_source_init(&ps->base, &pcap_ops, path, pcap_kind(path));
    ps->base.has_flags = 1;
    ps->pc = pc;
    ps->dlt = dlt;
    ps->tcp = cr_tcp_state_new();
    *out = &ps->base;
    return 0;
}
