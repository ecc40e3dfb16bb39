#include "flows/flows.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/xalloc.h"

int64_t cr_tcp_conn_end(const cr_tcp_conn *c, uint8_t *reason)
{
    int64_t ms = c->flags_known ? c->end_flags_ms : c->end_export_ms;
    *reason = c->flags_known ? c->end_flags_reason : c->end_export_reason;
    return ms;
}

int cr_tcp_conn_outbound(const cr_machine *m, const cr_tcp_conn *c)
{
    return cr_machine_is_local(m, c->initiator ? &c->ep.b : &c->ep.a);
}

int cr_flow_cmp(const void *x, const void *y)
{
    const cr_flow *a = x, *b = y;
    if (a->start_ms != b->start_ms)
        return a->start_ms < b->start_ms ? -1 : 1;
    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    int c = cr_addr_cmp(&a->src, &b->src);
    if (c)
        return c;
    if (a->sport != b->sport)
        return a->sport < b->sport ? -1 : 1;
    c = cr_addr_cmp(&a->dst, &b->dst);
    if (c)
        return c;
    if (a->dport != b->dport)
        return a->dport < b->dport ? -1 : 1;
    return 0;
}

size_t cr_machine_flows(const cr_machine *m, cr_flow **out)
{
    cr_flow *fl = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < m->ntcp; i++) {
        const cr_tcp_conn *c = &m->tcp[i];
        if (!cr_tcp_conn_outbound(m, c) ||
            cr_machine_scope(m, c->initiator ? &c->ep.a : &c->ep.b) != CR_SCOPE_FORWARDED)
            continue;
        xgrow(&fl, &cap, n + 1, sizeof *fl);
        cr_flow *f = &fl[n++];
        memset(f, 0, sizeof *f);
        f->proto = CR_PROTO_TCP;
        f->ipver = c->ep.a.family;
        f->src = c->initiator ? c->ep.b : c->ep.a;
        f->dst = c->initiator ? c->ep.a : c->ep.b;
        f->sport = c->initiator ? c->ep.pb : c->ep.pa;
        f->dport = c->initiator ? c->ep.pa : c->ep.pb;
        f->start_ms = c->first_ms;
        f->last_ms = c->last_ms;
        f->packets = c->packets;
        uint8_t why;
        f->end_ms = cr_tcp_conn_end(c, &why);
        f->reason = f->end_ms == CR_NA_I64 ? CR_REASON_OPEN
                    : why == CR_END_RST    ? CR_REASON_RST
                                           : CR_REASON_FIN;
    }
    for (size_t i = 0; i < m->nudp; i++) {
        const cr_udp_conv *u = &m->udp[i];
        for (int d = 0; d < 2; d++) {
            const cr_addr *src = d ? &u->ep.b : &u->ep.a;
            if (!u->packets[d] || !cr_machine_is_local(m, src) ||
                cr_machine_scope(m, d ? &u->ep.a : &u->ep.b) != CR_SCOPE_FORWARDED)
                continue;
            xgrow(&fl, &cap, n + 1, sizeof *fl);
            cr_flow *f = &fl[n++];
            memset(f, 0, sizeof *f);
            f->proto = CR_PROTO_UDP;
            f->ipver = src->family;
            f->src = *src;
            f->dst = d ? u->ep.a : u->ep.b;
            f->sport = d ? u->ep.pb : u->ep.pa;
            f->dport = d ? u->ep.pa : u->ep.pb;
            f->start_ms = u->first_ms[d];
            f->end_ms = u->last_ms[d];
            int64_t other = u->last_ms[!d];
            f->last_ms = u->packets[!d] && other > f->end_ms ? other : f->end_ms;
            f->reason = CR_REASON_UDP_LAST;
            f->packets = u->packets[0] + u->packets[1];
        }
    }
    if (n)
        qsort(fl, n, sizeof *fl, cr_flow_cmp);
    *out = fl;
    return n;
}

const char *cr_reason_name(uint8_t reason)
{
    switch (reason) {
    case CR_REASON_FIN: return "fin";
    case CR_REASON_RST: return "rst";
    case CR_REASON_UDP_LAST: return "udp_last";
    case CR_REASON_ENDED: return "ended";
    default: return "open";
    }
}

void cr_flows_write_header(FILE *f)
{
    fputs("machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,start_ms,end_ms,"
          "last_ms,end_reason,packets\n", f);
}

void cr_flows_write(FILE *f, const char *machine_id, const cr_flow *fl, size_t n)
{
    char s[CR_ADDR_STRLEN], d[CR_ADDR_STRLEN], end[24];
    char *id = cr_csv_escape(machine_id, ',');
    for (size_t i = 0; i < n; i++) {
        const cr_flow *x = &fl[i];
        cr_addr_format(&x->src, s);
        cr_addr_format(&x->dst, d);
        end[0] = 0;
        if (x->end_ms != CR_NA_I64)
            snprintf(end, sizeof end, "%" PRId64, x->end_ms);
        fprintf(f, "%s,%s,%d,%s,%u,%s,%u,%" PRId64 ",%s,%" PRId64 ",%s,%" PRIu64 "\n", id,
                x->proto == CR_PROTO_TCP ? "tcp" : "udp", x->ipver, s, x->sport, d, x->dport,
                x->start_ms, end, x->last_ms, cr_reason_name(x->reason), x->packets);
    }
    free(id);
}
