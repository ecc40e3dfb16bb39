/* Ethernet/IPv4/IPv6/TCP/UDP frames for the synthetic packets, and the pcap they go into.
 * Payloads are zeros and cut by the snap length, so the TCP/UDP checksums (over the full packet)
 * reduce to the pseudo-header and the transport header. */
#include "synth/synth.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ingest/packet.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

uint32_t cr_synth_frame(const cr_synth_machine *m, const cr_synth_pkt *p, uint16_t ip_id,
                        uint8_t buf[CR_SYNTH_SNAPLEN], uint32_t *wire)
{
    const cr_synth_conn *c = &m->conns[p->conn];
    int v6 = c->remote.family == 6, tcp = c->proto == CR_PROTO_TCP;
    const cr_addr *local = v6 ? &m->local6 : &m->local4;
    const uint8_t *src = p->out ? local->b : c->remote.b, *dst = p->out ? c->remote.b : local->b;
    unsigned sport = p->out ? c->lport : c->rport, dport = p->out ? c->rport : c->lport;
    unsigned alen = v6 ? 16 : 4, iphl = v6 ? 40 : 20, l4hl = tcp ? 20 : 8;
    unsigned l4len = l4hl + p->len;

    memset(buf, 0, CR_SYNTH_SNAPLEN);
    memcpy(buf, p->out ? m->mac_gw : m->mac_local, 6);
    memcpy(buf + 6, p->out ? m->mac_local : m->mac_gw, 6);
    put16(buf + 12, v6 ? 0x86dd : 0x0800);
    uint8_t *ip = buf + 14, *l4 = ip + iphl;
    uint8_t hops = p->out ? 64 : 53;
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, l4len);
        ip[6] = c->proto;
        ip[7] = hops;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, iphl + l4len);
        put16(ip + 4, ip_id);
        put16(ip + 6, 0x4000); /* DF */
        ip[8] = hops;
        ip[9] = c->proto;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        put16(ip + 10, fold(sum16(ip, 20, 0)));
    }
    put16(l4, sport);
    put16(l4 + 2, dport);
    if (tcp) {
        put32(l4 + 4, p->seq);
        put32(l4 + 8, p->ack);
        l4[12] = 5 << 4;
        l4[13] = p->flags;
        put16(l4 + 14, p->out ? 64240 : 65535);
    } else {
        put16(l4 + 4, l4len);
    }
    uint32_t acc = sum16(src, alen, 0);
    acc = sum16(dst, alen, acc);
    acc += c->proto + l4len;
    uint16_t ck = fold(sum16(l4, l4hl, acc));
    put16(l4 + (tcp ? 16 : 6), !tcp && ck == 0 ? 0xffff : ck);

    *wire = 14 + iphl + l4len;
    return *wire < CR_SYNTH_SNAPLEN ? *wire : CR_SYNTH_SNAPLEN;
}

int cr_synth_write_pcap(const cr_synth_machine *m, const char *path, cr_err *e)
{
    size_t n = strlen(path) + 16;
    char *tmp = xmalloc(n);
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *fp = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!fp) {
        cr_fail(e, "%s: cannot create output file: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return -1;
    }
    fchmod(fd, 0644);
    pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, CR_SYNTH_SNAPLEN,
                                                      PCAP_TSTAMP_PRECISION_MICRO);
    pcap_dumper_t *d = pd ? pcap_dump_fopen(pd, fp) : NULL;
    if (!d) {
        cr_fail(e, "%s: cannot start pcap output: %s", path, pd ? pcap_geterr(pd) : "no memory");
        fclose(fp);
        unlink(tmp);
        free(tmp);
        if (pd)
            pcap_close(pd);
        return -1;
    }
    uint16_t ip_id[2] = {(uint16_t)(m->mac_local[5] << 8 | m->mac_local[4]), 1};
    uint8_t buf[CR_SYNTH_SNAPLEN];
    for (size_t i = 0; i < m->npkt; i++) {
        const cr_synth_pkt *p = &m->pkts[i];
        struct pcap_pkthdr h;
        h.ts.tv_sec = (time_t)(p->ts_us / 1000000);
        h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000);
        h.caplen = cr_synth_frame(m, p, ip_id[p->out]++, buf, &h.len);
        pcap_dump((u_char *)d, &h, buf);
    }
    int bad = pcap_dump_flush(d) != 0 || ferror(fp);
    int err = errno;
    pcap_dump_close(d);
    pcap_close(pd);
    if (bad || rename(tmp, path) != 0) {
        cr_fail(e, "%s: %s: %s", path, bad ? "write error" : "cannot rename into place",
                strerror(bad ? err : errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
